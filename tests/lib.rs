//! Helpers shared by the end-to-end tests: locate the built binaries, run them and the real
//! tools (openssl, pkilint) we check against, and set up throwaway CA homes.
//!
//! Interop tools are required: a missing tool fails the test with the install hint instead of
//! skipping it, so CI can never pass without having checked against them.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// The passphrase every test home uses.
pub const PASSPHRASE: &str = "test passphrase 1234";

/// Path of a workspace binary built by `cargo build --workspace`.
pub fn bin(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let p = target.join("debug").join(name);
    assert!(
        p.exists(),
        "{} is missing: run `cargo build --workspace` first (scripts/test.sh does)",
        p.display()
    );
    p
}

/// Fails the test unless `tool` is on PATH.
pub fn require_tool(tool: &str) {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "required tool `{tool}` is not installed; scripts/test.sh installs it"
    );
}

/// Result of running a command, with its output decoded.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics with both streams unless the command succeeded; returns stdout.
    pub fn ok(self) -> String {
        assert_eq!(
            self.code, 0,
            "command failed:\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self.stdout
    }

    /// Panics unless the command failed; returns stderr.
    pub fn fails(self) -> String {
        assert_ne!(self.code, 0, "command unexpectedly succeeded:\nstdout: {}", self.stdout);
        self.stderr
    }
}

fn to_run(o: Output) -> Run {
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Runs `program args` in `dir`.
pub fn run_in(dir: &Path, program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Run {
    let o = Command::new(program.as_ref())
        .args(args)
        .current_dir(dir)
        .env_remove("PRIVCA_PASSPHRASE")
        .env_remove("PRIVCA_HOME")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", program.as_ref()));
    to_run(o)
}

/// Runs openssl in `dir`.
pub fn openssl(dir: &Path, args: &[&str]) -> Run {
    require_tool("openssl");
    run_in(dir, "openssl", args)
}

/// Runs pkilint's `tool` (lint_pkix_cert, ...) and returns its findings (empty when clean).
pub fn pkilint(dir: &Path, tool: &str, args: &[&str]) -> String {
    require_tool(tool);
    let r = run_in(dir, tool, args);
    format!("{}{}", r.stdout.trim(), r.stderr.trim())
}

/// A CA home in a temporary directory, with a passphrase file.
pub struct TestCa {
    pub tmp: TempDir,
    pub home: PathBuf,
    pub pass: PathBuf,
}

impl TestCa {
    /// `ca-cli init` with the given key type.
    pub fn init(key_type: &str) -> TestCa {
        let tmp = tempfile::tempdir().expect("tempdir");
        let pass = tmp.path().join("pass");
        std::fs::write(&pass, format!("{PASSPHRASE}\n")).unwrap();
        let home = tmp.path().join("home");
        let ca = TestCa { tmp, home, pass };
        ca.cli(&[
            "init",
            "--key-type",
            key_type,
            "--subject",
            "CN=Test Root CA,O=privca tests",
        ])
        .ok();
        ca
    }

    /// The work directory (beside the home).
    pub fn dir(&self) -> &Path {
        self.tmp.path()
    }

    /// Runs ca-cli with `--home` and `--passphrase-file` appended after the subcommand words.
    pub fn cli(&self, args: &[&str]) -> Run {
        let home = self.home.to_string_lossy().into_owned();
        let pass = self.pass.to_string_lossy().into_owned();
        let mut v: Vec<&str> = args.to_vec();
        let needs_pass = matches!(args.first().copied(), Some("init" | "issue" | "issuer"))
            && !(args.first() == Some(&"issuer") && args.get(1) == Some(&"list"));
        v.extend(["--home", &home]);
        if needs_pass {
            v.extend(["--passphrase-file", &pass]);
        }
        run_in(self.dir(), bin("ca-cli"), &v)
    }

    /// Path of an issuer file, e.g. `("default", "root.crt")`.
    pub fn issuer_file(&self, issuer: &str, file: &str) -> PathBuf {
        self.home.join("issuers").join(issuer).join(file)
    }

    /// Number of certificates in the index.
    pub fn index_count(&self) -> usize {
        let out = self.cli(&["list", "--json"]).ok();
        let v: serde_json::Value = serde_json::from_str(&out).expect("list --json is JSON");
        v.as_array().expect("array").len()
    }
}

/// Makes a key and CSR with `openssl req` in `dir`: `alg` is "ec" (P-256) or "rsa" (2048).
/// `sans` like "DNS:a.example.com,IP:10.0.0.1" (empty for none). Returns the CSR path.
pub fn openssl_csr(dir: &Path, name: &str, alg: &str, subj: &str, sans: &str, der: bool) -> PathBuf {
    let key = format!("{name}.key");
    let csr = format!("{name}.csr");
    let mut args: Vec<String> = vec![
        "req".into(),
        "-new".into(),
        "-nodes".into(),
        "-keyout".into(),
        key,
        "-subj".into(),
        subj.into(),
    ];
    match alg {
        "ec" => args.extend(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"].map(String::from)),
        "rsa" => args.extend(["-newkey", "rsa:2048"].map(String::from)),
        "rsa1024" => args.extend(["-newkey", "rsa:1024"].map(String::from)),
        other => panic!("unknown alg {other}"),
    }
    if !sans.is_empty() {
        args.extend(["-addext".into(), format!("subjectAltName={sans}")]);
    }
    if der {
        args.extend(["-outform", "DER"].map(String::from));
    }
    args.extend(["-out".into(), csr.clone()]);
    let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    openssl(dir, &refs).ok();
    dir.join(csr)
}

/// A running `ca-server` on free loopback ports, stopped (SIGKILL) when dropped.
pub struct Server {
    pub child: std::process::Child,
    pub https: String,
    pub http: String,
    pub log: PathBuf,
}

impl Server {
    /// Starts the daemon on `home` with its passphrase file and waits until it listens.
    pub fn start(home: &Path, pass: &Path) -> Server {
        let dir = home.parent().expect("home has a parent");
        let ready = dir.join(format!("ready-{}.json", std::process::id()));
        let _ = std::fs::remove_file(&ready);
        let log = dir.join("server.log");
        let logf = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("log file");
        let child = Command::new(bin("ca-server"))
            .args([
                "--home",
                &home.to_string_lossy(),
                "--passphrase-file",
                &pass.to_string_lossy(),
            ])
            .args([
                "--https",
                "127.0.0.1:0",
                "--http",
                "127.0.0.1:0",
                "--ready-file",
                &ready.to_string_lossy(),
            ])
            .env_remove("PRIVCA_PASSPHRASE")
            .stdout(logf.try_clone().expect("log"))
            .stderr(logf)
            .spawn()
            .expect("start ca-server");
        let mut server = Server {
            child,
            https: String::new(),
            http: String::new(),
            log,
        };
        // Readiness: the daemon writes the ready file after binding; poll for it (bounded).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if let Ok(text) = std::fs::read_to_string(&ready) {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                    server.https = v["https"].as_str().expect("https").to_string();
                    server.http = v["http"].as_str().expect("http").to_string();
                    return server;
                }
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "ca-server exited with {status}:\n{}",
                    std::fs::read_to_string(&server.log).unwrap_or_default()
                );
            }
            assert!(
                std::time::Instant::now() < deadline,
                "ca-server did not become ready:\n{}",
                server.log_text()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// The HTTPS base URL.
    pub fn url(&self) -> String {
        format!("https://{}", self.https)
    }

    /// What the daemon printed so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then wait for a clean exit (bounded).
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
        loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "ca-server did not stop on SIGTERM"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// SIGKILL: the crash case.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs curl (required tool) in `dir`.
pub fn curl(dir: &Path, args: &[&str]) -> Run {
    require_tool("curl");
    run_in(dir, "curl", args)
}
