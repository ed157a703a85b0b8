//! Private keys: generation (RSA 2048/3072/4096, ECDSA P-256/P-384, Ed25519), PKCS#8 storage
//! (encrypted with PBES2: PBKDF2-SHA256 + AES-256-CBC), and loading as a [`Signer`].
use std::fmt;
use std::str::FromStr;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SecureRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use const_oid::db::{rfc5912, rfc8410};
use der::asn1::{AnyRef, ObjectIdentifier};
use pkcs8::{EncryptedPrivateKeyInfo, LineEnding, PrivateKeyInfo};
use spki::AlgorithmIdentifierOwned;
use zeroize::Zeroizing;

use crate::error::KeyError;
use crate::signer::Signer;

/// PBKDF2 iterations for keys we encrypt: OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
pub const PBKDF2_ITERATIONS: u32 = 600_000;

/// The key algorithms privca generates and signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum KeyType {
    #[serde(rename = "rsa-2048")]
    Rsa2048,
    #[serde(rename = "rsa-3072")]
    Rsa3072,
    #[serde(rename = "rsa-4096")]
    Rsa4096,
    #[serde(rename = "ecdsa-p256")]
    EcdsaP256,
    #[serde(rename = "ecdsa-p384")]
    EcdsaP384,
    #[serde(rename = "ed25519")]
    Ed25519,
}

impl KeyType {
    /// Every supported type, in the order help texts list them.
    pub const ALL: [KeyType; 6] = [
        KeyType::Rsa2048,
        KeyType::Rsa3072,
        KeyType::Rsa4096,
        KeyType::EcdsaP256,
        KeyType::EcdsaP384,
        KeyType::Ed25519,
    ];

    /// The command-line spelling, e.g. `ecdsa-p256`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Rsa2048 => "rsa-2048",
            KeyType::Rsa3072 => "rsa-3072",
            KeyType::Rsa4096 => "rsa-4096",
            KeyType::EcdsaP256 => "ecdsa-p256",
            KeyType::EcdsaP384 => "ecdsa-p384",
            KeyType::Ed25519 => "ed25519",
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyType {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        KeyType::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| KeyError::UnknownType(s.to_string()))
    }
}

/// Generates a new private key and returns it as unencrypted PKCS#8 DER.
pub fn generate_pkcs8(kind: KeyType, rng: &dyn SecureRandom) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let gen_err = |e: aws_lc_rs::error::Unspecified| KeyError::Generate(e.to_string());
    let der = match kind {
        KeyType::EcdsaP256 | KeyType::EcdsaP384 => {
            let alg = if kind == KeyType::EcdsaP256 {
                &signature::ECDSA_P256_SHA256_ASN1_SIGNING
            } else {
                &signature::ECDSA_P384_SHA384_ASN1_SIGNING
            };
            EcdsaKeyPair::generate_pkcs8(alg, rng)
                .map_err(gen_err)?
                .as_ref()
                .to_vec()
        }
        KeyType::Ed25519 => {
            // PKCS#8 v1 (no embedded public key): the form OpenSSL and most tools write.
            let kp = Ed25519KeyPair::generate().map_err(gen_err)?;
            let doc = kp.to_pkcs8v1().map_err(gen_err)?;
            doc.as_ref().to_vec()
        }
        KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => {
            let size = match kind {
                KeyType::Rsa2048 => KeySize::Rsa2048,
                KeyType::Rsa3072 => KeySize::Rsa3072,
                _ => KeySize::Rsa4096,
            };
            let kp = RsaKeyPair::generate(size).map_err(gen_err)?;
            let doc: Pkcs8V1Der = kp.as_der().map_err(gen_err)?;
            doc.as_ref().to_vec()
        }
    };
    Ok(Zeroizing::new(der))
}

/// Encrypts PKCS#8 DER with PBES2 (PBKDF2-SHA256, AES-256-CBC) and returns the
/// `ENCRYPTED PRIVATE KEY` PEM. Parameters are explicit: pkcs8's default would be scrypt,
/// which older OpenSSL and Windows cannot read.
pub fn encrypt_pkcs8_pem(
    pkcs8_der: &[u8],
    passphrase: &[u8],
    rng: &dyn SecureRandom,
) -> Result<Zeroizing<String>, KeyError> {
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    rng.fill(&mut salt).map_err(|e| KeyError::Encrypt(e.to_string()))?;
    rng.fill(&mut iv).map_err(|e| KeyError::Encrypt(e.to_string()))?;
    let params = pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(PBKDF2_ITERATIONS, &salt, &iv)
        .map_err(|e| KeyError::Encrypt(e.to_string()))?;
    let info = PrivateKeyInfo::try_from(pkcs8_der).map_err(|e| KeyError::Malformed(e.to_string()))?;
    let doc = info
        .encrypt_with_params(params, passphrase)
        .map_err(|e| KeyError::Encrypt(e.to_string()))?;
    let pem = doc
        .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .map_err(|e| KeyError::Encrypt(e.to_string()))?;
    Ok(pem)
}

/// Decrypts an `ENCRYPTED PRIVATE KEY` PEM (or DER) into PKCS#8 DER.
pub fn decrypt_pkcs8(data: &[u8], passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let der = match std::str::from_utf8(data).ok().filter(|s| s.contains("-----BEGIN")) {
        Some(text) => {
            let (label, der) = pem_rfc7468_decode(text)?;
            if label != "ENCRYPTED PRIVATE KEY" {
                return Err(KeyError::Malformed(format!(
                    "expected ENCRYPTED PRIVATE KEY, found {label}"
                )));
            }
            der
        }
        None => data.to_vec(),
    };
    let enc = EncryptedPrivateKeyInfo::try_from(der.as_slice()).map_err(|e| KeyError::Malformed(e.to_string()))?;
    let doc = enc.decrypt(passphrase).map_err(|_| KeyError::Decrypt)?;
    Ok(Zeroizing::new(doc.as_bytes().to_vec()))
}

fn pem_rfc7468_decode(text: &str) -> Result<(String, Vec<u8>), KeyError> {
    let (label, der) = der::pem::decode_vec(text.trim().as_bytes()).map_err(|e| KeyError::Malformed(e.to_string()))?;
    Ok((label.to_string(), der))
}

/// Unencrypted PKCS#8 DER as a `PRIVATE KEY` PEM.
pub fn pkcs8_pem(pkcs8_der: &[u8]) -> Result<Zeroizing<String>, KeyError> {
    let pem = der::pem::encode_string("PRIVATE KEY", LineEnding::LF, pkcs8_der)
        .map_err(|e| KeyError::Malformed(e.to_string()))?;
    Ok(Zeroizing::new(pem))
}

enum Inner {
    Ecdsa(EcdsaKeyPair, KeyType),
    Rsa(RsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A private key loaded for signing, with its algorithm identifiers and public key.
pub struct KeyPair {
    inner: Inner,
    spki_der: Vec<u8>,
    rng: aws_lc_rs::rand::SystemRandom,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("type", &self.describe())
            .finish_non_exhaustive()
    }
}

impl KeyPair {
    /// Loads unencrypted PKCS#8 DER (v1 or v2), detecting the algorithm from the key itself.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let info = PrivateKeyInfo::try_from(der).map_err(|e| KeyError::Malformed(e.to_string()))?;
        let oid = info.algorithm.oid;
        let bad = |e: aws_lc_rs::error::KeyRejected| KeyError::Malformed(e.to_string());
        let inner = if oid == rfc5912::ID_EC_PUBLIC_KEY {
            let curve: ObjectIdentifier = info
                .algorithm
                .parameters
                .map(|p: AnyRef<'_>| p.decode_as())
                .transpose()
                .map_err(|e| KeyError::Malformed(e.to_string()))?
                .ok_or_else(|| KeyError::Malformed("EC key without a named curve".into()))?;
            if curve == rfc5912::SECP_256_R_1 {
                let kp = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, der).map_err(bad)?;
                Inner::Ecdsa(kp, KeyType::EcdsaP256)
            } else if curve == rfc5912::SECP_384_R_1 {
                let kp = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_ASN1_SIGNING, der).map_err(bad)?;
                Inner::Ecdsa(kp, KeyType::EcdsaP384)
            } else {
                return Err(KeyError::Malformed(format!("unsupported EC curve {curve}")));
            }
        } else if oid == rfc5912::RSA_ENCRYPTION {
            Inner::Rsa(RsaKeyPair::from_pkcs8(der).map_err(bad)?)
        } else if oid == rfc8410::ID_ED_25519 {
            Inner::Ed25519(Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(bad)?)
        } else {
            return Err(KeyError::Malformed(format!("unsupported key algorithm {oid}")));
        };
        let spki_der = match &inner {
            Inner::Ecdsa(kp, _) => kp.public_key().as_der().map(|d| d.as_ref().to_vec()),
            Inner::Rsa(kp) => kp.public_key().as_der().map(|d| d.as_ref().to_vec()),
            Inner::Ed25519(kp) => kp.public_key().as_der().map(|d| d.as_ref().to_vec()),
        }
        .map_err(|e| KeyError::Malformed(e.to_string()))?;
        Ok(KeyPair {
            inner,
            spki_der,
            rng: aws_lc_rs::rand::SystemRandom::new(),
        })
    }

    /// The key's type; RSA sizes other than 2048/3072/4096 report the nearest smaller one.
    pub fn key_type(&self) -> KeyType {
        match &self.inner {
            Inner::Ecdsa(_, t) => *t,
            Inner::Ed25519(_) => KeyType::Ed25519,
            Inner::Rsa(kp) => match kp.public_modulus_len() * 8 {
                b if b >= 4096 => KeyType::Rsa4096,
                b if b >= 3072 => KeyType::Rsa3072,
                _ => KeyType::Rsa2048,
            },
        }
    }

    fn describe(&self) -> String {
        self.key_type().to_string()
    }
}

impl Signer for KeyPair {
    fn algorithm(&self) -> AlgorithmIdentifierOwned {
        let (oid, null_params) = match &self.inner {
            Inner::Ecdsa(_, KeyType::EcdsaP384) => (rfc5912::ECDSA_WITH_SHA_384, false),
            Inner::Ecdsa(..) => (rfc5912::ECDSA_WITH_SHA_256, false),
            Inner::Rsa(_) => (rfc5912::SHA_256_WITH_RSA_ENCRYPTION, true),
            Inner::Ed25519(_) => (rfc8410::ID_ED_25519, false),
        };
        // RFC 4055: RSA PKCS#1 v1.5 identifiers carry an explicit NULL; ECDSA/EdDSA carry none.
        let parameters = null_params.then(|| der::asn1::Any::from(der::asn1::Null));
        AlgorithmIdentifierOwned { oid, parameters }
    }

    fn public_key_der(&self) -> &[u8] {
        &self.spki_der
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.inner {
            Inner::Ecdsa(kp, _) => kp
                .sign(&self.rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Sign),
            Inner::Ed25519(kp) => Ok(kp.sign(message).as_ref().to_vec()),
            Inner::Rsa(kp) => {
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign(&signature::RSA_PKCS1_SHA256, &self.rng, message, &mut sig)
                    .map_err(|_| KeyError::Sign)?;
                Ok(sig)
            }
        }
    }
}
