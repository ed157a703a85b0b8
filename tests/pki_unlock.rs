//! End-to-end tests of `ca-cli unlock` on PKCS#8 keys that openssl encrypts with the old schemes
//! (`openssl pkcs8 -topk8 -v1 ALG`): PBES1 (RFC 8018 6.1, PBKDF1 + DES/RC2) and the PKCS#12 PBE
//! schemes (RFC 7292 Appendix C). Every unlocked key is compared with the original through
//! `openssl pkey -pubout`. openssl is required: its absence fails these tests.
#[path = "pki_support.rs"]
mod support;

use std::process::{Command, Stdio};

use support::Dir;

/// `-v1` algorithm, whether OpenSSL 3 needs its legacy provider for it, and the scheme name
/// `inspect` and `unlock` print.
const SCHEMES: [(&str, bool, &str); 8] = [
    ("PBE-SHA1-3DES", false, "pbeWithSHA1And3-KeyTripleDES-CBC"),
    ("PBE-SHA1-2DES", false, "pbeWithSHA1And2-KeyTripleDES-CBC"),
    ("PBE-SHA1-RC2-40", true, "pbeWithSHA1And40BitRC2-CBC"),
    ("PBE-SHA1-RC2-128", true, "pbeWithSHA1And128BitRC2-CBC"),
    ("PBE-MD5-DES", true, "pbeWithMD5AndDES-CBC"),
    ("PBE-SHA1-DES", true, "pbeWithSHA1AndDES-CBC"),
    ("PBE-MD5-RC2-64", true, "pbeWithMD5AndRC2-CBC"),
    ("PBE-SHA1-RC2-64", true, "pbeWithSHA1AndRC2-CBC"),
];

/// Plain keys of the three kinds, made by openssl.
fn originals(d: &Dir) -> [&'static str; 3] {
    d.openssl_ok(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        "rsa.pem",
    ]);
    d.openssl_ok(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "ec.pem",
    ]);
    d.openssl_ok(&["genpkey", "-algorithm", "ed25519", "-out", "ed.pem"]);
    ["rsa", "ec", "ed"]
}

/// `openssl pkcs8 -topk8 -v1 ALG` of `src` into `out`, with the password `secretpw`.
fn encrypt_v1(d: &Dir, src: &str, alg: &str, legacy: bool, out: &str, der: bool) {
    let mut args = vec!["pkcs8", "-topk8", "-v1", alg];
    if legacy {
        args.extend(["-provider", "legacy", "-provider", "default"]);
    }
    args.extend(["-in", src, "-passout", "pass:secretpw", "-out", out]);
    if der {
        args.extend(["-outform", "DER"]);
    }
    d.openssl_ok(&args);
}

fn public_key(d: &Dir, file: &str) -> String {
    d.openssl_ok(&["pkey", "-in", file, "-pubout"])
}

#[test]
fn unlock_reads_pbes1_and_pkcs12_pbe_keys_openssl_makes() {
    let d = Dir::new();
    d.write("pw", "secretpw\n");
    for kind in originals(&d) {
        let original = public_key(&d, &format!("{kind}.pem"));
        for (alg, legacy, name) in SCHEMES {
            let enc = format!("{kind}-{alg}.key");
            encrypt_v1(&d, &format!("{kind}.pem"), alg, legacy, &enc, false);
            assert!(d.read(&enc).starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
            let insp = d.cli_ok(&["inspect", &enc]);
            assert!(insp.contains(&format!("PKCS#8, encrypted ({name})")), "{enc}: {insp}");
            assert!(insp.contains("encrypted: yes"), "{enc}: {insp}");
            let out = format!("{enc}.plain");
            let said = d.cli_ok(&["unlock", &enc, "--out", &out, "--password-file", "pw"]);
            assert!(said.contains(name), "{enc}: {said}");
            assert_eq!(d.mode(&out), 0o600);
            assert!(d.read(&out).starts_with("-----BEGIN PRIVATE KEY-----"));
            assert_eq!(public_key(&d, &out), original, "{enc}");
        }
    }
}

#[test]
fn unlock_reads_der_pbes1_keys() {
    let d = Dir::new();
    d.write("pw", "secretpw");
    originals(&d);
    for (alg, legacy, name) in [SCHEMES[0], SCHEMES[4], SCHEMES[5]] {
        let enc = format!("ec-{alg}.der");
        encrypt_v1(&d, "ec.pem", alg, legacy, &enc, true);
        let insp = d.cli_ok(&["inspect", &enc]);
        assert!(insp.contains(name), "{enc}: {insp}");
        let out = format!("{enc}.key");
        d.cli_ok(&["unlock", &enc, "--out", &out, "--password-file", "pw"]);
        assert_eq!(public_key(&d, &out), public_key(&d, "ec.pem"), "{enc}");
    }
}

#[test]
fn wrong_password_is_a_clear_error_for_every_scheme() {
    let d = Dir::new();
    d.write("bad", "wrong-password\n");
    originals(&d);
    for (alg, legacy, _) in SCHEMES {
        let enc = format!("rsa-{alg}.key");
        encrypt_v1(&d, "rsa.pem", alg, legacy, &enc, false);
        let r = d.cli(&["unlock", &enc, "--out", "never.key", "--password-file", "bad"]);
        assert!(!r.ok, "{alg}: {}", r.all());
        assert!(
            r.stderr.contains(&format!(
                "{enc}: the private key could not be decrypted: wrong passphrase"
            )),
            "{alg}: {}",
            r.all()
        );
        assert!(!d.path("never.key").exists(), "{alg}");
        // The file is left as it was.
        assert!(d.read(&enc).starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    }
    // Without a password file, off a terminal: say how to give one.
    let r = d.cli(&["unlock", "rsa-PBE-MD5-DES.key"]);
    assert!(r.stderr.contains("no password: give --password-file"), "{}", r.all());
}

/// Runs ca-cli on a pseudo-terminal (util-linux `script`), typing `typed`; returns what the
/// terminal showed.
fn on_terminal(d: &Dir, args: &str, typed: &str) -> String {
    let cmd = format!("{} {args}", support::ca_cli().display());
    let mut child = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(d.tmp.path())
        .env_remove("PRIVCA_PASSPHRASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script (util-linux) must be installed for this test");
    let mut stdin = child.stdin.take().unwrap();
    let typed = typed.to_string();
    // Type after the prompt is up; a pty keeps early input anyway, the pause only helps rpassword.
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        std::thread::sleep(std::time::Duration::from_millis(500));
        let _ = stdin.write_all(typed.as_bytes());
        std::thread::sleep(std::time::Duration::from_millis(1500));
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn prompt_names_the_file_not_the_ca_key() {
    let d = Dir::new();
    originals(&d);
    encrypt_v1(&d, "ec.pem", "PBE-SHA1-DES", true, "ec-des.key", false);
    let shown = on_terminal(&d, "unlock ec-des.key --out ec-plain.key", "secretpw\n");
    assert!(shown.contains("Password for ec-des.key: "), "{shown}");
    assert!(!shown.contains("CA key passphrase"), "{shown}");
    assert_eq!(public_key(&d, "ec-plain.key"), public_key(&d, "ec.pem"));
    // A .pfx: the same prompt, naming the .pfx.
    d.openssl_ok(&[
        "req",
        "-x509",
        "-key",
        "ec.pem",
        "-subj",
        "/CN=pfx.example.com",
        "-days",
        "30",
        "-out",
        "ec.crt",
    ]);
    d.openssl_ok(&[
        "pkcs12",
        "-export",
        "-inkey",
        "ec.pem",
        "-in",
        "ec.crt",
        "-passout",
        "pass:secretpw",
        "-out",
        "site.pfx",
    ]);
    let shown = on_terminal(&d, "pkcs12 split site.pfx", "secretpw\n");
    assert!(shown.contains("Password for site.pfx: "), "{shown}");
    assert!(!shown.contains("CA key passphrase"), "{shown}");
    assert_eq!(public_key(&d, "site.key"), public_key(&d, "ec.pem"));
}
