//! The signing seam: the issuance pipeline hands TBS bytes to a [`Signer`] and never touches key
//! material, so an HSM or remote KMS can stand in for a software key.
use spki::AlgorithmIdentifierOwned;

use crate::error::KeyError;

/// Something that signs certificate and CRL bodies.
pub trait Signer: Send + Sync {
    /// The signatureAlgorithm identifier to write into what this signer signs.
    fn algorithm(&self) -> AlgorithmIdentifierOwned;
    /// The signer's SubjectPublicKeyInfo, DER.
    fn public_key_der(&self) -> &[u8];
    /// Signs `message` with the algorithm of [`Signer::algorithm`].
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
}
