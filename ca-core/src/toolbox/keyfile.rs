//! Reading private keys in every form the guides show: PKCS#8 (`PRIVATE KEY`), encrypted PKCS#8
//! (`ENCRYPTED PRIVATE KEY`: PBES2 with AES or 3DES, PBES1, the PKCS#12 PBE schemes), PKCS#1 (`RSA PRIVATE KEY`), SEC1
//! (`EC PRIVATE KEY`), the last two optionally with OpenSSL's legacy `Proc-Type: 4,ENCRYPTED`
//! headers, in PEM or DER. Everything is normalised to unencrypted PKCS#8 DER, which
//! [`crate::keys::KeyPair`] loads.
use const_oid::db::rfc5912;
use der::asn1::{AnyRef, ObjectIdentifier};
use der::{Decode, Encode};
use pkcs8::{EncryptedPrivateKeyInfo, PrivateKeyInfo};
use zeroize::Zeroizing;

use super::legacy::{self, Dek};
use super::pkcs12::{self, Pkcs12Error};
use super::ToolError;

/// The unencrypted key encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyForm {
    /// PKCS#8 PrivateKeyInfo.
    Pkcs8,
    /// PKCS#1 RSAPrivateKey.
    Pkcs1,
    /// SEC1 ECPrivateKey.
    Sec1,
}

enum Body {
    Plain(KeyForm, Zeroizing<Vec<u8>>),
    EncryptedPkcs8(Vec<u8>),
    Legacy(KeyForm, Dek, Vec<u8>),
}

/// A private key file as read, possibly still encrypted.
pub struct KeyFile {
    body: Body,
    /// True when the input was PEM.
    pub pem: bool,
}

impl KeyFile {
    /// Whether a passphrase is needed.
    pub fn is_encrypted(&self) -> bool {
        !matches!(self.body, Body::Plain(..))
    }

    /// How the key is stored, for `inspect`: "PKCS#8", "PKCS#8, encrypted (PBES2 ...)", ...
    pub fn storage(&self) -> String {
        match &self.body {
            Body::Plain(f, _) => form_name(*f).to_string(),
            Body::EncryptedPkcs8(der) => {
                let scheme = match pbes2_info(der) {
                    Some(e) => scheme_name(&e.encryption_algorithm),
                    None => pkcs12::pkcs8_scheme(der).unwrap_or_else(|| "unknown scheme".into()),
                };
                format!("PKCS#8, encrypted ({scheme})")
            }
            Body::Legacy(f, dek, _) => format!(
                "{}, encrypted (legacy OpenSSL PEM, {})",
                form_name(*f),
                dek.cipher.name()
            ),
        }
    }

    /// The unencrypted PKCS#8 DER; `pass` is needed when [`KeyFile::is_encrypted`].
    pub fn pkcs8(&self, pass: Option<&[u8]>) -> Result<Zeroizing<Vec<u8>>, ToolError> {
        match &self.body {
            Body::Plain(form, der) => to_pkcs8(*form, der),
            Body::EncryptedPkcs8(der) => {
                let pass = pass.ok_or(ToolError::NeedPassphrase)?;
                match pbes2_info(der) {
                    Some(enc) => {
                        let doc = enc.decrypt(pass).map_err(|_| ToolError::Decrypt)?;
                        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
                    }
                    // PBES1 and the PKCS#12 schemes (`openssl pkcs8 -topk8 -v1 ALG`), and PBES2
                    // shapes pkcs5 refuses: the .pfx reader decrypts all of them.
                    None => pkcs12::decrypt_pkcs8(der, pass).map_err(|e| match e {
                        Pkcs12Error::WrongPassword => ToolError::Decrypt,
                        Pkcs12Error::Unsupported(m) => ToolError::Unsupported(format!("encrypted PKCS#8 key: {m}")),
                        Pkcs12Error::Password(m) => ToolError::Format(format!("the password cannot be used: {m}")),
                        other => ToolError::Format(format!("encrypted PKCS#8 key is malformed: {other}")),
                    }),
                }
            }
            Body::Legacy(form, dek, data) => {
                let pass = pass.ok_or(ToolError::NeedPassphrase)?;
                let plain = legacy::decrypt(dek, pass, data)?;
                to_pkcs8(*form, &plain).map_err(|_| ToolError::Decrypt)
            }
        }
    }
}

/// The EncryptedPrivateKeyInfo when pkcs5 parses it as PBES2 (the path keys we write take).
fn pbes2_info(der: &[u8]) -> Option<EncryptedPrivateKeyInfo<'_>> {
    EncryptedPrivateKeyInfo::try_from(der)
        .ok()
        .filter(|e| e.encryption_algorithm.pbes2().is_some())
}

fn form_name(f: KeyForm) -> &'static str {
    match f {
        KeyForm::Pkcs8 => "PKCS#8",
        KeyForm::Pkcs1 => "PKCS#1 (traditional RSA)",
        KeyForm::Sec1 => "SEC1 (traditional EC)",
    }
}

fn scheme_name(s: &pkcs5::EncryptionScheme<'_>) -> String {
    match s {
        pkcs5::EncryptionScheme::Pbes2(p) => {
            let cipher = match p.encryption.oid().to_string().as_str() {
                "2.16.840.1.101.3.4.1.42" => "AES-256-CBC".to_string(),
                "2.16.840.1.101.3.4.1.22" => "AES-192-CBC".to_string(),
                "2.16.840.1.101.3.4.1.2" => "AES-128-CBC".to_string(),
                "1.2.840.113549.3.7" => "DES-EDE3-CBC".to_string(),
                o => o.to_string(),
            };
            let kdf = if p.kdf.is_pbkdf2() { "PBKDF2" } else { "scrypt" };
            format!("PBES2, {kdf}, {cipher}")
        }
        other => format!("PBES1 {}", other.oid()),
    }
}

/// Reads a private key file (PEM or DER). Fails with a message naming what was found instead
/// when the file holds no private key.
pub fn read_key(data: &[u8]) -> Result<KeyFile, ToolError> {
    if let Some(text) = std::str::from_utf8(data).ok().filter(|t| t.contains("-----BEGIN")) {
        return read_pem(text);
    }
    let der = data.to_vec();
    let body = if PrivateKeyInfo::try_from(data).is_ok() {
        Body::Plain(KeyForm::Pkcs8, Zeroizing::new(der))
    } else if EncryptedPrivateKeyInfo::try_from(data).is_ok() || pkcs12::pkcs8_scheme(data).is_some() {
        Body::EncryptedPkcs8(der)
    } else if pkcs1::RsaPrivateKey::from_der(data).is_ok() {
        Body::Plain(KeyForm::Pkcs1, Zeroizing::new(der))
    } else if sec1::EcPrivateKey::from_der(data).is_ok() {
        Body::Plain(KeyForm::Sec1, Zeroizing::new(der))
    } else {
        return Err(ToolError::Format(
            "no private key found (neither PEM nor a DER private key)".into(),
        ));
    };
    Ok(KeyFile { body, pem: false })
}

fn read_pem(text: &str) -> Result<KeyFile, ToolError> {
    let mut labels = Vec::new();
    for block in raw_blocks(text) {
        match from_block(&block)? {
            Some(kf) => return Ok(kf),
            None => labels.push(block.label.clone()),
        }
    }
    Err(ToolError::Format(if labels.is_empty() {
        "no PEM block found".into()
    } else {
        format!("no private key found (the file holds: {})", labels.join(", "))
    }))
}

/// The key in one PEM block, or `None` when the block is not a private key.
pub fn from_block(block: &RawBlock) -> Result<Option<KeyFile>, ToolError> {
    let form = match block.label.as_str() {
        "PRIVATE KEY" => Some(KeyForm::Pkcs8),
        "RSA PRIVATE KEY" => Some(KeyForm::Pkcs1),
        "EC PRIVATE KEY" => Some(KeyForm::Sec1),
        "ENCRYPTED PRIVATE KEY" => None,
        _ => return Ok(None),
    };
    let der = block.decode()?;
    let body = match (form, block.header("DEK-Info")) {
        (None, _) => Body::EncryptedPkcs8(der),
        (Some(f), Some(dek)) => Body::Legacy(f, legacy::parse_dek(dek)?, der),
        (Some(f), None) => Body::Plain(f, Zeroizing::new(der)),
    };
    Ok(Some(KeyFile { body, pem: true }))
}

/// One PEM block with its RFC 1421 headers (which RFC 7468 decoders refuse).
pub struct RawBlock {
    /// The label after `BEGIN`.
    pub label: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl RawBlock {
    /// The value of a header such as `DEK-Info`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The base64 body decoded.
    pub fn decode(&self) -> Result<Vec<u8>, ToolError> {
        // Re-wrap as a header-less RFC 7468 block so the strict decoder accepts it.
        let pem = format!("-----BEGIN {0}-----\n{1}-----END {0}-----\n", self.label, self.body);
        der::pem::decode_vec(pem.as_bytes())
            .map(|(_, d)| d)
            .map_err(|e| ToolError::Format(format!("PEM block {} is damaged: {e}", self.label)))
    }
}

/// Splits PEM text into blocks, keeping `Name: value` headers apart from the base64 body.
pub fn raw_blocks(text: &str) -> Vec<RawBlock> {
    let mut out = Vec::new();
    let mut cur: Option<RawBlock> = None;
    for line in text.lines().map(str::trim) {
        if let Some(label) = line.strip_prefix("-----BEGIN ").and_then(|l| l.strip_suffix("-----")) {
            cur = Some(RawBlock {
                label: label.to_string(),
                headers: Vec::new(),
                body: String::new(),
            });
        } else if line.starts_with("-----END ") {
            out.extend(cur.take());
        } else if let Some(b) = cur.as_mut() {
            match line.split_once(':') {
                Some((k, v)) => b.headers.push((k.trim().to_string(), v.trim().to_string())),
                None if !line.is_empty() => {
                    b.body.push_str(line);
                    b.body.push('\n');
                }
                None => {}
            }
        }
    }
    out
}

/// Wraps PKCS#1 or SEC1 DER in a PKCS#8 PrivateKeyInfo (PKCS#8 passes through).
pub fn to_pkcs8(form: KeyForm, der: &[u8]) -> Result<Zeroizing<Vec<u8>>, ToolError> {
    let bad = |e: der::Error| ToolError::Format(format!("private key is malformed: {e}"));
    match form {
        KeyForm::Pkcs8 => Ok(Zeroizing::new(der.to_vec())),
        KeyForm::Pkcs1 => {
            pkcs1::RsaPrivateKey::from_der(der).map_err(|e| ToolError::Format(format!("RSA key is malformed: {e}")))?;
            let info = PrivateKeyInfo {
                algorithm: spki::AlgorithmIdentifierRef {
                    oid: rfc5912::RSA_ENCRYPTION,
                    parameters: Some(AnyRef::NULL),
                },
                private_key: der,
                public_key: None,
            };
            Ok(Zeroizing::new(info.to_der().map_err(bad)?))
        }
        KeyForm::Sec1 => {
            let ec = sec1::EcPrivateKey::from_der(der)
                .map_err(|e| ToolError::Format(format!("EC key is malformed: {e}")))?;
            let curve: ObjectIdentifier = ec
                .parameters
                .and_then(|p| p.named_curve())
                .ok_or_else(|| ToolError::Unsupported("EC key without a named curve".into()))?;
            let curve_der = curve.to_der().map_err(bad)?;
            let info = PrivateKeyInfo {
                algorithm: spki::AlgorithmIdentifierRef {
                    oid: rfc5912::ID_EC_PUBLIC_KEY,
                    parameters: Some(AnyRef::from_der(&curve_der).map_err(bad)?),
                },
                private_key: der,
                public_key: None,
            };
            Ok(Zeroizing::new(info.to_der().map_err(bad)?))
        }
    }
}
