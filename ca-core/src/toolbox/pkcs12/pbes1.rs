//! PBES1 (RFC 8018 section 6.1): `pbeWithMD5AndDES-CBC`, `pbeWithSHA1AndDES-CBC` and their RC2
//! variants, as `openssl pkcs8 -topk8 -v1 PBE-MD5-DES` (and old Java/Windows tools) write them.
//! Read only, for `unlock` and for .pfx bags: DES with a 64-bit key is broken, we never write it.
//!
//! Why PBKDF1 is hand-written: no maintained crate decrypts PBES1 (pkcs5 0.7 and 0.8 parse its
//! parameters but answer `NoPbes1CryptSupport`; RustCrypto has no PBKDF1 crate). PBKDF1 is a
//! few lines over the md-5 / sha1 hash crates; the ciphers come from des, rc2 and cbc. It is
//! checked against keys openssl made (tests/pki_unlock.rs) and the vector below.
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, InnerIvInit, KeyIvInit};
use der::asn1::ObjectIdentifier;
use sha1::Digest;
use zeroize::Zeroizing;

use super::Pkcs12Error;

/// The PBES1 schemes read here: (OID, name, hash, cipher).
const SCHEMES: [(ObjectIdentifier, &str, Hash, Cipher); 4] = [
    (
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.3"),
        "pbeWithMD5AndDES-CBC",
        Hash::Md5,
        Cipher::Des,
    ),
    (
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.6"),
        "pbeWithMD5AndRC2-CBC",
        Hash::Md5,
        Cipher::Rc2,
    ),
    (
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.10"),
        "pbeWithSHA1AndDES-CBC",
        Hash::Sha1,
        Cipher::Des,
    ),
    (
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.11"),
        "pbeWithSHA1AndRC2-CBC",
        Hash::Sha1,
        Cipher::Rc2,
    ),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hash {
    Md5,
    Sha1,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cipher {
    Des,
    /// RC2 with 64 effective key bits (RFC 8018 6.1: "RC2 ... with a 64-bit key").
    Rc2,
}

/// A PBES1 scheme named by its OID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scheme {
    name: &'static str,
    hash: Hash,
    cipher: Cipher,
}

impl Scheme {
    /// The scheme for `oid`, if it is one of the PBES1 schemes read here.
    pub fn from_oid(oid: ObjectIdentifier) -> Option<Scheme> {
        SCHEMES
            .iter()
            .find(|s| s.0 == oid)
            .map(|&(_, name, hash, cipher)| Scheme { name, hash, cipher })
    }

    /// The name as RFC 8018 and OpenSSL spell it.
    pub fn name(self) -> &'static str {
        self.name
    }
}

/// PBKDF1 (RFC 8018 5.1): T_1 = Hash(P || S), T_i = Hash(T_{i-1}), DK = T_c[..16].
/// PBES1 always takes 16 bytes: the DES/RC2 key (8) then the IV (8).
fn pbkdf1(hash: Hash, pass: &[u8], salt: &[u8], iterations: u32) -> Zeroizing<Vec<u8>> {
    fn run<H: Digest>(pass: &[u8], salt: &[u8], iterations: u32) -> Zeroizing<Vec<u8>> {
        let mut t = Zeroizing::new(H::new().chain_update(pass).chain_update(salt).finalize().to_vec());
        for _ in 1..iterations {
            *t = H::digest(&*t).to_vec();
        }
        t.truncate(16);
        t
    }
    match hash {
        Hash::Md5 => run::<md5::Md5>(pass, salt, iterations),
        Hash::Sha1 => run::<sha1::Sha1>(pass, salt, iterations),
    }
}

/// Decrypts `data` with PBES1 `scheme` (RFC 8018 6.1.2). `pass` is used as given (octets, as
/// OpenSSL does); `iterations` has already been bounded by the caller. A padding failure means a
/// wrong password (or a damaged file).
pub fn decrypt(
    scheme: Scheme,
    pass: &[u8],
    salt: &[u8],
    iterations: u32,
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Pkcs12Error> {
    if salt.len() != 8 {
        return Err(Pkcs12Error::Malformed(format!(
            "{} salt has {} bytes, not 8",
            scheme.name,
            salt.len()
        )));
    }
    let dk = pbkdf1(scheme.hash, pass, salt, iterations);
    let (key, iv) = dk.split_at(8);
    let bad = |_| Pkcs12Error::WrongPassword;
    let out = match scheme.cipher {
        Cipher::Des => cbc::Decryptor::<des::Des>::new_from_slices(key, iv)
            .map_err(|_| Pkcs12Error::Malformed("DES key".into()))?
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .map_err(bad)?,
        Cipher::Rc2 => cbc::Decryptor::<rc2::Rc2>::inner_iv_slice_init(rc2::Rc2::new_with_eff_key_len(key, 64), iv)
            .map_err(|_| Pkcs12Error::Malformed("RC2 IV".into()))?
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .map_err(bad)?,
    };
    Ok(Zeroizing::new(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbkdf1_matches_the_definition() {
        // Two rounds by hand: MD5(MD5("secret" || salt)).
        let salt = [1u8, 2, 3, 4, 5, 6, 7, 8];
        let t1 = md5::Md5::new().chain_update(b"secret").chain_update(salt).finalize();
        let t2 = md5::Md5::digest(t1);
        assert_eq!(&*pbkdf1(Hash::Md5, b"secret", &salt, 2), t2.as_slice());
        assert_eq!(&*pbkdf1(Hash::Md5, b"secret", &salt, 1), t1.as_slice());
        // SHA-1 yields 20 bytes; PBES1 takes the first 16.
        let s1 = sha1::Sha1::new().chain_update(b"secret").chain_update(salt).finalize();
        assert_eq!(&*pbkdf1(Hash::Sha1, b"secret", &salt, 1), &s1[..16]);
    }

    #[test]
    fn round_trip_and_wrong_password() {
        use cbc::cipher::BlockEncryptMut;
        let salt = [9u8; 8];
        let dk = pbkdf1(Hash::Sha1, b"pw", &salt, 2048);
        let sealed = cbc::Encryptor::<des::Des>::new_from_slices(&dk[..8], &dk[8..])
            .unwrap()
            .encrypt_padded_vec_mut::<Pkcs7>(b"hello pbes1");
        let s = Scheme::from_oid(ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.10")).unwrap();
        assert_eq!(s.name(), "pbeWithSHA1AndDES-CBC");
        assert_eq!(&*decrypt(s, b"pw", &salt, 2048, &sealed).unwrap(), b"hello pbes1");
        assert!(decrypt(s, b"other", &salt, 2048, &sealed).map_or(true, |p| &*p != b"hello pbes1"));
        assert!(matches!(
            decrypt(s, b"pw", &[0; 4], 1, &sealed),
            Err(Pkcs12Error::Malformed(_))
        ));
    }
}
