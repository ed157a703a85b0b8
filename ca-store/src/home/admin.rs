//! The first administrator credential, issued at bootstrap with the `admin` template and written
//! to HOME/admin/admin.crt + admin.key (both 0600): the key to the admin API (mTLS).
use std::path::PathBuf;
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use ca_core::csr::CertRequest;
use ca_core::keys::{generate_pkcs8, pkcs8_pem, KeyPair, KeyType};
use ca_core::{csrbuild, name, pem};
use time::OffsetDateTime;

use super::authority::{Authority, KeyScope};
use super::{files, CaHome, HomeError};

/// Where the bootstrap credential lives.
pub fn paths(home: &CaHome) -> (PathBuf, PathBuf) {
    let dir = home.dir.join("admin");
    (dir.join("admin.crt"), dir.join("admin.key"))
}

/// Issues the first admin certificate (recorded in the index like any other) and writes it.
pub fn bootstrap(home: &CaHome, passphrase: &[u8], now: OffsetDateTime) -> Result<(PathBuf, PathBuf), HomeError> {
    let profiles = home.load_profiles()?;
    let profile = profiles.get("admin").map_err(ca_core::Error::from)?.clone();
    let index = Arc::new(home.open_index()?);
    let auth = Authority::open(home.clone(), index, passphrase, &KeyScope::for_profile(&profile))?;
    let rng = SystemRandom::new();
    let pkcs8 = generate_pkcs8(KeyType::EcdsaP256, &rng)?;
    let kp = KeyPair::from_pkcs8_der(&pkcs8)?;
    let subject = name::parse_dn("CN=privca administrator,OU=bootstrap").map_err(ca_core::Error::from)?;
    let csr = csrbuild::build_csr(&subject, vec![], &kp)?;
    let req = CertRequest::parse(&csr).map_err(ca_core::Error::from)?;
    let issued = auth.issue_request(&req, &profile, None, None, now)?;
    let (crt, key) = paths(home);
    files::create_private_dir(crt.parent().expect("admin dir"))?;
    files::write_secret(&key, pkcs8_pem(&pkcs8)?.as_bytes())?;
    // Leaf + intermediate: what a TLS client presents.
    let refs: Vec<&[u8]> = issued.chain.iter().take(2).map(|c| c.as_slice()).collect();
    files::write_secret(&crt, pem::chain(&refs).as_bytes())?;
    Ok((crt, key))
}
