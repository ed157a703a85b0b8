//! [`RequestQueue`] for [`RedbIndex`]: reads on the caller's thread, and the write halves
//! that the writer thread applies (submit, approve, deny, and the request side of issuing).

use ::redb::{ReadableDatabase, ReadableTable};

use super::tables::{decode_value, encode_value, NEXT_REQUEST_ID, REQUESTS, REQUESTS_BY_STATUS};
use super::writer::{try_job, Applied, Job, Tables};
use super::{tokens, RedbIndex};
use crate::error::StoreError;
use crate::queue::{Approval, Denial, NewRequest, RequestQueue, RequestRecord, RequestStatus};

impl RequestQueue for RedbIndex {
    fn submit(&self, req: NewRequest, token_hash: Option<&str>) -> Result<RequestRecord, StoreError> {
        let token_hash = token_hash.map(str::to_owned);
        self.write(|done| Job::Submit { req, token_hash, done })
    }

    fn get_request(&self, id: u64) -> Result<Option<RequestRecord>, StoreError> {
        let txn = self.db.begin_read()?;
        let requests = txn.open_table(REQUESTS)?;
        let found = requests.get(id)?;
        found.map(|value| decode_request(id, value.value())).transpose()
    }

    fn list_requests(
        &self,
        status: Option<RequestStatus>,
        limit: Option<usize>,
    ) -> Result<Vec<RequestRecord>, StoreError> {
        let limit = limit.unwrap_or(usize::MAX);
        let txn = self.db.begin_read()?;
        let requests = txn.open_table(REQUESTS)?;
        let mut found = Vec::new();
        if let Some(status) = status {
            // The status index holds this status's ids in id order: no other request is read.
            let by_status = txn.open_table(REQUESTS_BY_STATUS)?;
            let name = status.as_str();
            for entry in by_status.range((name, 0)..=(name, u64::MAX))?.take(limit) {
                let id = entry?.0.value().1;
                let value = requests
                    .get(id)?
                    .ok_or_else(|| StoreError::Corrupt(format!("status index names a missing request {id}")))?;
                found.push(decode_request(id, value.value())?);
            }
        } else {
            for entry in requests.iter()?.take(limit) {
                let (id, value) = entry?;
                found.push(decode_request(id.value(), value.value())?);
            }
        }
        Ok(found)
    }

    fn approve(&self, id: u64, approval: Approval) -> Result<RequestRecord, StoreError> {
        self.write(|done| Job::Approve { id, approval, done })
    }

    fn deny(&self, id: u64, denial: Denial) -> Result<RequestRecord, StoreError> {
        self.write(|done| Job::Deny { id, denial, done })
    }
}

/// Decodes a [`REQUESTS`] value stored under `id`.
fn decode_request(id: u64, value: &[u8]) -> Result<RequestRecord, StoreError> {
    decode_value(&format_args!("request {id}"), value)
}

/// Encodes a request for [`REQUESTS`]; done before any write so a failure writes nothing.
pub(super) fn encode_request(rec: &RequestRecord) -> Result<Vec<u8>, StoreError> {
    encode_value(&format_args!("request {}", rec.id), rec)
}

/// The stored request `id`, as of this transaction; `RequestNotFound` as the job's answer.
pub(super) fn load(tables: &mut Tables<'_>, id: u64) -> Applied<RequestRecord> {
    Ok(match tables.requests()?.get(id)? {
        Some(value) => decode_request(id, value.value()),
        None => Err(StoreError::RequestNotFound(id)),
    })
}

/// Writes an already encoded request and moves it in the status index from `old_status`
/// (`None` for a new request).
pub(super) fn store(
    tables: &mut Tables<'_>,
    rec: &RequestRecord,
    encoded: &[u8],
    old_status: Option<RequestStatus>,
) -> Result<(), StoreError> {
    tables.requests()?.insert(rec.id, encoded)?;
    if old_status != Some(rec.status) {
        if let Some(old) = old_status {
            tables.requests_by_status()?.remove((old.as_str(), rec.id))?;
        }
        tables.requests_by_status()?.insert((rec.status.as_str(), rec.id), ())?;
    }
    Ok(())
}

/// Takes the next request id, uses up the token (if any) and stores the pending request.
pub(super) fn submit(tables: &mut Tables<'_>, req: &NewRequest, token_hash: Option<&str>) -> Applied<RequestRecord> {
    let id = tables.queue_counters()?.get(NEXT_REQUEST_ID)?.map_or(1, |v| v.value());
    let next = try_job!(id
        .checked_add(1)
        .ok_or_else(|| StoreError::Conflict("every request id has been used".to_owned())));
    if tables.requests()?.get(id)?.is_some() {
        // The counter is only ever raised, so a row at the next id means the file was edited.
        return Ok(Err(StoreError::Corrupt(format!(
            "request {id} exists although the request counter says it was never handed out"
        ))));
    }
    let token = match token_hash {
        Some(hash) => Some(try_job!(tokens::use_up(tables, hash, id)?)),
        None => None,
    };
    let rec = RequestRecord {
        id,
        status: RequestStatus::Pending,
        request: req.clone(),
        approvals: Vec::new(),
        denial: None,
        issued: None,
    };
    let encoded = try_job!(encode_request(&rec));
    // Every check passed: from here on only writes.
    store(tables, &rec, &encoded, None)?;
    tables.queue_counters()?.insert(NEXT_REQUEST_ID, next)?;
    if let Some((token, encoded)) = token {
        tables.tokens()?.insert(token.hash.as_str(), encoded.as_slice())?;
    }
    Ok(Ok(rec))
}

/// Adds one administrator's approval to a pending request.
pub(super) fn approve(tables: &mut Tables<'_>, id: u64, approval: &Approval) -> Applied<RequestRecord> {
    let mut rec = try_job!(load(tables, id)?);
    try_job!(rec.require_pending());
    if rec.approved_by(&approval.by.fingerprint) {
        return Ok(Err(StoreError::Conflict(format!(
            "administrator {} already approved request {id}",
            approval.by.subject
        ))));
    }
    rec.approvals.push(approval.clone());
    let encoded = try_job!(encode_request(&rec));
    store(tables, &rec, &encoded, Some(RequestStatus::Pending))?;
    Ok(Ok(rec))
}

/// Denies a pending request.
pub(super) fn deny(tables: &mut Tables<'_>, id: u64, denial: &Denial) -> Applied<RequestRecord> {
    let mut rec = try_job!(load(tables, id)?);
    try_job!(rec.require_pending());
    rec.status = RequestStatus::Denied;
    rec.denial = Some(denial.clone());
    let encoded = try_job!(encode_request(&rec));
    store(tables, &rec, &encoded, Some(RequestStatus::Pending))?;
    Ok(Ok(rec))
}
