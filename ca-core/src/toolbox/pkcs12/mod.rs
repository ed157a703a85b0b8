//! PKCS#12 (.pfx/.p12) files: read them as Windows, macOS, OpenSSL (modern and `-legacy`) and
//! NSS write them, split them into key, leaf and chain (guide 002 Appendix 3 in one step), and
//! create them for servers and for old Windows.
//!
//! Why not the p12-keystore crate that DESIGN.md names: its reader is strict DER, so NSS files
//! (indefinite lengths and chunked strings inside the MAC-protected and encrypted contents)
//! fail, and it drops keys without a localKeyID; it also pulls a second, pre-release RustCrypto
//! stack. The structure is walked here (ber.rs, over asn1-rs); every cipher, KDF and MAC comes
//! from RustCrypto (pkcs5, pkcs12's KDF, des, rc2, cbc) or aws-lc-rs.
mod ber;
mod describe;
mod error;
mod pbe;
mod pbes1;
mod read;
mod split;
mod write;

use zeroize::Zeroizing;

pub use describe::{describe, BagAttrs, BagInfo};
pub use error::Pkcs12Error;
pub use read::read;
pub use split::{public_key_of, split, Split};
pub use write::{create, CreateParams};

/// A decrypted PKCS#12 file.
#[derive(Debug)]
pub struct Pkcs12 {
    /// Every bag, in file order.
    pub bags: Vec<Bag>,
    /// The integrity check, e.g. `HMAC-SHA256, 2048 ITERATIONS`; None for a file without MAC.
    pub mac: Option<String>,
}

/// One SafeBag.
#[derive(Debug)]
pub struct Bag {
    /// What it holds.
    pub content: BagContent,
    /// The friendlyName attribute (Windows shows it as the certificate's friendly name).
    pub friendly_name: Option<String>,
    /// The localKeyID attribute that pairs a key with its certificate.
    pub local_key_id: Option<Vec<u8>>,
    /// How the bag was encrypted in the file (None: stored in clear).
    pub encryption: Option<String>,
}

/// The payload of a bag.
pub enum BagContent {
    /// A private key, decrypted, as PKCS#8 DER.
    Key(Zeroizing<Vec<u8>>),
    /// An X.509 certificate (DER).
    Certificate(Vec<u8>),
    /// Anything else (CRL, secret, other certificate types): named, not used.
    Other(String),
}

impl std::fmt::Debug for BagContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BagContent::Key(_) => f.write_str("Key(..)"),
            BagContent::Certificate(c) => write!(f, "Certificate({} bytes)", c.len()),
            BagContent::Other(w) => write!(f, "Other({w})"),
        }
    }
}

impl Pkcs12 {
    /// The private keys (PKCS#8 DER).
    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.bags.iter().filter_map(|b| match &b.content {
            BagContent::Key(k) => Some(k.as_slice()),
            _ => None,
        })
    }

    /// The certificates (DER), in file order.
    pub fn certificates(&self) -> impl Iterator<Item = &[u8]> {
        self.bags.iter().filter_map(|b| match &b.content {
            BagContent::Certificate(c) => Some(c.as_slice()),
            _ => None,
        })
    }
}

/// Decrypts a PKCS#8 EncryptedPrivateKeyInfo (DER) with any scheme a .pfx key bag may use:
/// PBES2, the PKCS#12 `pbeWithSHAAnd...` schemes and PBES1 (`openssl pkcs8 -topk8 -v1 ALG`).
/// `unlock` uses this for everything pkcs5 does not decrypt itself.
pub fn decrypt_pkcs8(epki: &[u8], password: &[u8]) -> Result<Zeroizing<Vec<u8>>, Pkcs12Error> {
    let tlv = ber::Tlv::parse(epki, "encrypted private key")?;
    let pass = pbe::Password::new(password)?;
    read::decrypt_epki(&tlv, &pass).map(|(der, _)| der)
}

/// The encryption scheme of a PKCS#8 EncryptedPrivateKeyInfo in words, or None when `der` does
/// not have that shape (`SEQUENCE { AlgorithmIdentifier, OCTET STRING }`).
pub fn pkcs8_scheme(der: &[u8]) -> Option<String> {
    let tlv = ber::Tlv::parse(der, "key").ok()?;
    let parts = tlv.children("key").ok()?;
    let [alg, data] = parts.as_slice() else {
        return None;
    };
    let alg_oid = alg.children("algorithm").ok()?.first()?.oid("algorithm").ok();
    (alg_oid.is_some() && data.is(ber::OCTET_STRING)).then(|| pbe::scheme_name(alg))
}
