//! Templates: a TOML [`spec::ProfileSpec`] becomes a validated [`Profile`] (parse, don't validate).
//! Everything the pipeline needs is checked here once, at load, with the file and field named.
pub mod spec;
mod usage;

use std::collections::BTreeMap;

use const_oid::ObjectIdentifier;
use regex::Regex;

pub use self::usage::{eku_name, eku_oid, key_usage_names, parse_key_usage, usable_for_key, KeyUsageSet};
use crate::error::ProfileError;
use crate::name::attr_oid;
use spec::ProfileSpec;

/// What kind of certificate a template makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileKind {
    /// An end-entity certificate (CA:FALSE).
    Leaf,
    /// A subordinate CA with the given path length constraint.
    Ca { path_len: Option<u8> },
    /// A delegated OCSP responder (EKU OCSPSigning, id-pkix-ocsp-nocheck).
    OcspSigner,
}

/// Whether a request is issued at once or waits for an administrator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Approval {
    Auto,
    Manual,
}

/// Who may submit requests for a template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Enroll {
    Open,
    Token,
}

/// CN presence rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CnRule {
    Required,
    Optional,
    Forbidden,
}

/// Key rules of a template.
#[derive(Clone, Debug)]
pub struct KeyRules {
    pub families: Vec<String>,
    pub rsa_min_bits: usize,
    pub ec_curves: Vec<String>,
}

/// Subject rules of a template.
#[derive(Clone, Debug)]
pub struct SubjectRules {
    pub cn: CnRule,
    pub cn_fixed: Option<String>,
    pub cn_pattern: Option<Regex>,
    /// RDN types copied from the request, in the order given.
    pub keep: Vec<ObjectIdentifier>,
}

/// SAN rules of a template.
#[derive(Clone, Debug)]
pub struct SanRules {
    pub include_cn: bool,
    pub dns_suffixes: Vec<String>,
    pub allow_ip: bool,
    pub allow_email: bool,
    pub max: usize,
}

/// URL overrides; `None` means "use the issuer's".
#[derive(Clone, Debug, Default)]
pub struct UrlOverrides {
    pub crl: Option<Vec<String>>,
    pub ocsp: Option<Vec<String>>,
    pub ca_issuers: Option<Vec<String>>,
}

/// A validated template.
#[derive(Clone, Debug)]
pub struct Profile {
    pub name: String,
    pub description: String,
    pub issuer: String,
    /// Signed by the issuer's root key instead of its intermediate.
    pub sign_with_root: bool,
    pub kind: ProfileKind,
    pub key_usage: KeyUsageSet,
    pub extended_key_usage: Vec<ObjectIdentifier>,
    pub approval: Approval,
    pub approvals: u32,
    pub enroll: Enroll,
    pub default_days: u32,
    pub max_days: u32,
    pub keys: KeyRules,
    pub subject: SubjectRules,
    pub san: SanRules,
    pub urls: UrlOverrides,
    pub renewal_window_days: u32,
    /// ACME: an order of an account that already holds a live certificate of this template for
    /// exactly the same names is issued without approval (first issuance stays manual).
    pub acme_renewal_auto: bool,
}

impl Profile {
    /// Parses and validates one profile file. `file` is used in messages, `name` is the
    /// template name (the file stem).
    pub fn from_toml(file: &str, name: &str, text: &str) -> Result<Profile, ProfileError> {
        let spec: ProfileSpec = toml::from_str(text).map_err(|e| ProfileError::Parse {
            file: file.into(),
            message: e.message().to_string(),
        })?;
        Self::from_spec(file, name, spec)
    }

    fn from_spec(file: &str, name: &str, s: ProfileSpec) -> Result<Profile, ProfileError> {
        let field = |field: &str, message: String| ProfileError::Field {
            file: file.into(),
            field: field.into(),
            message,
        };
        if s.issuer.trim().is_empty() {
            return Err(field("issuer", "must name an issuer of ca.toml".into()));
        }
        let key_usage = parse_key_usage(&s.key_usage).map_err(|m| field("key_usage", m))?;
        let mut extended_key_usage = Vec::new();
        for e in &s.extended_key_usage {
            extended_key_usage
                .push(eku_oid(e).ok_or_else(|| field("extended_key_usage", format!("unknown usage {e:?}")))?);
        }
        let kind = match s.kind.as_str() {
            "leaf" => ProfileKind::Leaf,
            "ca" => ProfileKind::Ca { path_len: s.path_len },
            "ocsp" => ProfileKind::OcspSigner,
            other => return Err(field("kind", format!("{other:?} is not leaf, ca or ocsp"))),
        };
        usage::check_for_kind(kind, key_usage).map_err(|m| field("key_usage", m))?;
        if s.path_len.is_some() && !matches!(kind, ProfileKind::Ca { .. }) {
            return Err(field(
                "path_len",
                "only a kind = \"ca\" profile has a path length".into(),
            ));
        }
        let sign_with_root = match s.signer.as_str() {
            "intermediate" => false,
            "root" => true,
            other => return Err(field("signer", format!("{other:?} is not intermediate or root"))),
        };
        let approval = match s.approval.as_str() {
            "auto" => Approval::Auto,
            "manual" => Approval::Manual,
            other => return Err(field("approval", format!("{other:?} is not auto or manual"))),
        };
        let acme_renewal_auto = match s.acme_renewal.as_deref() {
            None | Some("approval") => false,
            Some("auto") => true,
            Some(other) => return Err(field("acme_renewal", format!("{other:?} is not approval or auto"))),
        };
        if s.approvals == 0 || s.approvals > 5 {
            return Err(field("approvals", format!("{} is not between 1 and 5", s.approvals)));
        }
        let enroll = match s.enroll.as_str() {
            "open" => Enroll::Open,
            "token" => Enroll::Token,
            other => return Err(field("enroll", format!("{other:?} is not open or token"))),
        };
        if s.validity.default_days == 0 || s.validity.default_days > s.validity.max_days {
            return Err(field(
                "validity.default_days",
                format!(
                    "{} must be between 1 and max_days ({})",
                    s.validity.default_days, s.validity.max_days
                ),
            ));
        }
        for f in &s.keys.allowed {
            if !["rsa", "ecdsa", "ed25519"].contains(&f.as_str()) {
                return Err(field("keys.allowed", format!("{f:?} is not rsa, ecdsa or ed25519")));
            }
        }
        if s.keys.rsa_min_bits < 2048 {
            return Err(field(
                "keys.rsa_min_bits",
                format!("{} is below 2048, which no CA should accept", s.keys.rsa_min_bits),
            ));
        }
        for c in &s.keys.ec_curves {
            if !["P-256", "P-384", "P-521"].contains(&c.as_str()) {
                return Err(field("keys.ec_curves", format!("{c:?} is not P-256, P-384 or P-521")));
            }
        }
        let cn = match s.subject.cn.as_deref().unwrap_or("optional") {
            "required" => CnRule::Required,
            "optional" => CnRule::Optional,
            "forbidden" => CnRule::Forbidden,
            other => {
                return Err(field(
                    "subject.cn",
                    format!("{other:?} is not required, optional or forbidden"),
                ))
            }
        };
        let cn_pattern = match &s.subject.cn_pattern {
            Some(p) => Some(Regex::new(&format!("^(?:{p})$")).map_err(|e| field("subject.cn_pattern", e.to_string()))?),
            None => None,
        };
        let keep_names = s
            .subject
            .keep
            .clone()
            .unwrap_or_else(|| ["CN", "O", "OU", "L", "ST", "C"].map(String::from).to_vec());
        let mut keep = Vec::new();
        for k in &keep_names {
            keep.push(
                attr_oid(k)
                    .ok_or_else(|| field("subject.keep", format!("unknown attribute type {k:?}")))?
                    .0,
            );
        }
        let max = s.san.max.unwrap_or(100);
        if max == 0 {
            return Err(field("san.max", "must allow at least one SAN".into()));
        }
        for (key, list) in [
            ("urls.crl", &s.urls.crl),
            ("urls.ocsp", &s.urls.ocsp),
            ("urls.ca_issuers", &s.urls.ca_issuers),
        ] {
            for u in list.iter().flatten() {
                if !u.starts_with("http://") {
                    return Err(field(
                        key,
                        format!("{u:?} must be an http:// URL (relying parties fetch it without TLS)"),
                    ));
                }
            }
        }
        let dns_suffixes = s
            .san
            .dns_suffixes
            .iter()
            .map(|d| d.trim_start_matches('.').to_ascii_lowercase())
            .collect();
        Ok(Profile {
            name: name.to_string(),
            description: s.description,
            issuer: s.issuer,
            sign_with_root,
            kind,
            key_usage,
            extended_key_usage,
            approval,
            approvals: s.approvals,
            enroll,
            default_days: s.validity.default_days,
            max_days: s.validity.max_days,
            keys: KeyRules {
                families: s.keys.allowed,
                rsa_min_bits: s.keys.rsa_min_bits,
                ec_curves: s.keys.ec_curves,
            },
            subject: SubjectRules {
                cn,
                cn_fixed: s.subject.cn_fixed,
                cn_pattern,
                keep,
            },
            san: SanRules {
                include_cn: s.san.include_cn.unwrap_or(true),
                dns_suffixes,
                allow_ip: s.san.allow_ip,
                allow_email: s.san.allow_email,
                max,
            },
            urls: UrlOverrides {
                crl: s.urls.crl,
                ocsp: s.urls.ocsp,
                ca_issuers: s.urls.ca_issuers,
            },
            renewal_window_days: s.renewal_window_days.unwrap_or(30),
            acme_renewal_auto,
        })
    }
}

/// The loaded templates of a CA home, looked up case-insensitively like AD CS template names.
#[derive(Clone, Debug, Default)]
pub struct Profiles {
    by_name: BTreeMap<String, Profile>,
}

impl Profiles {
    /// Adds a profile; a second one with the same name (ignoring case) is an error.
    pub fn insert(&mut self, file: &str, profile: Profile) -> Result<(), ProfileError> {
        let key = profile.name.to_ascii_lowercase();
        if self.by_name.contains_key(&key) {
            return Err(ProfileError::Field {
                file: file.into(),
                field: "name".into(),
                message: format!("a profile named {} already exists", profile.name),
            });
        }
        self.by_name.insert(key, profile);
        Ok(())
    }

    /// The profile of that name.
    pub fn get(&self, name: &str) -> Result<&Profile, ProfileError> {
        self.by_name
            .get(&name.to_ascii_lowercase())
            .ok_or_else(|| ProfileError::Unknown(name.to_string()))
    }

    /// Every profile, ordered by name.
    pub fn iter(&self) -> impl Iterator<Item = &Profile> {
        self.by_name.values()
    }
}
