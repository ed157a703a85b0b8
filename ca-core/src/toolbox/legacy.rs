//! OpenSSL's traditional encrypted PEM keys (guide 002 Appendix 5):
//! `Proc-Type: 4,ENCRYPTED` and `DEK-Info: DES-EDE3-CBC,<iv hex>` above a PKCS#1 or SEC1 body.
//! The key is OpenSSL's EVP_BytesToKey (MD5, one round, salt = the first 8 IV bytes). MD5 and
//! 3DES are weak, which is why `unlock` exists: we only ever read this format, never write it.
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, KeyIvInit};
use md5::{Digest, Md5};
use zeroize::Zeroizing;

use super::ToolError;

/// The ciphers OpenSSL writes in `DEK-Info`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegacyCipher {
    DesEde3Cbc,
    DesCbc,
    Aes128Cbc,
    Aes192Cbc,
    Aes256Cbc,
}

impl LegacyCipher {
    fn key_len(self) -> usize {
        match self {
            LegacyCipher::DesCbc => 8,
            LegacyCipher::Aes128Cbc => 16,
            LegacyCipher::DesEde3Cbc | LegacyCipher::Aes192Cbc => 24,
            LegacyCipher::Aes256Cbc => 32,
        }
    }
    fn iv_len(self) -> usize {
        match self {
            LegacyCipher::DesEde3Cbc | LegacyCipher::DesCbc => 8,
            _ => 16,
        }
    }
    /// The name as `DEK-Info` spells it.
    pub fn name(self) -> &'static str {
        match self {
            LegacyCipher::DesEde3Cbc => "DES-EDE3-CBC",
            LegacyCipher::DesCbc => "DES-CBC",
            LegacyCipher::Aes128Cbc => "AES-128-CBC",
            LegacyCipher::Aes192Cbc => "AES-192-CBC",
            LegacyCipher::Aes256Cbc => "AES-256-CBC",
        }
    }
}

/// A parsed `DEK-Info` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dek {
    /// The cipher.
    pub cipher: LegacyCipher,
    /// The IV, whose first 8 bytes are also the key-derivation salt.
    pub iv: Vec<u8>,
}

/// Parses the value of a `DEK-Info` header, tolerating the space after the comma that the
/// guide's example (`DEK-Info: DES-EDE3-CBC, CAD24BC3A702A939`) shows.
pub fn parse_dek(value: &str) -> Result<Dek, ToolError> {
    let (name, iv_hex) = value
        .split_once(',')
        .ok_or_else(|| ToolError::Format(format!("DEK-Info {value:?} is not CIPHER,IV")))?;
    let cipher = match name.trim().to_ascii_uppercase().as_str() {
        "DES-EDE3-CBC" => LegacyCipher::DesEde3Cbc,
        "DES-CBC" => LegacyCipher::DesCbc,
        "AES-128-CBC" => LegacyCipher::Aes128Cbc,
        "AES-192-CBC" => LegacyCipher::Aes192Cbc,
        "AES-256-CBC" => LegacyCipher::Aes256Cbc,
        other => return Err(ToolError::Unsupported(format!("legacy PEM cipher {other}"))),
    };
    let iv = hex::decode(iv_hex.trim()).map_err(|_| ToolError::Format(format!("DEK-Info IV {iv_hex:?} is not hex")))?;
    if iv.len() != cipher.iv_len() {
        return Err(ToolError::Format(format!(
            "DEK-Info IV has {} bytes; {} needs {}",
            iv.len(),
            cipher.name(),
            cipher.iv_len()
        )));
    }
    Ok(Dek { cipher, iv })
}

/// EVP_BytesToKey with MD5 and one iteration: D_i = MD5(D_{i-1} || pass || salt).
fn bytes_to_key(pass: &[u8], salt: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(len + 16));
    let mut prev: Vec<u8> = Vec::new();
    while out.len() < len {
        let mut h = Md5::new();
        h.update(&prev);
        h.update(pass);
        h.update(salt);
        prev = h.finalize().to_vec();
        out.extend_from_slice(&prev);
    }
    out.truncate(len);
    out
}

/// Decrypts a traditional encrypted PEM body; returns the PKCS#1 / SEC1 DER inside.
pub fn decrypt(dek: &Dek, pass: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>, ToolError> {
    let key = bytes_to_key(pass, &dek.iv[..8], dek.cipher.key_len());
    let iv = dek.iv.as_slice();
    let bad = |_| ToolError::Decrypt;
    let plain = match dek.cipher {
        LegacyCipher::DesEde3Cbc => cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, iv)
            .map_err(|_| ToolError::Decrypt)?
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .map_err(bad)?,
        LegacyCipher::DesCbc => cbc::Decryptor::<des::Des>::new_from_slices(&key, iv)
            .map_err(|_| ToolError::Decrypt)?
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .map_err(bad)?,
        LegacyCipher::Aes128Cbc => cbc::Decryptor::<aes::Aes128>::new_from_slices(&key, iv)
            .map_err(|_| ToolError::Decrypt)?
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .map_err(bad)?,
        LegacyCipher::Aes192Cbc => cbc::Decryptor::<aes::Aes192>::new_from_slices(&key, iv)
            .map_err(|_| ToolError::Decrypt)?
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .map_err(bad)?,
        LegacyCipher::Aes256Cbc => cbc::Decryptor::<aes::Aes256>::new_from_slices(&key, iv)
            .map_err(|_| ToolError::Decrypt)?
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .map_err(bad)?,
    };
    // Padding alone passes for 1 in 256 wrong passphrases: the body must also be a DER SEQUENCE.
    if plain.first() != Some(&0x30) {
        return Err(ToolError::Decrypt);
    }
    Ok(Zeroizing::new(plain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guide_dek_header_with_space_parses() {
        let d = parse_dek("DES-EDE3-CBC, CAD24BC3A702A939").unwrap();
        assert_eq!(d.cipher, LegacyCipher::DesEde3Cbc);
        assert_eq!(d.iv, hex::decode("CAD24BC3A702A939").unwrap());
        assert!(parse_dek("BF-CBC,00").unwrap_err().to_string().contains("unsupported"));
    }

    #[test]
    fn bytes_to_key_matches_openssl() {
        // `openssl enc -des-ede3-cbc -P -md md5 -pass pass:secret -S 0102030405060708`
        let k = bytes_to_key(b"secret", &[1, 2, 3, 4, 5, 6, 7, 8], 24);
        assert_eq!(
            hex::encode_upper(&k[..]),
            "C9E5A1BD216DBE1317E230CEF48F38EE7F0E17AD64022144"
        );
    }
}
