//! The OCSP responder (RFC 6960, RFC 5019 profile). Requests for one certificate by a SHA-1
//! CertID without a nonce (what RFC 5019 clients send) are answered from a cache of pre-signed
//! responses; anything else, and cache misses, is signed on demand. Every failure becomes one
//! of the RFC's unsigned error responses, never a crash.
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use ca_core::keys::KeyPair;
use ca_core::revocation::{
    build_response, error_response, parse_request, CertStatus, ErrorStatus, HashAlg, IssuerHashes, OcspCertId,
    OcspRequestInfo, Reason, Responder, SingleStatus,
};
use ca_core::serial::Serial;
use ca_store::CertIndex;
use time::{Duration, OffsetDateTime};

use crate::app::App;

/// How long a response holds (nextUpdate - thisUpdate).
pub const RESPONSE_VALIDITY: Duration = Duration::days(1);

/// A delegated responder: key and certificate from the `ocsp-signer` template.
pub struct ResponderKey {
    /// The signing key.
    pub key: KeyPair,
    /// Its certificate, DER, issued by the issuer's intermediate.
    pub cert_der: Vec<u8>,
    /// notBefore and notAfter of the certificate (renewal at 2/3 of its life).
    pub not_before: OffsetDateTime,
    /// notAfter.
    pub not_after: OffsetDateTime,
}

/// A pre-signed response.
#[derive(Clone, Debug)]
pub struct Cached {
    /// The OCSPResponse, DER.
    pub der: Arc<Vec<u8>>,
    /// Its thisUpdate; refreshed at half-life.
    pub this_update: OffsetDateTime,
}

/// Responders, issuer hashes and the response cache.
pub struct OcspState {
    hashes: BTreeMap<String, IssuerHashes>,
    responders: RwLock<BTreeMap<String, Arc<ResponderKey>>>,
    cache: RwLock<HashMap<(String, Vec<u8>), Cached>>,
}

impl OcspState {
    /// A responder for the issuers whose name/key hashes are given; no delegated keys yet
    /// (until [`OcspState::set_responder`] the issuer signs itself).
    pub fn new(hashes: BTreeMap<String, IssuerHashes>) -> OcspState {
        OcspState {
            hashes,
            responders: RwLock::new(BTreeMap::new()),
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// Installs (or replaces) the delegated responder of `issuer`; cached responses signed by
    /// the previous one stay valid until refreshed.
    pub fn set_responder(&self, issuer: &str, key: ResponderKey) {
        self.responders
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(issuer.to_string(), Arc::new(key));
    }

    /// The delegated responder of `issuer`, if any.
    pub fn responder(&self, issuer: &str) -> Option<Arc<ResponderKey>> {
        self.responders
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(issuer)
            .cloned()
    }

    /// Drops the cached response of one certificate.
    pub fn forget(&self, issuer: &str, serial: &[u8]) {
        self.cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(issuer.to_string(), serial.to_vec()));
    }

    /// Keys of cached responses produced before `before` (due for a refresh).
    pub fn stale(&self, before: OffsetDateTime) -> Vec<(String, Vec<u8>)> {
        let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
        cache
            .iter()
            .filter(|(_, c)| c.this_update < before)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Number of cached responses.
    pub fn cached(&self) -> usize {
        self.cache.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    fn lookup(&self, issuer: &str, serial: &[u8], now: OffsetDateTime) -> Option<Arc<Vec<u8>>> {
        let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
        let c = cache.get(&(issuer.to_string(), serial.to_vec()))?;
        // Never serve a response in its last hour: clients would cache it past nextUpdate.
        (now < c.this_update + RESPONSE_VALIDITY - Duration::hours(1)).then(|| c.der.clone())
    }

    fn store(&self, issuer: &str, serial: &[u8], der: Arc<Vec<u8>>, this_update: OffsetDateTime) {
        self.cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert((issuer.to_string(), serial.to_vec()), Cached { der, this_update });
    }

    fn issuer_of(&self, id: &OcspCertId) -> Option<&str> {
        self.hashes.iter().find(|(_, h)| h.matches(id)).map(|(n, _)| n.as_str())
    }
}

/// The first step of answering: either the answer itself (a cached response or an error), or
/// the parsed request that must be signed on demand.
pub enum OcspStep {
    /// Send this.
    Ready(Arc<Vec<u8>>),
    /// Sign with [`App::ocsp_sign`] (blocking work).
    Sign {
        /// The parsed request.
        request: OcspRequestInfo,
        /// The issuer every CertID names.
        issuer: String,
    },
}

impl App {
    /// Answers one DER OCSPRequest as far as possible without signing: parse, find the issuer,
    /// look up the pre-signed cache. Cheap enough to run on the async workers.
    pub fn ocsp_lookup(&self, request: &[u8], now: OffsetDateTime) -> OcspStep {
        let ocsp = &self.revocation.ocsp;
        let req = match parse_request(request) {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!("malformed OCSP request: {e}");
                crate::metrics::ocsp("malformed");
                return OcspStep::Ready(Arc::new(error_response(ErrorStatus::MalformedRequest)));
            }
        };
        let Some(issuer) = req.cert_ids.first().and_then(|id| ocsp.issuer_of(id)) else {
            crate::metrics::ocsp("unauthorized");
            return OcspStep::Ready(Arc::new(error_response(ErrorStatus::Unauthorized)));
        };
        if req.cert_ids.iter().any(|id| ocsp.issuer_of(id) != Some(issuer)) {
            crate::metrics::ocsp("unauthorized");
            return OcspStep::Ready(Arc::new(error_response(ErrorStatus::Unauthorized)));
        }
        if cacheable(&req) {
            if let Some(der) = ocsp.lookup(issuer, req.cert_ids[0].serial.as_bytes(), now) {
                crate::metrics::ocsp("cache");
                return OcspStep::Ready(der);
            }
        }
        OcspStep::Sign {
            issuer: issuer.to_string(),
            request: req,
        }
    }

    /// Signs the answer to a request [`App::ocsp_lookup`] could not answer, caching it when it
    /// is of the pre-signed kind.
    pub fn ocsp_sign(&self, req: &OcspRequestInfo, issuer: &str, now: OffsetDateTime) -> Arc<Vec<u8>> {
        match self.sign_ocsp(issuer, &req.cert_ids, req.nonce.as_deref(), now) {
            Ok(der) => {
                let der = Arc::new(der);
                if cacheable(req) {
                    self.revocation
                        .ocsp
                        .store(issuer, req.cert_ids[0].serial.as_bytes(), der.clone(), now);
                }
                crate::metrics::ocsp("signed");
                der
            }
            Err(e) => {
                tracing::error!("OCSP response for issuer {issuer} failed: {e}");
                crate::metrics::ocsp("error");
                Arc::new(error_response(ErrorStatus::InternalError))
            }
        }
    }

    /// Signs (or re-signs) the cached SHA-1, no-nonce response for one certificate.
    pub fn presign_ocsp(&self, issuer: &str, serial: &[u8], now: OffsetDateTime) -> Result<(), String> {
        let hashes = self
            .revocation
            .ocsp
            .hashes
            .get(issuer)
            .ok_or_else(|| format!("unknown issuer {issuer}"))?;
        let id =
            OcspCertId::for_serial(hashes, HashAlg::Sha1, &Serial::from_bytes(serial)).map_err(|e| e.to_string())?;
        let der = self.sign_ocsp(issuer, &[id], None, now)?;
        self.revocation.ocsp.store(issuer, serial, Arc::new(der), now);
        Ok(())
    }

    fn sign_ocsp(
        &self,
        issuer: &str,
        ids: &[OcspCertId],
        nonce: Option<&[u8]>,
        now: OffsetDateTime,
    ) -> Result<Vec<u8>, String> {
        let now = now.replace_nanosecond(0).unwrap_or(now);
        let mut answers = Vec::with_capacity(ids.len());
        for id in ids {
            answers.push(SingleStatus {
                cert_id: id,
                status: self.cert_status(issuer, &id.serial)?,
                this_update: now,
                next_update: now + RESPONSE_VALIDITY,
            });
        }
        let delegated = self.revocation.ocsp.responder(issuer);
        let responder = match &delegated {
            Some(r) => Responder::delegated(&r.key, &r.cert_der),
            None => Responder::issuer(
                self.auth
                    .intermediate(issuer)
                    .ok_or_else(|| format!("issuer {issuer} is not unlocked"))?,
            ),
        };
        build_response(&responder, now, &answers, nonce).map_err(|e| e.to_string())
    }

    fn cert_status(&self, issuer: &str, serial: &Serial) -> Result<CertStatus, String> {
        let found = self.store.find_serial(serial.as_bytes()).map_err(|e| e.to_string())?;
        // The intermediate answers for what it signed; what the root signed is on the root's CRL.
        let rec = found.into_iter().find(|r| r.issuer == issuer && !self.root_signed(r));
        Ok(match rec {
            None => CertStatus::Unknown,
            Some(rec) => match rec.revocation {
                None => CertStatus::Good,
                Some(r) => CertStatus::Revoked {
                    at: OffsetDateTime::from_unix_timestamp(r.time).unwrap_or(OffsetDateTime::UNIX_EPOCH),
                    reason: Reason::from_code(r.reason).unwrap_or(Reason::Unspecified),
                },
            },
        })
    }
}

/// RFC 5019 requests: one certificate, SHA-1 CertID, no nonce. Their answers are pre-signed.
fn cacheable(req: &OcspRequestInfo) -> bool {
    req.nonce.is_none() && req.cert_ids.len() == 1 && req.cert_ids[0].hash == HashAlg::Sha1
}
