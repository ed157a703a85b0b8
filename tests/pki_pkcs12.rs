//! End-to-end tests of the PKCS#12 verbs (issue 4 item 9): `pkcs12 split` on files made by
//! `openssl pkcs12 -export` in every shape (OpenSSL 3 default, `-legacy`, old Windows 3DES/SHA-1,
//! no MAC, DES certificates) and by NSS (BER, committed fixture), `pkcs12 create` read back by
//! `openssl pkcs12 -info`, `pkcs12-to-ssh` against ssh-keygen, and `inspect FILE.pfx`.
#[path = "pki_support.rs"]
mod support;

use std::path::Path;
use std::process::Command;

use support::{assert_clean_pem, Dir};

const PASSWORD: &str = "pfx-secret-1";

/// The leaf key types the tests cover (openssl `-newkey` arguments).
const LEAF_KEYS: [(&str, &[&str]); 4] = [
    ("rsa", &["-newkey", "rsa:2048"]),
    ("p256", &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]),
    ("p384", &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"]),
    ("ed25519", &["-newkey", "ed25519"]),
];

/// Root -> intermediate -> leaf made by openssl in `d`: root.crt, inter.crt, `{name}.key`,
/// `{name}.crt`, and the password file `pw`.
fn make_chain(d: &Dir, name: &str, newkey: &[&str]) {
    if !d.path("root.crt").exists() {
        d.write(
            "ca.ext",
            "[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n",
        );
        d.write(
            "leaf.ext",
            "[leaf]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
        );
        d.openssl_ok(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "root.key",
            "-out",
            "root.crt",
            "-subj",
            "/CN=Test Root CA",
            "-days",
            "3650",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        d.openssl_ok(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "inter.key",
            "-out",
            "inter.csr",
            "-subj",
            "/CN=Test Intermediate CA",
        ]);
        d.openssl_ok(&[
            "x509",
            "-req",
            "-in",
            "inter.csr",
            "-CA",
            "root.crt",
            "-CAkey",
            "root.key",
            "-set_serial",
            "2",
            "-days",
            "3000",
            "-out",
            "inter.crt",
            "-extfile",
            "ca.ext",
            "-extensions",
            "ca",
        ]);
        d.write("pw", &format!("{PASSWORD}\n"));
    }
    let mut req = vec!["req"];
    req.extend_from_slice(newkey);
    let key = format!("{name}.key");
    let csr = format!("{name}.csr");
    let crt = format!("{name}.crt");
    let subj = format!("/CN={name}.example.com");
    req.extend_from_slice(&["-nodes", "-keyout", &key, "-out", &csr, "-subj", &subj]);
    d.openssl_ok(&req);
    d.openssl_ok(&[
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        "inter.crt",
        "-CAkey",
        "inter.key",
        "-set_serial",
        "77",
        "-days",
        "365",
        "-out",
        &crt,
        "-extfile",
        "leaf.ext",
        "-extensions",
        "leaf",
    ]);
}

/// The public key of a key or certificate file, as openssl prints it (an independent check).
fn pubkey(d: &Dir, file: &str) -> String {
    if d.read(file).contains("CERTIFICATE") {
        d.openssl_ok(&["x509", "-in", file, "-noout", "-pubkey"])
    } else {
        d.openssl_ok(&["pkey", "-in", file, "-pubout"])
    }
}

/// `openssl pkcs12 -export` of `name` with the root listed before the intermediate, so that
/// split has to order them.
fn export(d: &Dir, name: &str, out: &str, extra: &[&str]) {
    let certfile = format!("{name}-cas.pem");
    d.write(&certfile, &(d.read("root.crt") + &d.read("inter.crt")));
    let (key, crt) = (format!("{name}.key"), format!("{name}.crt"));
    let mut args = vec![
        "pkcs12",
        "-export",
        "-inkey",
        &key,
        "-in",
        &crt,
        "-certfile",
        &certfile,
        "-passout",
        "file:pw",
        "-out",
        out,
    ];
    args.extend_from_slice(extra);
    d.openssl_ok(&args);
}

/// Checks the three files split wrote for `name` from `stem`.
fn check_split(d: &Dir, dir: &str, stem: &str, name: &str) {
    let key = format!("{dir}/{stem}.key");
    assert_eq!(d.mode(&key), 0o600, "{key}");
    let key_pem = d.read(&key);
    assert!(key_pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{key_pem}");
    assert_clean_pem(&key_pem);
    assert_eq!(pubkey(d, &key), pubkey(d, &format!("{name}.key")), "key of {stem}");
    let crt = d.read(&format!("{dir}/{stem}.crt"));
    assert_eq!(crt, d.read(&format!("{name}.crt")), "leaf of {stem}");
    let chain = d.read(&format!("{dir}/{stem}-chain.crt"));
    assert_clean_pem(&chain);
    assert_eq!(
        chain,
        d.read("inter.crt") + &d.read("root.crt"),
        "chain of {stem}: intermediate first, root last"
    );
}

#[test]
fn split_reads_every_openssl_export_shape() {
    let d = Dir::new();
    let shapes: [(&str, &[&str]); 6] = [
        ("modern", &[]),
        ("legacy", &["-legacy"]),
        (
            "windows",
            &[
                "-keypbe",
                "PBE-SHA1-3DES",
                "-certpbe",
                "PBE-SHA1-3DES",
                "-macalg",
                "sha1",
            ],
        ),
        ("nomac", &["-nomac"]),
        ("descert", &["-legacy", "-descert"]),
        ("plaincerts", &["-certpbe", "NONE", "-name", "web server"]),
    ];
    for (name, newkey) in LEAF_KEYS {
        make_chain(&d, name, newkey);
        for (shape, extra) in shapes {
            let stem = format!("{name}-{shape}");
            let pfx = format!("{stem}.pfx");
            export(&d, name, &pfx, extra);
            let out = d.cli_ok(&["pkcs12", "split", &pfx, "--password-file", "pw", "--out-dir", "out"]);
            assert!(
                out.contains(&format!("out/{stem}-chain.crt (2 certificate(s), issuer first)")),
                "{out}"
            );
            assert!(
                out.contains("'Test Intermediate CA' <- 'Test Root CA'"),
                "{stem}: {out}"
            );
            check_split(&d, "out", &stem, name);
        }
    }
    // Without --out-dir the files land in the current directory, named after the file.
    d.cli_ok(&["pkcs12", "split", "rsa-modern.pfx", "--password-file", "pw"]);
    check_split(&d, ".", "rsa-modern", "rsa");
}

#[test]
fn split_reads_nss_ber_export() {
    // Made by NSS pk12util 3.87 (`pk12util -o nss.p12 -n nsskey`): indefinite lengths and
    // chunked OCTET STRINGs everywhere, PBES2 with 600,000 iterations, SHA-256 MAC.
    let d = Dir::new();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/nss-rsa.p12");
    std::fs::copy(&fixture, d.path("nss.p12")).unwrap();
    d.write("pw", "nsspass123\n");
    let der = std::fs::read(d.path("nss.p12")).unwrap();
    assert_eq!(
        &der[..2],
        &[0x30, 0x80],
        "the fixture must be BER with indefinite lengths"
    );
    d.cli_ok(&["pkcs12", "split", "nss.p12", "--password-file", "pw"]);
    // openssl's own reading of the same file is the reference.
    d.openssl_ok(&[
        "pkcs12",
        "-in",
        "nss.p12",
        "-passin",
        "file:pw",
        "-nokeys",
        "-clcerts",
        "-out",
        "ref-leaf.pem",
    ]);
    d.openssl_ok(&[
        "pkcs12",
        "-in",
        "nss.p12",
        "-passin",
        "file:pw",
        "-nokeys",
        "-cacerts",
        "-out",
        "ref-ca.pem",
    ]);
    d.openssl_ok(&[
        "pkcs12", "-in", "nss.p12", "-passin", "file:pw", "-nocerts", "-nodes", "-out", "ref.key",
    ]);
    let der_of = |f: &str| d.openssl_ok(&["x509", "-in", f, "-outform", "DER"]);
    assert_eq!(der_of("nss.crt"), der_of("ref-leaf.pem"));
    assert_eq!(der_of("nss-chain.crt"), der_of("ref-ca.pem"));
    assert_eq!(pubkey(&d, "nss.key"), pubkey(&d, "ref.key"));
    let subject = d.openssl_ok(&["x509", "-in", "nss.crt", "-noout", "-subject"]);
    assert!(subject.contains("CN = nss.example.com"), "{subject}");
}

#[test]
fn split_errors_name_the_problem() {
    let d = Dir::new();
    make_chain(&d, "rsa", LEAF_KEYS[0].1);
    export(&d, "rsa", "good.pfx", &[]);
    export(&d, "rsa", "nomac.pfx", &["-nomac"]);
    export(&d, "rsa", "legacy.pfx", &["-legacy"]);
    d.write("bad", "not the password\n");
    for f in ["good.pfx", "nomac.pfx", "legacy.pfx"] {
        let r = d.cli(&["pkcs12", "split", f, "--password-file", "bad"]);
        assert!(
            !r.ok && r.stderr.contains(&format!("{f}: wrong password or damaged file")),
            "{f}: {}",
            r.all()
        );
        assert!(
            !d.path(&f.replace(".pfx", ".key")).exists(),
            "nothing written after a failure"
        );
    }
    // A flipped byte inside the MAC-protected contents.
    let mut der = std::fs::read(d.path("good.pfx")).unwrap();
    let mid = der.len() / 2;
    der[mid] ^= 0x55;
    std::fs::write(d.path("damaged.pfx"), der).unwrap();
    let r = d.cli(&["pkcs12", "split", "damaged.pfx", "--password-file", "pw"]);
    assert!(!r.ok && r.stderr.contains("damaged"), "{}", r.all());
    // Certificates only.
    d.openssl_ok(&[
        "pkcs12",
        "-export",
        "-nokeys",
        "-in",
        "rsa.crt",
        "-certfile",
        "inter.crt",
        "-passout",
        "file:pw",
        "-out",
        "certs.pfx",
    ]);
    let r = d.cli(&["pkcs12", "split", "certs.pfx", "--password-file", "pw"]);
    assert!(
        !r.ok && r.stderr.contains("holds no private key (only 2 certificate(s))"),
        "{}",
        r.all()
    );
    // A key with only someone else's certificate.
    d.openssl_ok(&["genrsa", "-out", "other.key", "2048"]);
    d.openssl_ok(&[
        "pkcs12",
        "-export",
        "-inkey",
        "other.key",
        "-nocerts",
        "-certfile",
        "inter.crt",
        "-passout",
        "file:pw",
        "-out",
        "mismatch.pfx",
    ]);
    let r = d.cli(&["pkcs12", "split", "mismatch.pfx", "--password-file", "pw"]);
    assert!(
        !r.ok
            && r.stderr
                .contains("no certificate in the file matches the private key (RSA 2048)"),
        "{}",
        r.all()
    );
    // Not a PKCS#12 file at all.
    let r = d.cli(&["pkcs12", "split", "rsa.crt", "--password-file", "pw"]);
    assert!(
        !r.ok && r.stderr.contains("not a PKCS#12 (.pfx/.p12) file"),
        "{}",
        r.all()
    );
    // The key is never overwritten.
    d.cli_ok(&["pkcs12", "split", "good.pfx", "--password-file", "pw"]);
    let r = d.cli(&["pkcs12", "split", "good.pfx", "--password-file", "pw"]);
    assert!(!r.ok && r.stderr.contains("good.key already exists"), "{}", r.all());
}

/// `openssl pkcs12 -info` of a file we made, with `-legacy` when asked.
fn openssl_info(d: &Dir, pfx: &str, legacy: bool) -> String {
    let mut args = vec!["pkcs12", "-info", "-noout", "-passin", "file:pw", "-in", pfx];
    if legacy {
        args.insert(1, "-legacy");
    }
    d.openssl_ok(&args)
}

#[test]
fn create_is_read_by_openssl() {
    let d = Dir::new();
    for (name, newkey) in LEAF_KEYS {
        make_chain(&d, name, newkey);
        let (key, crt) = (format!("{name}.key"), format!("{name}.crt"));
        for legacy in [false, true] {
            let pfx = format!("{name}-{}.pfx", if legacy { "legacy" } else { "aes" });
            let mut args = vec![
                "pkcs12",
                "create",
                "--key",
                &key,
                "--cert",
                &crt,
                "--chain",
                "root.crt",
                "--chain",
                "inter.crt",
                "--out",
                &pfx,
                "--password-file",
                "pw",
                "--name",
                "web server",
            ];
            if legacy {
                args.push("--legacy");
            }
            let out = d.cli_ok(&args);
            assert!(out.contains("and 2 chain certificate(s)"), "{out}");
            assert_eq!(d.mode(&pfx), 0o600);
            let info = openssl_info(&d, &pfx, false);
            if legacy {
                assert!(info.contains("MAC: sha1"), "{info}");
                assert!(
                    info.contains("PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC"),
                    "{info}"
                );
                assert!(
                    info.contains("Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC"),
                    "{info}"
                );
                // What an administrator on an old system would run.
                openssl_info(&d, &pfx, true);
            } else {
                assert!(info.contains("MAC: sha256"), "{info}");
                assert!(
                    info.contains("PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC")
                        && info.contains("hmacWithSHA256"),
                    "{info}"
                );
                assert!(info.contains("Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC"), "{info}");
            }
            // openssl extracts exactly what went in: key, leaf (with its friendly name), chain.
            let dump = format!("{pfx}.pem");
            let mut args = vec!["pkcs12", "-in", &pfx, "-passin", "file:pw", "-nodes", "-out", &dump];
            if legacy {
                args.insert(1, "-legacy");
            }
            d.openssl_ok(&args);
            let text = d.read(&dump);
            assert!(text.contains("friendlyName: web server"), "{text}");
            assert_eq!(text.matches("BEGIN CERTIFICATE").count(), 3, "{text}");
            assert_eq!(pubkey(&d, &dump), pubkey(&d, &crt));
            // And our split gives back the inputs.
            let stem = pfx.trim_end_matches(".pfx").to_string();
            d.cli_ok(&["pkcs12", "split", &pfx, "--password-file", "pw", "--out-dir", "back"]);
            check_split(&d, "back", &stem, name);
        }
    }
}

#[test]
fn create_errors_name_the_problem() {
    let d = Dir::new();
    make_chain(&d, "rsa", LEAF_KEYS[0].1);
    make_chain(&d, "p256", LEAF_KEYS[1].1);
    let r = d.cli(&[
        "pkcs12",
        "create",
        "--key",
        "p256.key",
        "--cert",
        "rsa.crt",
        "--out",
        "x.pfx",
        "--password-file",
        "pw",
    ]);
    assert!(
        !r.ok
            && r.stderr.contains("the private key (ECDSA P-256")
            && r.stderr
                .contains("does not match the certificate 'rsa.example.com' (RSA 2048"),
        "{}",
        r.all()
    );
    assert!(!d.path("x.pfx").exists());
    // An unrelated certificate in --chain is left out and reported.
    let out = d.cli_ok(&[
        "pkcs12",
        "create",
        "--key",
        "rsa.key",
        "--cert",
        "rsa.crt",
        "--chain",
        "inter.crt",
        "--chain",
        "p256.crt",
        "--out",
        "y.pfx",
        "--password-file",
        "pw",
    ]);
    assert!(out.contains("and 1 chain certificate(s)"), "{out}");
    assert!(out.contains("left out 'p256.example.com': not an issuer"), "{out}");
    let r = d.cli(&[
        "pkcs12",
        "create",
        "--key",
        "rsa.key",
        "--cert",
        "rsa.crt",
        "--out",
        "y.pfx",
        "--password-file",
        "pw",
    ]);
    assert!(!r.ok && r.stderr.contains("y.pfx already exists"), "{}", r.all());
    // An encrypted key needs its own password.
    d.openssl_ok(&[
        "pkey",
        "-in",
        "rsa.key",
        "-aes256",
        "-passout",
        "pass:key-pass-1",
        "-out",
        "rsa-enc.key",
    ]);
    d.write("keypw", "key-pass-1\n");
    d.cli_ok(&[
        "pkcs12",
        "create",
        "--key",
        "rsa-enc.key",
        "--key-password-file",
        "keypw",
        "--cert",
        "rsa.crt",
        "--out",
        "z.pfx",
        "--password-file",
        "pw",
    ]);
    openssl_info(&d, "z.pfx", false);
}

/// The OpenSSH line of an unencrypted private key by an independent tool: ssh-keygen, or
/// Python's cryptography where ssh-keygen is not installed. Type and base64 blob only: the
/// comment differs between tools.
fn reference_ssh_line(d: &Dir, key: &str) -> String {
    if d.read(key).contains("BEGIN PRIVATE KEY")
        && pubkey(d, key).starts_with("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2Vw")
    {
        return ed25519_reference(d, key);
    }
    let ssh_keygen = Command::new("ssh-keygen").arg("-?").output().is_ok();
    let out = if ssh_keygen {
        Command::new("ssh-keygen")
            .args(["-y", "-f", key])
            .current_dir(d.tmp.path())
            .output()
    } else {
        let script = "import sys\nfrom cryptography.hazmat.primitives import serialization as s\n\
            k = s.load_pem_private_key(open(sys.argv[1], 'rb').read(), None)\n\
            print(k.public_key().public_bytes(s.Encoding.OpenSSH, s.PublicFormat.OpenSSH).decode())";
        Command::new("python3")
            .args(["-c", script, key])
            .current_dir(d.tmp.path())
            .output()
    }
    .expect("ssh-keygen or python3 with cryptography must be installed");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

/// ssh-keygen 9.2 cannot load PKCS#8 Ed25519 keys, so build the line from openssl's raw public
/// key and the RFC 8709 wire format: string "ssh-ed25519", string key.
fn ed25519_reference(d: &Dir, key: &str) -> String {
    d.openssl_ok(&["pkey", "-in", key, "-pubout", "-outform", "DER", "-out", "ed.der"]);
    let spki = std::fs::read(d.path("ed.der")).unwrap();
    let raw = &spki[spki.len() - 32..];
    let mut blob = Vec::new();
    for field in [&b"ssh-ed25519"[..], raw] {
        blob.extend((field.len() as u32).to_be_bytes());
        blob.extend_from_slice(field);
    }
    std::fs::write(d.path("ed.blob"), blob).unwrap();
    let b64 = d.openssl_ok(&["base64", "-A", "-in", "ed.blob"]);
    format!("ssh-ed25519 {}", b64.trim())
}

#[test]
fn pkcs12_to_ssh_matches_ssh_keygen() {
    let d = Dir::new();
    for (name, newkey) in LEAF_KEYS {
        make_chain(&d, name, newkey);
        let pfx = format!("{name}.pfx");
        export(&d, name, &pfx, &["-name", "john"]);
        let line = d.cli_ok(&["pkcs12-to-ssh", &pfx, "--password-file", "pw"]);
        let expected = reference_ssh_line(&d, &format!("{name}.key"));
        assert_eq!(line, format!("{expected} john\n"), "{name}");
        let prefix = match name {
            "rsa" => "ssh-rsa AAAA",
            "p256" => "ecdsa-sha2-nistp256 AAAA",
            "p384" => "ecdsa-sha2-nistp384 AAAA",
            _ => "ssh-ed25519 AAAA",
        };
        assert!(line.starts_with(prefix), "{line}");
    }
    // Legacy encryption too, and the error for a file without a key.
    export(&d, "rsa", "rsa-legacy.pfx", &["-legacy"]);
    let line = d.cli_ok(&["pkcs12-to-ssh", "rsa-legacy.pfx", "--password-file", "pw"]);
    assert!(line.starts_with(&reference_ssh_line(&d, "rsa.key")), "{line}");
    d.openssl_ok(&[
        "pkcs12", "-export", "-nokeys", "-in", "rsa.crt", "-passout", "file:pw", "-out", "c.pfx",
    ]);
    let r = d.cli(&["pkcs12-to-ssh", "c.pfx", "--password-file", "pw"]);
    assert!(!r.ok && r.stderr.contains("holds no private key"), "{}", r.all());
}

#[test]
fn inspect_shows_each_bag() {
    let d = Dir::new();
    make_chain(&d, "rsa", LEAF_KEYS[0].1);
    export(&d, "rsa", "modern.pfx", &["-name", "web server"]);
    export(&d, "rsa", "legacy.pfx", &["-legacy"]);
    let out = d.cli_ok(&["inspect", "modern.pfx", "--password-file", "pw"]);
    assert!(
        out.contains("PKCS#12 file, 4 bag(s), integrity: HMAC-SHA256, 2048 ITERATIONS"),
        "{out}"
    );
    assert!(out.contains("Private key: RSA 2048"), "{out}");
    assert!(
        out.contains("certificate: 'rsa.example.com' (same public key)"),
        "{out}"
    );
    assert!(out.contains("subject:    CN=rsa.example.com"), "{out}");
    assert!(out.contains("issuer:     CN=Test Intermediate CA"), "{out}");
    assert!(out.contains("subject:    CN=Test Root CA"), "{out}");
    assert!(out.contains("friendly name: web server"), "{out}");
    assert!(out.contains("encryption:    PBES2 PBKDF2-SHA256 AES-256-CBC"), "{out}");
    let out = d.cli_ok(&["inspect", "legacy.pfx", "--password-file", "pw"]);
    assert!(out.contains("integrity: HMAC-SHA1"), "{out}");
    assert!(out.contains("encryption:    pbeWithSHA1And40BitRC2-CBC"), "{out}");
    assert!(out.contains("encryption:    pbeWithSHA1And3-KeyTripleDES-CBC"), "{out}");
    // JSON for scripts.
    let json: serde_json::Value =
        serde_json::from_str(&d.cli_ok(&["inspect", "modern.pfx", "--password-file", "pw", "--json"])).unwrap();
    assert_eq!(json["type"], "pkcs12");
    let bags = json["bags"].as_array().unwrap();
    assert_eq!(bags.len(), 4);
    assert!(
        bags.iter()
            .any(|b| b["type"] == "private-key" && b["key"] == "RSA 2048"),
        "{json}"
    );
    assert_eq!(bags.iter().filter(|b| b["type"] == "certificate").count(), 3, "{json}");
    // Without a password: what it is and how to see more; with a wrong one: the error.
    let out = d.cli_ok(&["inspect", "modern.pfx"]);
    assert!(
        out.contains("PKCS#12 (.pfx/.p12) file") && out.contains("--password-file"),
        "{out}"
    );
    d.write("bad", "nope\n");
    let r = d.cli(&["inspect", "modern.pfx", "--password-file", "bad"]);
    assert!(
        !r.ok && r.stderr.contains("wrong password or damaged file"),
        "{}",
        r.all()
    );
}
