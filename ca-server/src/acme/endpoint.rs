//! One configured ACME front door (`[acme.NAME]` in `ca.toml`), checked at start: its
//! templates exist, its challenge types and network overrides parse.
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use ca_core::acme::challenge::ChallengeType;
use ca_core::profile::Profiles;
use ca_store::home::acme_config::{AcmeApproval, AcmeEndpointConfig, AcmeValidation};

use super::validate::{ValidationConfig, Validator};

/// Default lifetime of an unfinished order and its authorizations.
const DEFAULT_ORDER_HOURS: u64 = 24;

/// A front door ready to serve.
pub struct Endpoint {
    pub name: String,
    /// Canonical name of the default template.
    pub template: String,
    pub approval: AcmeApproval,
    pub eab_required: bool,
    pub always_valid: bool,
    pub terms_of_service: Option<String>,
    pub website: Option<String>,
    /// ACME profile name -> canonical template name; holds the default template too.
    pub profiles: BTreeMap<String, String>,
    /// Challenge types offered, in the order listed in authorizations.
    pub challenges: Vec<ChallengeType>,
    pub order_lifetime_secs: i64,
    pub validator: Validator,
}

impl Endpoint {
    /// Checks `[acme.name]` against the loaded templates.
    pub fn new(name: &str, cfg: &AcmeEndpointConfig, templates: &Profiles) -> Result<Endpoint> {
        let ctx = || format!("ca.toml [acme.{name}]");
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            bail!(
                "{}: the endpoint name may only hold letters, digits, '-' and '_'",
                ctx()
            );
        }
        let canonical = |t: &str, field: &str| -> Result<String> {
            templates
                .get(t)
                .map(|p| p.name.clone())
                .map_err(|e| anyhow::anyhow!("{}: {field}: {e}", ctx()))
        };
        let template = canonical(&cfg.template, "template")?;
        let mut profiles = BTreeMap::new();
        profiles.insert(template.clone(), template.clone());
        for (profile, t) in &cfg.profiles {
            profiles.insert(profile.clone(), canonical(t, &format!("profiles.{profile}"))?);
        }
        let challenges = match &cfg.challenges {
            None => vec![ChallengeType::Http01, ChallengeType::Dns01, ChallengeType::TlsAlpn01],
            Some(list) => list
                .iter()
                .map(|c| {
                    ChallengeType::from_name(c).ok_or_else(|| {
                        anyhow::anyhow!(
                            "{}: challenges: {c:?} is not one of http-01, dns-01, tls-alpn-01",
                            ctx()
                        )
                    })
                })
                .collect::<Result<Vec<_>>>()?,
        };
        if challenges.is_empty() {
            bail!("{}: challenges: at least one challenge type is needed", ctx());
        }
        let dns_resolver = cfg
            .dns_resolver
            .as_deref()
            .map(|a| {
                a.parse::<SocketAddr>()
                    .with_context(|| format!("{}: dns_resolver {a:?} is not IP:port", ctx()))
            })
            .transpose()?;
        let mut hosts = BTreeMap::new();
        for (host, ip) in &cfg.hosts {
            let ip: IpAddr = ip
                .parse()
                .with_context(|| format!("{}: hosts.{host}: {ip:?} is not an IP address", ctx()))?;
            hosts.insert(host.to_ascii_lowercase(), vec![ip]);
        }
        let validator = Validator::new(ValidationConfig {
            http01_port: cfg.http01_port.unwrap_or(80),
            tls_alpn01_port: cfg.tls_alpn01_port.unwrap_or(443),
            dns_resolver,
            hosts,
            timeout: Duration::from_secs(10),
            attempts: 3,
        });
        if cfg.validation == AcmeValidation::AlwaysValid {
            tracing::warn!(
                "ACME endpoint {name} has validation = \"always-valid\": every challenge passes unchecked and \
                 anyone may get any name template {template} allows; for tests and benchmarks only"
            );
        }
        let hours = cfg
            .order_lifetime_hours
            .unwrap_or(DEFAULT_ORDER_HOURS)
            .clamp(1, 24 * 30);
        Ok(Endpoint {
            name: name.to_string(),
            template,
            approval: cfg.approval,
            eab_required: cfg.eab_required,
            always_valid: cfg.validation == AcmeValidation::AlwaysValid,
            terms_of_service: cfg.terms_of_service.clone(),
            website: cfg.website.clone(),
            profiles,
            challenges,
            order_lifetime_secs: hours as i64 * 3600,
            validator,
        })
    }
}
