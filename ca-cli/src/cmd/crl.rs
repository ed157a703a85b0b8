//! `crl root`: the root's CRL, signed offline with the root key. There is no index of
//! intermediates yet, so it lists no entries; it still gives relying parties a valid, signed
//! CRL at the intermediate's CRL Distribution Point.
use anyhow::{ensure, Result};
use ca_core::revocation::{build_crl, CrlParams};
use ca_store::home::{files, CaHome};
use time::Duration;

use crate::cli::CrlRootArgs;
use crate::util::{self, now};

pub fn root(a: CrlRootArgs) -> Result<()> {
    ensure!(a.days >= 1, "--days must be at least 1");
    let home = CaHome::open(&a.home.home)?;
    let cfg = home.issuer_config(&a.issuer)?.clone();
    let pass = util::passphrase(&home, a.home.passphrase_file.as_deref())?;
    let root = home.load_root(&a.issuer, &pass)?;
    let t = now().replace_nanosecond(0)?;
    // The CRL Number: seconds since 1970, increasing across runs without any state to keep.
    let number = u64::try_from(t.unix_timestamp())?;
    let params = CrlParams {
        number,
        this_update: t,
        next_update: t + Duration::days(a.days),
        delta_of: None,
        freshest_urls: &[],
        idp_urls: &cfg.root_crl_urls,
    };
    let der = build_crl(&root, &params, &[])?;
    let path = home.dir.join("issuers").join(&a.issuer).join("root.crl");
    files::write_atomic(&path, &der)?;
    println!("Wrote root CRL {number} of issuer {} to {}", a.issuer, path.display());
    println!("  next update: {}", util::fmt_time(params.next_update.unix_timestamp()));
    Ok(())
}
