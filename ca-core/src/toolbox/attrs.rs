//! Guide 004's attribute syntax for `pki csr` and `pki selfsigned`:
//! `CN:www.example.com O:"Example Inc." subjectAltName:a.example.com,192.168.1.25`.
//! The subject is encoded in the conventional C, ST, L, O, OU, CN, emailAddress order whatever
//! order the arguments come in; when a SAN list is given the CN is appended to it (the guide's
//! "pki csr will automatically append the cn to the SAN list").
use std::net::IpAddr;

use der::asn1::SetOfVec;
use x509_cert::name::{Name, RelativeDistinguishedName};

use super::ToolError;
use crate::csr::San;
use crate::name::attribute;
use crate::policy::is_hostname;

/// Encoding order of the attributes the guide lists; anything else follows in argument order.
const ORDER: &[&str] = &["C", "ST", "L", "O", "OU", "CN", "emailAddress"];

/// A subject and SAN list parsed from attribute arguments.
#[derive(Clone, Debug)]
pub struct Requested {
    /// The subject name, ready to encode.
    pub subject: Name,
    /// The common name, if one was given.
    pub cn: Option<String>,
    /// SANs in the order given, CN appended, duplicates removed.
    pub sans: Vec<San>,
}

/// Parses the attribute arguments. Arguments that continue a SAN list split by the shell
/// (`subjectAltName:a.example.com, 192.168.1.25,b.example.com` as in guide 004's `test3`
/// example) are joined back to it.
pub fn parse_attributes(args: &[String]) -> Result<Requested, ToolError> {
    let mut pairs: Vec<(String, String, String)> = Vec::new();
    let mut san_text: Option<String> = None;
    let mut last_was_san = false;
    for arg in args {
        let split = arg.split_once(':');
        let known = split.is_some_and(|(k, _)| is_san_key(k) || crate::name::attr_oid(k.trim()).is_some());
        let continues = split.is_none() || arg.contains(',') || arg.trim().parse::<IpAddr>().is_ok();
        if !known && last_was_san && continues {
            // A piece of a SAN list the shell split at ", ".
            let text = san_text.get_or_insert_with(String::new);
            text.push(',');
            text.push_str(arg);
            continue;
        }
        let (key, value) = split.ok_or_else(|| ToolError::Attribute {
            arg: arg.clone(),
            message: "expected NAME:value, e.g. CN:www.example.com".into(),
        })?;
        let key = key.trim();
        let value = strip_quotes(value.trim());
        if is_san_key(key) {
            let text = san_text.get_or_insert_with(String::new);
            text.push(',');
            text.push_str(value);
            last_was_san = true;
            continue;
        }
        last_was_san = false;
        if crate::name::attr_oid(key).is_none() {
            return Err(ToolError::Attribute {
                arg: arg.clone(),
                message: format!("unknown attribute {key:?} (use CN, O, OU, L, ST, C, emailAddress or subjectAltName)"),
            });
        }
        let canonical = crate::name::attr_name(&crate::name::attr_oid(key).expect("checked").0);
        pairs.push((canonical, value.to_string(), arg.clone()));
    }
    let rank = |k: &str| ORDER.iter().position(|o| *o == k).unwrap_or(ORDER.len());
    // Stable sort: repeated OUs keep their order.
    pairs.sort_by_key(|(k, _, _)| rank(k));
    let mut rdns = Vec::with_capacity(pairs.len());
    let mut cn = None;
    for (key, value, arg) in &pairs {
        let atv = attribute(key, value).map_err(|message| ToolError::Attribute {
            arg: arg.clone(),
            message,
        })?;
        if key == "CN" {
            cn = Some(value.clone());
        }
        let set = SetOfVec::try_from(vec![atv]).map_err(|e| ToolError::Format(e.to_string()))?;
        rdns.push(RelativeDistinguishedName::from(set));
    }
    let mut sans = Vec::new();
    if let Some(text) = san_text {
        for v in text.split(',').map(str::trim).filter(|v| !v.is_empty()) {
            push_unique(&mut sans, parse_san(v)?);
        }
        if sans.is_empty() {
            return Err(ToolError::San {
                value: text.trim_start_matches(',').to_string(),
                message: "the list is empty".into(),
            });
        }
        if let Some(cn) = &cn {
            push_unique(&mut sans, parse_san(cn)?);
        }
    }
    Ok(Requested {
        subject: Name::from(rdns),
        cn,
        sans,
    })
}

fn is_san_key(k: &str) -> bool {
    let k = k.trim();
    k.eq_ignore_ascii_case("subjectAltName") || k.eq_ignore_ascii_case("SAN")
}

fn strip_quotes(v: &str) -> &str {
    v.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
        .unwrap_or(v)
}

fn push_unique(sans: &mut Vec<San>, san: San) {
    let same = |a: &San| match (a, &san) {
        (San::Dns(x), San::Dns(y)) | (San::Email(x), San::Email(y)) => x.eq_ignore_ascii_case(y),
        (x, y) => x == y,
    };
    if !sans.iter().any(same) {
        sans.push(san);
    }
}

/// Parses one SAN value: an IP address, an email address (has `@`) or a DNS name. Values that
/// look like an IP but do not parse are reported as bad IPs, not accepted as host names.
pub fn parse_san(v: &str) -> Result<San, ToolError> {
    let v = v.trim();
    let v = v
        .strip_prefix("DNS:")
        .or_else(|| v.strip_prefix("IP:"))
        .or_else(|| v.strip_prefix("email:"))
        .unwrap_or(v);
    let err = |message: &str| ToolError::San {
        value: v.to_string(),
        message: message.to_string(),
    };
    if let Ok(ip) = v.parse::<IpAddr>() {
        return Ok(San::Ip(ip));
    }
    if v.contains(':') || (v.chars().all(|c| c.is_ascii_digit() || c == '.') && v.contains('.')) {
        return Err(err("is not a valid IP address"));
    }
    if let Some((local, domain)) = v.split_once('@') {
        if local.is_empty() || !is_hostname(&domain.to_ascii_lowercase()) || !v.is_ascii() {
            return Err(err("is not a valid email address"));
        }
        return Ok(San::Email(v.to_string()));
    }
    let lower = v.to_ascii_lowercase();
    if !is_hostname(&lower) {
        return Err(err(
            "is not a valid host name (letters, digits and hyphens in dot-separated labels)",
        ));
    }
    Ok(San::Dns(lower))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name::display_name;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn guide_example_with_cn_appended() {
        let r = parse_attributes(&args(&[
            "CN:www.example.com",
            "O:Example Inc.",
            "C:GB",
            "subjectAltName:callbridge.example.com,192.168.1.25",
        ]))
        .unwrap();
        assert_eq!(display_name(&r.subject), "CN=www.example.com,O=Example Inc.,C=GB");
        let s: Vec<String> = r.sans.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            s,
            ["DNS:callbridge.example.com", "IP:192.168.1.25", "DNS:www.example.com"]
        );
    }

    #[test]
    fn split_san_list_is_joined_and_deduplicated() {
        let r = parse_attributes(&args(&[
            "CN:example.exampledemo.com",
            "subjectAltName:exampledemo.com,",
            "192.168.1.25,exampledemo.com,",
            "server.exampledemo.com",
        ]))
        .unwrap();
        assert_eq!(r.sans.len(), 4);
    }

    #[test]
    fn errors_name_the_problem() {
        let e = parse_attributes(&args(&["CN:a.example.com", "C:GBR"])).unwrap_err();
        assert!(
            e.to_string().contains("country \"GBR\" is not a two-letter code"),
            "{e}"
        );
        let e = parse_attributes(&args(&["XX:1"])).unwrap_err();
        assert!(e.to_string().contains("unknown attribute \"XX\""), "{e}");
        let e = parse_attributes(&args(&["subjectAltName:192.168.1.300"])).unwrap_err();
        assert!(e.to_string().contains("not a valid IP address"), "{e}");
    }
}
