//! The single writer thread of [`super::RedbIndex`] and its group commit.
//!
//! Every write goes through here. A durable commit costs an fsync (milliseconds); under
//! load, callers' jobs queue up while one commit runs and the next commit takes all of
//! them at once, so throughput grows with concurrency instead of being capped at one
//! certificate per fsync. Callers block until the commit holding their job is done:
//! durable, unless every job of the batch is one that may skip the fsync (ACME orders,
//! authorizations, nonces and purges; see [`Job::durable`] and `crate::acme`).
//!
//! Requests, tokens and audit entries are written here too, so they serialize with
//! certificate inserts: a request id or audit sequence number is taken and stored in one
//! transaction, and issuing a queued request marks it issued in the certificate's commit.
//!
//! A job that fails its own checks (duplicate serial, request not pending, token used)
//! must write nothing, so the rest of its batch commits unaffected: every job checks and
//! encodes everything first, and only then writes.

use std::sync::mpsc::Receiver;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use ::redb::{Database, Durability, Key, ReadableTable, Table, TableDefinition, Value, WriteTransaction};

use super::acme::AcmeJob;
use super::commit::CommitMode;
use super::tables::{decode, encode, significant};
use super::tables::{ACME_ACCOUNTS, ACME_ACCOUNT_KEYS, ACME_AUTHZS, ACME_AUTHZ_ORDERS, ACME_EAB_KEYS};
use super::tables::{ACME_NONCES, ACME_NONCES_BY_EXPIRY, ACME_ORDERS, ACME_ORDERS_BY_ACCOUNT};
use super::tables::{ACME_ORDERS_BY_EXPIRY, ACME_REPLACES};
use super::tables::{AUDIT, AUDIT_HEAD, COUNTERS, REQUESTS, REQUESTS_BY_STATUS, TOKENS};
use super::tables::{CERTS, CERTS_BY_ISSUED, CERTS_BY_SERIAL, SERIAL_COUNTERS};
use super::{audit, queue, tokens};
use crate::audit::{AuditEntry, AuditEvent};
use crate::error::StoreError;
use crate::index::serial_sort_key;
use crate::queue::{Approval, Denial, NewRequest, RequestRecord, RequestStatus};
use crate::record::{serial_to_hex, CertRecord, Revocation};
use crate::tokens::TokenRecord;

/// Most jobs in one transaction: bounds the latency of the first caller in a batch and
/// the memory a transaction holds.
const MAX_BATCH: usize = 256;

/// Where the writer leaves one job's answer for its caller: a one-shot slot rather than a
/// channel, because a job is answered exactly once and a channel costs an allocation of
/// many slots per call.
struct Slot<T> {
    answer: Mutex<Option<Result<T, StoreError>>>,
    ready: Condvar,
}

/// The caller's half of a job's answer: blocks in [`Reply::wait`] until the writer answers.
pub(crate) struct Reply<T>(Arc<Slot<T>>);

impl<T> Reply<T> {
    /// Waits for the answer. A writer that dies with the job (panics) drops its
    /// [`Pending`], which answers [`StoreError::Closed`], so this never waits forever.
    pub(crate) fn wait(self) -> Result<T, StoreError> {
        let mut answer = self.0.answer.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(answer) = answer.take() {
                return answer;
            }
            answer = self.0.ready.wait(answer).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// The writer's half of a job's answer, plus the answer once the job has been applied.
pub(crate) struct Pending<T> {
    slot: Option<Arc<Slot<T>>>,
    /// The job's own answer, set when it has been applied.
    pub(super) result: Option<Result<T, StoreError>>,
}

impl<T> Pending<T> {
    /// A job's answer slot, empty until the job is applied, and the caller's handle to it.
    pub(crate) fn new() -> (Self, Reply<T>) {
        let slot = Arc::new(Slot {
            answer: Mutex::new(None),
            ready: Condvar::new(),
        });
        let pending = Pending {
            slot: Some(Arc::clone(&slot)),
            result: None,
        };
        (pending, Reply(slot))
    }

    /// Sends the answer once the batch's commit is known. A failed commit overrides the
    /// job's own result: nothing of the batch was written.
    pub(super) fn finish(mut self, commit: &Result<(), StoreError>) {
        let answer = match (commit, self.result.take()) {
            (Err(err), _) => Err(err.duplicate()),
            (Ok(()), Some(result)) => result,
            // Unreachable: a successful commit means every job was applied.
            (Ok(()), None) => Err(StoreError::Closed),
        };
        self.send(answer);
    }

    fn send(&mut self, answer: Result<T, StoreError>) {
        if let Some(slot) = self.slot.take() {
            *slot.answer.lock().unwrap_or_else(PoisonError::into_inner) = Some(answer);
            // The caller may have gone away (its thread panicked); then nobody is woken.
            slot.ready.notify_one();
        }
    }
}

impl<T> Drop for Pending<T> {
    /// A job dropped unanswered (the writer panicked, or the queue closed) fails its caller.
    fn drop(&mut self) {
        self.send(Err(StoreError::Closed));
    }
}

/// A certificate record on its way in, encoded by the caller's thread so the single
/// writer thread only looks up and inserts keys.
pub(crate) struct NewCert {
    issuer: String,
    /// The exact serial bytes (the request's `issued` field keeps them as issued).
    serial: Vec<u8>,
    issued_at: i64,
    request_id: Option<u64>,
    /// [`super::tables::encode`] of the whole record.
    value: Vec<u8>,
}

impl NewCert {
    /// Checks and encodes `rec`; its other fields are not needed any more.
    pub(crate) fn new(rec: CertRecord) -> Result<NewCert, StoreError> {
        super::tables::check_issuer(&rec.issuer)?;
        let value = encode(&rec)?;
        Ok(NewCert {
            issuer: rec.issuer,
            serial: rec.serial,
            issued_at: rec.issued_at,
            request_id: rec.request_id,
            value,
        })
    }
}

/// A write request sent to the writer thread.
pub(crate) enum Job {
    /// [`crate::CertIndex::insert_issued`].
    Insert { cert: NewCert, done: Pending<()> },
    /// [`crate::CertIndex::submit_issued`].
    SubmitIssued {
        req: NewRequest,
        token_hash: Option<String>,
        rec: Box<CertRecord>,
        done: Pending<RequestRecord>,
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
    /// The writes of [`crate::acme::AcmeStore`].
    Acme(AcmeJob),
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

/// The value type of [`CERTS_BY_ISSUED`]: (serial sort key, issuer).
type IssuedValue = (&'static [u8], &'static str);

/// The tables of one batch's transaction, each opened on first use: a commit writes back
/// every table it opened, so a batch of issuances must not open (and rewrite the table
/// directory entries of) the queue, token and audit tables it does not touch.
pub(super) struct Tables<'txn> {
    txn: &'txn WriteTransaction,
    certs: Option<Table<'txn, u64, &'static [u8]>>,
    by_serial: Option<Table<'txn, (&'static [u8], &'static str), u64>>,
    by_issued: Option<Table<'txn, (i64, u64), IssuedValue>>,
    counters: Option<Table<'txn, &'static str, u128>>,
    requests: Option<Table<'txn, u64, &'static [u8]>>,
    requests_by_status: Option<Table<'txn, (&'static str, u64), ()>>,
    queue_counters: Option<Table<'txn, &'static str, u64>>,
    tokens: Option<Table<'txn, &'static str, &'static [u8]>>,
    audit: Option<Table<'txn, u64, &'static [u8]>>,
    audit_head: Option<Table<'txn, &'static str, (u64, &'static str)>>,
    acme: AcmeTables<'txn>,
    /// The [`CERTS`] key the next insert of this transaction gets, once known.
    next_seq: Option<u64>,
}

/// The ACME tables of [`Tables`], apart because there are many and they are all new.
#[derive(Default)]
struct AcmeTables<'txn> {
    accounts: Option<Table<'txn, &'static str, &'static [u8]>>,
    account_keys: Option<Table<'txn, (&'static str, &'static str), &'static str>>,
    eab_keys: Option<Table<'txn, &'static str, &'static [u8]>>,
    orders: Option<Table<'txn, &'static str, &'static [u8]>>,
    orders_by_account: Option<Table<'txn, (&'static str, i64, &'static str), ()>>,
    orders_by_expiry: Option<Table<'txn, (i64, &'static str), ()>>,
    authzs: Option<Table<'txn, &'static str, &'static [u8]>>,
    authz_orders: Option<Table<'txn, (&'static str, &'static str), ()>>,
    replaces: Option<Table<'txn, &'static str, &'static str>>,
    nonces: Option<Table<'txn, &'static str, i64>>,
    nonces_by_expiry: Option<Table<'txn, (i64, &'static str), ()>>,
}

/// The table in `slot`, opening it in `txn` first if this transaction has not yet.
fn open<'s, 'txn, K: Key + 'static, V: Value + 'static>(
    slot: &'s mut Option<Table<'txn, K, V>>,
    txn: &'txn WriteTransaction,
    definition: TableDefinition<K, V>,
) -> Result<&'s mut Table<'txn, K, V>, StoreError> {
    if slot.is_none() {
        *slot = Some(txn.open_table(definition)?);
    }
    Ok(slot.as_mut().expect("opened above"))
}

/// One accessor per table of [`Tables`], opening it on first use.
macro_rules! table_accessors {
    ($($name:ident: $($field:ident).+ = $definition:ident => $key:ty, $value:ty;)*) => {
        impl<'txn> Tables<'txn> {
            $(
                pub(super) fn $name(&mut self) -> Result<&mut Table<'txn, $key, $value>, StoreError> {
                    open(&mut self.$($field).+, self.txn, $definition)
                }
            )*
        }
    };
}

table_accessors! {
    certs: certs = CERTS => u64, &'static [u8];
    by_serial: by_serial = CERTS_BY_SERIAL => (&'static [u8], &'static str), u64;
    by_issued: by_issued = CERTS_BY_ISSUED => (i64, u64), IssuedValue;
    counters: counters = SERIAL_COUNTERS => &'static str, u128;
    requests: requests = REQUESTS => u64, &'static [u8];
    requests_by_status: requests_by_status = REQUESTS_BY_STATUS => (&'static str, u64), ();
    queue_counters: queue_counters = COUNTERS => &'static str, u64;
    tokens: tokens = TOKENS => &'static str, &'static [u8];
    audit: audit = AUDIT => u64, &'static [u8];
    audit_head: audit_head = AUDIT_HEAD => &'static str, (u64, &'static str);
    acme_accounts: acme.accounts = ACME_ACCOUNTS => &'static str, &'static [u8];
    acme_account_keys: acme.account_keys = ACME_ACCOUNT_KEYS => (&'static str, &'static str), &'static str;
    acme_eab_keys: acme.eab_keys = ACME_EAB_KEYS => &'static str, &'static [u8];
    acme_orders: acme.orders = ACME_ORDERS => &'static str, &'static [u8];
    acme_orders_by_account: acme.orders_by_account = ACME_ORDERS_BY_ACCOUNT => (&'static str, i64, &'static str), ();
    acme_orders_by_expiry: acme.orders_by_expiry = ACME_ORDERS_BY_EXPIRY => (i64, &'static str), ();
    acme_authzs: acme.authzs = ACME_AUTHZS => &'static str, &'static [u8];
    acme_authz_orders: acme.authz_orders = ACME_AUTHZ_ORDERS => (&'static str, &'static str), ();
    acme_replaces: acme.replaces = ACME_REPLACES => &'static str, &'static str;
    acme_nonces: acme.nonces = ACME_NONCES => &'static str, i64;
    acme_nonces_by_expiry: acme.nonces_by_expiry = ACME_NONCES_BY_EXPIRY => (i64, &'static str), ();
}

impl<'txn> Tables<'txn> {
    /// No table opened yet.
    fn new(txn: &'txn WriteTransaction) -> Self {
        Tables {
            txn,
            certs: None,
            by_serial: None,
            by_issued: None,
            counters: None,
            requests: None,
            requests_by_status: None,
            queue_counters: None,
            tokens: None,
            audit: None,
            audit_head: None,
            acme: AcmeTables::default(),
            next_seq: None,
        }
    }

    /// The [`CERTS`] key for the next insert: one past the last stored key, read once per
    /// transaction (so a failed commit leaves no gap to account for).
    fn next_seq(&mut self) -> Applied<u64> {
        if let Some(seq) = self.next_seq {
            return Ok(Ok(seq));
        }
        let last = self.certs()?.last()?.map(|(key, _)| key.value());
        let seq = match last {
            None => 1,
            Some(last) => try_job!(last
                .checked_add(1)
                .ok_or_else(|| StoreError::Corrupt("the certificate sequence number is exhausted".to_owned()))),
        };
        self.next_seq = Some(seq);
        Ok(Ok(seq))
    }
}

impl Job {
    /// Applies this job inside the batch's transaction and keeps its answer.
    fn apply(&mut self, tables: &mut Tables<'_>) -> Result<(), StoreError> {
        match self {
            Job::Insert { cert, done } => done.result = Some(insert(tables, cert)?),
            Job::SubmitIssued {
                req,
                token_hash,
                rec,
                done,
            } => done.result = Some(submit_issued(tables, req, token_hash.as_deref(), rec)?),
            Job::NextSerial { issuer, start, done } => done.result = Some(next_serial(tables, issuer, *start)?),
            Job::SetRevocation {
                issuer,
                serial,
                revocation,
                done,
            } => done.result = Some(revoke(tables, issuer, serial, revocation)?),
            Job::Submit { req, token_hash, done } => {
                done.result = Some(queue::submit(tables, req, token_hash.as_deref())?);
            }
            Job::Approve { id, approval, done } => done.result = Some(queue::approve(tables, *id, approval)?),
            Job::Deny { id, denial, done } => done.result = Some(queue::deny(tables, *id, denial)?),
            Job::CreateToken { token, done } => done.result = Some(tokens::create(tables, token)?),
            Job::Append { event, done } => done.result = Some(audit::append(tables, event)?),
            Job::Acme(job) => job.apply(tables)?,
        }
        Ok(())
    }

    /// Whether the batch holding this job must be committed durably. Everything is, except
    /// the ACME writes a crash may lose (see `crate::acme`): those ride along with a durable
    /// batch or, alone, skip the fsync.
    fn durable(&self) -> bool {
        match self {
            Job::Acme(job) => job.durable(),
            _ => true,
        }
    }

    /// Answers the caller once the batch's commit outcome is known.
    fn finish(self, commit: &Result<(), StoreError>) {
        match self {
            Job::Insert { done, .. } => done.finish(commit),
            Job::SubmitIssued { done, .. } => done.finish(commit),
            Job::NextSerial { done, .. } => done.finish(commit),
            Job::SetRevocation { done, .. } => done.finish(commit),
            Job::Submit { done, .. } | Job::Approve { done, .. } | Job::Deny { done, .. } => done.finish(commit),
            Job::CreateToken { done, .. } => done.finish(commit),
            Job::Append { done, .. } => done.finish(commit),
            Job::Acme(job) => job.finish(commit),
        }
    }
}

/// The writer thread's body: runs until every sender is dropped (the index was dropped).
pub(crate) fn run(db: &Database, jobs: &Receiver<Job>, mode: CommitMode) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = jobs.recv() {
        // Take what is already queued, without waiting for more: waiting would add
        // latency when the load is light, and under load the queue fills by itself
        // while the previous commit runs. (A short wait of 100-300 us after a bigger batch, for
        // its callers to come back, was measured and gave no clear gain.)
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // Writes that skip the fsync (ACME orders, authorizations, nonces) must not wait for
        // another caller's fsync: when a batch holds both kinds, the light ones are committed
        // and answered first, in a transaction of their own. Jobs of one batch come from
        // different callers, so committing them in either order is a valid serialization.
        if batch.iter().any(Job::durable) && !batch.iter().all(Job::durable) {
            let (durable, light): (Vec<Job>, Vec<Job>) = batch.drain(..).partition(Job::durable);
            for mut part in [light, durable] {
                let commit = apply_and_commit(db, &mut part, mode);
                for job in part {
                    job.finish(&commit);
                }
            }
            continue;
        }
        let commit = apply_and_commit(db, &mut batch, mode);
        for job in batch.drain(..) {
            job.finish(&commit);
        }
    }
}

/// One write transaction for the whole batch: durable if any job needs it.
fn apply_and_commit(db: &Database, batch: &mut [Job], mode: CommitMode) -> Result<(), StoreError> {
    let mut txn = db.begin_write()?;
    if batch.iter().any(Job::durable) {
        // Immediate is redb's default; set it anyway because the CA's promise (no record
        // lost, no serial reused) depends on it. Two-phase commit (the default mode) guards
        // the commit slot against torn writes without trusting checksums alone.
        txn.set_durability(Durability::Immediate)?;
        txn.set_two_phase_commit(mode.two_phase());
    } else {
        // No fsync: redb makes this commit durable with the next durable one (or when the
        // database is closed); a crash before then loses the non-durable commits since the
        // last durable one, and nothing else.
        txn.set_durability(Durability::None)?;
    }
    {
        let mut tables = Tables::new(&txn);
        for job in batch.iter_mut() {
            job.apply(&mut tables)?;
        }
    }
    txn.commit()?;
    Ok(())
}

/// Inserts one record unless its (issuer, serial) exists. Earlier jobs of the same batch
/// are already in the transaction, so duplicates inside a batch are caught by the same check.
///
/// With `cert.request_id` set, the request must exist and be pending; it is marked issued
/// with this certificate in the same transaction, or neither is written.
fn insert(tables: &mut Tables<'_>, cert: &NewCert) -> Applied<()> {
    let issuer = cert.issuer.as_str();
    let serial = significant(&cert.serial);
    if tables.by_serial()?.get((serial, issuer))?.is_some() {
        return Ok(Err(StoreError::DuplicateSerial {
            issuer: cert.issuer.clone(),
            serial_hex: serial_to_hex(&cert.serial),
        }));
    }
    let request = match cert.request_id {
        None => None,
        Some(id) => {
            let mut request = try_job!(queue::load(tables, id)?);
            try_job!(request.require_pending());
            request.status = RequestStatus::Issued;
            request.issued = Some((cert.issuer.clone(), cert.serial.clone()));
            let encoded = try_job!(queue::encode_request(&request));
            Some((request, encoded))
        }
    };
    let seq = try_job!(tables.next_seq()?);
    // Every check passed: from here on only writes.
    if let Some((request, encoded)) = request {
        queue::store(tables, &request, &encoded, Some(RequestStatus::Pending))?;
    }
    tables.certs()?.insert(seq, cert.value.as_slice())?;
    tables.by_serial()?.insert((serial, issuer), seq)?;
    let sort_key = serial_sort_key(&cert.serial);
    tables
        .by_issued()?
        .insert((cert.issued_at, seq), (sort_key.as_slice(), issuer))?;
    tables.next_seq = Some(seq + 1);
    Ok(Ok(()))
}

/// A new request stored issued with its certificate: the serial is checked first, then the
/// request is stored (pending) and the insert settles it, so a failed check writes nothing.
fn submit_issued(
    tables: &mut Tables<'_>,
    req: &NewRequest,
    token_hash: Option<&str>,
    rec: &mut CertRecord,
) -> Applied<RequestRecord> {
    try_job!(super::tables::check_issuer(&rec.issuer));
    if tables
        .by_serial()?
        .get((significant(&rec.serial), rec.issuer.as_str()))?
        .is_some()
    {
        return Ok(Err(StoreError::DuplicateSerial {
            issuer: rec.issuer.clone(),
            serial_hex: serial_to_hex(&rec.serial),
        }));
    }
    let mut request = try_job!(queue::submit(tables, req, token_hash)?);
    // From here on the request is written: a failure must abort the whole batch (outer
    // error) rather than leave a pending request without its certificate.
    rec.request_id = Some(request.id);
    let cert = NewCert::new(rec.clone())?;
    insert(tables, &cert)??;
    request.status = RequestStatus::Issued;
    request.issued = Some((rec.issuer.clone(), rec.serial.clone()));
    Ok(Ok(request))
}

/// Hands out the stored next value (or `start`) and stores its successor.
fn next_serial(tables: &mut Tables<'_>, issuer: &str, start: u128) -> Applied<u128> {
    let counters = tables.counters()?;
    let current = counters.get(issuer)?.map_or(start, |v| v.value());
    // u128::MAX itself is never handed out: there would be no successor to store, and
    // storing the same value again would hand it out twice.
    let Some(next) = current.checked_add(1) else {
        return Ok(Err(StoreError::SerialExhausted {
            issuer: issuer.to_owned(),
        }));
    };
    counters.insert(issuer, next)?;
    Ok(Ok(current))
}

/// Replaces the revocation of one stored record; the index tables do not change because
/// neither the serial nor `issued_at` does.
fn revoke(
    tables: &mut Tables<'_>,
    issuer: &str,
    serial: &[u8],
    revocation: &Option<Revocation>,
) -> Applied<CertRecord> {
    let found = tables
        .by_serial()?
        .get((significant(serial), issuer))?
        .map(|v| v.value());
    let Some(seq) = found else {
        return Ok(Err(StoreError::NotFound {
            issuer: issuer.to_owned(),
            serial_hex: serial_to_hex(serial),
        }));
    };
    let certs = tables.certs()?;
    let decoded = match certs.get(seq)? {
        None => Err(StoreError::Corrupt(format!(
            "the serial index names a missing record of {issuer:?}"
        ))),
        Some(value) => decode(issuer, serial, value.value()),
    };
    let mut rec = try_job!(decoded);
    rec.revocation.clone_from(revocation);
    let value = try_job!(encode(&rec));
    certs.insert(seq, value.as_slice())?;
    Ok(Ok(rec))
}
