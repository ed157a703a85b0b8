//! Names a certificate is valid for: RFC 5280 4.2.1.10 name constraints (DNS and IP subtrees)
//! down a path, and RFC 6125 host name matching of the leaf, for `verify`.
use std::net::IpAddr;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};

use super::chain::label;
use super::describe::general_name;
use super::verify::Report;

fn dns_names(c: &X509Certificate<'_>) -> (Vec<String>, Vec<IpAddr>) {
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
pub(super) fn check_name_constraints(path: &[X509Certificate<'_>], r: &mut Report) {
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
pub(super) fn check_host(leaf: &X509Certificate<'_>, name: &str, r: &mut Report) {
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
            r.problems
                .push(format!("IP {ip} not in SAN [{}] of '{l}'", sans.join(", ")));
        }
        return;
    }
    if sans.is_empty() {
        if cn_of(leaf).as_deref().is_none_or(|cn| !host_matches(&want, cn)) {
            r.problems
                .push(format!("name {want} does not match the CN of '{l}' (it has no SAN)"));
        }
        return;
    }
    if !dns.iter().any(|d| host_matches(&want, d)) {
        r.problems
            .push(format!("name {want} not in SAN [{}] of '{l}'", sans.join(", ")));
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
