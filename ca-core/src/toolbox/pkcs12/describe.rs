//! What `inspect FILE.pfx --password-file F` shows: each bag with its attributes and
//! protection, keys by type and with the certificate they belong to, certificates in full.
use serde::Serialize;

use super::split::{cert_key, key_id, public_key_of};
use super::{BagContent, Pkcs12};
use crate::toolbox::chain;
use crate::toolbox::describe::{self, CertInfo};

/// One bag as `inspect` shows it.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum BagInfo {
    /// A private key: its type and the certificate of the file that holds its public key.
    PrivateKey {
        key: String,
        certificate: Option<String>,
        #[serde(flatten)]
        attrs: BagAttrs,
    },
    /// A certificate.
    Certificate {
        #[serde(flatten)]
        attrs: BagAttrs,
        certificate: Box<CertInfo>,
    },
    /// A bag that is neither (CRL, secret, ...).
    Other {
        what: String,
        #[serde(flatten)]
        attrs: BagAttrs,
    },
}

/// Attributes and protection of a bag.
#[derive(Clone, Debug, Serialize)]
pub struct BagAttrs {
    pub friendly_name: Option<String>,
    /// Hex.
    pub local_key_id: Option<String>,
    /// Encryption scheme in the file, None when stored in clear.
    pub encryption: Option<String>,
}

/// Describes every bag at time `now` (unix seconds).
pub fn describe(p: &Pkcs12, now: i64) -> Vec<BagInfo> {
    p.bags
        .iter()
        .map(|b| {
            let attrs = BagAttrs {
                friendly_name: b.friendly_name.clone(),
                local_key_id: b.local_key_id.as_ref().map(hex::encode),
                encryption: b.encryption.clone(),
            };
            match &b.content {
                BagContent::Key(k) => {
                    let spki = public_key_of(k).ok();
                    let key = match &spki {
                        Some(s) => describe::spki_description(s).unwrap_or_else(|e| e.to_string()),
                        None => "unsupported or damaged key".into(),
                    };
                    let mine = spki.as_deref().and_then(key_id);
                    let certificate = p
                        .certificates()
                        .find(|c| mine.is_some() && cert_key(c).and_then(|k| key_id(&k)) == mine)
                        .map(chain::label);
                    BagInfo::PrivateKey {
                        key,
                        certificate,
                        attrs,
                    }
                }
                BagContent::Certificate(der) => match describe::certificate(der, now) {
                    Ok(info) => BagInfo::Certificate {
                        attrs,
                        certificate: Box::new(info),
                    },
                    Err(e) => BagInfo::Other {
                        what: format!("unreadable certificate: {e}"),
                        attrs,
                    },
                },
                BagContent::Other(what) => BagInfo::Other {
                    what: what.clone(),
                    attrs,
                },
            }
        })
        .collect()
}
