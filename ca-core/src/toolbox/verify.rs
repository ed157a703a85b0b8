//! `verify`: builds the path from a certificate through a bundle to a trust anchor and reports
//! every failure in words (guide 004 2.2 and Appendix C `pki verify`). The checks follow
//! RFC 5280 and OpenSSL's `verify -x509_strict -purpose`, so the two agree on a chain.
use x509_parser::certificate::X509Certificate;

use super::chain::{is_self_signed, issued_by, label, names_chain, parse};
use super::names::{check_host, check_name_constraints};
use super::ToolError;

/// What the leaf is to be used for (guide 004 2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// TLS server: EKU serverAuth; KU digitalSignature, keyEncipherment or keyAgreement.
    Server,
    /// TLS client: EKU clientAuth; KU digitalSignature or keyAgreement.
    Client,
    /// No purpose check.
    Any,
}

/// Options of one verification.
#[derive(Clone, Debug)]
pub struct Options {
    pub purpose: Purpose,
    /// Host name or IP the leaf must be valid for.
    pub name: Option<String>,
    /// The time to check validity at (unix seconds).
    pub at: i64,
}

/// The outcome: the path found and every problem, in words.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Report {
    /// Labels from the leaf up to the trust anchor (as far as the path could be built).
    pub path: Vec<String>,
    /// Failures; empty means the chain verifies.
    pub problems: Vec<String>,
    /// Advice that is not a failure (e.g. a bundle in the wrong order).
    pub notes: Vec<String>,
}

impl Report {
    /// True when nothing failed.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// `2024-03-01 12:00:00Z`.
pub fn fmt_time(t: i64) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&f).ok())
        .unwrap_or_else(|| t.to_string())
}

/// Verifies `leaf` through `untrusted` (the bundle) to one of `anchors`. With no anchors, the
/// self-signed certificates of the bundle are the anchors (`pki verify cert bundle`).
pub fn verify(leaf: &[u8], untrusted: &[Vec<u8>], anchors: &[Vec<u8>], opts: &Options) -> Result<Report, ToolError> {
    parse(leaf)?;
    for c in untrusted.iter().chain(anchors) {
        parse(c)?;
    }
    let anchors: Vec<Vec<u8>> = if anchors.is_empty() {
        untrusted.iter().filter(|c| is_self_signed(c)).cloned().collect()
    } else {
        anchors.to_vec()
    };
    let mut r = Report::default();
    let path = build_path(leaf, untrusted, &anchors, &mut r);
    r.path = path.iter().map(|c| label(c)).collect();
    check_order(&path, untrusted, &mut r);
    let certs: Vec<X509Certificate<'_>> = path.iter().map(|d| parse(d)).collect::<Result<_, _>>()?;
    for (i, c) in certs.iter().enumerate() {
        check_cert(c, i, &certs, opts, &mut r);
    }
    check_name_constraints(&certs, &mut r);
    if let Some(name) = &opts.name {
        check_host(&certs[0], name, &mut r);
    }
    Ok(r)
}

fn build_path(leaf: &[u8], untrusted: &[Vec<u8>], anchors: &[Vec<u8>], r: &mut Report) -> Vec<Vec<u8>> {
    let mut path = vec![leaf.to_vec()];
    loop {
        let cur = path.last().expect("non-empty").clone();
        let l = label(&cur);
        if anchors.contains(&cur) {
            return path;
        }
        if let Some(a) = anchors.iter().find(|a| issued_by(&cur, a)) {
            path.push(a.clone());
            return path;
        }
        if is_self_signed(&cur) {
            r.problems.push(format!(
                "'{l}' is self-signed and is not a trusted CA certificate (give the root as the CA file)"
            ));
            return path;
        }
        let next = untrusted
            .iter()
            .find(|c| !path.contains(c) && issued_by(&cur, c) && !is_self_signed(c));
        if let Some(n) = next {
            if path.len() > 16 {
                r.problems
                    .push("the chain is longer than 16 certificates (a loop?)".into());
                return path;
            }
            path.push(n.clone());
            continue;
        }
        let issuer_name = parse(&cur)
            .map(|c| super::describe::name_text(c.issuer()))
            .unwrap_or_default();
        if let Some(p) = untrusted.iter().chain(anchors).find(|c| names_chain(&cur, c)) {
            r.problems.push(format!(
                "signature of '{l}' does not verify with the key of '{}' (bad signature or a different CA with the same name)",
                label(p)
            ));
        } else if untrusted.iter().any(|c| is_self_signed(c) && names_chain(&cur, c)) || anchors.is_empty() {
            r.problems.push(format!(
                "issuer '{issuer_name}' of '{l}' not found: missing intermediate or trusted root certificate"
            ));
        } else {
            r.problems.push(format!(
                "issuer '{issuer_name}' of '{l}' not found in the bundle or CA file (missing intermediate?)"
            ));
        }
        return path;
    }
}

/// A bundle must list the intermediates issuer-first after the leaf; say how to fix it if not.
fn check_order(path: &[Vec<u8>], untrusted: &[Vec<u8>], r: &mut Report) {
    let positions: Vec<usize> = path
        .iter()
        .skip(1)
        .filter_map(|c| untrusted.iter().position(|u| u == c))
        .collect();
    if positions.windows(2).any(|w| w[0] > w[1]) {
        let want: Vec<String> = path
            .iter()
            .skip(1)
            .filter(|c| untrusted.contains(c))
            .map(|c| label(c))
            .collect();
        r.notes.push(format!(
            "the bundle is in the wrong order; it should list each certificate's issuer next: {} (`ca-cli bundle` writes it so)",
            want.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(", ")
        ));
    }
}

fn check_cert(c: &X509Certificate<'_>, i: usize, path: &[X509Certificate<'_>], o: &Options, r: &mut Report) {
    let l = label(c.as_raw());
    let (nb, na) = (c.validity().not_before.timestamp(), c.validity().not_after.timestamp());
    if o.at < nb {
        r.problems
            .push(format!("certificate '{l}' is not valid until {}", fmt_time(nb)));
    }
    if o.at > na {
        r.problems.push(format!("certificate '{l}' expired {}", fmt_time(na)));
    }
    let bc = c.basic_constraints().ok().flatten();
    let is_ca = bc.as_ref().is_some_and(|b| b.value.ca);
    let ku = c.key_usage().ok().flatten().map(|k| k.value.flags);
    let eku = c.extended_key_usage().ok().flatten().map(|e| e.value.clone());
    let role = if i + 1 == path.len() && i > 0 {
        "root"
    } else {
        "intermediate"
    };
    if i > 0 {
        if !is_ca {
            r.problems
                .push(format!("{role} '{l}' is not a CA (no basicConstraints CA:TRUE)"));
        }
        if ku.is_some_and(|k| k & (1 << 5) == 0) {
            r.problems.push(format!(
                "{role} '{l}' key usage does not allow signing certificates (no keyCertSign)"
            ));
        }
        if let Some(n) = bc.as_ref().and_then(|b| b.value.path_len_constraint) {
            let below = path[1..i]
                .iter()
                .filter(|x| x.subject().as_raw() != x.issuer().as_raw())
                .count();
            if below > n as usize {
                r.problems.push(format!(
                    "path length constraint of '{l}' (pathlen:{n}) exceeded: {below} intermediate CA(s) below it"
                ));
            }
        }
    }
    // Purpose: the leaf's usages, and the EKU of CAs (OpenSSL and browsers limit a CA's EKU).
    let (want, ku_ok, eku_name): (Option<bool>, u16, &str) = match o.purpose {
        Purpose::Server => (eku.as_ref().map(|e| e.server_auth), 0b1_0101, "serverAuth"),
        Purpose::Client => (eku.as_ref().map(|e| e.client_auth), 0b1_0001, "clientAuth"),
        Purpose::Any => (None, 0, ""),
    };
    if want == Some(false) {
        r.problems
            .push(format!("'{l}' extended key usage does not include {eku_name}"));
    }
    if i == 0 && o.purpose != Purpose::Any && ku.is_some_and(|k| k & ku_ok == 0) {
        let need = if o.purpose == Purpose::Server {
            "digitalSignature, keyEncipherment or keyAgreement"
        } else {
            "digitalSignature or keyAgreement"
        };
        r.problems.push(format!("'{l}' key usage has none of {need}"));
    }
    strict(c, i, path.len(), is_ca, ku, &l, r);
}

/// RFC 5280 profile rules that OpenSSL's -x509_strict enforces on chains of two or more.
fn strict(c: &X509Certificate<'_>, i: usize, len: usize, is_ca: bool, ku: Option<u16>, l: &str, r: &mut Report) {
    if len < 2 {
        return;
    }
    let bc = c.basic_constraints().ok().flatten();
    if is_ca && bc.as_ref().is_some_and(|b| !b.critical) {
        r.problems
            .push(format!("basicConstraints of CA '{l}' is not marked critical"));
    }
    if is_ca && ku.is_none() {
        r.problems.push(format!("CA '{l}' has no keyUsage extension"));
    }
    if !is_ca && ku.is_some_and(|k| k & (1 << 5) != 0) {
        r.problems
            .push(format!("'{l}' is not a CA but its key usage includes keyCertSign"));
    }
    let has = |oid: &str| c.extensions().iter().any(|e| e.oid.to_id_string() == oid);
    if i + 1 < len && !has("2.5.29.35") {
        r.problems.push(format!("'{l}' has no authority key identifier"));
    }
    if is_ca && !has("2.5.29.14") {
        r.problems.push(format!("CA '{l}' has no subject key identifier"));
    }
    if let Ok(Some(san)) = c.subject_alternative_name() {
        if san.value.general_names.is_empty() {
            r.problems.push(format!("'{l}' has an empty subjectAltName extension"));
        }
    }
}
