//! Which key of an issuer signed a stored certificate. The index files a certificate under
//! its issuer's name whether the intermediate or the root signed it (templates with
//! `signer = "root"`, such as `subordinate-ca`), but the two go on different CRLs: a revoked
//! subordinate CA belongs on the root's CRL, which its CRL Distribution Point names, and not
//! on the intermediate's. The certificate itself says who signed it.
use x509_parser::prelude::*;

use super::{CaHome, HomeError};
use crate::record::CertRecord;

/// Tells the root's certificates of one issuer from the intermediate's.
#[derive(Clone, Debug)]
pub struct RootSigned {
    /// The root's subject key identifier, matched against a certificate's AKI.
    ski: Option<Vec<u8>>,
    /// The root's subject name (DER), for certificates without an AKI.
    subject: Vec<u8>,
}

impl RootSigned {
    /// For the root certificate `root_der`.
    pub fn new(root_der: &[u8]) -> Result<RootSigned, String> {
        let (_, root) =
            X509Certificate::from_der(root_der).map_err(|e| format!("the root certificate does not parse: {e}"))?;
        let ski = root.extensions().iter().find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
            _ => None,
        });
        Ok(RootSigned {
            ski,
            subject: root.subject().as_raw().to_vec(),
        })
    }

    /// For issuer `name` of `home`.
    pub fn of(home: &CaHome, name: &str) -> Result<RootSigned, HomeError> {
        let path = home.dir.join(&home.issuer_config(name)?.root_cert);
        RootSigned::new(&home.root_der(name)?).map_err(|message| HomeError::Config { path, message })
    }

    /// Whether the root signed `cert_der`: its AKI is the root's SKI, or, without an AKI on
    /// either side, its issuer name is the root's subject. A certificate that does not parse
    /// is not the root's (it cannot have been issued here).
    pub fn signed(&self, cert_der: &[u8]) -> bool {
        let Ok((_, cert)) = X509Certificate::from_der(cert_der) else {
            return false;
        };
        let aki = cert.extensions().iter().find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => a.key_identifier.as_ref().map(|k| k.0.to_vec()),
            _ => None,
        });
        match (&self.ski, aki) {
            (Some(ski), Some(aki)) => *ski == aki,
            _ => cert.issuer().as_raw() == self.subject.as_slice(),
        }
    }

    /// [`RootSigned::signed`] for a stored record.
    pub fn record(&self, rec: &CertRecord) -> bool {
        self.signed(&rec.der)
    }
}
