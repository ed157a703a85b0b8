//! `convert FILE --to pem|der` (guide 002 Appendix 4): certificates, CSRs, keys and CRLs.
use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};
use ca_core::toolbox::inspect::der_label;
use ca_core::toolbox::keyfile::raw_blocks;

use super::args::{ConvertArgs, Encoding};
use super::files;

pub fn convert(a: ConvertArgs) -> Result<()> {
    let data = files::read(&a.file)?;
    let pem_text = std::str::from_utf8(&data).ok().filter(|t| t.contains("-----BEGIN"));
    let (label, der): (String, Vec<u8>) = match pem_text {
        Some(text) => {
            let blocks = raw_blocks(text);
            if blocks.is_empty() {
                bail!("{}: no PEM block found", a.file.display());
            }
            if a.to == Encoding::Der && blocks.len() > 1 {
                bail!(
                    "{} holds {} PEM blocks; a DER file holds one (split it first, or use `ca-cli bundle` for chains)",
                    a.file.display(),
                    blocks.len()
                );
            }
            if blocks[0].header("DEK-Info").is_some() {
                bail!(
                    "{} is a legacy encrypted PEM key, which has no DER form; run `ca-cli unlock` first",
                    a.file.display()
                );
            }
            (blocks[0].label.clone(), blocks[0].decode()?)
        }
        None => {
            let label = der_label(&data).ok_or_else(|| {
                anyhow!(
                    "{}: not PEM, and not a DER certificate, CSR, CRL or key",
                    a.file.display()
                )
            })?;
            (label.to_string(), data.clone())
        }
    };
    let out = a.out.clone().unwrap_or_else(|| {
        let ext = if a.to == Encoding::Der { "der" } else { "pem" };
        let mut p = PathBuf::from(&a.file);
        p.set_extension(ext);
        p
    });
    if out == a.file {
        bail!("{} would overwrite the input; give --out", out.display());
    }
    let bytes = files::encode(&label, &der, a.to == Encoding::Der);
    if label.ends_with("PRIVATE KEY") {
        files::write_key(&out, &bytes)?;
    } else {
        files::write_public(&out, &bytes)?;
    }
    println!(
        "Wrote {} ({label}, {})",
        out.display(),
        if a.to == Encoding::Der { "DER" } else { "PEM" }
    );
    Ok(())
}
