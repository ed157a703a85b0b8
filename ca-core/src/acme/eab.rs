//! External Account Binding (RFC 8555 7.3.4): the `externalAccountBinding` member of a
//! newAccount payload is a flattened JWS, MACed with a key an administrator issued, whose
//! payload is the new account's key. Two steps like a request JWS: [`ExternalAccountBinding::parse`]
//! exposes the EAB key id so the server can fetch the MAC key, then
//! [`ExternalAccountBinding::verify`] checks MAC, URL and payload.
use aws_lc_rs::hmac;
use serde_json::Value;

use super::error::EabError;
use super::jws::{flattened, required_str};

/// The MAC algorithms accepted for a binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MacAlgorithm {
    /// HMAC-SHA-256, the one every client uses.
    Hs256,
    /// HMAC-SHA-384.
    Hs384,
    /// HMAC-SHA-512.
    Hs512,
}

impl MacAlgorithm {
    /// The JOSE `alg` name.
    pub fn name(self) -> &'static str {
        match self {
            MacAlgorithm::Hs256 => "HS256",
            MacAlgorithm::Hs384 => "HS384",
            MacAlgorithm::Hs512 => "HS512",
        }
    }

    fn from_name(name: &str) -> Option<MacAlgorithm> {
        [MacAlgorithm::Hs256, MacAlgorithm::Hs384, MacAlgorithm::Hs512]
            .into_iter()
            .find(|a| a.name() == name)
    }

    fn hmac(self) -> hmac::Algorithm {
        match self {
            MacAlgorithm::Hs256 => hmac::HMAC_SHA256,
            MacAlgorithm::Hs384 => hmac::HMAC_SHA384,
            MacAlgorithm::Hs512 => hmac::HMAC_SHA512,
        }
    }
}

/// A parsed, not yet verified, binding.
#[derive(Clone, Debug)]
pub struct ExternalAccountBinding {
    alg: MacAlgorithm,
    key_id: String,
    url: String,
    payload: Vec<u8>,
    signing_input: Vec<u8>,
    mac: Vec<u8>,
}

/// A binding whose MAC, URL and payload checked out: the account may be created and bound to
/// this EAB key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedBinding {
    /// The EAB key id the administrator issued.
    pub key_id: String,
    /// The MAC algorithm the client used.
    pub alg: MacAlgorithm,
}

impl ExternalAccountBinding {
    /// Parses the `externalAccountBinding` value: a flattened JWS with protected `alg` (a MAC
    /// algorithm), `kid` (the EAB key id), `url` and no `nonce`.
    pub fn parse(binding: &Value) -> Result<ExternalAccountBinding, EabError> {
        let jws = flattened(binding).map_err(EabError::Jws)?;
        let alg_name = required_str(&jws.header, "alg").map_err(EabError::Jws)?;
        let alg = MacAlgorithm::from_name(alg_name).ok_or_else(|| EabError::UnsupportedAlgorithm {
            alg: alg_name.to_string(),
        })?;
        if jws.header.contains_key("nonce") {
            return Err(EabError::NonceForbidden);
        }
        let key_id = required_str(&jws.header, "kid").map_err(EabError::Jws)?.to_string();
        let url = required_str(&jws.header, "url").map_err(EabError::Jws)?.to_string();
        Ok(ExternalAccountBinding {
            alg,
            key_id,
            url,
            payload: jws.payload,
            signing_input: jws.signing_input,
            mac: jws.signature,
        })
    }

    /// The EAB key id (`kid`), to look the MAC key up.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The MAC algorithm the client used.
    pub fn alg(&self) -> MacAlgorithm {
        self.alg
    }

    /// Verifies the binding with the EAB `mac_key` (raw bytes, not base64url): the MAC
    /// first, so nothing about an unauthenticated binding is judged; then that `url` is the
    /// newAccount URL; then that the payload is the outer JWS's `jwk`, compared as JSON values
    /// (member order and whitespace do not matter, members do).
    pub fn verify(
        self,
        mac_key: &[u8],
        new_account_url: &str,
        account_jwk: &Value,
    ) -> Result<VerifiedBinding, EabError> {
        let key = hmac::Key::new(self.alg.hmac(), mac_key);
        hmac::verify(&key, &self.signing_input, &self.mac).map_err(|_| EabError::BadMac {
            key_id: self.key_id.clone(),
        })?;
        if self.url != new_account_url {
            return Err(EabError::UrlMismatch {
                expected: new_account_url.to_string(),
                got: self.url,
            });
        }
        let payload: Value = serde_json::from_slice(&self.payload).map_err(|e| EabError::KeyMismatch {
            reason: format!("payload is not JSON: {e}"),
        })?;
        if &payload != account_jwk {
            return Err(EabError::KeyMismatch {
                reason: "the keys differ".into(),
            });
        }
        Ok(VerifiedBinding {
            key_id: self.key_id,
            alg: self.alg,
        })
    }
}
