//! ACME request bodies: flattened JSON JWS (RFC 7515 7.2.2) with the rules of RFC 8555 6.2.
//! Parsing and verifying are two steps because a `kid` request names an account the server
//! must look up first: [`ParsedJws::parse`] exposes the protected header, then
//! [`ParsedJws::verify`] (embedded `jwk`) or [`ParsedJws::verify_with`] (the `kid`'s key)
//! yields a [`VerifiedJws`]. Checking `nonce` and `url` is the caller's: it owns the nonce
//! store and knows the request URL. Signatures are checked by aws-lc-rs only.
use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::base64url;
use super::error::JwsError;
use super::jwk::{AccountKey, EcCurve, KeyKind};

/// Largest request body accepted; a finalize with an RSA 8192 CSR is a few KiB, so anything
/// near this is hostile or a mistake.
pub const MAX_JWS_BYTES: usize = 64 * 1024;

/// The JWS algorithms accepted for account and certificate keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// ECDSA P-256 with SHA-256, signature r||s.
    Es256,
    /// ECDSA P-384 with SHA-384, signature r||s.
    Es384,
    /// Ed25519 (RFC 8037).
    EdDsa,
}

impl Algorithm {
    /// Every supported algorithm, in the order problem documents list them.
    pub const ALL: [Algorithm; 4] = [Algorithm::Rs256, Algorithm::Es256, Algorithm::Es384, Algorithm::EdDsa];

    /// The JOSE `alg` name.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Es256 => "ES256",
            Algorithm::Es384 => "ES384",
            Algorithm::EdDsa => "EdDSA",
        }
    }

    /// The names of every supported algorithm (the badSignatureAlgorithm `algorithms` list).
    pub fn names() -> Vec<&'static str> {
        Algorithm::ALL.iter().map(|a| a.name()).collect()
    }

    /// The algorithm an `alg` value names, if supported. HS256 and friends are not: a MAC
    /// cannot sign an account request (RFC 8555 6.2), only an EAB.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Whether `key` is the kind of key this algorithm signs with.
    pub fn fits(self, key: &AccountKey) -> bool {
        matches!(
            (self, key.kind()),
            (Algorithm::Rs256, KeyKind::Rsa { .. })
                | (Algorithm::Es256, KeyKind::Ec(EcCurve::P256))
                | (Algorithm::Es384, KeyKind::Ec(EcCurve::P384))
                | (Algorithm::EdDsa, KeyKind::Ed25519)
        )
    }

    /// The signature length, for the algorithms where it is fixed by the key type.
    fn signature_len(self) -> Option<usize> {
        match self {
            Algorithm::Rs256 => None,
            Algorithm::Es256 => Some(2 * EcCurve::P256.coordinate_len()),
            Algorithm::Es384 => Some(2 * EcCurve::P384.coordinate_len()),
            Algorithm::EdDsa => Some(64),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a request names its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyRef {
    /// The key itself (newAccount, revokeCert by certificate key, keyChange inner JWS).
    Jwk {
        /// The parsed, checked key.
        key: AccountKey,
        /// The `jwk` member exactly as sent: an EAB payload is compared against it.
        json: Value,
    },
    /// The account URL (every other request).
    Kid(String),
}

/// The protected header members ACME uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Protected {
    /// The signature algorithm.
    pub alg: Algorithm,
    /// The anti-replay nonce: always present on a request ([`ParsedJws::parse`] reports a
    /// missing one as badNonce), always absent on a keyChange inner JWS.
    pub nonce: Option<String>,
    /// The URL the client sent the request to; the caller compares it with the real one.
    pub url: String,
    /// The key, or the account that holds it.
    pub key: KeyRef,
}

impl Protected {
    /// The `kid` (account URL), when the request names its key that way.
    pub fn kid(&self) -> Option<&str> {
        match &self.key {
            KeyRef::Kid(kid) => Some(kid),
            KeyRef::Jwk { .. } => None,
        }
    }
}

/// A JWS whose structure and header are valid but whose signature is not yet checked.
#[derive(Clone, Debug)]
pub struct ParsedJws {
    protected: Protected,
    signing_input: Vec<u8>,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

/// A JWS whose signature verified; only now may the payload be acted on.
#[derive(Clone, Debug)]
pub struct VerifiedJws {
    /// The protected header.
    pub protected: Protected,
    /// The decoded payload; empty for POST-as-GET.
    pub payload: Vec<u8>,
    /// The key the signature verified with.
    pub key: AccountKey,
}

impl VerifiedJws {
    /// Whether this is a POST-as-GET (RFC 8555 6.3): the payload is the empty string, which
    /// is different from `{}`.
    pub fn is_post_as_get(&self) -> bool {
        self.payload.is_empty()
    }

    /// The payload parsed as JSON into `T`.
    pub fn payload_json<T: DeserializeOwned>(&self) -> Result<T, JwsError> {
        serde_json::from_slice(&self.payload).map_err(|e| JwsError::Payload { reason: e.to_string() })
    }
}

/// The three members of a flattened JWS, decoded, with the signing input kept as sent.
pub(crate) struct Flattened {
    pub(crate) header: Map<String, Value>,
    pub(crate) signing_input: Vec<u8>,
    pub(crate) payload: Vec<u8>,
    pub(crate) signature: Vec<u8>,
}

/// Decodes a flattened JWS object; shared with the EAB, which is one too.
pub(crate) fn flattened(value: &Value) -> Result<Flattened, JwsError> {
    let obj = value.as_object().ok_or_else(|| JwsError::NotJson {
        reason: "not an object".into(),
    })?;
    if obj.contains_key("signatures") {
        return Err(JwsError::NotFlattened);
    }
    if obj.contains_key("header") {
        return Err(JwsError::UnprotectedHeader);
    }
    let protected_b64 = member(obj, "protected")?;
    let payload_b64 = member(obj, "payload")?;
    let signature = decode(member(obj, "signature")?, "signature")?;
    let header_bytes = decode(protected_b64, "protected")?;
    let header = match serde_json::from_slice(&header_bytes) {
        Ok(Value::Object(map)) => map,
        _ => {
            return Err(JwsError::Member {
                member: "protected",
                reason: "is not a JSON object".into(),
            })
        }
    };
    // RFC 7797 unencoded payloads and critical extensions are never used by ACME; a header
    // asking for either must not be verified as if it did not.
    for name in ["b64", "crit"] {
        if header.contains_key(name) {
            return Err(JwsError::UnsupportedHeader { member: name });
        }
    }
    Ok(Flattened {
        header,
        signing_input: format!("{protected_b64}.{payload_b64}").into_bytes(),
        payload: decode(payload_b64, "payload")?,
        signature,
    })
}

fn member<'a>(obj: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, JwsError> {
    match obj.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(JwsError::Member {
            member: name,
            reason: "is not a string".into(),
        }),
        None => Err(JwsError::Member {
            member: name,
            reason: "is missing".into(),
        }),
    }
}

fn decode(text: &str, name: &'static str) -> Result<Vec<u8>, JwsError> {
    base64url::decode(text).map_err(|e| JwsError::Member {
        member: name,
        reason: format!("is not base64url without padding: {e}"),
    })
}

/// A string member of the protected header; `None` when absent.
fn header_str<'a>(header: &'a Map<String, Value>, name: &'static str) -> Result<Option<&'a str>, JwsError> {
    match header.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(JwsError::Header {
            member: name,
            reason: "is not a string".into(),
        }),
    }
}

/// A header member that must be present.
pub(crate) fn required_str<'a>(header: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, JwsError> {
    header_str(header, name)?.ok_or(JwsError::Header {
        member: name,
        reason: "is missing".into(),
    })
}

/// Whether the inner JWS of a keyChange or a request is being parsed: they differ in nonce.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Request,
    KeyChangeInner,
}

impl ParsedJws {
    /// Parses an ACME request body: flattened JWS, protected `alg`, `nonce`, `url` and
    /// exactly one of `jwk` / `kid`.
    pub fn parse(body: &[u8]) -> Result<ParsedJws, JwsError> {
        ParsedJws::parse_as(body, Kind::Request)
    }

    /// Parses the inner JWS of a keyChange (RFC 8555 7.3.5), the outer payload: it must
    /// carry the new key as `jwk` and must not have a nonce.
    pub fn parse_key_change_inner(payload: &[u8]) -> Result<ParsedJws, JwsError> {
        let jws = ParsedJws::parse_as(payload, Kind::KeyChangeInner)?;
        match jws.protected.key {
            KeyRef::Jwk { .. } => Ok(jws),
            KeyRef::Kid(_) => Err(JwsError::ExpectedJwk),
        }
    }

    fn parse_as(body: &[u8], kind: Kind) -> Result<ParsedJws, JwsError> {
        if body.len() > MAX_JWS_BYTES {
            return Err(JwsError::TooLarge {
                size: body.len(),
                max: MAX_JWS_BYTES,
            });
        }
        let value: Value = serde_json::from_slice(body).map_err(|e| JwsError::NotJson { reason: e.to_string() })?;
        let Flattened {
            header,
            signing_input,
            payload,
            signature,
        } = flattened(&value)?;
        let alg_name = required_str(&header, "alg")?;
        let alg = Algorithm::from_name(alg_name).ok_or_else(|| JwsError::UnsupportedAlgorithm {
            alg: alg_name.to_string(),
        })?;
        let key = match (header.get("jwk"), header_str(&header, "kid")?) {
            (Some(_), Some(_)) => return Err(JwsError::JwkAndKid),
            (None, None) => return Err(JwsError::NoJwkOrKid),
            (None, Some(kid)) => KeyRef::Kid(kid.to_string()),
            (Some(jwk), None) => KeyRef::Jwk {
                key: AccountKey::from_jwk(jwk)?,
                json: jwk.clone(),
            },
        };
        let nonce = header_str(&header, "nonce")?.map(str::to_string);
        match (kind, &nonce) {
            (Kind::Request, None) => return Err(JwsError::MissingNonce),
            (Kind::Request, Some(n)) if n.is_empty() => return Err(JwsError::MissingNonce),
            (Kind::KeyChangeInner, Some(_)) => return Err(JwsError::NonceForbidden),
            _ => {}
        }
        let url = required_str(&header, "url")?.to_string();
        Ok(ParsedJws {
            protected: Protected { alg, nonce, url, key },
            signing_input,
            payload,
            signature,
        })
    }

    /// The protected header, to check `nonce` and `url` and to look up a `kid`.
    pub fn protected(&self) -> &Protected {
        &self.protected
    }

    /// Verifies a JWS that carries its key as `jwk` with that key.
    pub fn verify(self) -> Result<VerifiedJws, JwsError> {
        let key = match &self.protected.key {
            KeyRef::Jwk { key, .. } => key.clone(),
            KeyRef::Kid(_) => return Err(JwsError::ExpectedJwk),
        };
        self.finish(key)
    }

    /// Verifies a `kid` JWS with the key of the account the `kid` names.
    pub fn verify_with(self, key: &AccountKey) -> Result<VerifiedJws, JwsError> {
        if let KeyRef::Jwk { .. } = self.protected.key {
            return Err(JwsError::ExpectedKid);
        }
        self.finish(key.clone())
    }

    fn finish(self, key: AccountKey) -> Result<VerifiedJws, JwsError> {
        verify_signature(self.protected.alg, &key, &self.signing_input, &self.signature)?;
        Ok(VerifiedJws {
            protected: self.protected,
            payload: self.payload,
            key,
        })
    }
}

/// Checks a JWS signature over `signing_input` (`BASE64URL(header) "." BASE64URL(payload)`,
/// as sent): the algorithm must fit the key, an ECDSA or EdDSA signature must have its fixed
/// length (so a DER-encoded ECDSA signature is named as such), and aws-lc-rs must accept it.
pub fn verify_signature(
    alg: Algorithm,
    key: &AccountKey,
    signing_input: &[u8],
    signature: &[u8],
) -> Result<(), JwsError> {
    if !alg.fits(key) {
        return Err(JwsError::AlgorithmKeyMismatch {
            alg,
            key: key.kind().to_string(),
        });
    }
    if let Some(expected) = alg.signature_len() {
        if signature.len() != expected {
            return Err(JwsError::SignatureLength {
                alg,
                expected,
                got: signature.len(),
            });
        }
    }
    key.verifier()
        .verify_sig(signing_input, signature)
        .map_err(|_| JwsError::BadSignature)
}
