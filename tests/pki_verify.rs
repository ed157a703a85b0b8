//! `ca-cli verify` against `openssl verify -x509_strict`: chains built with openssl, good and
//! bad, must get the same verdict, and ours must say what is wrong in words.
#[path = "pki_support.rs"]
mod support;

use support::Dir;

const CA: &str = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";
const LEAF: &str = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:www.example.com,IP:192.168.1.25\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";

/// Makes NAME.key/NAME.crt with extensions `ext`, signed by `issuer` (self-signed if None).
fn mk(d: &Dir, name: &str, cn: &str, issuer: Option<&str>, ext: &str) {
    let (key, csr, crt, extf) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.crt"),
        format!("{name}.ext"),
    );
    d.write(&extf, &format!("[v3]\n{ext}"));
    if !d.path(&key).exists() {
        d.openssl_ok(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &key,
        ]);
    }
    d.openssl_ok(&["req", "-new", "-key", &key, "-subj", &format!("/CN={cn}"), "-out", &csr]);
    let mut args = vec![
        "x509",
        "-req",
        "-in",
        &csr,
        "-out",
        &crt,
        "-days",
        "100",
        "-extfile",
        &extf,
        "-extensions",
        "v3",
        "-set_serial",
    ];
    let serial = format!(
        "{}",
        1000 + name.len() * 7 + name.bytes().map(|b| b as usize).sum::<usize>()
    );
    args.push(&serial);
    let (ca_crt, ca_key);
    match issuer {
        Some(i) => {
            ca_crt = format!("{i}.crt");
            ca_key = format!("{i}.key");
            args.extend(["-CA", &ca_crt, "-CAkey", &ca_key]);
        }
        None => args.extend(["-signkey", &key]),
    }
    d.openssl_ok(&args);
}

fn cat(d: &Dir, out: &str, files: &[&str]) {
    let text: String = files.iter().map(|f| d.read(&format!("{f}.crt"))).collect();
    d.write(out, &text);
}

struct Case {
    name: &'static str,
    leaf: &'static str,
    bundle: &'static [&'static str],
    ca: &'static str,
    purpose: Option<&'static str>,
    host: Option<&'static str>,
    /// Days from now to verify at (openssl -attime / ca-cli --at).
    at_days: Option<i64>,
    /// None: must verify; Some(text): must fail with this in our message.
    fails_with: Option<&'static str>,
}

fn case(
    name: &'static str,
    leaf: &'static str,
    bundle: &'static [&'static str],
    fails_with: Option<&'static str>,
) -> Case {
    Case {
        name,
        leaf,
        bundle,
        ca: "root",
        purpose: None,
        host: None,
        at_days: None,
        fails_with,
    }
}

#[test]
fn verify_agrees_with_openssl() {
    let d = Dir::new();
    let int0 = CA.replace("CA:TRUE", "CA:TRUE,pathlen:0");
    mk(&d, "root", "Test Root", None, CA);
    mk(&d, "other", "Other Root", None, CA);
    mk(&d, "int", "Test Intermediate", Some("root"), &int0);
    mk(&d, "leaf", "www.example.com", Some("int"), LEAF);
    mk(
        &d,
        "srvonly",
        "www.example.com",
        Some("int"),
        &LEAF.replace("serverAuth,clientAuth", "serverAuth"),
    );
    mk(
        &d,
        "clionly",
        "www.example.com",
        Some("int"),
        &LEAF.replace("serverAuth,clientAuth", "clientAuth"),
    );
    mk(
        &d,
        "noeku",
        "www.example.com",
        Some("int"),
        &LEAF.replace("extendedKeyUsage=serverAuth,clientAuth\n", ""),
    );
    mk(
        &d,
        "keyenc",
        "www.example.com",
        Some("int"),
        &LEAF.replace("critical,digitalSignature", "critical,keyEncipherment"),
    );
    mk(
        &d,
        "leafcs",
        "www.example.com",
        Some("int"),
        &LEAF.replace("critical,digitalSignature", "critical,digitalSignature,keyCertSign"),
    );
    mk(
        &d,
        "intp",
        "Pathlen One",
        Some("root"),
        &CA.replace("CA:TRUE", "CA:TRUE,pathlen:1"),
    );
    mk(&d, "intq", "Below Pathlen One", Some("intp"), CA);
    mk(&d, "leafp", "www.example.com", Some("intq"), LEAF);
    // Intermediate without the CA bit.
    mk(&d, "notca", "Not A CA", Some("root"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
    mk(&d, "undernotca", "www.example.com", Some("notca"), LEAF);
    // pathlen:0 intermediate signing another CA.
    mk(&d, "int2", "Second Intermediate", Some("int"), CA);
    mk(&d, "deep", "www.example.com", Some("int2"), LEAF);
    // Unconstrained two-level chain, for order tests.
    mk(&d, "inta", "Intermediate A", Some("root"), CA);
    mk(&d, "intb", "Intermediate B", Some("inta"), CA);
    mk(&d, "leafb", "www.example.com", Some("intb"), LEAF);
    // Name constraints.
    mk(
        &d,
        "ncbad",
        "NC Org",
        Some("root"),
        &format!("{CA}nameConstraints=critical,permitted;DNS:example.org\n"),
    );
    mk(
        &d,
        "leafncbad",
        "www.example.com",
        Some("ncbad"),
        &LEAF.replace(",IP:192.168.1.25", ""),
    );
    mk(
        &d,
        "ncok",
        "NC Com",
        Some("root"),
        &format!("{CA}nameConstraints=critical,permitted;DNS:example.com\n"),
    );
    mk(
        &d,
        "leafncok",
        "www.example.com",
        Some("ncok"),
        &LEAF.replace(",IP:192.168.1.25", ""),
    );
    mk(
        &d,
        "ncex",
        "NC Excluded",
        Some("root"),
        &format!("{CA}nameConstraints=critical,excluded;DNS:www.example.com\n"),
    );
    mk(
        &d,
        "leafncex",
        "www.example.com",
        Some("ncex"),
        &LEAF.replace(",IP:192.168.1.25", ""),
    );
    // A CA limited to clientAuth; a CA without key usage; a CA with non-critical basicConstraints.
    mk(
        &d,
        "cacli",
        "Client CA",
        Some("root"),
        &format!("{CA}extendedKeyUsage=clientAuth\n"),
    );
    mk(&d, "undercacli", "www.example.com", Some("cacli"), LEAF);
    mk(
        &d,
        "caku",
        "No KU CA",
        Some("root"),
        &CA.replace("keyUsage=critical,keyCertSign,cRLSign\n", ""),
    );
    mk(&d, "undercaku", "www.example.com", Some("caku"), LEAF);
    mk(
        &d,
        "cabc",
        "Soft BC CA",
        Some("root"),
        &CA.replace("critical,CA:TRUE", "CA:TRUE"),
    );
    mk(&d, "undercabc", "www.example.com", Some("cabc"), LEAF);
    // A leaf whose signature is damaged (last byte of the DER flipped).
    d.openssl_ok(&["x509", "-in", "leaf.crt", "-outform", "DER", "-out", "leaf.der"]);
    let mut der = std::fs::read(d.path("leaf.der")).unwrap();
    *der.last_mut().unwrap() ^= 0x01;
    std::fs::write(d.path("badsig.der"), der).unwrap();
    d.openssl_ok(&["x509", "-in", "badsig.der", "-inform", "DER", "-out", "badsig.crt"]);

    let cases = vec![
        case("good chain", "leaf", &["int"], None),
        Case {
            purpose: Some("server"),
            ..case("good, server", "leaf", &["int"], None)
        },
        Case {
            purpose: Some("client"),
            ..case("good, client", "leaf", &["int"], None)
        },
        Case {
            purpose: Some("client"),
            ..case(
                "server-only EKU as client",
                "srvonly",
                &["int"],
                Some("extended key usage does not include clientAuth"),
            )
        },
        Case {
            purpose: Some("server"),
            ..case(
                "client-only EKU as server",
                "clionly",
                &["int"],
                Some("extended key usage does not include serverAuth"),
            )
        },
        Case {
            purpose: Some("server"),
            ..case("no EKU as server", "noeku", &["int"], None)
        },
        Case {
            purpose: Some("client"),
            ..case(
                "keyEncipherment only as client",
                "keyenc",
                &["int"],
                Some("key usage has none of digitalSignature or keyAgreement"),
            )
        },
        Case {
            purpose: Some("server"),
            ..case("keyEncipherment only as server", "keyenc", &["int"], None)
        },
        case(
            "leaf with keyCertSign",
            "leafcs",
            &["int"],
            Some("is not a CA but its key usage includes keyCertSign"),
        ),
        case(
            "pathlen:1 with two intermediates below the root",
            "leafp",
            &["intq", "intp"],
            None,
        ),
        case(
            "intermediate not a CA",
            "undernotca",
            &["notca"],
            Some("intermediate 'Not A CA' is not a CA"),
        ),
        case(
            "pathlen exceeded",
            "deep",
            &["int2", "int"],
            Some("path length constraint of 'Test Intermediate' (pathlen:0) exceeded"),
        ),
        case("two intermediates in order", "leafb", &["intb", "inta"], None),
        case("two intermediates reversed", "leafb", &["inta", "intb"], None),
        case(
            "bundle with the root and an unrelated CA",
            "leafb",
            &["other", "intb", "inta", "root"],
            None,
        ),
        case(
            "missing intermediate",
            "leafb",
            &["intb"],
            Some("issuer 'CN=Intermediate A' of 'Intermediate B' not found"),
        ),
        case("no bundle at all", "leaf", &[], Some("not found")),
        Case {
            ca: "other",
            ..case("untrusted root", "leaf", &["int"], Some("not found"))
        },
        case(
            "bad signature",
            "badsig",
            &["int"],
            Some("signature of 'www.example.com' does not verify"),
        ),
        case(
            "name constraint violated",
            "leafncbad",
            &["ncbad"],
            Some("outside the permitted names [example.org]"),
        ),
        case("name constraint met", "leafncok", &["ncok"], None),
        case(
            "excluded name",
            "leafncex",
            &["ncex"],
            Some("in the excluded subtree www.example.com"),
        ),
        Case {
            purpose: Some("server"),
            ..case(
                "CA limited to clientAuth",
                "undercacli",
                &["cacli"],
                Some("'Client CA' extended key usage does not include serverAuth"),
            )
        },
        Case {
            purpose: Some("client"),
            ..case("CA limited to clientAuth, as client", "undercacli", &["cacli"], None)
        },
        case(
            "CA without key usage",
            "undercaku",
            &["caku"],
            Some("CA 'No KU CA' has no keyUsage extension"),
        ),
        case(
            "CA basicConstraints not critical",
            "undercabc",
            &["cabc"],
            Some("basicConstraints of CA 'Soft BC CA' is not marked critical"),
        ),
        Case {
            host: Some("www.example.com"),
            ..case("right host", "leaf", &["int"], None)
        },
        Case {
            host: Some("vcs.example.com"),
            ..case(
                "wrong host",
                "leaf",
                &["int"],
                Some("name vcs.example.com not in SAN [DNS:www.example.com, IP:192.168.1.25]"),
            )
        },
        Case {
            host: Some("192.168.1.25"),
            ..case("right IP", "leaf", &["int"], None)
        },
        Case {
            host: Some("192.168.1.26"),
            ..case("wrong IP", "leaf", &["int"], Some("IP 192.168.1.26 not in SAN"))
        },
        Case {
            at_days: Some(200),
            ..case(
                "expired",
                "leaf",
                &["int"],
                Some("certificate 'www.example.com' expired"),
            )
        },
        Case {
            at_days: Some(-3),
            ..case(
                "not yet valid",
                "leaf",
                &["int"],
                Some("certificate 'www.example.com' is not valid until"),
            )
        },
        Case {
            ca: "leaf",
            ..case(
                "self-signed root alone",
                "root",
                &[],
                Some("is self-signed and is not a trusted CA"),
            )
        },
        Case {
            ca: "root",
            ..case("root itself", "root", &[], None)
        },
    ];
    assert!(cases.len() >= 30);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut failures = Vec::new();
    for c in &cases {
        cat(&d, "bundle.pem", c.bundle);
        let leaf = format!("{}.crt", c.leaf);
        let ca = format!("{}.crt", c.ca);
        let mut ossl: Vec<String> = vec!["verify".into(), "-x509_strict".into(), "-CAfile".into(), ca.clone()];
        // With no bundle the CA file takes the bundle's place: its self-signed certificates anchor.
        let mut ours: Vec<String> = if c.bundle.is_empty() {
            vec!["verify".into(), leaf.clone(), ca.clone()]
        } else {
            vec!["verify".into(), leaf.clone(), "bundle.pem".into(), ca.clone()]
        };
        if !c.bundle.is_empty() {
            ossl.extend(["-untrusted".into(), "bundle.pem".into()]);
        }
        if let Some(p) = c.purpose {
            ossl.extend(["-purpose".into(), format!("ssl{p}")]);
            ours.extend(["--purpose".into(), p.into()]);
        }
        if let Some(h) = c.host {
            let flag = if h.parse::<std::net::IpAddr>().is_ok() {
                "-verify_ip"
            } else {
                "-verify_hostname"
            };
            ossl.extend([flag.into(), h.into()]);
            ours.extend(["--name".into(), h.into()]);
        }
        if let Some(days) = c.at_days {
            let t = (now + days * 86_400).to_string();
            ossl.extend(["-attime".into(), t.clone()]);
            ours.extend(["--at".into(), t]);
        }
        ossl.push(leaf);
        let o = d.openssl(&ossl.iter().map(String::as_str).collect::<Vec<_>>());
        let r = d.cli(&ours.iter().map(String::as_str).collect::<Vec<_>>());
        let expect_ok = c.fails_with.is_none();
        if o.ok != expect_ok {
            failures.push(format!(
                "{}: openssl ok={} (expected {expect_ok}): {}",
                c.name,
                o.ok,
                o.all()
            ));
        }
        if r.ok != expect_ok {
            failures.push(format!(
                "{}: ca-cli ok={} (expected {expect_ok}): {}",
                c.name,
                r.ok,
                r.all()
            ));
        }
        if let Some(want) = c.fails_with {
            if !r.stderr.contains(want) {
                failures.push(format!("{}: want {want:?} in: {}", c.name, r.all()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases disagree:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn verify_reports_bundle_order_and_uses_bundled_root() {
    let d = Dir::new();
    mk(&d, "root", "Test Root", None, CA);
    mk(&d, "inta", "Intermediate A", Some("root"), CA);
    mk(&d, "intb", "Intermediate B", Some("inta"), CA);
    mk(&d, "leaf", "www.example.com", Some("intb"), LEAF);
    // Guide form `pki verify cert bundle`: the root inside the bundle is the anchor.
    cat(&d, "wrong.pem", &["inta", "intb", "root"]);
    let out = d.cli_ok(&["verify", "leaf.crt", "wrong.pem", "--purpose", "server"]);
    assert!(
        out.contains("the bundle is in the wrong order") && out.contains("'Intermediate B', 'Intermediate A'"),
        "{out}"
    );
    assert!(
        out.contains("chain: 'www.example.com' <- 'Intermediate B' <- 'Intermediate A' <- 'Test Root'"),
        "{out}"
    );
    // `ca-cli bundle` fixes it, and the note goes away.
    d.cli_ok(&["bundle", "leaf.crt", "wrong.pem", "--out", "fixed.pem"]);
    cat(&d, "rootonly.pem", &["root"]);
    let out = d.cli_ok(&["verify", "fixed.pem", "rootonly.pem"]);
    assert!(
        !out.contains("wrong order") && out.contains("OK: fixed.pem verifies"),
        "{out}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&d.cli_ok(&["verify", "leaf.crt", "wrong.pem", "--json"])).unwrap();
    assert_eq!(json["problems"].as_array().unwrap().len(), 0);
    let r = d.cli(&["verify", "leaf.crt", "wrong.pem", "--at", "yesterday"]);
    assert!(r.stderr.contains("--at \"yesterday\" is not a date"), "{}", r.all());
}
