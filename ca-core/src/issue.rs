//! The issuance pipeline: one path for every front door. [`CertRequest`] (parsed and verified)
//! -> [`policy::plan`] (key, subject, SAN, validity rules) -> [`IssuingCa::issue`] (extensions
//! from the profile only, never copied from the CSR) -> signed DER. Persisting the result in one
//! durable transaction, and the audit record, are the caller's (the store's) part.
use der::{Decode, Encode};
use time::{Duration, OffsetDateTime};
use x509_cert::certificate::Certificate;
use x509_cert::ext::pkix::SubjectKeyIdentifier;
use x509_cert::name::Name;
use x509_parser::prelude::FromDer;

use crate::certbuild::{key_identifier, sign_certificate, CertSpec};
use crate::csr::CertRequest;
use crate::error::{Error, PolicyError};
use crate::ext;
use crate::name::display_name;
use crate::policy::{self, Plan};
use crate::profile::{Profile, ProfileKind};
use crate::serial::Serial;
use crate::signer::Signer;

/// How far certificates are backdated, to tolerate relying parties with slow clocks.
pub const BACKDATE: Duration = Duration::seconds(60);

/// CRL distribution point and AIA URLs an issuer writes into what it signs.
#[derive(Clone, Debug, Default)]
pub struct IssuerUrls {
    pub crl: Vec<String>,
    pub ocsp: Vec<String>,
    pub ca_issuers: Vec<String>,
}

/// An issuing CA: its certificate and a signer for its key. Constructing one checks that the
/// key matches the certificate, so a mixed-up key file fails at start, not at first issuance.
pub struct IssuingCa {
    pub name: String,
    cert_der: Vec<u8>,
    subject: Name,
    ski: Vec<u8>,
    not_after: OffsetDateTime,
    signer: Box<dyn Signer>,
    pub urls: IssuerUrls,
}

/// A signed certificate and what the index records about it.
#[derive(Clone, Debug)]
pub struct Issued {
    pub serial: Serial,
    pub der: Vec<u8>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub subject: String,
    pub sans: Vec<String>,
    pub profile: String,
}

impl IssuingCa {
    /// Wraps an issuing certificate and its signer.
    pub fn new(name: &str, cert_der: Vec<u8>, signer: Box<dyn Signer>, urls: IssuerUrls) -> Result<Self, Error> {
        let cert = Certificate::from_der(&cert_der).map_err(|e| Error::Issuer(e.to_string()))?;
        let tbs = &cert.tbs_certificate;
        let spki = tbs
            .subject_public_key_info
            .to_der()
            .map_err(|e| Error::Issuer(e.to_string()))?;
        if spki != signer.public_key_der() {
            return Err(Error::Issuer(format!(
                "the private key of issuer {name} does not match its certificate"
            )));
        }
        // Byte-identical issuer names: make sure re-encoding the decoded subject reproduces it.
        let (_, parsed) =
            x509_parser::certificate::X509Certificate::from_der(&cert_der).map_err(|e| Error::Issuer(e.to_string()))?;
        let subject = tbs.subject.clone();
        if subject.to_der().map_err(|e| Error::Issuer(e.to_string()))? != parsed.tbs_certificate.subject.as_raw() {
            return Err(Error::Issuer(format!(
                "subject of issuer {name} is not DER and cannot be copied byte for byte"
            )));
        }
        let ski = match tbs.get::<SubjectKeyIdentifier>() {
            Ok(Some((_, ski))) => ski.0.as_bytes().to_vec(),
            _ => key_identifier(&spki)?,
        };
        let not_after = OffsetDateTime::from_unix_timestamp(tbs.validity.not_after.to_unix_duration().as_secs() as i64)
            .map_err(|e| Error::Issuer(e.to_string()))?;
        Ok(IssuingCa {
            name: name.to_string(),
            cert_der,
            subject,
            ski,
            not_after,
            signer,
            urls,
        })
    }

    /// The issuing certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }
    /// The issuer's subject key identifier (AKI of what it signs).
    pub fn ski(&self) -> &[u8] {
        &self.ski
    }
    /// The issuer's subject name.
    pub fn subject(&self) -> &Name {
        &self.subject
    }
    /// When the issuing certificate expires; nothing it signs outlives it.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }
    /// The signer, for CRLs and OCSP responses.
    pub fn signer(&self) -> &dyn Signer {
        self.signer.as_ref()
    }

    /// Checks `req` against `profile` and returns the plan (no signature yet). Used for the
    /// approval queue's verdict and re-run at approval time.
    pub fn check(&self, req: &CertRequest, profile: &Profile, days: Option<i64>) -> Result<Plan, Error> {
        if profile.issuer != self.name {
            return Err(Error::Issuer(format!(
                "profile {} signs with issuer {}, not {}",
                profile.name, profile.issuer, self.name
            )));
        }
        Ok(policy::plan(req, profile, days)?)
    }

    /// The whole pipeline for one request: policy, then build and sign.
    pub fn issue(
        &self,
        req: &CertRequest,
        profile: &Profile,
        days: Option<i64>,
        serial: Serial,
        now: OffsetDateTime,
    ) -> Result<Issued, Error> {
        let plan = self.check(req, profile, days)?;
        self.sign_plan(&plan, req.spki_der(), profile, serial, now)
    }

    /// Builds and signs a certificate for an already checked plan.
    pub fn sign_plan(
        &self,
        plan: &Plan,
        spki_der: &[u8],
        profile: &Profile,
        serial: Serial,
        now: OffsetDateTime,
    ) -> Result<Issued, Error> {
        let now = now.replace_nanosecond(0).unwrap_or(now);
        let not_before = now - BACKDATE;
        let not_after = (now + Duration::days(i64::from(plan.days))).min(self.not_after);
        if not_after <= now {
            return Err(PolicyError::IssuerExpired.into());
        }
        let extensions = self.extensions(plan, spki_der, profile)?;
        let der = sign_certificate(
            CertSpec {
                serial: &serial,
                subject: &plan.subject,
                spki_der,
                not_before,
                not_after,
                extensions,
            },
            &self.subject,
            self.signer.as_ref(),
        )?;
        Ok(Issued {
            serial,
            der,
            not_before,
            not_after,
            subject: display_name(&plan.subject),
            sans: plan.sans.iter().map(|s| s.to_string()).collect(),
            profile: profile.name.clone(),
        })
    }

    fn extensions(
        &self,
        plan: &Plan,
        spki_der: &[u8],
        profile: &Profile,
    ) -> Result<Vec<x509_cert::ext::Extension>, Error> {
        let mut v = Vec::new();
        match profile.kind {
            ProfileKind::Ca { path_len } => v.push(ext::basic_constraints(true, path_len)?),
            _ => v.push(ext::basic_constraints(false, None)?),
        }
        v.push(ext::key_usage(plan.key_usage)?);
        if !profile.extended_key_usage.is_empty() {
            v.push(ext::extended_key_usage(&profile.extended_key_usage)?);
        }
        if !plan.sans.is_empty() {
            v.push(ext::subject_alt_name(&plan.sans, plan.subject.0.is_empty())?);
        }
        v.push(ext::subject_key_id(&key_identifier(spki_der)?)?);
        v.push(ext::authority_key_id(&self.ski)?);
        if profile.kind == ProfileKind::OcspSigner {
            v.push(ext::ocsp_nocheck()?);
            return Ok(v);
        }
        let crl = profile.urls.crl.as_ref().unwrap_or(&self.urls.crl);
        if !crl.is_empty() {
            v.push(ext::crl_distribution_points(crl)?);
        }
        let ocsp = profile.urls.ocsp.as_ref().unwrap_or(&self.urls.ocsp);
        let ca_issuers = profile.urls.ca_issuers.as_ref().unwrap_or(&self.urls.ca_issuers);
        if !ocsp.is_empty() || !ca_issuers.is_empty() {
            v.push(ext::authority_info_access(ocsp, ca_issuers)?);
        }
        Ok(v)
    }
}
