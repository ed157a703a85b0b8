//! Password-based encryption and the MAC of PKCS#12 (RFC 7292 Appendix B and C): the old
//! `pbeWithSHAAnd...` schemes with the PKCS#12 key derivation, PBES1 (pbes1.rs), PBES2 through
//! pkcs5, and the HMAC over the authenticated safe. Ciphers and KDFs come from RustCrypto and aws-lc-rs.
use aws_lc_rs::hmac;
use aws_lc_rs::rand::SecureRandom;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, InnerIvInit, KeyIvInit};
use const_oid::db::rfc5912;
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Any, Encode};
use pkcs12::kdf::{derive_key, Pkcs12KeyType};
use pkcs12::pbe_params::Pkcs12PbeParams;
use spki::AlgorithmIdentifierOwned;
use zeroize::Zeroizing;

use super::ber::{self, Tlv};
use super::pbes1;
use super::Pkcs12Error;

/// pbeWithSHAAnd3-KeyTripleDES-CBC: what old Windows reads and writes.
pub const PBE_SHA1_3DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.3");
const PBE_SHA1_2DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.4");
const PBE_SHA1_RC2_128: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.5");
/// pbeWithSHAAnd40BitRC2-CBC: the certificate bags of OpenSSL `-legacy` and Windows exports.
const PBE_SHA1_RC2_40: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.6");
const PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");

/// Iteration counts above this are refused: a crafted file could otherwise keep the CPU busy
/// for hours. NSS uses 600,000, OpenSSL 2,048.
const MAX_ITERATIONS: u64 = 10_000_000;

/// A password in the two encodings PKCS#12 uses: UTF-8 for PBES2 (as OpenSSL does) and
/// big-endian UTF-16 with a two-byte terminator for the PKCS#12 KDF (RFC 7292 B.1).
pub struct Password {
    utf8: Zeroizing<Vec<u8>>,
    bmp: Zeroizing<Vec<u8>>,
}

impl Password {
    /// Takes the password bytes; they must be UTF-8 to have a BMPString form.
    pub fn new(bytes: &[u8]) -> Result<Password, Pkcs12Error> {
        let text =
            std::str::from_utf8(bytes).map_err(|_| Pkcs12Error::Password("it is not valid UTF-8 text".into()))?;
        let mut bmp = Zeroizing::new(Vec::with_capacity(text.len() * 2 + 2));
        for unit in text.encode_utf16() {
            bmp.extend(unit.to_be_bytes());
        }
        bmp.extend([0, 0]);
        Ok(Password {
            utf8: Zeroizing::new(bytes.to_vec()),
            bmp,
        })
    }

    /// The empty password as Windows encodes it: no bytes at all, not even the terminator.
    /// OpenSSL tries this form too when the MAC does not match the usual one.
    pub fn windows_empty(&self) -> Option<Password> {
        self.utf8.is_empty().then(|| Password {
            utf8: Zeroizing::new(Vec::new()),
            bmp: Zeroizing::new(Vec::new()),
        })
    }
}

/// The MAC digests files use; SHA-1 (OpenSSL -legacy, Windows) and SHA-256 (OpenSSL 3, NSS)
/// are the common ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacDigest {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl MacDigest {
    /// The digest named by a DigestInfo's algorithm OID.
    pub fn from_oid(oid: &ObjectIdentifier) -> Result<MacDigest, Pkcs12Error> {
        Ok(match *oid {
            rfc5912::ID_SHA_1 => MacDigest::Sha1,
            rfc5912::ID_SHA_224 => MacDigest::Sha224,
            rfc5912::ID_SHA_256 => MacDigest::Sha256,
            rfc5912::ID_SHA_384 => MacDigest::Sha384,
            rfc5912::ID_SHA_512 => MacDigest::Sha512,
            other => return Err(Pkcs12Error::Unsupported(format!("MAC digest {other}"))),
        })
    }

    /// The digest's OID, for writing.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            MacDigest::Sha1 => rfc5912::ID_SHA_1,
            MacDigest::Sha224 => rfc5912::ID_SHA_224,
            MacDigest::Sha256 => rfc5912::ID_SHA_256,
            MacDigest::Sha384 => rfc5912::ID_SHA_384,
            MacDigest::Sha512 => rfc5912::ID_SHA_512,
        }
    }

    fn hmac(self) -> (hmac::Algorithm, usize) {
        match self {
            MacDigest::Sha1 => (hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, 20),
            MacDigest::Sha224 => (hmac::HMAC_SHA224, 28),
            MacDigest::Sha256 => (hmac::HMAC_SHA256, 32),
            MacDigest::Sha384 => (hmac::HMAC_SHA384, 48),
            MacDigest::Sha512 => (hmac::HMAC_SHA512, 64),
        }
    }

    fn derive(self, pass: &Password, salt: &[u8], id: Pkcs12KeyType, rounds: i32, len: usize) -> Vec<u8> {
        match self {
            MacDigest::Sha1 => derive_key::<sha1::Sha1>(&pass.bmp, salt, id, rounds, len),
            MacDigest::Sha224 => derive_key::<sha2::Sha224>(&pass.bmp, salt, id, rounds, len),
            MacDigest::Sha256 => derive_key::<sha2::Sha256>(&pass.bmp, salt, id, rounds, len),
            MacDigest::Sha384 => derive_key::<sha2::Sha384>(&pass.bmp, salt, id, rounds, len),
            MacDigest::Sha512 => derive_key::<sha2::Sha512>(&pass.bmp, salt, id, rounds, len),
        }
    }
}

fn rounds(iterations: u64) -> Result<i32, Pkcs12Error> {
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return Err(Pkcs12Error::Unsupported(format!("iteration count {iterations}")));
    }
    Ok(iterations as i32)
}

/// The PKCS#12 MAC key (RFC 7292 B.2) as an HMAC key.
fn mac_key(digest: MacDigest, pass: &Password, salt: &[u8], iterations: u64) -> Result<hmac::Key, Pkcs12Error> {
    let (alg, len) = digest.hmac();
    let key = Zeroizing::new(digest.derive(pass, salt, Pkcs12KeyType::Mac, rounds(iterations)?, len));
    Ok(hmac::Key::new(alg, &key))
}

/// Checks the MAC over the authenticated safe's octets (constant-time comparison).
pub fn verify_mac(
    digest: MacDigest,
    pass: &Password,
    salt: &[u8],
    iterations: u64,
    data: &[u8],
    expected: &[u8],
) -> Result<bool, Pkcs12Error> {
    Ok(hmac::verify(&mac_key(digest, pass, salt, iterations)?, data, expected).is_ok())
}

/// Computes the MAC over the authenticated safe's octets.
pub fn compute_mac(
    digest: MacDigest,
    pass: &Password,
    salt: &[u8],
    iterations: u64,
    data: &[u8],
) -> Result<Vec<u8>, Pkcs12Error> {
    let key = mac_key(digest, pass, salt, iterations)?;
    Ok(hmac::sign(&key, data).as_ref().to_vec())
}

/// The scheme named by an AlgorithmIdentifier, in words, for `inspect`.
pub fn scheme_name(alg: &Tlv<'_>) -> String {
    let oid = alg
        .children("algorithm")
        .ok()
        .and_then(|c| c.first().and_then(|o| o.oid("algorithm").ok()));
    if let Some(s) = oid.and_then(pbes1::Scheme::from_oid) {
        return s.name().into();
    }
    match oid {
        Some(PBE_SHA1_3DES) => "pbeWithSHA1And3-KeyTripleDES-CBC".into(),
        Some(PBE_SHA1_2DES) => "pbeWithSHA1And2-KeyTripleDES-CBC".into(),
        Some(PBE_SHA1_RC2_40) => "pbeWithSHA1And40BitRC2-CBC".into(),
        Some(PBE_SHA1_RC2_128) => "pbeWithSHA1And128BitRC2-CBC".into(),
        Some(PBES2) => match pbes2_der(alg).ok().and_then(|d| pbes2_name(&d)) {
            Some(n) => n,
            None => "PBES2".into(),
        },
        Some(other) => other.to_string(),
        None => "unknown".into(),
    }
}

fn pbes2_name(der: &[u8]) -> Option<String> {
    let scheme = pkcs5::EncryptionScheme::try_from(der).ok()?;
    let p = scheme.pbes2()?;
    let cipher = match p.encryption {
        pkcs5::pbes2::EncryptionScheme::Aes128Cbc { .. } => "AES-128-CBC",
        pkcs5::pbes2::EncryptionScheme::Aes192Cbc { .. } => "AES-192-CBC",
        pkcs5::pbes2::EncryptionScheme::Aes256Cbc { .. } => "AES-256-CBC",
        pkcs5::pbes2::EncryptionScheme::DesEde3Cbc { .. } => "DES-EDE3-CBC",
        _ => "other cipher",
    };
    let kdf = match &p.kdf {
        pkcs5::pbes2::Kdf::Pbkdf2(k) => match k.prf {
            pkcs5::pbes2::Pbkdf2Prf::HmacWithSha1 => "PBKDF2-SHA1",
            pkcs5::pbes2::Pbkdf2Prf::HmacWithSha224 => "PBKDF2-SHA224",
            pkcs5::pbes2::Pbkdf2Prf::HmacWithSha256 => "PBKDF2-SHA256",
            pkcs5::pbes2::Pbkdf2Prf::HmacWithSha384 => "PBKDF2-SHA384",
            pkcs5::pbes2::Pbkdf2Prf::HmacWithSha512 => "PBKDF2-SHA512",
            _ => "PBKDF2",
        }
        .to_string(),
        _ => "scrypt".into(),
    };
    Some(format!("PBES2 {kdf} {cipher}"))
}

/// Decrypts `data` with the scheme of AlgorithmIdentifier `alg`. A padding failure means the
/// password was wrong (or the file damaged): there is no other way to tell once the MAC is
/// absent or passed.
pub fn decrypt(alg: &Tlv<'_>, data: &[u8], pass: &Password) -> Result<Zeroizing<Vec<u8>>, Pkcs12Error> {
    let parts = alg.children("encryption algorithm")?;
    let oid = parts
        .first()
        .ok_or_else(|| Pkcs12Error::Malformed("empty encryption algorithm".into()))?
        .oid("encryption algorithm")?;
    if oid == PBES2 {
        let der = pbes2_der(alg)?;
        let scheme = pkcs5::EncryptionScheme::try_from(der.as_slice())
            .map_err(|e| Pkcs12Error::Unsupported(format!("PBES2 parameters: {e}")))?;
        check_pbes2_cost(&scheme)?;
        return scheme
            .decrypt(&*pass.utf8, data)
            .map(Zeroizing::new)
            .map_err(|_| Pkcs12Error::WrongPassword);
    }
    if let Some(scheme) = pbes1::Scheme::from_oid(oid) {
        let (salt, n) = pbe_params(&parts)?;
        return pbes1::decrypt(scheme, &pass.utf8, &salt, n as u32, data);
    }
    let (key_len, iv_len) = match oid {
        PBE_SHA1_3DES => (24, 8),
        PBE_SHA1_2DES => (16, 8),
        PBE_SHA1_RC2_40 => (5, 8),
        PBE_SHA1_RC2_128 => (16, 8),
        other => {
            return Err(Pkcs12Error::Unsupported(format!(
                "encryption scheme {}",
                scheme_name_of(other)
            )))
        }
    };
    let (salt, n) = pbe_params(&parts)?;
    let key = Zeroizing::new(MacDigest::Sha1.derive(pass, &salt, Pkcs12KeyType::EncryptionKey, n, key_len));
    let iv = MacDigest::Sha1.derive(pass, &salt, Pkcs12KeyType::Iv, n, iv_len);
    let bad = |_| Pkcs12Error::WrongPassword;
    let out = match oid {
        PBE_SHA1_3DES => cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
            .map_err(|_| Pkcs12Error::Malformed("3DES key".into()))?
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .map_err(bad)?,
        PBE_SHA1_2DES => cbc::Decryptor::<des::TdesEde2>::new_from_slices(&key, &iv)
            .map_err(|_| Pkcs12Error::Malformed("2DES key".into()))?
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .map_err(bad)?,
        _ => {
            // RC2's effective key length is the key length here (40 or 128 bits).
            let cipher = rc2::Rc2::new_with_eff_key_len(&key, key_len * 8);
            cbc::Decryptor::<rc2::Rc2>::inner_iv_slice_init(cipher, &iv)
                .map_err(|_| Pkcs12Error::Malformed("RC2 IV".into()))?
                .decrypt_padded_vec_mut::<Pkcs7>(data)
                .map_err(bad)?
        }
    };
    Ok(Zeroizing::new(out))
}

/// The salt and (bounded) iteration count of a PKCS#12 PBE or PBES1 AlgorithmIdentifier: both
/// use `SEQUENCE { salt OCTET STRING, iterations INTEGER }`.
fn pbe_params(alg_parts: &[Tlv<'_>]) -> Result<(Vec<u8>, i32), Pkcs12Error> {
    let params = alg_parts
        .get(1)
        .ok_or_else(|| Pkcs12Error::Malformed("PBE without parameters".into()))?
        .children("PBE parameters")?;
    let [salt, iterations] = params.as_slice() else {
        return Err(Pkcs12Error::Malformed("PBE parameters".into()));
    };
    let salt = salt.expect(ber::OCTET_STRING, "PBE salt")?.octets("PBE salt")?;
    Ok((salt, rounds(iterations.uint("PBE iterations")?)?))
}

/// The PBES2 AlgorithmIdentifier as DER for pkcs5, with NULL parameters added to a PRF that
/// has none: NSS leaves them out (RFC 8018 allows it), pkcs5 0.7 insists on them.
fn pbes2_der(alg: &Tlv<'_>) -> Result<Vec<u8>, Pkcs12Error> {
    let rebuilt = || -> Option<Vec<u8>> {
        let parts = alg.children("PBES2").ok()?;
        let params = parts.get(1)?.children("PBES2").ok()?;
        let kdf = params.first()?.children("PBES2 KDF").ok()?;
        let kdf_params = kdf.get(1)?.children("PBKDF2").ok()?;
        let prf = kdf_params
            .last()
            .filter(|p| p.is(ber::SEQUENCE))?
            .children("PRF")
            .ok()?;
        if prf.len() != 1 {
            return None;
        }
        let mut kp: Vec<Vec<u8>> = kdf_params[..kdf_params.len() - 1]
            .iter()
            .map(|t| t.to_der())
            .collect::<Result<_, _>>()
            .ok()?;
        kp.push(ber::seq(&[prf[0].to_der().ok()?, vec![0x05, 0x00]]));
        let kdf = ber::seq(&[kdf[0].to_der().ok()?, ber::seq(&kp)]);
        Some(ber::seq(&[
            parts[0].to_der().ok()?,
            ber::seq(&[kdf, params.get(1)?.to_der().ok()?]),
        ]))
    };
    match rebuilt() {
        Some(der) => Ok(der),
        None => alg.to_der(),
    }
}

fn scheme_name_of(oid: ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.2.840.113549.1.12.1.1" => "pbeWithSHAAnd128BitRC4 (RC4 is not supported)".into(),
        "1.2.840.113549.1.12.1.2" => "pbeWithSHAAnd40BitRC4 (RC4 is not supported)".into(),
        "1.2.840.113549.1.5.1" => "pbeWithMD2AndDES-CBC (MD2 is not supported)".into(),
        "1.2.840.113549.1.5.4" => "pbeWithMD2AndRC2-CBC (MD2 is not supported)".into(),
        other => other.to_string(),
    }
}

fn check_pbes2_cost(scheme: &pkcs5::EncryptionScheme<'_>) -> Result<(), Pkcs12Error> {
    if let Some(pkcs5::pbes2::Kdf::Pbkdf2(k)) = scheme.pbes2().map(|p| &p.kdf) {
        rounds(u64::from(k.iteration_count))?;
    }
    Ok(())
}

/// How we encrypt what we write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// PBES2: PBKDF2-HMAC-SHA256 and AES-256-CBC (OpenSSL 3's default).
    Aes256,
    /// pbeWithSHAAnd3-KeyTripleDES-CBC, for Windows before Server 2019 / Windows 10 1709.
    TripleDes,
}

/// Encrypts `data`, returning the AlgorithmIdentifier (DER) and the ciphertext.
pub fn encrypt(
    scheme: Scheme,
    iterations: u32,
    data: &[u8],
    pass: &Password,
    rng: &dyn SecureRandom,
) -> Result<(Vec<u8>, Vec<u8>), Pkcs12Error> {
    let fail = |e: String| Pkcs12Error::Encrypt(e);
    match scheme {
        Scheme::Aes256 => {
            let mut salt = [0u8; 16];
            let mut iv = [0u8; 16];
            rng.fill(&mut salt).map_err(|e| fail(e.to_string()))?;
            rng.fill(&mut iv).map_err(|e| fail(e.to_string()))?;
            let params = pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(iterations, &salt, &iv)
                .map_err(|e| fail(e.to_string()))?;
            let scheme = pkcs5::EncryptionScheme::from(params);
            let out = scheme.encrypt(&*pass.utf8, data).map_err(|e| fail(e.to_string()))?;
            Ok((scheme.to_der().map_err(|e| fail(e.to_string()))?, out))
        }
        Scheme::TripleDes => {
            let mut salt = [0u8; 8];
            rng.fill(&mut salt).map_err(|e| fail(e.to_string()))?;
            let n = iterations as i32;
            let key = Zeroizing::new(MacDigest::Sha1.derive(pass, &salt, Pkcs12KeyType::EncryptionKey, n, 24));
            let iv = MacDigest::Sha1.derive(pass, &salt, Pkcs12KeyType::Iv, n, 8);
            let out = cbc::Encryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
                .map_err(|e| fail(e.to_string()))?
                .encrypt_padded_vec_mut::<Pkcs7>(data);
            let params = Pkcs12PbeParams {
                salt: OctetString::new(salt.to_vec()).map_err(|e| fail(e.to_string()))?,
                iterations: n,
            };
            let alg = AlgorithmIdentifierOwned {
                oid: PBE_SHA1_3DES,
                parameters: Some(Any::encode_from(&params).map_err(|e| fail(e.to_string()))?),
            };
            Ok((alg.to_der().map_err(|e| fail(e.to_string()))?, out))
        }
    }
}

/// Fills `n` random bytes (salts).
pub fn random(n: usize, rng: &dyn SecureRandom) -> Result<Vec<u8>, Pkcs12Error> {
    let mut out = vec![0u8; n];
    rng.fill(&mut out).map_err(|e| Pkcs12Error::Encrypt(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_null_terminated_big_endian_utf16() {
        let p = Password::new(b"smeg").unwrap();
        assert_eq!(*p.bmp, [0, b's', 0, b'm', 0, b'e', 0, b'g', 0, 0]);
        assert!(p.windows_empty().is_none());
        let empty = Password::new(b"").unwrap();
        assert_eq!(*empty.bmp, [0, 0]);
        assert!(empty.windows_empty().unwrap().bmp.is_empty());
        assert!(matches!(Password::new(&[0xff]), Err(Pkcs12Error::Password(_))));
    }

    #[test]
    fn triple_des_round_trip_and_wrong_password() {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let pass = Password::new(b"pfx-secret").unwrap();
        let (alg, sealed) = encrypt(Scheme::TripleDes, 2048, b"hello pkcs12", &pass, &rng).unwrap();
        let alg = Tlv::parse(&alg, "alg").unwrap();
        assert_eq!(&*decrypt(&alg, &sealed, &pass).unwrap(), b"hello pkcs12");
        assert_eq!(scheme_name(&alg), "pbeWithSHA1And3-KeyTripleDES-CBC");
        let (alg2, sealed2) = encrypt(Scheme::Aes256, 1000, b"hello pkcs12", &pass, &rng).unwrap();
        let alg2 = Tlv::parse(&alg2, "alg").unwrap();
        assert_eq!(&*decrypt(&alg2, &sealed2, &pass).unwrap(), b"hello pkcs12");
        assert_eq!(scheme_name(&alg2), "PBES2 PBKDF2-SHA256 AES-256-CBC");
        let wrong = Password::new(b"other").unwrap();
        // Padding may pass by chance (1 in 256); the content then differs.
        assert!(decrypt(&alg, &sealed, &wrong).map_or(true, |p| &*p != b"hello pkcs12"));
    }
}
