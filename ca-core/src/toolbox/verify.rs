//! `verify`: builds the path from a certificate through a bundle to a trust anchor and reports
//! every failure in words (guide 004 2.2 and Appendix C `pki verify`). The checks follow
//! RFC 5280 and OpenSSL's `verify -x509_strict -purpose`, so the two agree on a chain.
use std::net::IpAddr;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};

use super::chain::{is_self_signed, issued_by, label, names_chain, parse};
use super::describe::general_name;
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
                r.problems.push("the chain is longer than 16 certificates (a loop?)".into());
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
        let want: Vec<String> = path.iter().skip(1).filter(|c| untrusted.contains(c)).map(|c| label(c)).collect();
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
        r.problems.push(format!("certificate '{l}' is not valid until {}", fmt_time(nb)));
    }
    if o.at > na {
        r.problems.push(format!("certificate '{l}' expired {}", fmt_time(na)));
    }
    let bc = c.basic_constraints().ok().flatten();
    let is_ca = bc.as_ref().is_some_and(|b| b.value.ca);
    let ku = c.key_usage().ok().flatten().map(|k| k.value.flags);
    let eku = c.extended_key_usage().ok().flatten().map(|e| e.value.clone());
    let role = if i + 1 == path.len() && i > 0 { "root" } else { "intermediate" };
    if i > 0 {
        if !is_ca {
            r.problems.push(format!("{role} '{l}' is not a CA (no basicConstraints CA:TRUE)"));
        }
        if ku.is_some_and(|k| k & (1 << 5) == 0) {
            r.problems.push(format!("{role} '{l}' key usage does not allow signing certificates (no keyCertSign)"));
        }
        if let Some(n) = bc.as_ref().and_then(|b| b.value.path_len_constraint) {
            let below = path[1..i].iter().filter(|x| x.subject().as_raw() != x.issuer().as_raw()).count();
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
        r.problems.push(format!("'{l}' extended key usage does not include {eku_name}"));
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
        r.problems.push(format!("basicConstraints of CA '{l}' is not marked critical"));
    }
    if is_ca && ku.is_none() {
        r.problems.push(format!("CA '{l}' has no keyUsage extension"));
    }
    if !is_ca && ku.is_some_and(|k| k & (1 << 5) != 0) {
        r.problems.push(format!("'{l}' is not a CA but its key usage includes keyCertSign"));
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

fn dns_names<'a>(c: &'a X509Certificate<'_>) -> (Vec<String>, Vec<IpAddr>) {
    let mut dns = Vec::new();
    let mut ips = Vec::new();
    if let Ok(Some(san)) = c.subject_alternative_name() {
        for gn in &san.value.general_names {
            match gn {
                GeneralName::DNSName(d) => dns.push(d.to_ascii_lowercase()),
                GeneralName::IPAddress(b) => ips.extend(ip_from(b)),
                _ => {}
            }
        }
    }
    (dns, ips)
}

fn ip_from(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(b).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(b).ok()?)),
        _ => None,
    }
}

fn cn_of(c: &X509Certificate<'_>) -> Option<String> {
    c.subject()
        .iter_common_name()
        .last()
        .and_then(|v| v.as_str().ok())
        .map(|s| s.to_ascii_lowercase())
}

/// RFC 5280 4.2.1.10 for DNS names and IP addresses, applied to every certificate below the
/// constraining CA (the CN counts as a DNS name when there is no DNS SAN, as OpenSSL does).
fn check_name_constraints(path: &[X509Certificate<'_>], r: &mut Report) {
    for (ci, ca) in path.iter().enumerate().skip(1) {
        let Some(nc) = ca.extensions().iter().find_map(|e| match e.parsed_extension() {
            ParsedExtension::NameConstraints(nc) => Some(nc),
            _ => None,
        }) else {
            continue;
        };
        let permitted: Vec<&GeneralName<'_>> = nc.permitted_subtrees.iter().flatten().map(|s| &s.base).collect();
        let excluded: Vec<&GeneralName<'_>> = nc.excluded_subtrees.iter().flatten().map(|s| &s.base).collect();
        for sub in &path[..ci] {
            let (mut dns, ips) = dns_names(sub);
            if dns.is_empty() {
                dns.extend(cn_of(sub).filter(|cn| cn.contains('.') && !cn.contains(' ')));
            }
            let sl = label(sub.as_raw());
            for d in &dns {
                let dns_bases = |set: &[&GeneralName<'_>]| -> Vec<String> {
                    set.iter()
                        .filter_map(|g| match g {
                            GeneralName::DNSName(b) => Some(b.to_ascii_lowercase()),
                            _ => None,
                        })
                        .collect()
                };
                let perm = dns_bases(&permitted);
                if !perm.is_empty() && !perm.iter().any(|b| dns_within(d, b)) {
                    r.problems.push(format!(
                        "name {d} of '{sl}' is outside the permitted names [{}] of CA '{}'",
                        perm.join(", "),
                        label(ca.as_raw())
                    ));
                }
                if let Some(b) = dns_bases(&excluded).iter().find(|b| dns_within(d, b)) {
                    r.problems.push(format!(
                        "name {d} of '{sl}' is in the excluded subtree {b} of CA '{}'",
                        label(ca.as_raw())
                    ));
                }
            }
            for ip in &ips {
                let nets = |set: &[&GeneralName<'_>]| -> Vec<Vec<u8>> {
                    set.iter()
                        .filter_map(|g| match g {
                            GeneralName::IPAddress(b) => Some(b.to_vec()),
                            _ => None,
                        })
                        .collect()
                };
                let perm = nets(&permitted);
                let same_family: Vec<&Vec<u8>> = perm.iter().filter(|n| n.len() == ip_len(ip) * 2).collect();
                if !perm.is_empty() && !same_family.iter().any(|n| ip_within(ip, n)) {
                    r.problems.push(format!(
                        "IP {ip} of '{sl}' is outside the permitted addresses of CA '{}'",
                        label(ca.as_raw())
                    ));
                }
                if nets(&excluded).iter().any(|n| ip_within(ip, n)) {
                    r.problems.push(format!(
                        "IP {ip} of '{sl}' is in an excluded address range of CA '{}'",
                        label(ca.as_raw())
                    ));
                }
            }
        }
    }
}

fn dns_within(name: &str, base: &str) -> bool {
    if let Some(sub) = base.strip_prefix('.') {
        return name.ends_with(&format!(".{sub}"));
    }
    base.is_empty() || name == base || name.ends_with(&format!(".{base}"))
}

fn ip_len(ip: &IpAddr) -> usize {
    if ip.is_ipv4() {
        4
    } else {
        16
    }
}

fn ip_within(ip: &IpAddr, net: &[u8]) -> bool {
    let bytes: Vec<u8> = match ip {
        IpAddr::V4(v) => v.octets().to_vec(),
        IpAddr::V6(v) => v.octets().to_vec(),
    };
    if net.len() != bytes.len() * 2 {
        return false;
    }
    let (addr, mask) = net.split_at(bytes.len());
    bytes.iter().zip(addr).zip(mask).all(|((b, a), m)| b & m == a & m)
}

/// Host name check: SAN DNS names (wildcard in the leftmost label), IP SANs for addresses, and
/// the CN only when the certificate has no SAN (RFC 6125).
fn check_host(leaf: &X509Certificate<'_>, name: &str, r: &mut Report) {
    let l = label(leaf.as_raw());
    let want = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let sans: Vec<String> = leaf
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|s| s.value.general_names.iter().map(general_name).collect())
        .unwrap_or_default();
    let (dns, ips) = dns_names(leaf);
    if let Ok(ip) = want.parse::<IpAddr>() {
        if !ips.contains(&ip) {
            r.problems.push(format!("IP {ip} not in SAN [{}] of '{l}'", sans.join(", ")));
        }
        return;
    }
    if sans.is_empty() {
        if cn_of(leaf).as_deref().is_none_or(|cn| !host_matches(&want, cn)) {
            r.problems.push(format!(
                "name {want} does not match the CN of '{l}' (it has no SAN)"
            ));
        }
        return;
    }
    if !dns.iter().any(|d| host_matches(&want, d)) {
        r.problems.push(format!("name {want} not in SAN [{}] of '{l}'", sans.join(", ")));
    }
}

fn host_matches(name: &str, pattern: &str) -> bool {
    let pattern = pattern.trim_end_matches('.');
    match pattern.strip_prefix("*.") {
        Some(rest) => name
            .split_once('.')
            .is_some_and(|(first, tail)| !first.is_empty() && tail == rest),
        None => name == pattern,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_one_label() {
        assert!(host_matches("a.example.com", "*.example.com"));
        assert!(!host_matches("a.b.example.com", "*.example.com"));
        assert!(!host_matches("example.com", "*.example.com"));
    }

    #[test]
    fn name_constraint_subtrees() {
        assert!(dns_within("a.example.com", "example.com"));
        assert!(dns_within("example.com", "example.com"));
        assert!(!dns_within("badexample.com", "example.com"));
        assert!(!dns_within("example.com", ".example.com"));
        assert!(ip_within(&"10.1.2.3".parse().unwrap(), &[10, 0, 0, 0, 255, 0, 0, 0]));
    }
}
