//! OpenSSH public key lines (`ssh-rsa AAAA... comment`) from a SubjectPublicKeyInfo, for
//! `pkcs12-to-ssh` (guide 004 Appendix C: "extracts a useable public key from a PKCS#12 file").
use ssh_key::public::{EcdsaPublicKey, Ed25519PublicKey, KeyData, RsaPublicKey};
use ssh_key::{Mpint, PublicKey};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey as X509Key;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::ToolError;

const ED25519: &str = "1.3.101.112";

/// The `authorized_keys` line for the key, with `comment` after it (omitted when empty).
pub fn openssh_line(spki_der: &[u8], comment: &str) -> Result<String, ToolError> {
    let (_, spki) = SubjectPublicKeyInfo::from_der(spki_der)
        .map_err(|e| ToolError::Format(format!("public key is malformed: {e}")))?;
    let bad = |e: ssh_key::Error| ToolError::Format(format!("public key cannot be expressed for OpenSSH: {e}"));
    let data = if spki.algorithm.algorithm.to_id_string() == ED25519 {
        let raw: [u8; 32] = spki
            .subject_public_key
            .data
            .as_ref()
            .try_into()
            .map_err(|_| ToolError::Format("Ed25519 public key is not 32 bytes".into()))?;
        KeyData::Ed25519(Ed25519PublicKey(raw))
    } else {
        match spki.parsed() {
            Ok(X509Key::RSA(rsa)) => KeyData::Rsa(RsaPublicKey {
                e: Mpint::from_positive_bytes(rsa.exponent).map_err(bad)?,
                n: Mpint::from_positive_bytes(rsa.modulus).map_err(bad)?,
            }),
            // The point's size tells the curve (P-256, P-384 or P-521); ssh-key checks it.
            Ok(X509Key::EC(point)) => KeyData::Ecdsa(EcdsaPublicKey::from_sec1_bytes(point.data()).map_err(bad)?),
            _ => {
                return Err(ToolError::Unsupported(format!(
                    "OpenSSH has no form for {}",
                    super::describe::key_description(&spki)
                )))
            }
        }
    };
    PublicKey::new(data, comment).to_openssh().map_err(bad)
}
