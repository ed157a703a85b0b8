//! `index export`: OpenSSL demoCA files for `openssl ca -status` and `openssl ocsp -index`.
use anyhow::Result;
use ca_core::pem;
use ca_store::home::{files, CaHome};
use ca_store::{democa, CertFilter, CertIndex};

use crate::cli::ExportArgs;
use crate::util::now;

pub fn export(a: ExportArgs) -> Result<()> {
    let home = CaHome::open(&a.home.home)?;
    let cfg = home.issuer_config(&a.issuer)?.clone();
    let index = home.open_index()?;
    let t = now().unix_timestamp();
    let records = index.list(&CertFilter {
        issuer: Some(a.issuer.clone()),
        now: t,
        ..Default::default()
    })?;
    std::fs::create_dir_all(&a.openssl)?;
    democa::export_openssl(&records, t, None, &a.openssl)?;
    // The issuing certificate beside the index, as demoCA keeps cacert.pem.
    files::write_atomic(
        &a.openssl.join("cacert.pem"),
        pem::encode("CERTIFICATE", &home.intermediate_der(&a.issuer)?).as_bytes(),
    )?;
    println!(
        "Exported {} certificate(s) of issuer {} ({}) to {}",
        records.len(),
        a.issuer,
        cfg.cert,
        a.openssl.display()
    );
    Ok(())
}
