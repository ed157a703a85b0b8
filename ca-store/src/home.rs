//! The CA home on disk: `ca.toml`, the template files, each issuer's root and intermediate
//! (keys PKCS#8-encrypted, mode 0600) and the index. `CaHome` creates, opens and loads it.
pub mod acme_config;
pub mod admin;
pub mod authority;
pub mod config;
pub mod files;
pub mod secret;
pub mod signed_by;

use std::path::{Path, PathBuf};

use aws_lc_rs::rand::SystemRandom;
use ca_core::bootstrap::{intermediate_certificate, root_certificate, INTERMEDIATE_DAYS, ROOT_DAYS};
use ca_core::issue::{IssuerUrls, IssuingCa};
use ca_core::keys::{decrypt_pkcs8, encrypt_pkcs8_pem, generate_pkcs8, KeyPair, KeyType};
use ca_core::name::{display_name, parse_dn};
use ca_core::profile::{Profile, Profiles};
use ca_core::serial::Serial;
use ca_core::signer::Signer;
use ca_core::{pem, Error as CoreError};
use thiserror::Error;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::index::CertIndex;
use crate::record::CertRecord;
use crate::redb::RedbIndex;
use config::{render_header, render_issuer, HomeConfig, IssuerConfig};

/// The profile name of an issuer's own intermediate in the index.
pub const INTERMEDIATE_PROFILE: &str = "intermediate-ca";

/// The templates shipped with privca, copied into every new home.
pub const DEFAULT_PROFILES: &[(&str, &str)] = &[
    ("WebServer.toml", include_str!("../../profiles/WebServer.toml")),
    (
        "Webclientandserver.toml",
        include_str!("../../profiles/Webclientandserver.toml"),
    ),
    ("Computer.toml", include_str!("../../profiles/Computer.toml")),
    ("callbridge.toml", include_str!("../../profiles/callbridge.toml")),
    ("dbserver.toml", include_str!("../../profiles/dbserver.toml")),
    (
        "postgres-client.toml",
        include_str!("../../profiles/postgres-client.toml"),
    ),
    (
        "subordinate-ca.toml",
        include_str!("../../profiles/subordinate-ca.toml"),
    ),
    ("ocsp-signer.toml", include_str!("../../profiles/ocsp-signer.toml")),
    ("admin.toml", include_str!("../../profiles/admin.toml")),
];

/// What can go wrong with a CA home.
#[non_exhaustive]
#[derive(Debug, Error)]
pub enum HomeError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("{0} already holds a CA home; refusing to overwrite it")]
    Exists(PathBuf),
    #[error("{0} is not a CA home (no ca.toml); create one with `ca-cli init --home {0}`")]
    NotAHome(PathBuf),
    #[error("this CA home has no issuer {name}{hint}")]
    UnknownIssuer { name: String, hint: String },
    #[error("issuer {0} already exists")]
    IssuerExists(String),
    #[error("invalid issuer name {0:?}: use letters, digits, - and _")]
    BadIssuerName(String),
    #[error("{0}")]
    Passphrase(String),
    #[error("the {0} key is not unlocked in this process")]
    Locked(String),
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl HomeError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> HomeError {
        HomeError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl From<ca_core::error::KeyError> for HomeError {
    fn from(e: ca_core::error::KeyError) -> Self {
        HomeError::Core(e.into())
    }
}

impl From<ca_core::error::ProfileError> for HomeError {
    fn from(e: ca_core::error::ProfileError) -> Self {
        HomeError::Core(e.into())
    }
}

/// Options of `ca-cli init` (and of the server's development home).
#[derive(Clone, Debug)]
pub struct InitOptions {
    pub key_type: KeyType,
    /// Root subject, e.g. `CN=Example Root CA,O=Example`.
    pub subject: String,
    /// Intermediate subject; derived from the root's when absent.
    pub intermediate_subject: Option<String>,
    pub https: String,
    pub http: String,
    pub public_url: String,
    /// Relative path of a passphrase file to record in ca.toml (development homes).
    pub passphrase_file: Option<String>,
}

impl Default for InitOptions {
    fn default() -> Self {
        InitOptions {
            key_type: KeyType::EcdsaP256,
            subject: "CN=privca Root CA,O=privca".into(),
            intermediate_subject: None,
            https: "127.0.0.1:8443".into(),
            http: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            passphrase_file: None,
        }
    }
}

/// An opened CA home.
#[derive(Clone, Debug)]
pub struct CaHome {
    pub dir: PathBuf,
    pub config: HomeConfig,
}

impl CaHome {
    /// Creates a new home with the issuer `default`. Refuses an existing home.
    pub fn create(dir: &Path, opts: &InitOptions, passphrase: &[u8], now: OffsetDateTime) -> Result<CaHome, HomeError> {
        if dir.join("ca.toml").exists() || dir.join("issuers").exists() || dir.join("index.redb").exists() {
            return Err(HomeError::Exists(dir.to_path_buf()));
        }
        parse_dn(&opts.subject).map_err(CoreError::from)?;
        files::create_private_dir(dir)?;
        let profiles = dir.join("profiles");
        files::create_private_dir(&profiles)?;
        for (file, text) in DEFAULT_PROFILES {
            files::write_atomic(&profiles.join(file), text.as_bytes())?;
        }
        let header = render_header(
            &opts.https,
            &opts.http,
            &opts.public_url,
            opts.passphrase_file.as_deref(),
        );
        let issuer = IssuerConfig::new("default", opts.key_type, &opts.public_url);
        make_issuer(dir, "default", &issuer, opts, passphrase, now)?;
        RedbIndex::open(&dir.join("index.redb"))?;
        // ca.toml last: its presence marks a complete home.
        files::write_atomic(
            &dir.join("ca.toml"),
            format!(
                "{header}{}{}",
                render_issuer("default", &issuer),
                acme_config::DEFAULT_ACME_SECTION
            )
            .as_bytes(),
        )?;
        let home = CaHome::open(dir)?;
        admin::bootstrap(&home, passphrase, now)?;
        Ok(home)
    }

    /// Opens an existing home and validates `ca.toml`.
    pub fn open(dir: &Path) -> Result<CaHome, HomeError> {
        let path = dir.join("ca.toml");
        if !path.exists() {
            return Err(HomeError::NotAHome(dir.to_path_buf()));
        }
        let text = String::from_utf8(files::read(&path)?).map_err(|e| HomeError::Config {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let config: HomeConfig = toml::from_str(&text).map_err(|e| HomeError::Config {
            path: path.clone(),
            message: e.message().to_string(),
        })?;
        for (name, issuer) in &config.issuers {
            if issuer.serial_start_value().is_none() {
                return Err(HomeError::Config {
                    path: path.clone(),
                    message: format!("issuers.{name}.serial_start {:?} is not hex", issuer.serial_start),
                });
            }
        }
        Ok(CaHome {
            dir: dir.to_path_buf(),
            config,
        })
    }

    /// Adds a separate root + intermediate named `name` (e.g. the dedicated database-cluster CA
    /// of guide 004 3.1.4) and records it in `ca.toml`.
    pub fn add_issuer(
        &mut self,
        name: &str,
        opts: &InitOptions,
        passphrase: &[u8],
        now: OffsetDateTime,
    ) -> Result<(), HomeError> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(HomeError::BadIssuerName(name.into()));
        }
        if self.config.issuers.contains_key(name) || self.dir.join("issuers").join(name).exists() {
            return Err(HomeError::IssuerExists(name.into()));
        }
        parse_dn(&opts.subject).map_err(CoreError::from)?;
        // The passphrase must open the existing keys: one passphrase per home.
        if let Some(first) = self.config.issuers.keys().next().cloned() {
            self.load_issuer(&first, passphrase)?;
        }
        let issuer = IssuerConfig::new(name, opts.key_type, &self.config.server.public_url);
        make_issuer(&self.dir, name, &issuer, opts, passphrase, now)?;
        let path = self.dir.join("ca.toml");
        let mut text = String::from_utf8_lossy(&files::read(&path)?).into_owned();
        text.push_str(&render_issuer(name, &issuer));
        files::write_atomic(&path, text.as_bytes())?;
        *self = CaHome::open(&self.dir)?;
        // Index the new intermediate now. A running daemon holds the index; then the next
        // open (its restart, which it needs to serve the new issuer) records it instead.
        let _ = self.open_index();
        Ok(())
    }

    /// The configuration of issuer `name`.
    pub fn issuer_config(&self, name: &str) -> Result<&IssuerConfig, HomeError> {
        self.config.issuers.get(name).ok_or_else(|| HomeError::UnknownIssuer {
            name: name.into(),
            hint: format!(
                "; create it with `ca-cli issuer create {name} --home {}`",
                self.dir.display()
            ),
        })
    }

    /// Loads and validates every template file. A profile naming an issuer this home lacks is
    /// kept (so `ca-cli issuer create` can follow) and refused at issuance with a hint.
    pub fn load_profiles(&self) -> Result<Profiles, HomeError> {
        let dir = self.dir.join(&self.config.profiles_dir);
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| HomeError::io(&dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        entries.sort();
        let mut profiles = Profiles::default();
        for path in entries {
            let text = String::from_utf8_lossy(&files::read(&path)?).into_owned();
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let file = path.display().to_string();
            let profile = Profile::from_toml(&file, &stem, &text)?;
            profiles.insert(&file, profile)?;
        }
        Ok(profiles)
    }

    /// The issuer's intermediate, ready to sign (decrypts its key).
    pub fn load_issuer(&self, name: &str, passphrase: &[u8]) -> Result<IssuingCa, HomeError> {
        let c = self.issuer_config(name)?;
        let urls = IssuerUrls {
            crl: c.crl_urls.clone(),
            ocsp: c.ocsp_urls.clone(),
            ca_issuers: c.ca_issuers_urls.clone(),
        };
        self.load_ca(name, &c.cert, &c.key, urls, passphrase)
    }

    /// The issuer's root, ready to sign (root operations only).
    pub fn load_root(&self, name: &str, passphrase: &[u8]) -> Result<IssuingCa, HomeError> {
        let c = self.issuer_config(name)?;
        let urls = IssuerUrls {
            crl: c.root_crl_urls.clone(),
            ocsp: vec![],
            ca_issuers: c.root_ca_issuers_urls.clone(),
        };
        self.load_ca(name, &c.root_cert, &c.root_key, urls, passphrase)
    }

    fn load_ca(
        &self,
        name: &str,
        cert: &str,
        key: &str,
        urls: IssuerUrls,
        passphrase: &[u8],
    ) -> Result<IssuingCa, HomeError> {
        let cert_der = self.read_cert(cert)?;
        let key_path = self.dir.join(key);
        let pkcs8 = decrypt_pkcs8(&files::read(&key_path)?, passphrase).map_err(|e| match e {
            ca_core::error::KeyError::Decrypt => HomeError::Passphrase(format!(
                "{}: wrong passphrase, or the key file is damaged",
                key_path.display()
            )),
            other => other.into(),
        })?;
        let kp = KeyPair::from_pkcs8_der(&pkcs8)?;
        Ok(IssuingCa::new(name, cert_der, Box::new(kp), urls)?)
    }

    fn read_cert(&self, rel: &str) -> Result<Vec<u8>, HomeError> {
        let path = self.dir.join(rel);
        let data = files::read(&path)?;
        let mut certs = pem::certificates(&data).map_err(|m| HomeError::Config {
            path: path.clone(),
            message: m,
        })?;
        Ok(certs.remove(0))
    }

    /// The issuer's root certificate, DER.
    pub fn root_der(&self, name: &str) -> Result<Vec<u8>, HomeError> {
        self.read_cert(&self.issuer_config(name)?.root_cert.clone())
    }

    /// The issuer's intermediate certificate, DER.
    pub fn intermediate_der(&self, name: &str) -> Result<Vec<u8>, HomeError> {
        self.read_cert(&self.issuer_config(name)?.cert.clone())
    }

    /// Opens the certificate index, recording each issuer's intermediate in it first if it is
    /// not there yet (homes and issuers made before intermediates were indexed, or by
    /// `issuer create` while the daemon ran), so that `revoke` finds an intermediate and the
    /// root's CRL can list it.
    pub fn open_index(&self) -> Result<RedbIndex, HomeError> {
        let index = RedbIndex::open_with(&self.dir.join(&self.config.store.path), self.config.store.commit)?;
        for name in self.config.issuers.keys() {
            let record =
                intermediate_record(name, &self.intermediate_der(name)?).map_err(|message| HomeError::Config {
                    path: self.dir.join(&self.config.issuers[name].cert),
                    message,
                })?;
            if index.get(name, &record.serial)?.is_none() {
                index.insert_issued(record)?;
            }
        }
        Ok(index)
    }

    /// The passphrase file named in `ca.toml`, if any.
    pub fn passphrase_file(&self) -> Option<PathBuf> {
        self.config.passphrase_file.as_ref().map(|f| self.dir.join(f))
    }
}

/// Generates the root and intermediate of one issuer and writes them under `issuers/NAME/`.
fn make_issuer(
    dir: &Path,
    name: &str,
    c: &IssuerConfig,
    opts: &InitOptions,
    passphrase: &[u8],
    now: OffsetDateTime,
) -> Result<(), HomeError> {
    let rng = SystemRandom::new();
    let idir = dir.join("issuers").join(name);
    files::create_private_dir(&idir)?;
    let root_name = parse_dn(&opts.subject).map_err(CoreError::from)?;
    let int_name = match &opts.intermediate_subject {
        Some(s) => parse_dn(s).map_err(CoreError::from)?,
        None => derive_intermediate_name(&root_name)?,
    };
    let root_pkcs8 = generate_pkcs8(c.key_type, &rng)?;
    let root_key = KeyPair::from_pkcs8_der(&root_pkcs8)?;
    let root_der = root_certificate(&root_name, &root_key, ROOT_DAYS, &Serial::random(&rng, now)?, now)?;
    files::write_secret(
        &dir.join(&c.root_key),
        encrypt_pkcs8_pem(&root_pkcs8, passphrase, &rng)?.as_bytes(),
    )?;
    files::write_atomic(
        &dir.join(&c.root_cert),
        pem::encode("CERTIFICATE", &root_der).as_bytes(),
    )?;
    let root_urls = IssuerUrls {
        crl: c.root_crl_urls.clone(),
        ocsp: vec![],
        ca_issuers: c.root_ca_issuers_urls.clone(),
    };
    let root = IssuingCa::new(name, root_der.clone(), Box::new(root_key), root_urls)?;

    let int_pkcs8 = generate_pkcs8(c.key_type, &rng)?;
    let int_key = KeyPair::from_pkcs8_der(&int_pkcs8)?;
    let int_der = intermediate_certificate(
        &root,
        &int_name,
        int_key.public_key_der(),
        Some(0),
        INTERMEDIATE_DAYS,
        &Serial::random(&rng, now)?,
        now,
    )?;
    files::write_secret(
        &dir.join(&c.key),
        encrypt_pkcs8_pem(&int_pkcs8, passphrase, &rng)?.as_bytes(),
    )?;
    files::write_atomic(&dir.join(&c.cert), pem::encode("CERTIFICATE", &int_der).as_bytes())?;
    files::write_atomic(&idir.join("chain.pem"), pem::chain(&[&int_der, &root_der]).as_bytes())?;
    Ok(())
}

/// The index record of issuer `name`'s intermediate (signed by its root; profile
/// [`INTERMEDIATE_PROFILE`], no template has that name).
fn intermediate_record(name: &str, der: &[u8]) -> Result<CertRecord, String> {
    use x509_cert::der::Decode;
    let cert = x509_cert::Certificate::from_der(der)
        .map_err(|e| format!("the intermediate certificate does not parse: {e}"))?;
    let tbs = &cert.tbs_certificate;
    let not_before = tbs.validity.not_before.to_unix_duration().as_secs() as i64;
    Ok(CertRecord {
        issuer: name.to_owned(),
        serial: tbs.serial_number.as_bytes().to_vec(),
        der: der.to_vec(),
        subject: display_name(&tbs.subject),
        sans: vec![],
        profile: INTERMEDIATE_PROFILE.to_owned(),
        not_before,
        not_after: tbs.validity.not_after.to_unix_duration().as_secs() as i64,
        issued_at: not_before,
        request_id: None,
        revocation: None,
    })
}

/// "CN=Example Root CA,O=Example" -> "CN=Example Intermediate CA,O=Example" (or "... Intermediate").
fn derive_intermediate_name(root: &x509_cert::name::Name) -> Result<x509_cert::name::Name, HomeError> {
    let display = display_name(root);
    let cn = ca_core::name::common_name(root).unwrap_or_else(|| "privca".into());
    let new_cn = if cn.contains("Root") {
        cn.replace("Root", "Intermediate")
    } else {
        format!("{cn} Intermediate")
    };
    let rest: Vec<&str> = display.splitn(2, ',').collect();
    let text = if display.starts_with("CN=") {
        match rest.get(1) {
            Some(r) => format!("CN={},{r}", escape_cn(&new_cn)),
            None => format!("CN={}", escape_cn(&new_cn)),
        }
    } else {
        format!("CN={},{display}", escape_cn(&new_cn))
    };
    Ok(parse_dn(&text).map_err(CoreError::from)?)
}

fn escape_cn(v: &str) -> String {
    v.replace('\\', "\\\\").replace(',', "\\,").replace('+', "\\+")
}
