//! The single writer thread of [`super::RedbIndex`] and its group commit.
//!
//! Every write goes through here. A durable commit costs an fsync (milliseconds); under
//! load, callers' jobs queue up while one commit runs and the next commit takes all of
//! them at once, so throughput grows with concurrency instead of being capped at one
//! certificate per fsync. Callers block until the commit holding their job is durable.
//!
//! Requests, tokens and audit entries are written here too, so they serialize with
//! certificate inserts: a request id or audit sequence number is taken and stored in one
//! transaction, and issuing a queued request marks it issued in the certificate's commit.
//!
//! A job that fails its own checks (duplicate serial, request not pending, token used)
//! must write nothing, so the rest of its batch commits unaffected: every job checks and
//! encodes everything first, and only then writes.

use std::sync::mpsc::{Receiver, Sender};

use ::redb::{Database, Durability, ReadableTable, Table};

use super::tables::{decode, encode, issued_key, significant};
use super::tables::{AUDIT, AUDIT_HEAD, COUNTERS, REQUESTS, REQUESTS_BY_STATUS, TOKENS};
use super::tables::{CERTS, CERTS_BY_ISSUED, CERTS_BY_SERIAL, SERIAL_COUNTERS};
use super::{audit, queue, tokens};
use crate::audit::{AuditEntry, AuditEvent};
use crate::error::StoreError;
use crate::queue::{Approval, Denial, NewRequest, RequestRecord, RequestStatus};
use crate::record::{serial_to_hex, CertRecord, Revocation};
use crate::tokens::TokenRecord;

/// Most jobs in one transaction: bounds the latency of the first caller in a batch and
/// the memory a transaction holds.
const MAX_BATCH: usize = 256;

/// One caller's answer channel plus the answer, once its job has been applied.
pub(crate) struct Pending<T> {
    reply: Sender<Result<T, StoreError>>,
    result: Option<Result<T, StoreError>>,
}

impl<T> Pending<T> {
    /// A job's answer slot, empty until the job is applied.
    pub(crate) fn new(reply: Sender<Result<T, StoreError>>) -> Self {
        Pending { reply, result: None }
    }

    /// Sends the answer once the batch's commit is known. A failed commit overrides the
    /// job's own result: nothing of the batch was written.
    fn finish(self, commit: &Result<(), StoreError>) {
        let answer = match (commit, self.result) {
            (Err(err), _) => Err(err.duplicate()),
            (Ok(()), Some(result)) => result,
            // Unreachable: a successful commit means every job was applied.
            (Ok(()), None) => Err(StoreError::Closed),
        };
        // The caller may have gone away (its thread panicked); nobody is left to tell.
        let _ = self.reply.send(answer);
    }
}

/// A write request sent to the writer thread.
pub(crate) enum Job {
    /// [`crate::CertIndex::insert_issued`]; `key` is the precomputed [`super::tables::CERTS`] key.
    Insert {
        rec: CertRecord,
        key: Vec<u8>,
        done: Pending<()>,
    },
    /// [`crate::CertIndex::next_sequential_serial`].
    NextSerial {
        issuer: String,
        start: u128,
        done: Pending<u128>,
    },
    /// [`crate::CertIndex::set_revocation`].
    SetRevocation {
        issuer: String,
        serial: Vec<u8>,
        key: Vec<u8>,
        revocation: Option<Revocation>,
        done: Pending<CertRecord>,
    },
    /// [`crate::queue::RequestQueue::submit`].
    Submit {
        req: NewRequest,
        token_hash: Option<String>,
        done: Pending<RequestRecord>,
    },
    /// [`crate::queue::RequestQueue::approve`].
    Approve {
        id: u64,
        approval: Approval,
        done: Pending<RequestRecord>,
    },
    /// [`crate::queue::RequestQueue::deny`].
    Deny {
        id: u64,
        denial: Denial,
        done: Pending<RequestRecord>,
    },
    /// [`crate::tokens::TokenStore::create_token`].
    CreateToken { token: TokenRecord, done: Pending<()> },
    /// [`crate::audit::AuditLog::append`].
    Append {
        event: AuditEvent,
        done: Pending<AuditEntry>,
    },
}

/// The tables a batch writes, opened once per transaction.
pub(super) struct Tables<'txn> {
    pub(super) certs: Table<'txn, &'static [u8], &'static [u8]>,
    pub(super) by_serial: Table<'txn, (&'static [u8], &'static str), ()>,
    pub(super) by_issued: Table<'txn, (i64, &'static [u8], &'static str), ()>,
    pub(super) counters: Table<'txn, &'static str, u128>,
    pub(super) requests: Table<'txn, u64, &'static [u8]>,
    pub(super) requests_by_status: Table<'txn, (&'static str, u64), ()>,
    pub(super) queue_counters: Table<'txn, &'static str, u64>,
    pub(super) tokens: Table<'txn, &'static str, &'static [u8]>,
    pub(super) audit: Table<'txn, u64, &'static [u8]>,
    pub(super) audit_head: Table<'txn, &'static str, (u64, &'static str)>,
}

/// The outer error aborts the whole batch (redb failed mid-transaction and the
/// transaction cannot be trusted); the inner one is this job's own answer.
pub(super) type Applied<T> = Result<Result<T, StoreError>, StoreError>;

/// In a function returning [`Applied`]: the value of a job-level `Result`, or return its
/// error as the job's answer (the batch goes on).
macro_rules! try_job {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(err) => return Ok(Err(err)),
        }
    };
}
pub(super) use try_job;

impl Job {
    /// Applies this job inside the batch's transaction and keeps its answer.
    fn apply(&mut self, tables: &mut Tables<'_>) -> Result<(), StoreError> {
        match self {
            Job::Insert { rec, key, done } => done.result = Some(insert(tables, rec, key)?),
            Job::NextSerial { issuer, start, done } => done.result = Some(next_serial(tables, issuer, *start)?),
            Job::SetRevocation {
                issuer,
                serial,
                key,
                revocation,
                done,
            } => done.result = Some(revoke(tables, issuer, serial, key, revocation)?),
            Job::Submit { req, token_hash, done } => {
                done.result = Some(queue::submit(tables, req, token_hash.as_deref())?);
            }
            Job::Approve { id, approval, done } => done.result = Some(queue::approve(tables, *id, approval)?),
            Job::Deny { id, denial, done } => done.result = Some(queue::deny(tables, *id, denial)?),
            Job::CreateToken { token, done } => done.result = Some(tokens::create(tables, token)?),
            Job::Append { event, done } => done.result = Some(audit::append(tables, event)?),
        }
        Ok(())
    }

    /// Answers the caller once the batch's commit outcome is known.
    fn finish(self, commit: &Result<(), StoreError>) {
        match self {
            Job::Insert { done, .. } => done.finish(commit),
            Job::NextSerial { done, .. } => done.finish(commit),
            Job::SetRevocation { done, .. } => done.finish(commit),
            Job::Submit { done, .. } | Job::Approve { done, .. } | Job::Deny { done, .. } => done.finish(commit),
            Job::CreateToken { done, .. } => done.finish(commit),
            Job::Append { done, .. } => done.finish(commit),
        }
    }
}

/// The writer thread's body: runs until every sender is dropped (the index was dropped).
pub(crate) fn run(db: &Database, jobs: &Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        // Take what is already queued, without waiting for more: waiting would add
        // latency when the load is light, and under load the queue fills by itself
        // while the previous commit runs.
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let commit = apply_and_commit(db, &mut batch);
        for job in batch {
            job.finish(&commit);
        }
    }
}

/// One durable write transaction for the whole batch.
fn apply_and_commit(db: &Database, batch: &mut [Job]) -> Result<(), StoreError> {
    let mut txn = db.begin_write()?;
    // Immediate is redb's default; set it anyway because the CA's promise (no record
    // lost, no serial reused) depends on it. Two-phase commit guards the commit slot
    // against torn writes without trusting checksums alone.
    txn.set_durability(Durability::Immediate)?;
    txn.set_two_phase_commit(true);
    {
        let mut tables = Tables {
            certs: txn.open_table(CERTS)?,
            by_serial: txn.open_table(CERTS_BY_SERIAL)?,
            by_issued: txn.open_table(CERTS_BY_ISSUED)?,
            counters: txn.open_table(SERIAL_COUNTERS)?,
            requests: txn.open_table(REQUESTS)?,
            requests_by_status: txn.open_table(REQUESTS_BY_STATUS)?,
            queue_counters: txn.open_table(COUNTERS)?,
            tokens: txn.open_table(TOKENS)?,
            audit: txn.open_table(AUDIT)?,
            audit_head: txn.open_table(AUDIT_HEAD)?,
        };
        for job in batch.iter_mut() {
            job.apply(&mut tables)?;
        }
    }
    txn.commit()?;
    Ok(())
}

/// Inserts one record unless its key exists. Earlier jobs of the same batch are already
/// in the transaction, so duplicates inside a batch are caught by the same check.
///
/// With `rec.request_id` set, the request must exist and be pending; it is marked issued
/// with this certificate in the same transaction, or neither is written.
fn insert(tables: &mut Tables<'_>, rec: &CertRecord, key: &[u8]) -> Applied<()> {
    if tables.certs.get(key)?.is_some() {
        return Ok(Err(StoreError::DuplicateSerial {
            issuer: rec.issuer.clone(),
            serial_hex: rec.serial_hex(),
        }));
    }
    let value = try_job!(encode(rec));
    let request = match rec.request_id {
        None => None,
        Some(id) => {
            let mut request = try_job!(queue::load(tables, id)?);
            try_job!(request.require_pending());
            request.status = RequestStatus::Issued;
            request.issued = Some((rec.issuer.clone(), rec.serial.clone()));
            let encoded = try_job!(queue::encode_request(&request));
            Some((request, encoded))
        }
    };
    if let Some((request, encoded)) = request {
        queue::store(tables, &request, &encoded, Some(RequestStatus::Pending))?;
    }
    let (issued_at, sort_key) = issued_key(rec);
    tables.certs.insert(key, value.as_slice())?;
    tables
        .by_serial
        .insert((significant(&rec.serial), rec.issuer.as_str()), ())?;
    tables
        .by_issued
        .insert((issued_at, sort_key.as_slice(), rec.issuer.as_str()), ())?;
    Ok(Ok(()))
}

/// Hands out the stored next value (or `start`) and stores its successor.
fn next_serial(tables: &mut Tables<'_>, issuer: &str, start: u128) -> Applied<u128> {
    let current = tables.counters.get(issuer)?.map_or(start, |v| v.value());
    // u128::MAX itself is never handed out: there would be no successor to store, and
    // storing the same value again would hand it out twice.
    let Some(next) = current.checked_add(1) else {
        return Ok(Err(StoreError::SerialExhausted {
            issuer: issuer.to_owned(),
        }));
    };
    tables.counters.insert(issuer, next)?;
    Ok(Ok(current))
}

/// Replaces the revocation of one stored record; the index tables do not change because
/// neither the serial nor `issued_at` does.
fn revoke(
    tables: &mut Tables<'_>,
    issuer: &str,
    serial: &[u8],
    key: &[u8],
    revocation: &Option<Revocation>,
) -> Applied<CertRecord> {
    let decoded = match tables.certs.get(key)? {
        None => {
            return Ok(Err(StoreError::NotFound {
                issuer: issuer.to_owned(),
                serial_hex: serial_to_hex(serial),
            }))
        }
        Some(value) => decode(issuer, serial, value.value()),
    };
    let mut rec = try_job!(decoded);
    rec.revocation.clone_from(revocation);
    let value = try_job!(encode(&rec));
    tables.certs.insert(key, value.as_slice())?;
    Ok(Ok(rec))
}
