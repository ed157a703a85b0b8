//! File writes a CA can trust: secrets created 0600 and never overwritten, other files replaced
//! atomically (write, fsync, rename, fsync the directory) so a crash leaves old or new, not half.
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::HomeError;

/// Creates `path` with mode 0600 and writes `data`; fails if it exists.
pub fn write_secret(path: &Path, data: &[u8]) -> Result<(), HomeError> {
    let io = |e| HomeError::io(path, e);
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    f.write_all(data).map_err(io)?;
    f.sync_all().map_err(io)?;
    sync_parent(path)
}

/// Replaces (or creates) a secret atomically: written 0600 beside it, then renamed over it.
pub fn replace_secret(path: &Path, data: &[u8]) -> Result<(), HomeError> {
    let tmp = path.with_extension("tmp-secret");
    let _ = fs::remove_file(&tmp);
    write_secret(&tmp, data)?;
    fs::rename(&tmp, path).map_err(|e| HomeError::io(path, e))?;
    sync_parent(path)
}

/// Replaces `path` atomically with `data` (mode 0644).
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<(), HomeError> {
    let tmp = path.with_extension("tmp-write");
    let io = |e| HomeError::io(path, e);
    {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(&tmp)
            .map_err(io)?;
        f.write_all(data).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    fs::rename(&tmp, path).map_err(io)?;
    sync_parent(path)
}

/// Creates a directory (and parents) with mode 0700.
pub fn create_private_dir(path: &Path) -> Result<(), HomeError> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|e| HomeError::io(path, e))
}

/// Reads a whole file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>, HomeError> {
    fs::read(path).map_err(|e| HomeError::io(path, e))
}

fn sync_parent(path: &Path) -> Result<(), HomeError> {
    if let Some(parent) = path.parent() {
        let dir = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| HomeError::io(dir, e))?;
    }
    Ok(())
}
