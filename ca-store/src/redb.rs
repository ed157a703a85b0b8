//! [`RedbIndex`]: the embedded default store, on redb. One database file holds the
//! certificate index ([`CertIndex`]), the request queue ([`crate::queue::RequestQueue`],
//! `redb/queue.rs`), enrollment tokens ([`crate::tokens::TokenStore`], `redb/tokens.rs`),
//! the audit log ([`crate::audit::AuditLog`], `redb/audit.rs`) and the ACME state
//! ([`crate::acme::AcmeStore`], `redb/acme.rs`), so writes spanning them are single
//! transactions.
//!
//! Reads run on the caller's thread in redb read transactions (MVCC snapshots, never
//! blocked by the writer). Writes go to one writer thread that batches them into group
//! commits (see `redb/writer.rs`).
//!
//! Paths below say `::redb` because this module is itself named `redb`.

mod acme;
mod audit;
mod backend;
mod commit;
mod queue;
mod tables;
mod tokens;
mod writer;

pub use commit::CommitMode;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use ::redb::backends::FileBackend;
use ::redb::{Database, ReadOnlyTable, ReadableDatabase, ReadableTable, ReadableTableMetadata};

use crate::error::StoreError;
use crate::index::{CertFilter, CertIndex};
use crate::record::{CertRecord, Revocation};
use backend::FilledFile;
use tables::{check_issuer, decode, significant, CERTS, CERTS_BY_ISSUED, CERTS_BY_SERIAL};
use writer::{Job, NewCert, Pending};

/// The certificate index, request queue, enrollment tokens, audit log and ACME state in
/// one redb database file.
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
        Self::open_with(path, CommitMode::default())
    }

    /// As [`RedbIndex::open`], committing durable writes in `mode`.
    pub fn open_with(path: &Path, mode: CommitMode) -> Result<Self, StoreError> {
        let opening = |e: &dyn fmt::Display| StoreError::Database(format!("opening {}: {e}", path.display()));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| opening(&e))?;
        let file = FileBackend::new(file).map_err(|e| opening(&e))?;
        let db = Database::builder()
            .create_with_backend(FilledFile::new(file).map_err(|e| opening(&e))?)
            .map_err(|e| opening(&e))?;
        let txn = db.begin_write()?;
        tables::check_format(&txn, path)?;
        txn.commit()?;

        let db = Arc::new(db);
        let (jobs, queue) = mpsc::channel();
        let writer_db = Arc::clone(&db);
        let writer = std::thread::Builder::new()
            .name("privca-redb-writer".to_owned())
            .spawn(move || writer::run(&writer_db, &queue, mode))?;
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
        let (pending, reply) = Pending::new();
        let jobs = self.jobs.as_ref().ok_or(StoreError::Closed)?;
        // A refused send drops the job, whose `Pending` then answers `Closed`.
        let _ = jobs.send(job(pending));
        reply.wait()
    }
}

/// Loads the record stored under `seq`; `issuer` and `serial` name it in errors.
fn load(
    certs: &ReadOnlyTable<u64, &'static [u8]>,
    seq: u64,
    issuer: &str,
    serial: &[u8],
) -> Result<CertRecord, StoreError> {
    match certs.get(seq)? {
        Some(value) => decode(issuer, serial, value.value()),
        None => Err(StoreError::Corrupt(format!(
            "the certificate index names a missing record of {issuer:?}"
        ))),
    }
}

impl CertIndex for RedbIndex {
    fn insert_issued(&self, rec: CertRecord) -> Result<(), StoreError> {
        // Encoded here, on the caller's thread, so concurrent callers encode in parallel
        // and the one writer thread only inserts.
        let cert = NewCert::new(rec)?;
        self.write(|done| Job::Insert { cert, done })
    }

    fn submit_issued(
        &self,
        req: crate::queue::NewRequest,
        token_hash: Option<&str>,
        rec: CertRecord,
    ) -> Result<crate::queue::RequestRecord, StoreError> {
        let token_hash = token_hash.map(str::to_owned);
        self.write(|done| Job::SubmitIssued {
            req,
            token_hash,
            rec: Box::new(rec),
            done,
        })
    }

    fn get(&self, issuer: &str, serial: &[u8]) -> Result<Option<CertRecord>, StoreError> {
        check_issuer(issuer)?;
        let txn = self.db.begin_read()?;
        let by_serial = txn.open_table(CERTS_BY_SERIAL)?;
        let Some(seq) = by_serial.get((significant(serial), issuer))?.map(|v| v.value()) else {
            return Ok(None);
        };
        load(&txn.open_table(CERTS)?, seq, issuer, serial).map(Some)
    }

    fn find_serial(&self, serial: &[u8]) -> Result<Vec<CertRecord>, StoreError> {
        let serial = significant(serial);
        let txn = self.db.begin_read()?;
        let certs = txn.open_table(CERTS)?;
        let by_serial = txn.open_table(CERTS_BY_SERIAL)?;
        let mut found = Vec::new();
        // Keys sort by serial first, so this serial's issuers are one contiguous run.
        for entry in by_serial.range::<(&[u8], &str)>((serial, "")..)? {
            let (key, seq) = entry?;
            let (entry_serial, issuer) = key.value();
            if entry_serial != serial {
                break;
            }
            found.push(load(&certs, seq.value(), issuer, serial)?);
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
        // Walk in issued_at order so a limit stops the scan early. The index holds one
        // second's records in insertion order: gather each second's (serial sort key,
        // issuer, seq) from the index alone, sort it into list order, then load records.
        // The issuer filter is checked on the index value before loading.
        let mut second = Vec::new();
        let mut second_at = None;
        for entry in by_issued.iter()? {
            let (key, value) = entry?;
            let (issued_at, seq) = key.value();
            if second_at != Some(issued_at) {
                if list_second(&certs, filter, &mut second, &mut found, limit)? {
                    return Ok(found);
                }
                second_at = Some(issued_at);
            }
            let (sort_key, issuer) = value.value();
            if filter.issuer.as_deref().is_none_or(|i| i == issuer) {
                second.push((sort_key.to_vec(), issuer.to_owned(), seq));
            }
        }
        list_second(&certs, filter, &mut second, &mut found, limit)?;
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
        check_issuer(issuer)?;
        self.write(|done| Job::SetRevocation {
            issuer: issuer.to_owned(),
            serial: serial.to_vec(),
            revocation,
            done,
        })
    }
}

/// Sorts one second's index entries (serial sort key, issuer, seq) into list order, then
/// loads and filters their records into `found`, emptying `second`. True once `found`
/// holds `limit` records.
fn list_second(
    certs: &ReadOnlyTable<u64, &'static [u8]>,
    filter: &CertFilter,
    second: &mut Vec<(Vec<u8>, String, u64)>,
    found: &mut Vec<CertRecord>,
    limit: usize,
) -> Result<bool, StoreError> {
    second.sort_unstable();
    for (sort_key, issuer, seq) in second.drain(..) {
        if found.len() >= limit {
            break;
        }
        let rec = load(certs, seq, &issuer, serial_from_sort_key(&sort_key))?;
        if filter.matches(&rec) {
            found.push(rec);
        }
    }
    Ok(found.len() >= limit)
}

/// Undoes [`crate::index::serial_sort_key`]: the significant serial bytes (for messages).
fn serial_from_sort_key(sort_key: &[u8]) -> &[u8] {
    sort_key.get(2..).unwrap_or_default()
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
