//! End-to-end tests of the offline pki verbs (issue 4): keygen, csr, selfsigned, sign, inspect,
//! match, convert, bundle, unlock and lock, checked with openssl.
#[path = "pki_support.rs"]
mod support;

use support::{assert_clean_pem, Dir};

const TYPES: [&str; 3] = ["rsa-2048", "ecdsa-p256", "ed25519"];

#[test]
fn keygen_writes_private_pkcs8_for_every_type() {
    let d = Dir::new();
    for (i, t) in TYPES.iter().enumerate() {
        let name = format!("k{i}");
        d.cli_ok(&["keygen", &name, "--key-type", t]);
        let f = format!("{name}.key");
        assert_eq!(d.mode(&f), 0o600);
        let pem = d.read(&f);
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{pem}");
        assert_clean_pem(&pem);
        d.openssl_ok(&["pkey", "-in", &f, "-noout"]);
    }
    let again = d.cli(&["keygen", "k0"]);
    assert!(
        !again.ok && again.stderr.contains("already exists; refusing to overwrite"),
        "{}",
        again.all()
    );
    let bad = d.cli(&["keygen", "x", "--key-type", "dsa"]);
    assert!(bad.stderr.contains("unknown key type dsa"), "{}", bad.all());
    // Encrypted: openssl reads it with the password.
    d.write("pw", "correct horse\n");
    d.cli_ok(&["keygen", "enc", "--encrypt", "--password-file", "pw"]);
    assert!(d.read("enc.key").starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    d.openssl_ok(&["pkey", "-in", "enc.key", "-passin", "pass:correct horse", "-noout"]);
}

#[test]
fn csr_accepts_the_guide_syntax() {
    let d = Dir::new();
    d.cli_ok(&[
        "csr",
        "callbridge",
        "CN:www.example.com",
        "O:Example Inc.",
        "OU:Support",
        "L:London",
        "ST:New Jersey",
        "C:GB",
        "emailAddress:pki@example.com",
        "subjectAltName:callbridge.example.com,192.168.1.25",
    ]);
    assert_eq!(d.mode("callbridge.key"), 0o600);
    assert_clean_pem(&d.read("callbridge.csr"));
    let text = d.openssl_ok(&["req", "-in", "callbridge.csr", "-noout", "-text", "-verify"]);
    assert!(text.contains("verify OK"), "{text}");
    assert!(
        text.contains("C = GB, ST = New Jersey, L = London, O = Example Inc., OU = Support, CN = www.example.com, emailAddress = pki@example.com"),
        "{text}"
    );
    assert!(
        text.contains("DNS:callbridge.example.com, IP Address:192.168.1.25, DNS:www.example.com"),
        "CN appended to the SAN list: {text}"
    );
    assert!(
        text.contains("TLS Web Server Authentication, TLS Web Client Authentication"),
        "{text}"
    );
    assert!(text.contains("Digital Signature"), "{text}");
}

#[test]
fn csr_guide_command_lines() {
    let d = Dir::new();
    // Guide 004 2.3: one certificate for several services.
    d.cli_ok(&[
        "csr",
        "onecert",
        "CN:example.com",
        "subjectAltName:callbridge1.example.com,callbridge2.example.com,webbridge3.example.com",
    ]);
    let text = d.openssl_ok(&["req", "-in", "onecert.csr", "-noout", "-text", "-verify"]);
    assert!(
        text.contains(
            "DNS:callbridge1.example.com, DNS:callbridge2.example.com, DNS:webbridge3.example.com, DNS:example.com"
        ),
        "{text}"
    );
    // Appendix C test3: the SAN list split by spaces, with a duplicate; the CN is not repeated.
    d.cli_ok(&[
        "csr",
        "test3",
        "CN:example.exampledemo.com",
        "C:US",
        "L:Purcellville",
        "O:Example",
        "OU:Support",
        "ST:Virginia",
        "subjectAltName:exampledemo.com,",
        "192.168.1.25,exampledemo.com,",
        "server.exampledemo.com,join.exampledemo.com,",
        "test.exampledemo.com,example.exampledemo.com",
    ]);
    let text = d.openssl_ok(&["req", "-in", "test3.csr", "-noout", "-text"]);
    assert!(
        text.contains("DNS:exampledemo.com, IP Address:192.168.1.25, DNS:server.exampledemo.com, DNS:join.exampledemo.com, DNS:test.exampledemo.com, DNS:example.exampledemo.com\n"),
        "{text}"
    );
    // With an existing key, for every key type; DER output.
    for t in TYPES {
        let name = format!("k-{t}");
        d.cli_ok(&["keygen", &name, "--key-type", t]);
        let key = format!("{name}.key");
        d.cli_ok(&["csr", &name, "CN:host.example.com", "--key", &key, "--der"]);
        let csr = format!("{name}.csr");
        let out = d.openssl_ok(&["req", "-in", &csr, "-inform", "DER", "-noout", "-verify"]);
        assert!(out.contains("verify OK"), "{out}");
    }
}

#[test]
fn csr_errors_name_the_problem() {
    let d = Dir::new();
    let cases: [(&[&str], &str); 5] = [
        (
            &["csr", "a", "CN:a.example.com", "C:GBR"],
            "country \"GBR\" is not a two-letter code",
        ),
        (&["csr", "b", "CN:a.example.com", "XY:1"], "unknown attribute \"XY\""),
        (
            &["csr", "c", "CN:a.example.com", "subjectAltName:192.168.1.300"],
            "\"192.168.1.300\": is not a valid IP address",
        ),
        (
            &["csr", "d", "CN:a.example.com", "subjectAltName:bad_host!"],
            "is not a valid host name",
        ),
        (&["csr", "e", "O:Example"], "give at least CN:value"),
    ];
    for (args, want) in cases {
        let r = d.cli(args);
        assert!(
            !r.ok && r.stderr.contains(want),
            "{args:?}: want {want:?}, got {}",
            r.all()
        );
        assert!(
            !d.path(&format!("{}.key", args[1])).exists(),
            "no key left behind for {args:?}"
        );
    }
}

#[test]
fn database_cluster_recipe_end_to_end() {
    // Guide 004 3.1.4: pki selfsigned dbca / pki csr dbserver / pki csr dbclient / pki sign.
    let d = Dir::new();
    d.cli_ok(&["selfsigned", "dbca", "CN:My company CA", "--key-type", "ecdsa-p256"]);
    d.cli_ok(&[
        "csr",
        "dbserver",
        "CN:server.db.example.com",
        "subjectAltName:server02.db.example.com",
    ]);
    d.cli_ok(&["csr", "dbclient", "CN:postgres", "--key-type", "ed25519"]);
    let out = d.cli_ok(&["sign", "dbserver", "dbca"]);
    assert!(out.contains("Wrote dbserver.crt"), "{out}");
    d.cli_ok(&["sign", "dbclient", "dbca", "--days", "30"]);
    assert_clean_pem(&d.read("dbserver.crt"));
    let v = d.openssl_ok(&[
        "verify",
        "-x509_strict",
        "-purpose",
        "sslserver",
        "-CAfile",
        "dbca.crt",
        "dbserver.crt",
    ]);
    assert!(v.contains("dbserver.crt: OK"), "{v}");
    let v = d.openssl_ok(&[
        "verify",
        "-x509_strict",
        "-purpose",
        "sslclient",
        "-CAfile",
        "dbca.crt",
        "dbclient.crt",
    ]);
    assert!(v.contains("dbclient.crt: OK"), "{v}");
    let text = d.openssl_ok(&["x509", "-in", "dbserver.crt", "-noout", "-text"]);
    assert!(text.contains("Issuer: CN = My company CA"), "{text}");
    assert!(text.contains("DNS:server02.db.example.com"), "{text}");
    let ca = d.openssl_ok(&["x509", "-in", "dbca.crt", "-noout", "-text"]);
    assert!(ca.contains("CA:TRUE") && ca.contains("Certificate Sign"), "{ca}");
    // The templates' rules apply: a CA key that does not belong to the CA certificate is refused.
    d.cli_ok(&["keygen", "other", "--key-type", "ecdsa-p256"]);
    std::fs::copy(d.path("dbca.crt"), d.path("other.crt")).unwrap();
    let r = d.cli(&["sign", "dbserver", "other"]);
    assert!(r.stderr.contains("does not match its certificate"), "{}", r.all());
    let r = d.cli(&["sign", "dbserver", "dbca", "--profile", "nosuch"]);
    assert!(r.stderr.contains("unknown template \"nosuch\""), "{}", r.all());
}

#[test]
fn inspect_describes_every_kind_of_file() {
    let d = Dir::new();
    d.cli_ok(&["selfsigned", "ca", "CN:Inspect CA", "--key-type", "ecdsa-p384"]);
    d.cli_ok(&["csr", "web", "CN:web.example.com", "subjectAltName:192.168.1.25"]);
    d.cli_ok(&["sign", "web", "ca"]);
    let out = d.cli_ok(&["inspect", "web.crt"]);
    for want in [
        "subject:    CN=web.example.com",
        "issuer:     CN=Inspect CA",
        "key:        RSA 2048",
        "DNS:web.example.com, IP:192.168.1.25",
        "key usage:  digitalSignature, keyEncipherment",
        "extended key usage: serverAuth, clientAuth",
        "basic constraints: CA:FALSE",
        "SHA-256 fingerprint:",
        "days left",
    ] {
        assert!(out.contains(want), "want {want:?} in {out}");
    }
    let fp = d.openssl_ok(&["x509", "-in", "web.crt", "-noout", "-fingerprint", "-sha256"]);
    let fp = fp.trim().rsplit('=').next().unwrap().to_string();
    assert!(out.contains(&fp), "fingerprint {fp} in {out}");
    // A bundle: each element shown; DER accepted.
    let bundle = d.read("web.crt") + &d.read("ca.crt");
    d.write("bundle.pem", &bundle);
    let out = d.cli_ok(&["inspect", "bundle.pem"]);
    assert!(
        out.contains("bundle of 2 certificates") && out.contains("(self-signed)"),
        "{out}"
    );
    d.openssl_ok(&["x509", "-in", "web.crt", "-outform", "DER", "-out", "web.der"]);
    assert!(d.cli_ok(&["inspect", "web.der"]).contains("CN=web.example.com"));
    assert!(d.cli_ok(&["inspect", "web.csr"]).contains("signature: valid"));
    assert!(d.cli_ok(&["inspect", "web.key"]).contains("Private key: RSA 2048"));
    // JSON for scripts.
    let json: serde_json::Value = serde_json::from_str(&d.cli_ok(&["inspect", "web.crt", "--json"])).unwrap();
    assert_eq!(json[0]["type"], "certificate");
    assert_eq!(json[0]["status"], "valid");
    // Expired certificates are flagged.
    d.openssl_ok(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "old.key",
        "-out",
        "old.crt",
        "-subj",
        "/CN=old",
        "-days",
        "1",
    ]);
    let out = d.cli_ok(&["inspect", "old.crt"]);
    assert!(out.contains("WARNING: expires soon"), "{out}");
    let r = d.cli(&["inspect", "nosuch.pem"]);
    assert!(!r.ok && r.stderr.contains("cannot read nosuch.pem"), "{}", r.all());
}

#[test]
fn match_pairs_and_mismatches() {
    let d = Dir::new();
    for t in TYPES {
        let n = format!("m-{t}");
        d.cli_ok(&["selfsigned", &n, "CN:match", "--key-type", t]);
        let out = d.cli_ok(&["match", &format!("{n}.key"), &format!("{n}.crt")]);
        assert!(out.contains("Key and certificate pair match"), "{out}");
    }
    let r = d.cli(&["match", "m-ed25519.key", "m-rsa-2048.crt"]);
    assert!(!r.ok, "{}", r.all());
    assert!(
        r.stderr.contains("Key and certificate do not match: key is Ed25519")
            && r.stderr.contains("certificate's key is RSA 2048"),
        "{}",
        r.all()
    );
    // Keys made by openssl in traditional form match too.
    d.openssl_ok(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        "sec1.key",
    ]);
    d.openssl_ok(&[
        "req", "-x509", "-key", "sec1.key", "-out", "sec1.crt", "-subj", "/CN=sec1", "-days", "10",
    ]);
    assert!(d.cli_ok(&["match", "sec1.key", "sec1.crt"]).contains("pair match"));
}

#[test]
fn convert_round_trips() {
    let d = Dir::new();
    d.cli_ok(&["selfsigned", "c", "CN:convert", "--key-type", "ecdsa-p256"]);
    d.cli_ok(&["csr", "r", "CN:r.example.com", "--key-type", "ecdsa-p256"]);
    d.cli_ok(&["convert", "c.crt", "--to", "der"]);
    d.openssl_ok(&["x509", "-in", "c.der", "-inform", "DER", "-noout"]);
    d.cli_ok(&["convert", "c.der", "--to", "pem", "--out", "back.pem"]);
    assert_eq!(d.read("back.pem"), d.read("c.crt"));
    d.cli_ok(&["convert", "r.csr", "--to", "der"]);
    d.openssl_ok(&["req", "-in", "r.der", "-inform", "DER", "-noout", "-verify"]);
    d.cli_ok(&["convert", "c.key", "--to", "der", "--out", "c-key.der"]);
    assert_eq!(d.mode("c-key.der"), 0o600);
    d.openssl_ok(&["pkey", "-in", "c-key.der", "-inform", "DER", "-noout"]);
    let both = d.read("c.crt") + &d.read("r.csr");
    d.write("two.pem", &both);
    let r = d.cli(&["convert", "two.pem", "--to", "der"]);
    assert!(
        r.stderr.contains("holds 2 PEM blocks; a DER file holds one"),
        "{}",
        r.all()
    );
}

#[test]
fn bundle_orders_and_reports() {
    let d = Dir::new();
    d.cli_ok(&["selfsigned", "root", "CN:Bundle Root", "--key-type", "ecdsa-p256"]);
    d.cli_ok(&["csr", "int", "CN:Bundle Intermediate", "--key-type", "ecdsa-p256"]);
    d.cli_ok(&["sign", "int", "root", "--profile", "subordinate-ca"]);
    d.cli_ok(&["csr", "leaf", "CN:leaf.example.com", "--key-type", "ecdsa-p256"]);
    d.cli_ok(&["sign", "leaf", "int"]);
    d.cli_ok(&["selfsigned", "stray", "CN:Unrelated", "--key-type", "ecdsa-p256"]);
    // Everything in the wrong order, with a duplicate and an unrelated certificate.
    let mixed = d.read("root.crt") + &d.read("stray.crt") + &d.read("int.crt") + &d.read("root.crt");
    d.write("mixed.pem", &mixed);
    let out = d.cli_ok(&["bundle", "leaf.crt", "mixed.pem", "--out", "fullchain.pem"]);
    assert!(out.contains("dropped duplicate 'Bundle Root'"), "{out}");
    assert!(out.contains("dropped unrelated 'Unrelated'"), "{out}");
    assert!(out.contains("root 'Bundle Root' left out"), "{out}");
    let chain = d.read("fullchain.pem");
    assert_clean_pem(&chain);
    assert_eq!(chain, d.read("leaf.crt") + &d.read("int.crt"));
    d.cli_ok(&[
        "bundle",
        "leaf.crt",
        "mixed.pem",
        "--out",
        "withroot.pem",
        "--include-root",
    ]);
    assert_eq!(
        d.read("withroot.pem"),
        d.read("leaf.crt") + &d.read("int.crt") + &d.read("root.crt")
    );
    let v = d.openssl_ok(&[
        "verify",
        "-x509_strict",
        "-CAfile",
        "root.crt",
        "-untrusted",
        "fullchain.pem",
        "fullchain.pem",
    ]);
    assert!(v.contains("OK"), "{v}");
}

#[test]
fn unlock_reads_openssl_legacy_and_pkcs8_keys() {
    let d = Dir::new();
    d.write("pw", "secretpw\n");
    d.openssl_ok(&[
        "genrsa",
        "-des3",
        "-traditional",
        "-passout",
        "pass:secretpw",
        "-out",
        "rsa-legacy.key",
        "2048",
    ]);
    assert!(d.read("rsa-legacy.key").contains("DEK-Info: DES-EDE3-CBC"));
    d.openssl_ok(&[
        "genrsa",
        "-des3",
        "-passout",
        "pass:secretpw",
        "-out",
        "rsa-p8.key",
        "2048",
    ]);
    d.openssl_ok(&["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.pem"]);
    d.openssl_ok(&[
        "ec",
        "-in",
        "ec.pem",
        "-des3",
        "-passout",
        "pass:secretpw",
        "-out",
        "ec-legacy.key",
    ]);
    d.openssl_ok(&[
        "ec",
        "-in",
        "ec.pem",
        "-aes256",
        "-passout",
        "pass:secretpw",
        "-out",
        "ec-aes.key",
    ]);
    d.openssl_ok(&[
        "genpkey",
        "-algorithm",
        "ed25519",
        "-aes-256-cbc",
        "-pass",
        "pass:secretpw",
        "-out",
        "ed.key",
    ]);
    for k in ["rsa-legacy.key", "rsa-p8.key", "ec-legacy.key", "ec-aes.key", "ed.key"] {
        let insp = d.cli_ok(&["inspect", k]);
        assert!(insp.contains("encrypted: yes"), "{k}: {insp}");
        let out = format!("{k}.plain");
        d.cli_ok(&["unlock", k, "--out", &out, "--password-file", "pw"]);
        assert_eq!(d.mode(&out), 0o600);
        assert!(d.read(&out).starts_with("-----BEGIN PRIVATE KEY-----"));
        d.openssl_ok(&["pkey", "-in", &out, "-noout"]);
        // The same key: openssl's public key of both agrees.
        let a = d.openssl_ok(&["pkey", "-in", k, "-passin", "pass:secretpw", "-pubout"]);
        let b = d.openssl_ok(&["pkey", "-in", &out, "-pubout"]);
        assert_eq!(a, b, "{k}");
    }
    d.write("bad", "wrong-password\n");
    let r = d.cli(&["unlock", "rsa-legacy.key", "--password-file", "bad"]);
    assert!(
        r.stderr.contains("could not be decrypted: wrong passphrase"),
        "{}",
        r.all()
    );
    // In place, as the guide's `pki unlock`; then lock again.
    d.cli_ok(&["unlock", "ec-aes.key", "--password-file", "pw"]);
    assert!(d.read("ec-aes.key").starts_with("-----BEGIN PRIVATE KEY-----"));
    let r = d.cli(&["unlock", "ec-aes.key", "--password-file", "pw"]);
    assert!(r.stderr.contains("is not encrypted; nothing to unlock"), "{}", r.all());
    d.cli_ok(&["lock", "ec-aes.key", "--password-file", "pw"]);
    assert_eq!(d.mode("ec-aes.key"), 0o600);
    d.openssl_ok(&["pkey", "-in", "ec-aes.key", "-passin", "pass:secretpw", "-noout"]);
}
