//! The rules a profile enforces on a verified request: key, subject, SANs, validity. The result is
//! a [`Plan`]: exactly what will be certified, so approval screens and the builder agree.
use std::net::IpAddr;

use const_oid::db::rfc4519;
use der::asn1::SetOfVec;
use x509_cert::name::{Name, RelativeDistinguishedName};

use crate::csr::{CertRequest, KeyInfo, San};
use crate::error::PolicyError;
use crate::name::{common_name, values_of};
use crate::profile::{usable_for_key, CnRule, KeyUsageSet, Profile};

/// What a request will be certified as, once the profile has had its say.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The subject, reduced to the RDN types the profile keeps.
    pub subject: Name,
    /// SANs after filtering, CN included when the profile says so.
    pub sans: Vec<San>,
    /// Key usage bits that suit the request's key.
    pub key_usage: KeyUsageSet,
    /// Validity in days after clamping to the profile's maximum.
    pub days: u32,
    /// True when the requested validity was cut to the profile's maximum.
    pub clamped: bool,
}

/// Runs every profile rule over `req`; `days` is the validity asked for, if any.
pub fn plan(req: &CertRequest, profile: &Profile, days: Option<i64>) -> Result<Plan, PolicyError> {
    check_key(req.key(), profile)?;
    let mut subject = filter_subject(req.subject(), profile);
    if common_name(&subject).is_none() && profile.subject.cn == CnRule::Required {
        // ACME clients (certbot among them) send a CSR with SANs and an empty subject; the
        // first DNS name (else the first IP address) becomes the CN, as public ACME CAs do.
        let sans = req.requested_sans();
        let first = sans
            .iter()
            .find_map(|s| match s {
                San::Dns(d) => Some(d.clone()),
                _ => None,
            })
            .or_else(|| {
                sans.iter().find_map(|s| match s {
                    San::Ip(ip) => Some(ip.to_string()),
                    _ => None,
                })
            });
        if let Some(first) = first {
            if let Ok(cn) = crate::name::attribute("CN", &first) {
                if let Ok(set) = SetOfVec::try_from(vec![cn]) {
                    let mut rdns = subject.0.clone();
                    rdns.push(RelativeDistinguishedName::from(set));
                    subject = Name::from(rdns);
                }
            }
        }
    }
    let cn = common_name(&subject);
    check_cn(cn.as_deref(), profile)?;
    let sans = collect_sans(req, cn.as_deref(), profile)?;
    if subject.0.is_empty() && sans.is_empty() {
        return Err(PolicyError::EmptyName {
            profile: profile.name.clone(),
        });
    }
    let asked = days.unwrap_or(i64::from(profile.default_days));
    if asked <= 0 {
        return Err(PolicyError::BadValidity { days: asked });
    }
    let clamped = asked > i64::from(profile.max_days);
    let days = if clamped { profile.max_days } else { asked as u32 };
    let key_usage = usable_for_key(profile.key_usage, req.key());
    if key_usage.is_empty() {
        return Err(PolicyError::NoUsableKeyUsage {
            profile: profile.name.clone(),
            kind: req.key().to_string(),
        });
    }
    Ok(Plan {
        subject,
        sans,
        key_usage,
        days,
        clamped,
    })
}

/// The plan of a renewal: the identity (subject, SANs) of the certificate being renewed, the
/// key of the new request (or the old one), and today's rules of the template.
pub fn renewal_plan(subject: &Name, sans: &[San], key: &KeyInfo, profile: &Profile) -> Result<Plan, PolicyError> {
    check_key(key, profile)?;
    let subject = filter_subject(subject, profile);
    check_cn(common_name(&subject).as_deref(), profile)?;
    for s in sans {
        check_san(s, profile)?;
    }
    if sans.len() > profile.san.max {
        return Err(PolicyError::TooManySans {
            profile: profile.name.clone(),
            count: sans.len(),
            max: profile.san.max,
        });
    }
    let key_usage = usable_for_key(profile.key_usage, key);
    if key_usage.is_empty() {
        return Err(PolicyError::NoUsableKeyUsage {
            profile: profile.name.clone(),
            kind: key.to_string(),
        });
    }
    Ok(Plan {
        subject,
        sans: sans.to_vec(),
        key_usage,
        days: profile.default_days,
        clamped: false,
    })
}

fn check_key(key: &KeyInfo, p: &Profile) -> Result<(), PolicyError> {
    let family = key.family();
    if !p.keys.families.iter().any(|f| f == family) {
        return Err(PolicyError::KeyTypeNotAllowed {
            profile: p.name.clone(),
            kind: key.to_string(),
            allowed: p.keys.families.join(", "),
        });
    }
    match key {
        KeyInfo::Rsa { bits } if *bits < p.keys.rsa_min_bits => Err(PolicyError::RsaTooSmall {
            bits: *bits,
            min: p.keys.rsa_min_bits,
        }),
        KeyInfo::Ec { curve } if !p.keys.ec_curves.contains(curve) => Err(PolicyError::KeyTypeNotAllowed {
            profile: p.name.clone(),
            kind: key.to_string(),
            allowed: p.keys.ec_curves.join(", "),
        }),
        _ => Ok(()),
    }
}

fn filter_subject(subject: &Name, p: &Profile) -> Name {
    let mut rdns = Vec::new();
    for rdn in subject.0.iter() {
        let kept: Vec<_> = rdn
            .0
            .iter()
            .filter(|a| p.subject.keep.contains(&a.oid))
            .cloned()
            .collect();
        if let Ok(set) = SetOfVec::try_from(kept) {
            if !set.is_empty() {
                rdns.push(RelativeDistinguishedName::from(set));
            }
        }
    }
    Name::from(rdns)
}

fn check_cn(cn: Option<&str>, p: &Profile) -> Result<(), PolicyError> {
    let rules = &p.subject;
    match (cn, rules.cn) {
        (None, CnRule::Required) => {
            return Err(PolicyError::CnMissing {
                profile: p.name.clone(),
            })
        }
        (None, _) if rules.cn_fixed.is_some() => {
            return Err(PolicyError::CnMismatch {
                profile: p.name.clone(),
                expected: rules.cn_fixed.clone().unwrap_or_default(),
            })
        }
        (Some(_), CnRule::Forbidden) => {
            return Err(PolicyError::CnPattern {
                profile: p.name.clone(),
                cn: cn.unwrap_or_default().into(),
                pattern: "(no CN allowed)".into(),
            })
        }
        _ => {}
    }
    if let Some(cn) = cn {
        if let Some(fixed) = &rules.cn_fixed {
            if cn != fixed {
                return Err(PolicyError::CnMismatch {
                    profile: p.name.clone(),
                    expected: fixed.clone(),
                });
            }
        }
        if let Some(re) = &rules.cn_pattern {
            if !re.is_match(cn) {
                let pattern = re
                    .as_str()
                    .trim_start_matches("^(?:")
                    .trim_end_matches(")$")
                    .to_string();
                return Err(PolicyError::CnPattern {
                    profile: p.name.clone(),
                    cn: cn.into(),
                    pattern,
                });
            }
        }
    }
    Ok(())
}

fn collect_sans(req: &CertRequest, cn: Option<&str>, p: &Profile) -> Result<Vec<San>, PolicyError> {
    let mut sans: Vec<San> = Vec::new();
    let mut push = |s: San| {
        if !sans.contains(&s) {
            sans.push(s);
        }
    };
    // The CN goes first (guide 004: the CN is appended to the SAN list when it is missing).
    if p.san.include_cn {
        if let Some(cn) = cn {
            if let Ok(ip) = cn.parse::<IpAddr>() {
                push(San::Ip(ip));
            } else if cn.contains('.') && is_hostname(&cn.to_ascii_lowercase()) {
                // Only fully qualified names: a single label such as "postgres" is a user
                // name here, not a DNS name (pkilint rejects single-label dNSNames).
                push(San::Dns(cn.to_ascii_lowercase()));
            }
        }
    }
    for s in req.requested_sans() {
        match s {
            San::Dns(d) => push(San::Dns(d.to_ascii_lowercase())),
            other => push(other.clone()),
        }
    }
    for s in &sans {
        check_san(s, p)?;
    }
    if sans.len() > p.san.max {
        return Err(PolicyError::TooManySans {
            profile: p.name.clone(),
            count: sans.len(),
            max: p.san.max,
        });
    }
    Ok(sans)
}

/// Whether the template allows one SAN (DNS suffixes, IP, e-mail); ACME checks order identifiers
/// with it before any challenge is offered.
pub fn check_san(s: &San, p: &Profile) -> Result<(), PolicyError> {
    match s {
        San::Dns(d) => {
            if !is_hostname(d) {
                return Err(PolicyError::BadDnsName { name: d.clone() });
            }
            let base = d.strip_prefix("*.").unwrap_or(d);
            let ok = p.san.dns_suffixes.is_empty()
                || p.san
                    .dns_suffixes
                    .iter()
                    .any(|suf| base == suf || base.ends_with(&format!(".{suf}")));
            if !ok {
                return Err(PolicyError::SanSuffix {
                    profile: p.name.clone(),
                    san: d.clone(),
                    suffixes: p.san.dns_suffixes.join(", "),
                });
            }
        }
        San::Ip(ip) if !p.san.allow_ip => {
            return Err(PolicyError::IpNotAllowed {
                profile: p.name.clone(),
                ip: ip.to_string(),
            })
        }
        San::Email(e) if !p.san.allow_email => {
            return Err(PolicyError::EmailNotAllowed {
                profile: p.name.clone(),
                email: e.clone(),
            })
        }
        _ => {}
    }
    Ok(())
}

/// A DNS host name of LDH labels, optionally with a leading `*.` wildcard label.
pub fn is_hostname(name: &str) -> bool {
    let name = name.strip_prefix("*.").unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// The CN the plan certifies, if any.
pub fn plan_cn(plan: &Plan) -> Option<String> {
    values_of(&plan.subject, rfc4519::CN).pop()
}
