//! CRLs and OCSP responses checked by independent tools: OpenSSL (`crl -verify`, `verify
//! -crl_check`, `ocsp -respin`), pkilint (`lint_crl`, `lint_ocsp_response`) and Python
//! `cryptography`. A missing tool FAILS these tests: interop is the point, a skip would hide it.
use std::path::{Path, PathBuf};
use std::process::Command;

use ::time::{Duration, OffsetDateTime};
use aws_lc_rs::rand::SystemRandom;
use base64::Engine;
use ca_core::bootstrap::{intermediate_certificate, root_certificate};
use ca_core::csr::CertRequest;
use ca_core::csrbuild::build_csr;
use ca_core::issue::{IssuerUrls, IssuingCa};
use ca_core::keys::{generate_pkcs8, KeyPair, KeyType};
use ca_core::name::parse_dn;
use ca_core::pem;
use ca_core::profile::Profile;
use ca_core::revocation::{
    build_crl, build_response, decode_get_path, error_response, parse_request, CertStatus, CrlEntry, CrlParams,
    ErrorStatus, HashAlg, IssuerHashes, OcspCertId, Reason, Responder, SingleStatus,
};
use ca_core::serial::Serial;
use ca_core::signer::Signer;
use ca_core::Error;

const CRL_URL: &str = "http://127.0.0.1:8080/crl/default.crl";
const DELTA_URL: &str = "http://127.0.0.1:8080/crl/default-delta.crl";

const WEB: &str = r#"
issuer = "default"
key_usage = ["digitalSignature", "keyEncipherment"]
extended_key_usage = ["serverAuth"]
validity = { default_days = 365, max_days = 397 }
[subject]
cn = "required"
[san]
dns_suffixes = ["example.com"]
"#;

fn key(t: KeyType) -> KeyPair {
    KeyPair::from_pkcs8_der(&generate_pkcs8(t, &SystemRandom::new()).unwrap()).unwrap()
}

/// The tools check validity against the real clock, so these tests use it too.
fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(0).unwrap()
}

fn serial() -> Serial {
    Serial::random(&SystemRandom::new(), time::OffsetDateTime::now_utc()).unwrap()
}

/// A root, an intermediate under it, three leaves from the intermediate, all written to a
/// temporary directory as PEM.
struct Pki {
    dir: tempfile::TempDir,
    root: IssuingCa,
    int: IssuingCa,
    leaves: Vec<Serial>,
}

impl Pki {
    fn new(kind: KeyType) -> Pki {
        let root_key = key(kind);
        let root_name = parse_dn("CN=Revocation Test Root,O=Example").unwrap();
        let root_der = root_certificate(&root_name, &root_key, 3650, &serial(), now()).unwrap();
        let root = IssuingCa::new("root", root_der, Box::new(root_key), IssuerUrls::default()).unwrap();
        let int_key = key(kind);
        let int_name = parse_dn("CN=Revocation Test CA,DC=example,DC=com").unwrap();
        let int_der = intermediate_certificate(
            &root,
            &int_name,
            int_key.public_key_der(),
            Some(0),
            1826,
            &serial(),
            now(),
        )
        .unwrap();
        let urls = IssuerUrls {
            crl: vec![CRL_URL.into()],
            ocsp: vec!["http://127.0.0.1:8080/ocsp".into()],
            ca_issuers: vec![],
        };
        let int = IssuingCa::new("default", int_der, Box::new(int_key), urls).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut pki = Pki {
            dir,
            root,
            int,
            leaves: vec![],
        };
        pki.write("root.pem", pem::encode("CERTIFICATE", pki.root.cert_der()).as_bytes());
        pki.write("int.pem", pem::encode("CERTIFICATE", pki.int.cert_der()).as_bytes());
        let chain = pem::chain(&[pki.int.cert_der(), pki.root.cert_der()]);
        pki.write("chain.pem", chain.as_bytes());
        let profile = Profile::from_toml("WebServer.toml", "WebServer", WEB).unwrap();
        for i in 1..=3 {
            let issued = pki.issue_leaf(&profile, &format!("CN=leaf{i}.example.com"), &key(kind));
            pki.write(
                &format!("leaf{i}.pem"),
                pem::encode("CERTIFICATE", &issued.der).as_bytes(),
            );
            pki.leaves.push(issued.serial);
        }
        pki
    }

    fn issue_leaf(&self, profile: &Profile, subject: &str, k: &KeyPair) -> ca_core::issue::Issued {
        let csr = build_csr(&parse_dn(subject).unwrap(), vec![], k).unwrap();
        let req = CertRequest::parse(&csr).unwrap();
        self.int.issue(&req, profile, None, serial(), now()).unwrap()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, data: &[u8]) -> String {
        let p = self.path(name);
        std::fs::write(&p, data).unwrap();
        p.to_str().unwrap().to_string()
    }

    /// Runs `prog` with `args` in the directory; returns (success, stdout + stderr).
    fn run(&self, prog: &str, args: &[&str]) -> (bool, String) {
        run_in(self.dir.path(), prog, args)
    }
}

fn run_in(dir: &Path, prog: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(prog)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{prog} must be installed for the revocation interop tests: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// pkilint prints nothing when a document is clean at the given severity.
fn assert_lint_clean(pki: &Pki, prog: &str, args: &[&str]) {
    let (ok, out) = pki.run(prog, args);
    assert!(ok && out.trim().is_empty(), "{prog} {args:?} reported:\n{out}");
}

fn python(pki: &Pki, script: &str, args: &[&str]) -> String {
    let mut all = vec!["-c", script];
    all.extend_from_slice(args);
    let (ok, out) = pki.run("python3", &all);
    assert!(ok, "python3 failed:\n{out}");
    out
}

fn params<'a>(number: u64, delta_of: Option<u64>, freshest: &'a [String], idp: &'a [String]) -> CrlParams<'a> {
    CrlParams {
        number,
        this_update: now() - Duration::minutes(1),
        next_update: now() + Duration::days(7),
        delta_of,
        freshest_urls: freshest,
        idp_urls: idp,
    }
}

const PY_CRL: &str = r#"
import sys
from cryptography import x509
from cryptography.x509.oid import ExtensionOID
crl = x509.load_der_x509_crl(open(sys.argv[1], 'rb').read())
issuer = x509.load_pem_x509_certificate(open('int.pem', 'rb').read())
assert crl.is_signature_valid(issuer.public_key()), 'signature'
number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
try:
    base = crl.extensions.get_extension_for_class(x509.DeltaCRLIndicator).value.crl_number
except x509.ExtensionNotFound:
    base = None
reasons = []
for r in crl:
    try:
        reasons.append(r.extensions.get_extension_for_class(x509.CRLReason).value.reason.name)
    except x509.ExtensionNotFound:
        reasons.append('none')
print(number, base, len(crl), ' '.join(reasons))
"#;

fn crl_round(kind: KeyType) {
    let pki = Pki::new(kind);
    let (l1, l2, l3) = (&pki.leaves[0], &pki.leaves[1], &pki.leaves[2]);
    let t = now() - Duration::minutes(5);
    let full_entries = vec![
        CrlEntry {
            serial: l1.clone(),
            revoked_at: t,
            reason: Reason::KeyCompromise,
            invalidity: Some(t - Duration::days(1)),
        },
        CrlEntry {
            serial: l2.clone(),
            revoked_at: t,
            reason: Reason::CertificateHold,
            invalidity: None,
        },
        CrlEntry {
            serial: Serial::from_u128(0x1234_5678),
            revoked_at: t,
            reason: Reason::Unspecified,
            invalidity: None,
        },
    ];
    let freshest = vec![DELTA_URL.to_string()];
    let idp = vec![CRL_URL.to_string()];
    let full = build_crl(&pki.int, &params(5, None, &freshest, &idp), &full_entries).unwrap();
    // The delta after the hold on leaf2 is released and leaf3 superseded.
    let delta_entries = vec![
        CrlEntry {
            serial: l2.clone(),
            revoked_at: t + Duration::minutes(2),
            reason: Reason::RemoveFromCrl,
            invalidity: None,
        },
        CrlEntry {
            serial: l3.clone(),
            revoked_at: t + Duration::minutes(2),
            reason: Reason::Superseded,
            invalidity: None,
        },
    ];
    let delta = build_crl(&pki.int, &params(6, Some(5), &[], &idp), &delta_entries).unwrap();
    let full_der = pki.write("full.crl", &full);
    let delta_der = pki.write("delta.crl", &delta);
    let full_pem = pki.write("full.pem", pem::encode("X509 CRL", &full).as_bytes());
    let delta_pem = pki.write("delta.pem", pem::encode("X509 CRL", &delta).as_bytes());

    // openssl crl: signature, CRL Number, reasons, dates, delta indicator.
    let crl_text = |file: &str| {
        let (ok, out) = pki.run(
            "openssl",
            &[
                "crl", "-in", file, "-inform", "DER", "-noout", "-text", "-verify", "-CAfile", "int.pem",
            ],
        );
        assert!(ok && out.contains("verify OK"), "openssl crl -verify {file}:\n{out}");
        out
    };
    let text = crl_text(&full_der);
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let flat = squash(&text);
    assert!(flat.contains("X509v3 CRL Number: 5"), "{text}");
    assert!(flat.contains("X509v3 Freshest CRL:"), "{text}");
    assert!(flat.contains(&format!("URI:{DELTA_URL}")), "{text}");
    assert!(flat.contains("X509v3 Issuing Distribution Point: critical"), "{text}");
    assert!(flat.contains(&format!("Serial Number: {}", l1.hex())), "{text}");
    assert!(flat.contains("X509v3 CRL Reason Code: Key Compromise"), "{text}");
    assert!(flat.contains("Invalidity Date:"), "{text}");
    assert!(flat.contains("X509v3 CRL Reason Code: Certificate Hold"), "{text}");
    assert_eq!(
        flat.matches("CRL Reason Code").count(),
        2,
        "unspecified carries no reasonCode"
    );
    assert!(!flat.contains("Delta CRL Indicator"), "{text}");
    let flat = squash(&crl_text(&delta_der));
    assert!(flat.contains("X509v3 CRL Number: 6"), "{flat}");
    assert!(flat.contains("X509v3 Delta CRL Indicator: critical 5"), "{flat}");
    assert!(flat.contains("X509v3 CRL Reason Code: Remove From CRL"), "{flat}");
    assert!(flat.contains("X509v3 CRL Reason Code: Superseded"), "{flat}");
    assert!(!flat.contains("Freshest CRL"), "{flat}");

    // openssl verify -crl_check: the full CRL revokes leaf1 and (on hold) leaf2, not leaf3.
    let verify = |leaf: &str, crls: &[&str], deltas: bool| {
        let mut args = vec!["verify", "-crl_check", "-CAfile", "chain.pem"];
        if deltas {
            args.push("-use_deltas");
        }
        for c in crls {
            args.extend_from_slice(&["-CRLfile", c]);
        }
        args.push(leaf);
        pki.run("openssl", &args)
    };
    for (leaf, revoked) in [("leaf1.pem", true), ("leaf2.pem", true), ("leaf3.pem", false)] {
        let (ok, out) = verify(leaf, &[&full_pem], false);
        assert_eq!(!ok, revoked, "{leaf}:\n{out}");
        assert_eq!(out.contains("certificate revoked"), revoked, "{leaf}:\n{out}");
    }
    // With the delta: leaf2's hold is released, leaf3 is now revoked.
    for (leaf, revoked) in [("leaf1.pem", true), ("leaf2.pem", false), ("leaf3.pem", true)] {
        let (ok, out) = verify(leaf, &[&full_pem, &delta_pem], true);
        assert_eq!(!ok, revoked, "{leaf} with delta:\n{out}");
        assert_eq!(
            out.contains("certificate revoked"),
            revoked,
            "{leaf} with delta:\n{out}"
        );
    }

    // pkilint (it has no delta type: a delta CRL is linted as a CRL).
    for f in [&full_der, &delta_der] {
        assert_lint_clean(
            &pki,
            "lint_crl",
            &["lint", "-t", "CRL", "-p", "PKIX", "-s", "WARNING", f],
        );
    }

    // Python cryptography.
    let out = python(&pki, PY_CRL, &[&full_der]);
    assert_eq!(out.trim(), "5 None 3 key_compromise certificate_hold none");
    let out = python(&pki, PY_CRL, &[&delta_der]);
    assert_eq!(out.trim(), "6 5 2 remove_from_crl superseded");
}

#[test]
fn crls_pass_openssl_pkilint_and_cryptography_p256() {
    crl_round(KeyType::EcdsaP256);
}

#[test]
fn crls_pass_openssl_pkilint_and_cryptography_rsa() {
    crl_round(KeyType::Rsa2048);
}

#[test]
fn crl_inputs_that_break_rfc5280_are_refused_by_name() {
    let pki = Pki::new(KeyType::EcdsaP256);
    let entry = |serial: Serial, reason| CrlEntry {
        serial,
        revoked_at: now(),
        reason,
        invalidity: None,
    };
    let msg = |p: CrlParams<'_>, e: &[CrlEntry]| {
        let err = build_crl(&pki.int, &p, e).unwrap_err();
        assert!(matches!(err, Error::Crl(_)), "typed as a CRL error: {err:?}");
        err.to_string()
    };
    let hold_released = [entry(pki.leaves[0].clone(), Reason::RemoveFromCrl)];
    assert_eq!(
        msg(params(1, None, &[], &[]), &hold_released),
        format!(
            "serial {}: removeFromCRL belongs in delta CRLs only (RFC 5280 5.3.1)",
            pki.leaves[0]
        )
    );
    assert_eq!(
        msg(params(5, Some(5), &[], &[]), &[]),
        "delta CRL number 5 is not above its base CRL number 5"
    );
    assert_eq!(
        msg(params(6, Some(5), &[DELTA_URL.to_string()], &[]), &[]),
        "delta CRLs carry no Freshest CRL extension (RFC 5280 5.2.6)"
    );
    let mut backwards = params(1, None, &[], &[]);
    backwards.next_update = backwards.this_update;
    assert!(msg(backwards, &[]).starts_with("CRL nextUpdate"));
    let negative = [entry(Serial::from_bytes(&[0x80, 1]), Reason::KeyCompromise)];
    assert_eq!(
        msg(params(1, None, &[], &[]), &negative),
        "serial 8001 is not a positive DER INTEGER of at most 20 octets"
    );
    // A CRL with no entries has no revokedCertificates list and still verifies.
    let empty = build_crl(&pki.int, &params(1, None, &[], &[]), &[]).unwrap();
    let f = pki.write("empty.crl", &empty);
    let (ok, out) = pki.run(
        "openssl",
        &[
            "crl", "-in", &f, "-inform", "DER", "-noout", "-verify", "-CAfile", "int.pem",
        ],
    );
    assert!(ok && out.contains("verify OK"), "{out}");
    assert_lint_clean(
        &pki,
        "lint_crl",
        &["lint", "-t", "CRL", "-p", "PKIX", "-s", "WARNING", &f],
    );
}

const PY_OCSP: &str = r#"
import sys
from cryptography.x509 import ocsp
r = ocsp.load_der_ocsp_response(open(sys.argv[1], 'rb').read())
if r.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
    print(r.response_status.name)
    sys.exit(0)
nonce = [e.value.nonce.hex() for e in r.extensions if e.oid.dotted_string == '1.3.6.1.5.5.7.48.1.2']
statuses = []
for s in r.responses:
    st = s.certificate_status.name
    if st == 'REVOKED':
        st += ':' + (s.revocation_reason.name if s.revocation_reason else 'none')
    statuses.append(st)
print(' '.join(statuses), len(r.certificates), nonce[0] if nonce else '-')
"#;

/// `openssl ocsp -respin` for the leaves listed, verified up to the root. `digest` (such as
/// `-sha256`) must precede the `-cert` options. `-no_nonce`: openssl would otherwise compare the
/// response with a fresh nonce of its own; [`openssl_check_nonce`] checks the echo.
fn openssl_check_response(pki: &Pki, resp: &str, leaves: &[&str], digest: Option<&str>) -> String {
    let mut args = vec!["ocsp", "-respin", resp, "-issuer", "int.pem", "-CAfile", "root.pem"];
    args.extend_from_slice(&["-verify_other", "int.pem", "-resp_text", "-no_nonce"]);
    args.extend(digest);
    for l in leaves {
        args.extend_from_slice(&["-cert", l]);
    }
    let (ok, out) = pki.run("openssl", &args);
    assert!(
        ok && out.contains("Response verify OK"),
        "openssl ocsp -respin {resp}:\n{out}"
    );
    out
}

/// `openssl ocsp -reqin -respin`: verifies the response and that it echoes the request's nonce.
fn openssl_check_nonce(pki: &Pki, resp: &str, req: &str) {
    let args = [
        "ocsp",
        "-reqin",
        req,
        "-respin",
        resp,
        "-CAfile",
        "root.pem",
        "-verify_other",
        "int.pem",
    ];
    let (ok, out) = pki.run("openssl", &args);
    assert!(ok && out.contains("Response verify OK"), "{out}");
    assert!(
        !out.contains("Nonce Verify error") && !out.contains("no nonce"),
        "{out}"
    );
}

#[test]
fn ocsp_issuer_signed_response_with_nonce() {
    let pki = Pki::new(KeyType::EcdsaP256);
    let (ok, out) = pki.run(
        "openssl",
        &[
            "ocsp",
            "-issuer",
            "int.pem",
            "-cert",
            "leaf1.pem",
            "-cert",
            "leaf2.pem",
            "-cert",
            "leaf3.pem",
            "-reqout",
            "req.der",
        ],
    );
    assert!(ok, "{out}");
    let req_der = std::fs::read(pki.path("req.der")).unwrap();
    let req = parse_request(&req_der).unwrap();
    let hashes = IssuerHashes::of(&pki.int).unwrap();
    assert_eq!(hashes, IssuerHashes::from_cert_der(pki.int.cert_der()).unwrap());
    assert_eq!(req.cert_ids.len(), 3);
    for (id, serial) in req.cert_ids.iter().zip(&pki.leaves) {
        assert_eq!(id.hash, HashAlg::Sha1);
        assert_eq!(&id.serial, serial);
        assert!(hashes.matches(id), "CertID names the intermediate");
        assert!(!IssuerHashes::of(&pki.root).unwrap().matches(id), "not the root");
    }
    let nonce = req.nonce.clone().expect("openssl sends a nonce by default");

    // The GET form of the same request, escaped as clients escape it.
    let b64 = base64::engine::general_purpose::STANDARD.encode(&req_der);
    let escaped = b64.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
    assert_eq!(decode_get_path(&format!("/{escaped}")).unwrap(), req_der);
    assert_eq!(decode_get_path(&b64).unwrap(), req_der);

    let revoked_at = now() - Duration::hours(1);
    let statuses = [
        CertStatus::Revoked {
            at: revoked_at,
            reason: Reason::KeyCompromise,
        },
        CertStatus::Unknown,
        CertStatus::Good,
    ];
    let answers: Vec<SingleStatus<'_>> = req
        .cert_ids
        .iter()
        .zip(statuses)
        .map(|(cert_id, status)| SingleStatus {
            cert_id,
            status,
            this_update: now() - Duration::minutes(1),
            next_update: now() + Duration::hours(12),
        })
        .collect();
    let resp = build_response(&Responder::issuer(&pki.int), now(), &answers, Some(&nonce)).unwrap();
    let f = pki.write("resp.der", &resp);
    openssl_check_nonce(&pki, &f, "req.der");
    let out = openssl_check_response(&pki, &f, &["leaf1.pem", "leaf2.pem", "leaf3.pem"], None);
    assert!(out.contains("leaf1.pem: revoked"), "{out}");
    assert!(out.contains("Reason: keyCompromise"), "{out}");
    assert!(out.contains("leaf2.pem: unknown"), "{out}");
    assert!(out.contains("leaf3.pem: good"), "{out}");
    let key_id = hex::encode_upper(hashes.key_hash(HashAlg::Sha1));
    assert!(
        out.contains(&format!("Responder Id: {key_id}")),
        "responderID byKey:\n{out}"
    );
    assert_lint_clean(&pki, "lint_ocsp_response", &["lint", "-s", "WARNING", &f]);
    let out = python(&pki, PY_OCSP, &[&f]);
    assert_eq!(
        out.trim(),
        format!("REVOKED:key_compromise UNKNOWN GOOD 0 {}", hex::encode(&nonce))
    );
}

#[test]
fn ocsp_delegated_responder_presigned_and_sha256() {
    let pki = Pki::new(KeyType::EcdsaP256);
    let profile = Profile::from_toml(
        "ocsp-signer.toml",
        "ocsp-signer",
        include_str!("../../profiles/ocsp-signer.toml"),
    )
    .unwrap();
    let responder_key = key(KeyType::EcdsaP256);
    let responder_cert = pki.issue_leaf(&profile, "CN=OCSP Responder", &responder_key);
    let responder = Responder::delegated(&responder_key, &responder_cert.der);
    let hashes = IssuerHashes::of(&pki.int).unwrap();

    // Pre-produced (RFC 5019): built before any request, no nonce, one serial per response.
    let id = OcspCertId::for_serial(&hashes, HashAlg::Sha1, &pki.leaves[0]).unwrap();
    let answer = SingleStatus {
        cert_id: &id,
        status: CertStatus::Revoked {
            at: now() - Duration::hours(2),
            reason: Reason::Superseded,
        },
        this_update: now() - Duration::minutes(1),
        next_update: now() + Duration::days(1),
    };
    let resp = build_response(&responder, now(), &[answer], None).unwrap();
    let f = pki.write("presigned.der", &resp);
    // The request a client would send; the pre-produced response must answer it.
    let (ok, out) = pki.run(
        "openssl",
        &[
            "ocsp",
            "-issuer",
            "int.pem",
            "-cert",
            "leaf1.pem",
            "-no_nonce",
            "-reqout",
            "req1.der",
        ],
    );
    assert!(ok, "{out}");
    let req = parse_request(&std::fs::read(pki.path("req1.der")).unwrap()).unwrap();
    assert_eq!(req.cert_ids, vec![id.clone()], "pre-built CertID equals openssl's");
    assert_eq!(req.nonce, None);
    let out = openssl_check_response(&pki, &f, &["leaf1.pem"], None);
    assert!(out.contains("leaf1.pem: revoked"), "{out}");
    assert!(out.contains("Reason: superseded"), "{out}");
    assert!(
        out.contains("CN=OCSP Responder") || out.contains("CN = OCSP Responder"),
        "{out}"
    );
    assert_lint_clean(&pki, "lint_ocsp_response", &["lint", "-s", "WARNING", &f]);
    assert_eq!(python(&pki, PY_OCSP, &[&f]).trim(), "REVOKED:superseded 1 -");

    // A SHA-256 CertID, answered good by the delegated responder.
    let (ok, out) = pki.run(
        "openssl",
        &[
            "ocsp",
            "-sha256",
            "-issuer",
            "int.pem",
            "-cert",
            "leaf3.pem",
            "-reqout",
            "req256.der",
        ],
    );
    assert!(ok, "{out}");
    let req = parse_request(&std::fs::read(pki.path("req256.der")).unwrap()).unwrap();
    assert_eq!(req.cert_ids[0].hash, HashAlg::Sha256);
    assert!(hashes.matches(&req.cert_ids[0]));
    let answer = SingleStatus {
        cert_id: &req.cert_ids[0],
        status: CertStatus::Good,
        this_update: now(),
        next_update: now() + Duration::days(1),
    };
    let resp = build_response(&responder, now(), &[answer], req.nonce.as_deref()).unwrap();
    let f = pki.write("resp256.der", &resp);
    let out = openssl_check_response(&pki, &f, &["leaf3.pem"], Some("-sha256"));
    openssl_check_nonce(&pki, &f, "req256.der");
    assert!(out.contains("leaf3.pem: good"), "{out}");
    assert_lint_clean(&pki, "lint_ocsp_response", &["lint", "-s", "WARNING", &f]);

    // A responder certificate that does not hold the signing key is refused.
    let other = key(KeyType::EcdsaP256);
    let err = build_response(
        &Responder::delegated(&other, &responder_cert.der),
        now(),
        &[answer_good(&id)],
        None,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the responder certificate does not hold the responder's signing key"
    );
}

fn answer_good(id: &OcspCertId) -> SingleStatus<'_> {
    SingleStatus {
        cert_id: id,
        status: CertStatus::Good,
        this_update: now(),
        next_update: now() + Duration::days(1),
    }
}

#[test]
fn ocsp_bad_requests_and_error_responses() {
    let pki = Pki::new(KeyType::EcdsaP256);
    let (ok, out) = pki.run(
        "openssl",
        &[
            "ocsp",
            "-sha384",
            "-issuer",
            "int.pem",
            "-cert",
            "leaf1.pem",
            "-reqout",
            "req384.der",
        ],
    );
    assert!(ok, "{out}");
    let err = parse_request(&std::fs::read(pki.path("req384.der")).unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unsupported CertID hash algorithm 2.16.840.1.101.3.4.2.2"
    );
    let err = parse_request(b"GET / HTTP/1.1").unwrap_err();
    assert!(err.to_string().starts_with("OCSP request is not DER: "), "{err}");
    assert!(decode_get_path("%2").is_err());

    for (status, openssl_name, py_name) in [
        (
            ErrorStatus::MalformedRequest,
            "malformedrequest (1)",
            "MALFORMED_REQUEST",
        ),
        (ErrorStatus::InternalError, "internalerror (2)", "INTERNAL_ERROR"),
        (ErrorStatus::TryLater, "trylater (3)", "TRY_LATER"),
        (ErrorStatus::Unauthorized, "unauthorized (6)", "UNAUTHORIZED"),
    ] {
        let f = pki.write("err.der", &error_response(status));
        let (_, out) = pki.run("openssl", &["ocsp", "-respin", &f, "-resp_text", "-noverify"]);
        assert!(out.contains(&format!("Responder Error: {openssl_name}")), "{out}");
        assert_eq!(python(&pki, PY_OCSP, &[&f]).trim(), py_name);
    }
}

/// Wraps a signer and records how long its signature took, so the scale test can report the
/// encoding and the signature separately.
struct Timed<'a>(&'a dyn Signer, std::sync::Mutex<std::time::Duration>);
impl Signer for Timed<'_> {
    fn algorithm(&self) -> spki::AlgorithmIdentifierOwned {
        self.0.algorithm()
    }
    fn public_key_der(&self) -> &[u8] {
        self.0.public_key_der()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, ca_core::error::KeyError> {
        let start = std::time::Instant::now();
        let sig = self.0.sign(message);
        *self.1.lock().unwrap() = start.elapsed();
        sig
    }
}

/// Peak resident memory of this process so far (Linux `VmHWM`), in MiB.
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() / 1024
}

/// Issue 5's budget: 1,000,000 entries built and signed in < 3 s with peak memory < 1 GiB.
/// Run with `cargo test --release -p ca-core --test revocation -- --ignored --nocapture`.
#[test]
#[ignore]
fn million_entry_crl_within_budget() {
    const N: usize = 1_000_000;
    let pki = Pki::new(KeyType::EcdsaP256);
    let t = now() - Duration::days(30);
    // 16-byte serials like Serial::random's, from a cheap mixer so setup stays fast.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let entries: Vec<CrlEntry> = (0..N)
        .map(|i| {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&(x ^ (x >> 31)).to_be_bytes());
            b[8..].copy_from_slice(&(i as u64).to_be_bytes());
            b[0] = (b[0] & 0x7f) | 0x40;
            CrlEntry {
                serial: Serial::from_bytes(&b),
                revoked_at: t + Duration::seconds(i as i64),
                reason: [Reason::KeyCompromise, Reason::Superseded, Reason::Unspecified][i % 3],
                invalidity: (i % 10 == 0).then(|| t - Duration::days(1)),
            }
        })
        .collect();
    let rss_inputs = peak_rss_mib();
    let timed = Timed(pki.int.signer(), Default::default());
    let p = params(1, None, &[], &[]);
    let start = std::time::Instant::now();
    let der = ca_core::revocation::sign_crl(pki.int.subject(), pki.int.ski(), &timed, &p, &entries).unwrap();
    let took = start.elapsed();
    let peak = peak_rss_mib();
    println!(
        "1M-entry CRL: {} bytes in {:.3} s (signature {:.3} s); peak RSS {} MiB (inputs alone {} MiB)",
        der.len(),
        took.as_secs_f64(),
        timed.1.lock().unwrap().as_secs_f64(),
        peak,
        rss_inputs
    );
    if !cfg!(debug_assertions) {
        assert!(took.as_secs_f64() < 3.0, "{took:?}");
    }
    assert!(peak < 1024, "peak RSS {peak} MiB");
    // The result is a valid CRL for independent parsers too.
    let f = pki.write("big.crl", &der);
    let start = std::time::Instant::now();
    let (ok, out) = pki.run(
        "openssl",
        &[
            "crl", "-in", &f, "-inform", "DER", "-noout", "-verify", "-CAfile", "int.pem",
        ],
    );
    assert!(ok && out.contains("verify OK"), "{out}");
    println!("openssl crl -verify of it: {:.3} s", start.elapsed().as_secs_f64());
    assert_eq!(
        python(&pki, "import sys\nfrom cryptography import x509\nprint(len(x509.load_der_x509_crl(open(sys.argv[1],'rb').read())))", &[&f]).trim(),
        N.to_string()
    );
}

/// The relying-party side (`ca-cli verify --crl/--ocsp`): the toolbox judges CRLs and OCSP
/// responses, and says "undetermined" (never "good") when the source is stale, foreign or
/// unsigned by the right key.
#[test]
fn relying_party_checks_judge_crls_and_responses() {
    use ca_core::toolbox::revocation_check::{check_crl, check_ocsp_response, ocsp_request, RevocationStatus};
    let pki = Pki::new(KeyType::EcdsaP256);
    let leaf =
        |i: usize| pem::certificates(&std::fs::read(pki.path(&format!("leaf{i}.pem"))).unwrap()).unwrap()[0].clone();
    let int = pki.int.cert_der().to_vec();
    let t = now() - Duration::minutes(5);
    let entries = vec![CrlEntry {
        serial: pki.leaves[0].clone(),
        revoked_at: t,
        reason: Reason::KeyCompromise,
        invalidity: None,
    }];
    let crl = build_crl(&pki.int, &params(1, None, &[], &[]), &entries).unwrap();
    let at = now().unix_timestamp();
    assert_eq!(
        check_crl(&leaf(1), &int, &crl, at).unwrap(),
        RevocationStatus::Revoked {
            at: t.unix_timestamp(),
            reason: "keyCompromise".into()
        }
    );
    assert_eq!(check_crl(&leaf(2), &int, &crl, at).unwrap(), RevocationStatus::Good);
    // PEM works too.
    let crl_pem = pem::encode("X509 CRL", &crl);
    assert_eq!(
        check_crl(&leaf(2), &int, crl_pem.as_bytes(), at).unwrap(),
        RevocationStatus::Good
    );
    // Past nextUpdate, or checked against the wrong issuer: no decision.
    let late = (now() + Duration::days(8)).unix_timestamp();
    assert!(
        matches!(check_crl(&leaf(2), &int, &crl, late).unwrap(), RevocationStatus::Undetermined { why } if why.contains("expired"))
    );
    let foreign = build_crl(&pki.root, &params(1, None, &[], &[]), &[]).unwrap();
    assert!(matches!(
        check_crl(&leaf(2), &int, &foreign, at).unwrap(),
        RevocationStatus::Undetermined { .. }
    ));

    // OCSP: the request names the leaf as the responder expects; the answer is judged.
    let req = parse_request(&ocsp_request(&leaf(1), &int).unwrap()).unwrap();
    assert_eq!(req.cert_ids[0].serial, pki.leaves[0]);
    assert!(IssuerHashes::of(&pki.int).unwrap().matches(&req.cert_ids[0]));
    let answer = SingleStatus {
        cert_id: &req.cert_ids[0],
        status: CertStatus::Revoked {
            at: t,
            reason: Reason::Superseded,
        },
        this_update: now(),
        next_update: now() + Duration::days(1),
    };
    let resp = build_response(&Responder::issuer(&pki.int), now(), &[answer], None).unwrap();
    assert_eq!(
        check_ocsp_response(&resp, &leaf(1), &int, at).unwrap(),
        RevocationStatus::Revoked {
            at: t.unix_timestamp(),
            reason: "superseded".into()
        }
    );
    // The same response says nothing about another certificate; a response signed by a key
    // the issuer never certified is not believed; an error response decides nothing.
    assert!(matches!(
        check_ocsp_response(&resp, &leaf(2), &int, at).unwrap(),
        RevocationStatus::Undetermined { .. }
    ));
    let stranger = key(KeyType::EcdsaP256);
    let forged = build_response(
        &Responder {
            signer: &stranger,
            cert_der: None,
        },
        now(),
        &[answer_good(&req.cert_ids[0])],
        None,
    )
    .unwrap();
    assert!(matches!(
        check_ocsp_response(&forged, &leaf(1), &int, at).unwrap(),
        RevocationStatus::Undetermined { why } if why.contains("signature")
    ));
    assert!(matches!(
        check_ocsp_response(&error_response(ErrorStatus::TryLater), &leaf(1), &int, at).unwrap(),
        RevocationStatus::Undetermined { .. }
    ));
}
