//! base64url without padding (RFC 7515 section 2), the only encoding JOSE and ACME use for
//! binary values. Decoding is strict: padding, non-alphabet characters and non-canonical
//! trailing bits are errors, so one value has exactly one spelling.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// Encodes `bytes` as base64url without padding.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes unpadded base64url; the error text says what was wrong, for problem details.
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD.decode(text).map_err(|e| e.to_string())
}
