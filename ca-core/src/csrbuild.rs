//! Building and signing PKCS#10 requests (the `csr` verb and tests). What a CSR asks for is
//! only a wish: the issuance pipeline never copies its extensions.
use der::asn1::{BitString, SetOfVec};
use der::{Decode, Encode};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::attr::Attribute;
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::request::{CertReq, CertReqInfo, ExtensionReq, Version};

use crate::error::Error;
use crate::signer::Signer;

/// Signs a request for `subject` with `extensions` in an extensionRequest attribute.
pub fn build_csr(subject: &Name, extensions: Vec<Extension>, signer: &dyn Signer) -> Result<Vec<u8>, Error> {
    let bad = |e: der::Error| Error::Build(e.to_string());
    let mut attributes = SetOfVec::new();
    if !extensions.is_empty() {
        let attr = Attribute::try_from(ExtensionReq(extensions)).map_err(bad)?;
        attributes.insert(attr).map_err(bad)?;
    }
    let info = CertReqInfo {
        version: Version::V1,
        subject: subject.clone(),
        public_key: SubjectPublicKeyInfoOwned::from_der(signer.public_key_der()).map_err(bad)?,
        attributes,
    };
    let sig = signer.sign(&info.to_der().map_err(bad)?)?;
    let req = CertReq {
        info,
        algorithm: signer.algorithm(),
        signature: BitString::from_bytes(&sig).map_err(bad)?,
    };
    req.to_der().map_err(bad)
}
