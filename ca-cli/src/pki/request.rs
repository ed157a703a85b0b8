//! `csr` and `selfsigned`: guide 004's `pki csr NAME CN:... subjectAltName:...` and
//! `pki selfsigned NAME CN:...`.
use std::path::Path;

use anyhow::{bail, Result};
use aws_lc_rs::rand::SystemRandom;
use ca_core::certbuild::{key_identifier, sign_certificate, CertSpec};
use ca_core::csr::San;
use ca_core::keys::{KeyPair, KeyType};
use ca_core::name::display_name;
use ca_core::profile::{eku_oid, parse_key_usage, KeyUsageSet};
use ca_core::serial::Serial;
use ca_core::signer::Signer;
use ca_core::toolbox::attrs::{parse_attributes, Requested};
use ca_core::toolbox::describe;
use ca_core::{csrbuild, ext};
use time::Duration;

use super::args::{CsrArgs, PasswordArgs, SelfsignedArgs};
use super::{files, keys};

/// The key to sign with: `--key FILE`, or a new NAME.key (never overwriting one).
fn key_for(name: &str, key: Option<&Path>, key_type: &str, pw: &PasswordArgs) -> Result<(KeyPair, Option<String>)> {
    if let Some(k) = key {
        return Ok((files::load_signer(k, pw)?, None));
    }
    let kind: KeyType = key_type.parse()?;
    let path = files::with_ext(name, "key");
    if path.exists() {
        bail!(
            "{} already exists; pass --key {} to use it, or choose another name",
            path.display(),
            path.display()
        );
    }
    let (pem, kp) = keys::new_key_pem(kind, None)?;
    files::write_key(&path, pem.as_bytes())?;
    Ok((kp, Some(path.display().to_string())))
}

fn parse(attrs: &[String]) -> Result<Requested> {
    let r = parse_attributes(attrs)?;
    if r.cn.is_none() && r.sans.is_empty() {
        bail!("give at least CN:value (e.g. CN:www.example.com) or subjectAltName:host,...");
    }
    Ok(r)
}

fn usages(names: &[&str]) -> KeyUsageSet {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    parse_key_usage(&names).expect("known key usage names")
}

fn is_rsa(kp: &KeyPair) -> bool {
    matches!(kp.key_type(), KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096)
}

/// `csr NAME attrs...`: the request asks for what the guides' `v3_req` section asks for.
pub fn csr(a: CsrArgs) -> Result<()> {
    let req = parse(&a.attributes)?;
    let (kp, new_key) = key_for(&a.name, a.key.as_deref(), &a.key_type, &a.password)?;
    let ku = if is_rsa(&kp) {
        usages(&["digitalSignature", "keyEncipherment"])
    } else {
        usages(&["digitalSignature"])
    };
    let ekus = [
        eku_oid("serverAuth").expect("known"),
        eku_oid("clientAuth").expect("known"),
    ];
    let mut exts = vec![
        ext::basic_constraints(false, None)?,
        ext::key_usage(ku)?,
        ext::extended_key_usage(&ekus)?,
    ];
    if !req.sans.is_empty() {
        exts.push(ext::subject_alt_name(&req.sans, req.subject.0.is_empty())?);
    }
    let der = csrbuild::build_csr(&req.subject, exts, &kp)?;
    let path = files::with_ext(&a.name, "csr");
    files::write_public(&path, &files::encode("CERTIFICATE REQUEST", &der, a.der))?;
    report(&new_key, &kp, &req)?;
    println!("Wrote request {}", path.display());
    Ok(())
}

fn report(new_key: &Option<String>, kp: &KeyPair, req: &Requested) -> Result<()> {
    let key = describe::spki_description(kp.public_key_der())?;
    if let Some(k) = new_key {
        println!("Wrote private key {k} ({key}, mode 0600)");
    }
    println!("  subject: {}", display_name(&req.subject));
    if !req.sans.is_empty() {
        let s: Vec<String> = req.sans.iter().map(San::to_string).collect();
        println!("  SAN:     {}", s.join(", "));
    }
    Ok(())
}

/// `selfsigned NAME attrs...`: a self-signed CA certificate (CA:TRUE, keyCertSign, cRLSign,
/// digitalSignature) that `sign` can then use, as in guide 004's database-cluster recipe.
pub fn selfsigned(a: SelfsignedArgs) -> Result<()> {
    if a.days <= 0 {
        bail!("--days must be positive, not {}", a.days);
    }
    let req = parse(&a.attributes)?;
    let cert_path = files::with_ext(&a.name, "crt");
    let (kp, new_key) = key_for(&a.name, a.key.as_deref(), &a.key_type, &a.password)?;
    let spki = kp.public_key_der().to_vec();
    let mut exts = vec![
        ext::basic_constraints(true, None)?,
        ext::key_usage(usages(&["keyCertSign", "cRLSign", "digitalSignature"]))?,
        ext::subject_key_id(&key_identifier(&spki)?)?,
    ];
    if !req.sans.is_empty() {
        exts.push(ext::subject_alt_name(&req.sans, req.subject.0.is_empty())?);
    }
    let now = crate::util::now();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    let serial = Serial::random(&SystemRandom::new(), now)?;
    let der = sign_certificate(
        CertSpec {
            serial: &serial,
            subject: &req.subject,
            spki_der: &spki,
            not_before: now - ca_core::issue::BACKDATE,
            not_after: now + Duration::days(a.days),
            extensions: exts,
        },
        &req.subject,
        &kp,
    )?;
    files::write_public(&cert_path, &files::encode("CERTIFICATE", &der, a.der))?;
    report(&new_key, &kp, &req)?;
    println!(
        "Wrote self-signed certificate {} (serial {serial}, {} days)",
        cert_path.display(),
        a.days
    );
    Ok(())
}
