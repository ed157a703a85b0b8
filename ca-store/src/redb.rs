//! [`RedbIndex`]: the embedded default store, on redb. One database file holds the
//! certificate index ([`CertIndex`]), the request queue ([`crate::queue::RequestQueue`],
//! `redb/queue.rs`), enrollment tokens ([`crate::tokens::TokenStore`], `redb/tokens.rs`) and
//! the audit log ([`crate::audit::AuditLog`], `redb/audit.rs`), so writes spanning them
//! are single transactions.
//!
//! Reads run on the caller's thread in redb read transactions (MVCC snapshots, never
//! blocked by the writer). Writes go to one writer thread that batches them into group
//! commits (see `redb/writer.rs`).
//!
//! Paths below say `::redb` because this module is itself named `redb`.

mod audit;
mod queue;
mod tables;
mod tokens;
mod writer;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use ::redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata};

use crate::error::StoreError;
use crate::index::{CertFilter, CertIndex};
use crate::record::{CertRecord, Revocation};
use tables::{
    cert_key, check_issuer, decode, serial_from_sort_key, significant, CERTS, CERTS_BY_ISSUED, CERTS_BY_SERIAL,
};
use writer::{Job, Pending};

/// The certificate index, request queue, enrollment tokens and audit log in one redb
/// database file.
///
/// Cheap to share behind an `Arc`; all methods take `&self`. Dropping it finishes the
/// queued writes, stops the writer thread and closes the file.
///
/// Two doc-hidden methods, `tamper_audit_entry_for_tests` and
/// `remove_audit_entry_for_tests` (in `redb/audit.rs`), break the audit chain on purpose
/// so tests can prove [`crate::audit::AuditLog::verify_chain`] notices.
pub struct RedbIndex {
    path: PathBuf,
    db: Arc<Database>,
    /// `None` only while dropping: dropping the sender is what stops the writer.
    jobs: Option<Sender<Job>>,
    writer: Option<JoinHandle<()>>,
}

impl RedbIndex {
    /// Opens the database at `path`, creating it (and its tables) if missing.
    ///
    /// The parent directory must exist. A database open elsewhere (another `RedbIndex`
    /// or process) is refused by redb's file lock.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db =
            Database::create(path).map_err(|e| StoreError::Database(format!("opening {}: {e}", path.display())))?;
        let txn = db.begin_write()?;
        tables::create_all(&txn)?;
        txn.commit()?;

        let db = Arc::new(db);
        let (jobs, queue) = mpsc::channel();
        let writer_db = Arc::clone(&db);
        let writer = std::thread::Builder::new()
            .name("privca-redb-writer".to_owned())
            .spawn(move || writer::run(&writer_db, &queue))?;
        Ok(RedbIndex {
            path: path.to_owned(),
            db,
            jobs: Some(jobs),
            writer: Some(writer),
        })
    }

    /// Queues a write and waits for the commit that contains it.
    ///
    /// Not called `submit`: an inherent method of that name would shadow
    /// [`crate::queue::RequestQueue::submit`] for callers holding a `RedbIndex`.
    fn write<T>(&self, job: impl FnOnce(Pending<T>) -> Job) -> Result<T, StoreError> {
        let (reply, answer) = mpsc::channel();
        let jobs = self.jobs.as_ref().ok_or(StoreError::Closed)?;
        jobs.send(job(Pending::new(reply))).map_err(|_| StoreError::Closed)?;
        // A closed reply channel means the writer thread died (panicked) with our job.
        answer.recv().map_err(|_| StoreError::Closed)?
    }

    /// Loads one record by its `CERTS` key from an open read transaction.
    fn load(
        certs: &::redb::ReadOnlyTable<&'static [u8], &'static [u8]>,
        issuer: &str,
        serial: &[u8],
    ) -> Result<Option<CertRecord>, StoreError> {
        let key = cert_key(issuer, serial)?;
        match certs.get(key.as_slice())? {
            Some(value) => decode(issuer, serial, value.value()).map(Some),
            None => Ok(None),
        }
    }
}

impl CertIndex for RedbIndex {
    fn insert_issued(&self, rec: CertRecord) -> Result<(), StoreError> {
        let key = cert_key(&rec.issuer, &rec.serial)?;
        self.write(|done| Job::Insert { rec, key, done })
    }

    fn get(&self, issuer: &str, serial: &[u8]) -> Result<Option<CertRecord>, StoreError> {
        let txn = self.db.begin_read()?;
        let certs = txn.open_table(CERTS)?;
        Self::load(&certs, issuer, serial)
    }

    fn find_serial(&self, serial: &[u8]) -> Result<Vec<CertRecord>, StoreError> {
        let serial = significant(serial);
        let txn = self.db.begin_read()?;
        let certs = txn.open_table(CERTS)?;
        let by_serial = txn.open_table(CERTS_BY_SERIAL)?;
        let mut found = Vec::new();
        // Keys sort by serial first, so this serial's issuers are one contiguous run.
        for entry in by_serial.range::<(&[u8], &str)>((serial, "")..)? {
            let (key, _) = entry?;
            let (entry_serial, issuer) = key.value();
            if entry_serial != serial {
                break;
            }
            let rec = Self::load(&certs, issuer, serial)?
                .ok_or_else(|| StoreError::Corrupt(format!("serial index names a missing record of {issuer:?}")))?;
            found.push(rec);
        }
        Ok(found)
    }

    fn list(&self, filter: &CertFilter) -> Result<Vec<CertRecord>, StoreError> {
        let limit = filter.limit.unwrap_or(usize::MAX);
        let mut found = Vec::new();
        if limit == 0 {
            return Ok(found);
        }
        let txn = self.db.begin_read()?;
        let certs = txn.open_table(CERTS)?;
        let by_issued = txn.open_table(CERTS_BY_ISSUED)?;
        // Walk in list order so a limit stops the scan early; the issuer filter is
        // checked on the index key before loading the record.
        for entry in by_issued.iter()? {
            let (key, _) = entry?;
            let (_, sort_key, issuer) = key.value();
            if filter.issuer.as_deref().is_some_and(|i| i != issuer) {
                continue;
            }
            let serial = serial_from_sort_key(sort_key);
            let rec = Self::load(&certs, issuer, serial)?
                .ok_or_else(|| StoreError::Corrupt(format!("list index names a missing record of {issuer:?}")))?;
            if filter.matches(&rec) {
                found.push(rec);
                if found.len() >= limit {
                    break;
                }
            }
        }
        Ok(found)
    }

    fn count(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read()?;
        Ok(txn.open_table(CERTS)?.len()?)
    }

    fn next_sequential_serial(&self, issuer: &str, start: u128) -> Result<u128, StoreError> {
        check_issuer(issuer)?;
        let issuer = issuer.to_owned();
        self.write(|done| Job::NextSerial { issuer, start, done })
    }

    fn set_revocation(
        &self,
        issuer: &str,
        serial: &[u8],
        revocation: Option<Revocation>,
    ) -> Result<CertRecord, StoreError> {
        let key = cert_key(issuer, serial)?;
        self.write(|done| Job::SetRevocation {
            issuer: issuer.to_owned(),
            serial: serial.to_vec(),
            key,
            revocation,
            done,
        })
    }
}

impl fmt::Debug for RedbIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedbIndex").field("path", &self.path).finish()
    }
}

impl Drop for RedbIndex {
    fn drop(&mut self) {
        // Closing the queue lets the writer finish what is queued and return.
        drop(self.jobs.take());
        if let Some(writer) = self.writer.take() {
            // A panicked writer has already failed its callers; nothing more to report.
            let _ = writer.join();
        }
    }
}
