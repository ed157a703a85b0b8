//! Helpers for the pki end-to-end tests: run the built ca-cli and openssl in a temporary
//! directory. openssl is required: a missing openssl fails the tests rather than skipping them.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The built ca-cli binary (the test script builds the workspace first).
pub fn ca_cli() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let bin = target.join("debug/ca-cli");
    assert!(bin.exists(), "{} is missing: build the workspace first", bin.display());
    bin
}

/// A scratch directory with the commands run inside it.
pub struct Dir {
    pub tmp: tempfile::TempDir,
}

/// What a command printed and whether it succeeded.
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            ok: o.status.success(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
    /// stdout and stderr together.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::tempdir().expect("tempdir"),
        }
    }
    pub fn path(&self, f: &str) -> PathBuf {
        self.tmp.path().join(f)
    }
    pub fn read(&self, f: &str) -> String {
        std::fs::read_to_string(self.path(f)).unwrap_or_else(|e| panic!("{f}: {e}"))
    }
    pub fn write(&self, f: &str, data: &str) {
        std::fs::write(self.path(f), data).unwrap();
    }
    /// Runs ca-cli with `args`.
    pub fn cli(&self, args: &[&str]) -> Run {
        let o = Command::new(ca_cli())
            .args(args)
            .current_dir(self.tmp.path())
            .env_remove("PRIVCA_PASSPHRASE")
            .output()
            .expect("run ca-cli");
        Run::from(o)
    }
    /// Runs ca-cli and asserts success.
    pub fn cli_ok(&self, args: &[&str]) -> String {
        let r = self.cli(args);
        assert!(r.ok, "ca-cli {args:?} failed:\n{}", r.all());
        r.stdout
    }
    /// Runs openssl (which must be installed).
    pub fn openssl(&self, args: &[&str]) -> Run {
        let o = Command::new("openssl")
            .args(args)
            .current_dir(self.tmp.path())
            .output()
            .expect("openssl must be installed for these tests");
        Run::from(o)
    }
    /// Runs openssl and asserts success.
    pub fn openssl_ok(&self, args: &[&str]) -> String {
        let r = self.openssl(args);
        assert!(r.ok, "openssl {args:?} failed:\n{}", r.all());
        r.all()
    }
    /// Mode bits of a file.
    pub fn mode(&self, f: &str) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(self.path(f)).unwrap().permissions().mode() & 0o777
    }
}

/// PEM written by us: no blank lines, LF endings, exactly one trailing newline.
pub fn assert_clean_pem(text: &str) {
    assert!(
        text.ends_with('\n') && !text.ends_with("\n\n"),
        "trailing newline: {text:?}"
    );
    assert!(
        !text.contains("\n\n") && !text.contains('\r'),
        "blank line or CR in {text:?}"
    );
}
