//! The issuing service shared by the CLI (offline issuance) and the daemon: template lookup, the
//! core pipeline, serial allocation, and the durable index commit, in that order. A certificate
//! is returned only after its record is committed, so nothing handed out can be lost.
use std::collections::BTreeMap;
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use ca_core::csr::CertRequest;
use ca_core::issue::IssuingCa;
use ca_core::policy::Plan;
use ca_core::profile::{Profile, Profiles};
use ca_core::serial::Serial;
use time::OffsetDateTime;

use super::config::SerialMode;
use super::{CaHome, HomeError};
use crate::error::StoreError;
use crate::index::CertIndex;
use crate::queue::{NewRequest, RequestRecord};
use crate::record::CertRecord;

/// How many fresh random serials to try when one collides (2^-72 odds within one millisecond:
/// this is for sequential counters edited by hand, and for safety).
const SERIAL_ATTEMPTS: usize = 5;

/// A certificate that is durably in the index, with its chain (leaf first, root last).
#[derive(Clone, Debug)]
pub struct IssuedCert {
    pub record: CertRecord,
    pub chain: Vec<Vec<u8>>,
}

/// Which signing keys to unlock: each costs a PBKDF2 derivation, so load only what is needed.
#[derive(Clone, Debug, Default)]
pub struct KeyScope {
    pub intermediates: Vec<String>,
    pub roots: Vec<String>,
}

impl KeyScope {
    /// Every issuer's intermediate (the daemon).
    pub fn all_intermediates(home: &CaHome) -> KeyScope {
        KeyScope {
            intermediates: home.config.issuers.keys().cloned().collect(),
            roots: vec![],
        }
    }

    /// Just what `profile` signs with.
    pub fn for_profile(profile: &Profile) -> KeyScope {
        let name = vec![profile.issuer.clone()];
        if profile.sign_with_root {
            KeyScope {
                intermediates: vec![],
                roots: name,
            }
        } else {
            KeyScope {
                intermediates: name,
                roots: vec![],
            }
        }
    }
}

/// The issuing service of one CA home.
pub struct Authority {
    home: CaHome,
    profiles: Profiles,
    intermediates: BTreeMap<String, IssuingCa>,
    roots: BTreeMap<String, IssuingCa>,
    root_ders: BTreeMap<String, Vec<u8>>,
    index: Arc<dyn CertIndex>,
    rng: SystemRandom,
}

impl Authority {
    /// Loads templates and unlocks the keys in `scope`.
    pub fn open(
        home: CaHome,
        index: Arc<dyn CertIndex>,
        passphrase: &[u8],
        scope: &KeyScope,
    ) -> Result<Authority, HomeError> {
        let profiles = home.load_profiles()?;
        let mut intermediates = BTreeMap::new();
        for name in &scope.intermediates {
            intermediates.insert(name.clone(), home.load_issuer(name, passphrase)?);
        }
        let mut roots = BTreeMap::new();
        for name in &scope.roots {
            roots.insert(name.clone(), home.load_root(name, passphrase)?);
        }
        let mut root_ders = BTreeMap::new();
        for name in home.config.issuers.keys() {
            root_ders.insert(name.clone(), home.root_der(name)?);
        }
        Ok(Authority {
            home,
            profiles,
            intermediates,
            roots,
            root_ders,
            index,
            rng: SystemRandom::new(),
        })
    }

    /// The loaded templates.
    pub fn profiles(&self) -> &Profiles {
        &self.profiles
    }

    /// The CA home.
    pub fn home(&self) -> &CaHome {
        &self.home
    }

    /// The certificate index.
    pub fn index(&self) -> &Arc<dyn CertIndex> {
        &self.index
    }

    /// The unlocked intermediate of issuer `name` (CRL and OCSP signing), if in scope.
    pub fn intermediate(&self, name: &str) -> Option<&IssuingCa> {
        self.intermediates.get(name)
    }

    /// The CA that signs for `profile`, or an error saying how to get it.
    pub fn signer_for(&self, profile: &Profile) -> Result<&IssuingCa, HomeError> {
        self.home.issuer_config(&profile.issuer).map_err(|e| match e {
            HomeError::UnknownIssuer { name, hint } => HomeError::UnknownIssuer {
                name: name.clone(),
                hint: format!(" (template {} signs with it){hint}", profile.name),
            },
            other => other,
        })?;
        let map = if profile.sign_with_root {
            &self.roots
        } else {
            &self.intermediates
        };
        let which = if profile.sign_with_root { "root" } else { "intermediate" };
        map.get(&profile.issuer)
            .ok_or_else(|| HomeError::Locked(format!("{which} {}", profile.issuer)))
    }

    /// Runs the whole pipeline for a CSR and commits the certificate durably.
    pub fn issue(
        &self,
        csr: &[u8],
        template: &str,
        days: Option<i64>,
        request_id: Option<u64>,
        now: OffsetDateTime,
    ) -> Result<IssuedCert, HomeError> {
        let profile = self.profiles.get(template).map_err(ca_core::Error::from)?;
        let req = CertRequest::parse(csr).map_err(ca_core::Error::from)?;
        self.issue_request(&req, profile, days, request_id, now)
    }

    /// As [`Authority::issue`] for an already parsed request (approval queue, renewal).
    pub fn issue_request(
        &self,
        req: &CertRequest,
        profile: &Profile,
        days: Option<i64>,
        request_id: Option<u64>,
        now: OffsetDateTime,
    ) -> Result<IssuedCert, HomeError> {
        let plan = self.signer_for(profile)?.check(req, profile, days)?;
        self.issue_plan(&plan, req.spki_der(), profile, request_id, now)
    }

    /// Signs an already checked plan for `spki_der` and commits it (renewals build the plan
    /// themselves). A serial that collides with a stored one is drawn again.
    pub fn issue_plan(
        &self,
        plan: &Plan,
        spki_der: &[u8],
        profile: &Profile,
        request_id: Option<u64>,
        now: OffsetDateTime,
    ) -> Result<IssuedCert, HomeError> {
        self.sign_and_store(plan, spki_der, profile, request_id, now, |record| {
            self.index.insert_issued(record)
        })
        .map(|(cert, ())| cert)
    }

    /// Like [`Authority::issue_plan`] for a request that is issued at once: the request
    /// (`req`, using up `token_hash`) and its certificate are stored in one durable commit
    /// ([`CertIndex::submit_issued`]). Returns the stored request (issued) and the certificate.
    pub fn issue_new_request(
        &self,
        plan: &Plan,
        spki_der: &[u8],
        profile: &Profile,
        req: &NewRequest,
        token_hash: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(IssuedCert, RequestRecord), HomeError> {
        let (mut cert, request) = self.sign_and_store(plan, spki_der, profile, None, now, |record| {
            self.index.submit_issued(req.clone(), token_hash, record)
        })?;
        cert.record.request_id = Some(request.id);
        Ok((cert, request))
    }

    /// Draws a serial, signs, and hands the record to `store`; draws again when the serial
    /// collides with a stored one.
    fn sign_and_store<T>(
        &self,
        plan: &Plan,
        spki_der: &[u8],
        profile: &Profile,
        request_id: Option<u64>,
        now: OffsetDateTime,
        store: impl Fn(CertRecord) -> Result<T, StoreError>,
    ) -> Result<(IssuedCert, T), HomeError> {
        let ca = self.signer_for(profile)?;
        let mode = self.home.issuer_config(&profile.issuer)?.serial;
        let start = self
            .home
            .issuer_config(&profile.issuer)?
            .serial_start_value()
            .unwrap_or(0x1000);
        let mut last = None;
        for _ in 0..SERIAL_ATTEMPTS {
            let serial = match mode {
                SerialMode::Random => Serial::random(&self.rng, now)?,
                SerialMode::Sequential => Serial::from_u128(self.index.next_sequential_serial(&profile.issuer, start)?),
            };
            let issued = ca.sign_plan(plan, spki_der, profile, serial, now)?;
            let record = CertRecord {
                issuer: profile.issuer.clone(),
                serial: issued.serial.as_bytes().to_vec(),
                der: issued.der,
                subject: issued.subject,
                sans: issued.sans,
                profile: profile.name.clone(),
                not_before: issued.not_before.unix_timestamp(),
                not_after: issued.not_after.unix_timestamp(),
                issued_at: now.unix_timestamp(),
                request_id,
                revocation: None,
            };
            match store(record.clone()) {
                Ok(stored) => {
                    let chain = self.chain(profile, record.der.clone());
                    return Ok((IssuedCert { record, chain }, stored));
                }
                Err(e @ StoreError::DuplicateSerial { .. }) => last = Some(e),
                Err(e) => return Err(e.into()),
            }
        }
        Err(last.expect("SERIAL_ATTEMPTS > 0").into())
    }

    fn chain(&self, profile: &Profile, leaf: Vec<u8>) -> Vec<Vec<u8>> {
        let mut chain = vec![leaf];
        if !profile.sign_with_root {
            if let Some(ca) = self.intermediates.get(&profile.issuer) {
                chain.push(ca.cert_der().to_vec());
            }
        }
        if let Some(root) = self.root_ders.get(&profile.issuer) {
            chain.push(root.clone());
        }
        chain
    }
}
