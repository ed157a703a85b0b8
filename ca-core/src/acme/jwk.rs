//! JSON Web Keys (RFC 7517/7518, OKP from RFC 8037) as ACME account keys: parsing with every
//! check done up front (an [`AccountKey`] is a key aws-lc-rs accepted), RFC 7638 thumbprints,
//! and conversion to and from SubjectPublicKeyInfo so a revokeCert signed by a certificate's
//! own key can be matched against the certificate.
use std::fmt;

use aws_lc_rs::digest::{digest, SHA256};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents};
use const_oid::db::{rfc5912, rfc8410};
use der::asn1::{AnyRef, ObjectIdentifier};
use der::Decode;
use serde_json::{json, Map, Value};
use spki::SubjectPublicKeyInfoRef;

use super::base64url;
use super::error::JwkError;

/// Members that only a private JWK has (RFC 7518 6.3.2, 6.2.2, 6.4; RFC 8037 2).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
/// RSA modulus sizes aws-lc-rs verifies PKCS#1 v1.5 signatures for.
const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=8192;

/// The elliptic curves accepted for ECDSA account keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EcCurve {
    /// NIST P-256, used with ES256.
    P256,
    /// NIST P-384, used with ES384.
    P384,
}

impl EcCurve {
    /// The JWK `crv` name.
    pub fn name(self) -> &'static str {
        match self {
            EcCurve::P256 => "P-256",
            EcCurve::P384 => "P-384",
        }
    }

    /// Bytes in one coordinate (and in each of r and s of a signature).
    pub fn coordinate_len(self) -> usize {
        match self {
            EcCurve::P256 => 32,
            EcCurve::P384 => 48,
        }
    }

    fn verifier(self) -> &'static signature::EcdsaVerificationAlgorithm {
        // JOSE signatures are r||s (RFC 7518 3.4): the FIXED verifiers, never the ASN.1 ones.
        match self {
            EcCurve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
            EcCurve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
        }
    }
}

/// What kind of key an [`AccountKey`] is, for messages and policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// RSA with a modulus of `bits` bits.
    Rsa { bits: usize },
    /// ECDSA on a curve.
    Ec(EcCurve),
    /// Ed25519.
    Ed25519,
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyKind::Rsa { bits } => write!(f, "RSA {bits}"),
            KeyKind::Ec(c) => write!(f, "EC {}", c.name()),
            KeyKind::Ed25519 => f.write_str("Ed25519"),
        }
    }
}

/// The public numbers, big-endian without leading zeros: what equality and thumbprints use.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Material {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    Ec { curve: EcCurve, x: Vec<u8>, y: Vec<u8> },
    Ed25519 { x: Vec<u8> },
}

/// A public key an ACME request can be signed with (an account key, or a certificate key for
/// revokeCert). It exists only once aws-lc-rs has accepted it: RSA of 2048 to 8192 bits,
/// a point on P-256 or P-384, or a 32-byte Ed25519 key.
#[derive(Clone)]
pub struct AccountKey {
    material: Material,
    verifier: ParsedPublicKey,
    spki_der: Vec<u8>,
}

impl PartialEq for AccountKey {
    fn eq(&self, other: &Self) -> bool {
        self.material == other.material
    }
}

impl Eq for AccountKey {}

impl std::hash::Hash for AccountKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.material.hash(state);
    }
}

impl fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountKey")
            .field("kind", &self.kind())
            .field("thumbprint", &self.thumbprint())
            .finish()
    }
}

impl AccountKey {
    /// Parses a JWK (the protected header's `jwk`, a stored account key, a keyChange's
    /// `oldKey`). Members other than the required ones (`alg`, `use`, `kid`, ...) are ignored;
    /// private members are refused.
    pub fn from_jwk(jwk: &Value) -> Result<AccountKey, JwkError> {
        let obj = jwk.as_object().ok_or(JwkError::NotAnObject)?;
        if let Some(m) = PRIVATE_MEMBERS.iter().find(|m| obj.contains_key(**m)) {
            return Err(JwkError::PrivateMember { member: m });
        }
        match string(obj, "kty")? {
            "RSA" => AccountKey::rsa(uint(obj, "n")?, uint(obj, "e")?),
            "EC" => {
                let curve = match string(obj, "crv")? {
                    "P-256" => EcCurve::P256,
                    "P-384" => EcCurve::P384,
                    other => return Err(unsupported_curve("EC", other)),
                };
                AccountKey::ec(curve, coordinate(obj, "x", curve)?, coordinate(obj, "y", curve)?)
            }
            "OKP" => match string(obj, "crv")? {
                "Ed25519" => AccountKey::ed25519(bytes(obj, "x")?),
                other => Err(unsupported_curve("OKP", other)),
            },
            other => Err(JwkError::UnsupportedKeyType { kty: other.to_string() }),
        }
    }

    /// Parses a JWK from its JSON text, e.g. as the store keeps it.
    pub fn from_jwk_json(text: &str) -> Result<AccountKey, JwkError> {
        let value: Value = serde_json::from_str(text).map_err(|_| JwkError::NotAnObject)?;
        AccountKey::from_jwk(&value)
    }

    /// Reads a SubjectPublicKeyInfo (DER), e.g. a certificate's, as an account key.
    pub fn from_spki_der(der: &[u8]) -> Result<AccountKey, JwkError> {
        let spki_err = |reason: String| JwkError::Spki { reason };
        let spki = SubjectPublicKeyInfoRef::from_der(der).map_err(|e| spki_err(e.to_string()))?;
        let key = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| spki_err("public key BIT STRING has unused bits".into()))?;
        let oid = spki.algorithm.oid;
        if oid == rfc5912::RSA_ENCRYPTION {
            let rsa = pkcs1::RsaPublicKey::from_der(key).map_err(|e| spki_err(e.to_string()))?;
            AccountKey::rsa(rsa.modulus.as_bytes().to_vec(), rsa.public_exponent.as_bytes().to_vec())
        } else if oid == rfc5912::ID_EC_PUBLIC_KEY {
            let curve: ObjectIdentifier = spki
                .algorithm
                .parameters
                .map(|p: AnyRef<'_>| p.decode_as())
                .transpose()
                .map_err(|e| spki_err(e.to_string()))?
                .ok_or_else(|| spki_err("EC key without a named curve".into()))?;
            let curve = if curve == rfc5912::SECP_256_R_1 {
                EcCurve::P256
            } else if curve == rfc5912::SECP_384_R_1 {
                EcCurve::P384
            } else {
                return Err(spki_err(format!("EC curve {curve} is not supported")));
            };
            let len = curve.coordinate_len();
            // A JWK holds both coordinates, so only the uncompressed SEC1 form converts.
            if key.len() != 1 + 2 * len || key[0] != 0x04 {
                return Err(spki_err("EC point is not in uncompressed form".into()));
            }
            AccountKey::ec(curve, key[1..=len].to_vec(), key[1 + len..].to_vec())
        } else if oid == rfc8410::ID_ED_25519 {
            AccountKey::ed25519(key.to_vec())
        } else {
            Err(spki_err(format!("key algorithm {oid} is not supported")))
        }
    }

    fn rsa(n: Vec<u8>, e: Vec<u8>) -> Result<AccountKey, JwkError> {
        let bits = n.first().map_or(0, |b| n.len() * 8 - b.leading_zeros() as usize);
        if !RSA_BITS.contains(&bits) {
            return Err(JwkError::RsaSize { bits });
        }
        let verifier = RsaPublicKeyComponents { n: &n, e: &e }
            .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
            .map_err(|e| JwkError::Invalid {
                reason: format!("RSA key rejected: {e}"),
            })?;
        AccountKey::finish(Material::Rsa { n, e }, verifier)
    }

    fn ec(curve: EcCurve, x: Vec<u8>, y: Vec<u8>) -> Result<AccountKey, JwkError> {
        let mut point = Vec::with_capacity(1 + x.len() + y.len());
        point.push(0x04);
        point.extend_from_slice(&x);
        point.extend_from_slice(&y);
        // Parsing checks that (x, y) is a point on the curve: invalid-curve attacks stop here.
        let verifier = ParsedPublicKey::new(curve.verifier(), &point).map_err(|_| JwkError::Invalid {
            reason: format!("(x, y) is not a point on {}", curve.name()),
        })?;
        AccountKey::finish(Material::Ec { curve, x, y }, verifier)
    }

    fn ed25519(x: Vec<u8>) -> Result<AccountKey, JwkError> {
        if x.len() != signature::ED25519_PUBLIC_KEY_LEN {
            return Err(JwkError::Member {
                member: "x",
                reason: format!("an Ed25519 key is 32 bytes, not {}", x.len()),
            });
        }
        let verifier = ParsedPublicKey::new(&signature::ED25519, &x).map_err(|e| JwkError::Invalid {
            reason: format!("Ed25519 key rejected: {e}"),
        })?;
        AccountKey::finish(Material::Ed25519 { x }, verifier)
    }

    fn finish(material: Material, verifier: ParsedPublicKey) -> Result<AccountKey, JwkError> {
        let spki_der = verifier
            .as_der()
            .map_err(|_| JwkError::Invalid {
                reason: "cannot encode the key as SubjectPublicKeyInfo".into(),
            })?
            .as_ref()
            .to_vec();
        Ok(AccountKey {
            material,
            verifier,
            spki_der,
        })
    }

    /// The kind of key, e.g. for "ES256 cannot be used with an RSA 2048 key".
    pub fn kind(&self) -> KeyKind {
        match &self.material {
            Material::Rsa { n, .. } => KeyKind::Rsa {
                bits: n.len() * 8 - n[0].leading_zeros() as usize,
            },
            Material::Ec { curve, .. } => KeyKind::Ec(*curve),
            Material::Ed25519 { .. } => KeyKind::Ed25519,
        }
    }

    /// The key as SubjectPublicKeyInfo DER (what a certificate or CSR for it contains).
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// Whether a SubjectPublicKeyInfo (e.g. of a certificate to revoke) holds this key.
    /// Compares the keys, not the bytes, so encoding differences do not matter.
    pub fn matches_spki(&self, spki_der: &[u8]) -> bool {
        AccountKey::from_spki_der(spki_der).is_ok_and(|k| k == *self)
    }

    /// The RFC 7638 input: the required members only, in lexicographic order, no whitespace.
    /// Written out rather than serialized from [`AccountKey::to_jwk`]: serde_json's member order
    /// depends on a crate feature any dependency may switch on. The values are base64url
    /// strings, so none needs JSON escaping.
    pub fn canonical_json(&self) -> String {
        match &self.material {
            Material::Rsa { n, e } => format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                base64url::encode(e),
                base64url::encode(n)
            ),
            Material::Ec { curve, x, y } => format!(
                r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                curve.name(),
                base64url::encode(x),
                base64url::encode(y)
            ),
            Material::Ed25519 { x } => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, base64url::encode(x)),
        }
    }

    /// The key as a JWK with only its required members (the form to store and to return).
    pub fn to_jwk(&self) -> Value {
        match &self.material {
            Material::Rsa { n, e } => json!({"kty": "RSA", "n": base64url::encode(n), "e": base64url::encode(e)}),
            Material::Ec { curve, x, y } => json!({
                "kty": "EC",
                "crv": curve.name(),
                "x": base64url::encode(x),
                "y": base64url::encode(y),
            }),
            Material::Ed25519 { x } => json!({"kty": "OKP", "crv": "Ed25519", "x": base64url::encode(x)}),
        }
    }

    /// The RFC 7638 thumbprint: base64url(SHA-256(canonical JSON)). It is the account's half
    /// of every key authorization (RFC 8555 8.1).
    pub fn thumbprint(&self) -> String {
        base64url::encode(digest(&SHA256, self.canonical_json().as_bytes()))
    }

    /// The aws-lc-rs verifier, bound to the one JWS algorithm this key can be used with.
    pub(crate) fn verifier(&self) -> &ParsedPublicKey {
        &self.verifier
    }
}

fn unsupported_curve(kty: &'static str, crv: &str) -> JwkError {
    JwkError::UnsupportedCurve {
        kty,
        crv: crv.to_string(),
    }
}

fn string<'a>(obj: &'a Map<String, Value>, member: &'static str) -> Result<&'a str, JwkError> {
    match obj.get(member) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(JwkError::Member {
            member,
            reason: "is not a string".into(),
        }),
        None => Err(JwkError::Member {
            member,
            reason: "is missing".into(),
        }),
    }
}

fn bytes(obj: &Map<String, Value>, member: &'static str) -> Result<Vec<u8>, JwkError> {
    base64url::decode(string(obj, member)?).map_err(|e| JwkError::Member {
        member,
        reason: format!("is not base64url: {e}"),
    })
}

/// A Base64urlUInt (RFC 7518 2): non-empty, minimal encoding, so one key has one thumbprint.
fn uint(obj: &Map<String, Value>, member: &'static str) -> Result<Vec<u8>, JwkError> {
    let value = bytes(obj, member)?;
    match value.first() {
        None => Err(JwkError::Member {
            member,
            reason: "is empty".into(),
        }),
        Some(0) => Err(JwkError::Member {
            member,
            reason: "has a leading zero octet (RFC 7518 2 requires the minimal encoding)".into(),
        }),
        Some(_) => Ok(value),
    }
}

/// An EC coordinate: RFC 7518 6.2.1.2 requires the full coordinate size, leading zeros kept.
fn coordinate(obj: &Map<String, Value>, member: &'static str, curve: EcCurve) -> Result<Vec<u8>, JwkError> {
    let value = bytes(obj, member)?;
    if value.len() != curve.coordinate_len() {
        return Err(JwkError::Member {
            member,
            reason: format!(
                "is {} bytes; a {} coordinate is {}",
                value.len(),
                curve.name(),
                curve.coordinate_len()
            ),
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn refuses_private_and_unknown_keys() {
        let e = AccountKey::from_jwk(&json!({"kty": "oct", "k": "AAAA"})).unwrap_err();
        assert_eq!(e, JwkError::PrivateMember { member: "k" });
        let e = AccountKey::from_jwk(&json!({"kty": "oct"})).unwrap_err();
        assert!(matches!(e, JwkError::UnsupportedKeyType { .. }));
        let e = AccountKey::from_jwk(&json!({"kty": "OKP", "crv": "X25519", "x": "AAAA"})).unwrap_err();
        assert!(matches!(e, JwkError::UnsupportedCurve { .. }));
        assert_eq!(AccountKey::from_jwk(&json!("RSA")).unwrap_err(), JwkError::NotAnObject);
    }

    #[test]
    fn ec_points_must_be_on_the_curve() {
        let x = base64url::encode([1u8; 32]);
        let e = AccountKey::from_jwk(&json!({"kty": "EC", "crv": "P-256", "x": x, "y": x})).unwrap_err();
        assert!(matches!(e, JwkError::Invalid { .. }), "{e}");
        let short = base64url::encode([1u8; 31]);
        let e = AccountKey::from_jwk(&json!({"kty": "EC", "crv": "P-256", "x": short, "y": x})).unwrap_err();
        assert!(matches!(e, JwkError::Member { member: "x", .. }), "{e}");
    }

    #[test]
    fn small_rsa_keys_are_refused() {
        let n = base64url::encode([0xc5u8; 128]);
        let e = AccountKey::from_jwk(&json!({"kty": "RSA", "n": n, "e": "AQAB"})).unwrap_err();
        assert_eq!(e, JwkError::RsaSize { bits: 1024 });
        let n = base64url::encode([[0u8].as_slice(), &[0xc5u8; 256]].concat());
        let e = AccountKey::from_jwk(&json!({"kty": "RSA", "n": n, "e": "AQAB"})).unwrap_err();
        assert!(matches!(e, JwkError::Member { member: "n", .. }), "{e}");
    }
}
