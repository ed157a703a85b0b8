//! [`AcmeStore`] for [`RedbIndex`]: reads on the caller's thread, and the write halves the
//! writer thread applies. Records are encoded on the caller's thread, so the one writer
//! thread only checks keys and inserts.
//!
//! Which of these writes may skip the fsync is decided here ([`AcmeJob::durable`]): the
//! accounts and EAB keys may not, the rest may (see `crate::acme` for why).

use std::fmt::Display;

use ::redb::{ReadableDatabase, ReadableTable, Table, TableDefinition};
use ca_core::acme::order::OrderStatus;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::tables::{decode_value, encode_value};
use super::tables::{
    ACME_ACCOUNTS, ACME_ACCOUNT_KEYS, ACME_AUTHZS, ACME_EAB_KEYS, ACME_ORDERS, ACME_ORDERS_BY_ACCOUNT,
};
use super::writer::{try_job, Applied, Job, Pending, Tables};
use super::RedbIndex;
use crate::acme::{AcmeAccount, AcmeAuthz, AcmeOrder, AcmeStore, EabKey, Purged};
use crate::error::StoreError;

/// What each record is called in errors.
const ACCOUNT: &str = "ACME account";
const EAB_KEY: &str = "EAB key";
const ORDER: &str = "ACME order";
const AUTHZ: &str = "ACME authorization";

/// A record and its encoding, made on the caller's thread.
pub(crate) struct Encoded<T> {
    record: T,
    bytes: Vec<u8>,
}

impl<T: Serialize> Encoded<T> {
    /// Encodes `record`, the `what` called `id` in errors.
    fn new(what: &str, id: &str, record: T) -> Result<Self, StoreError> {
        let bytes = encode_value(&format_args!("{what} {id}"), &record)?;
        Ok(Encoded { record, bytes })
    }
}

/// An ACME write on its way to the writer thread.
pub(crate) enum AcmeJob {
    CreateAccount {
        account: Encoded<AcmeAccount>,
        eab_key_id: Option<String>,
        done: Pending<()>,
    },
    UpdateAccount {
        account: Encoded<AcmeAccount>,
        done: Pending<()>,
    },
    CreateEabKey {
        key: Encoded<EabKey>,
        done: Pending<()>,
    },
    CreateOrder {
        order: Encoded<AcmeOrder>,
        authzs: Vec<Encoded<AcmeAuthz>>,
        done: Pending<()>,
    },
    UpdateOrder {
        order: Encoded<AcmeOrder>,
        done: Pending<()>,
    },
    UpdateAuthz {
        authz: Encoded<AcmeAuthz>,
        done: Pending<()>,
    },
    ConsumeNonce {
        nonce: String,
        expires_at: i64,
        done: Pending<()>,
    },
    Purge {
        now: i64,
        done: Pending<Purged>,
    },
}

impl AcmeJob {
    /// Applies this job inside the batch's transaction and keeps its answer.
    pub(super) fn apply(&mut self, tables: &mut Tables<'_>) -> Result<(), StoreError> {
        match self {
            AcmeJob::CreateAccount {
                account,
                eab_key_id,
                done,
            } => done.result = Some(create_account(tables, account, eab_key_id.as_deref())?),
            AcmeJob::UpdateAccount { account, done } => done.result = Some(update_account(tables, account)?),
            AcmeJob::CreateEabKey { key, done } => done.result = Some(create_eab_key(tables, key)?),
            AcmeJob::CreateOrder { order, authzs, done } => done.result = Some(create_order(tables, order, authzs)?),
            AcmeJob::UpdateOrder { order, done } => done.result = Some(update_order(tables, order)?),
            AcmeJob::UpdateAuthz { authz, done } => done.result = Some(update_authz(tables, authz)?),
            AcmeJob::ConsumeNonce {
                nonce,
                expires_at,
                done,
            } => done.result = Some(consume_nonce(tables, nonce, *expires_at)?),
            AcmeJob::Purge { now, done } => done.result = Some(purge(tables, *now)?),
        }
        Ok(())
    }

    /// Accounts and EAB keys must survive a crash; orders, authorizations, nonces and purges
    /// may be lost with the last few seconds (the client places a new order, and nonces
    /// from before a restart are refused anyway).
    pub(super) fn durable(&self) -> bool {
        matches!(
            self,
            AcmeJob::CreateAccount { .. } | AcmeJob::UpdateAccount { .. } | AcmeJob::CreateEabKey { .. }
        )
    }

    /// Answers the caller once the batch's commit outcome is known.
    pub(super) fn finish(self, commit: &Result<(), StoreError>) {
        match self {
            AcmeJob::CreateAccount { done, .. }
            | AcmeJob::UpdateAccount { done, .. }
            | AcmeJob::CreateEabKey { done, .. }
            | AcmeJob::CreateOrder { done, .. }
            | AcmeJob::UpdateOrder { done, .. }
            | AcmeJob::UpdateAuthz { done, .. }
            | AcmeJob::ConsumeNonce { done, .. } => done.finish(commit),
            AcmeJob::Purge { done, .. } => done.finish(commit),
        }
    }
}

impl RedbIndex {
    /// Queues an ACME write and waits for the commit that contains it.
    fn write_acme<T>(&self, job: impl FnOnce(Pending<T>) -> AcmeJob) -> Result<T, StoreError> {
        self.write(|done| Job::Acme(job(done)))
    }

    /// The record under `id` in one of the id-keyed ACME tables.
    fn read_acme<T: DeserializeOwned>(
        &self,
        table: TableDefinition<&str, &[u8]>,
        what: &str,
        id: &str,
    ) -> Result<Option<T>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(table)?;
        let found = table.get(id)?;
        found.map(|value| decode(what, id, value.value())).transpose()
    }
}

impl AcmeStore for RedbIndex {
    fn create_account(&self, account: AcmeAccount, eab_key_id: Option<&str>) -> Result<(), StoreError> {
        let account = Encoded::new(ACCOUNT, &account.id.clone(), account)?;
        let eab_key_id = eab_key_id.map(str::to_owned);
        self.write_acme(|done| AcmeJob::CreateAccount {
            account,
            eab_key_id,
            done,
        })
    }

    fn get_account(&self, id: &str) -> Result<Option<AcmeAccount>, StoreError> {
        self.read_acme(ACME_ACCOUNTS, ACCOUNT, id)
    }

    fn account_by_thumbprint(&self, endpoint: &str, thumbprint: &str) -> Result<Option<AcmeAccount>, StoreError> {
        // One snapshot for both lookups, so a key change running meanwhile cannot split them.
        let txn = self.db.begin_read()?;
        let Some(id) = txn
            .open_table(ACME_ACCOUNT_KEYS)?
            .get((endpoint, thumbprint))?
            .map(|v| v.value().to_owned())
        else {
            return Ok(None);
        };
        match txn.open_table(ACME_ACCOUNTS)?.get(id.as_str())? {
            Some(value) => decode(ACCOUNT, &id, value.value()).map(Some),
            None => Err(StoreError::Corrupt(format!(
                "the account key index names a missing {ACCOUNT} {id}"
            ))),
        }
    }

    fn update_account(&self, account: AcmeAccount) -> Result<(), StoreError> {
        let account = Encoded::new(ACCOUNT, &account.id.clone(), account)?;
        self.write_acme(|done| AcmeJob::UpdateAccount { account, done })
    }

    fn create_eab_key(&self, key: EabKey) -> Result<(), StoreError> {
        let key = Encoded::new(EAB_KEY, &key.key_id.clone(), key)?;
        self.write_acme(|done| AcmeJob::CreateEabKey { key, done })
    }

    fn get_eab_key(&self, key_id: &str) -> Result<Option<EabKey>, StoreError> {
        self.read_acme(ACME_EAB_KEYS, EAB_KEY, key_id)
    }

    fn list_eab_keys(&self, endpoint: Option<&str>) -> Result<Vec<EabKey>, StoreError> {
        let txn = self.db.begin_read()?;
        let mut found = Vec::new();
        for entry in txn.open_table(ACME_EAB_KEYS)?.iter()? {
            let (key_id, value) = entry?;
            let key: EabKey = decode(EAB_KEY, key_id.value(), value.value())?;
            if endpoint.is_none_or(|e| e == key.endpoint) {
                found.push(key);
            }
        }
        found.sort_by(|a, b| (a.created_at, &a.key_id).cmp(&(b.created_at, &b.key_id)));
        Ok(found)
    }

    fn create_order(&self, order: AcmeOrder, authzs: Vec<AcmeAuthz>) -> Result<(), StoreError> {
        let order = Encoded::new(ORDER, &order.id.clone(), order)?;
        let authzs = authzs
            .into_iter()
            .map(|authz| Encoded::new(AUTHZ, &authz.id.clone(), authz))
            .collect::<Result<_, _>>()?;
        self.write_acme(|done| AcmeJob::CreateOrder { order, authzs, done })
    }

    fn get_order(&self, id: &str) -> Result<Option<AcmeOrder>, StoreError> {
        self.read_acme(ACME_ORDERS, ORDER, id)
    }

    fn update_order(&self, order: AcmeOrder) -> Result<(), StoreError> {
        let order = Encoded::new(ORDER, &order.id.clone(), order)?;
        self.write_acme(|done| AcmeJob::UpdateOrder { order, done })
    }

    fn orders_of_account(&self, account_id: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let txn = self.db.begin_read()?;
        let by_account = txn.open_table(ACME_ORDERS_BY_ACCOUNT)?;
        let mut found = Vec::new();
        // The account's entries are one contiguous run starting at its smallest key.
        for entry in by_account.range((account_id, i64::MIN, "")..)? {
            if found.len() >= limit {
                break;
            }
            let (key, _) = entry?;
            let (account, _, order_id) = key.value();
            if account != account_id {
                break;
            }
            found.push(order_id.to_owned());
        }
        Ok(found)
    }

    fn get_authz(&self, id: &str) -> Result<Option<AcmeAuthz>, StoreError> {
        self.read_acme(ACME_AUTHZS, AUTHZ, id)
    }

    fn update_authz(&self, authz: AcmeAuthz) -> Result<(), StoreError> {
        let authz = Encoded::new(AUTHZ, &authz.id.clone(), authz)?;
        self.write_acme(|done| AcmeJob::UpdateAuthz { authz, done })
    }

    fn consume_nonce(&self, nonce: &str, expires_at: i64) -> Result<(), StoreError> {
        let nonce = nonce.to_owned();
        self.write_acme(|done| AcmeJob::ConsumeNonce {
            nonce,
            expires_at,
            done,
        })
    }

    fn purge_expired(&self, now: i64) -> Result<Purged, StoreError> {
        self.write_acme(|done| AcmeJob::Purge { now, done })
    }
}

/// Decodes the `what` stored under `id`.
fn decode<T: DeserializeOwned>(what: &str, id: &str, value: &[u8]) -> Result<T, StoreError> {
    decode_value(&format_args!("{what} {id}"), value)
}

/// The `what` stored under `id` in `table`, as of this transaction.
fn stored<T: DeserializeOwned>(
    table: &Table<'_, &'static str, &'static [u8]>,
    what: &str,
    id: &str,
) -> Applied<Option<T>> {
    Ok(match table.get(id)? {
        Some(value) => decode(what, id, value.value()).map(Some),
        None => Ok(None),
    })
}

/// The error for a missing `what` called `id`.
fn missing(what: &str, id: &str) -> StoreError {
    StoreError::AcmeNotFound(format!("there is no {what} {id}"))
}

/// A refusal that writes nothing.
fn conflict(msg: impl Display) -> StoreError {
    StoreError::Conflict(msg.to_string())
}

/// Orders a purge may remove once expired; a valid order leads its client to the
/// certificate, and a processing one may wait days for an administrator's approval.
fn purgeable(status: OrderStatus) -> bool {
    !matches!(status, OrderStatus::Valid | OrderStatus::Processing)
}

/// The account that holds this key on this endpoint.
fn key_owner(tables: &mut Tables<'_>, endpoint: &str, thumbprint: &str) -> Result<Option<String>, StoreError> {
    Ok(tables
        .acme_account_keys()?
        .get((endpoint, thumbprint))?
        .map(|v| v.value().to_owned()))
}

/// Stores a new account, using up its EAB key (if any) in the same transaction.
fn create_account(tables: &mut Tables<'_>, account: &Encoded<AcmeAccount>, eab_key_id: Option<&str>) -> Applied<()> {
    let acc = &account.record;
    if tables.acme_accounts()?.get(acc.id.as_str())?.is_some() {
        return Ok(Err(conflict(format_args!("{ACCOUNT} id {} is taken", acc.id))));
    }
    if let Some(other) = key_owner(tables, &acc.endpoint, &acc.thumbprint)? {
        return Ok(Err(conflict(format_args!(
            "endpoint {:?} already has {ACCOUNT} {other} with this key",
            acc.endpoint
        ))));
    }
    let eab = match eab_key_id {
        Some(key_id) => Some((key_id, try_job!(use_up_eab_key(tables, key_id, acc)?))),
        None => None,
    };
    // Every check passed: from here on only writes.
    tables
        .acme_accounts()?
        .insert(acc.id.as_str(), account.bytes.as_slice())?;
    tables
        .acme_account_keys()?
        .insert((acc.endpoint.as_str(), acc.thumbprint.as_str()), acc.id.as_str())?;
    if let Some((key_id, encoded)) = eab {
        tables.acme_eab_keys()?.insert(key_id, encoded.as_slice())?;
    }
    Ok(Ok(()))
}

/// Checks that the EAB key exists, is unused and belongs to the account's endpoint, and
/// returns it marked as used by `account`, encoded. Writes nothing.
fn use_up_eab_key(tables: &mut Tables<'_>, key_id: &str, account: &AcmeAccount) -> Applied<Vec<u8>> {
    let Some(mut key) = try_job!(stored::<EabKey>(tables.acme_eab_keys()?, EAB_KEY, key_id)?) else {
        return Ok(Err(missing(EAB_KEY, key_id)));
    };
    if let Some(used) = &key.used_by_account {
        return Ok(Err(conflict(format_args!(
            "{EAB_KEY} {key_id} is already bound to {ACCOUNT} {used}"
        ))));
    }
    if key.endpoint != account.endpoint {
        return Ok(Err(conflict(format_args!(
            "{EAB_KEY} {key_id} is for endpoint {:?}, not {:?}",
            key.endpoint, account.endpoint
        ))));
    }
    key.used_by_account = Some(account.id.clone());
    Ok(encode_value(&format_args!("{EAB_KEY} {key_id}"), &key))
}

/// Replaces an account, moving its key index entry when the key (or endpoint) changed.
fn update_account(tables: &mut Tables<'_>, account: &Encoded<AcmeAccount>) -> Applied<()> {
    let acc = &account.record;
    let Some(old) = try_job!(stored::<AcmeAccount>(tables.acme_accounts()?, ACCOUNT, &acc.id)?) else {
        return Ok(Err(missing(ACCOUNT, &acc.id)));
    };
    let old_key = (old.endpoint.as_str(), old.thumbprint.as_str());
    let new_key = (acc.endpoint.as_str(), acc.thumbprint.as_str());
    if old_key != new_key {
        if let Some(other) = key_owner(tables, new_key.0, new_key.1)?.filter(|other| *other != acc.id) {
            return Ok(Err(conflict(format_args!(
                "endpoint {:?} already has {ACCOUNT} {other} with this key",
                acc.endpoint
            ))));
        }
    }
    // Every check passed: from here on only writes.
    tables
        .acme_accounts()?
        .insert(acc.id.as_str(), account.bytes.as_slice())?;
    if old_key != new_key {
        // Only this account's own entry goes; the old key is free for others afterwards.
        if key_owner(tables, old_key.0, old_key.1)?.as_deref() == Some(acc.id.as_str()) {
            tables.acme_account_keys()?.remove(old_key)?;
        }
        tables.acme_account_keys()?.insert(new_key, acc.id.as_str())?;
    }
    Ok(Ok(()))
}

/// Stores a new EAB key unless its id exists.
fn create_eab_key(tables: &mut Tables<'_>, key: &Encoded<EabKey>) -> Applied<()> {
    let key_id = key.record.key_id.as_str();
    if tables.acme_eab_keys()?.get(key_id)?.is_some() {
        return Ok(Err(conflict(format_args!("{EAB_KEY} {key_id} exists"))));
    }
    tables.acme_eab_keys()?.insert(key_id, key.bytes.as_slice())?;
    Ok(Ok(()))
}

/// Stores a new order and its new authorizations.
fn create_order(tables: &mut Tables<'_>, order: &Encoded<AcmeOrder>, authzs: &[Encoded<AcmeAuthz>]) -> Applied<()> {
    let new = &order.record;
    if tables.acme_orders()?.get(new.id.as_str())?.is_some() {
        return Ok(Err(conflict(format_args!("{ORDER} id {} is taken", new.id))));
    }
    for (i, authz) in authzs.iter().enumerate() {
        let id = authz.record.id.as_str();
        if authzs[..i].iter().any(|a| a.record.id == id) || tables.acme_authzs()?.get(id)?.is_some() {
            return Ok(Err(conflict(format_args!("{AUTHZ} id {id} is taken"))));
        }
        if !new.authz_ids.iter().any(|a| a == id) {
            return Ok(Err(conflict(format_args!(
                "{AUTHZ} {id} is not one of {ORDER} {}'s",
                new.id
            ))));
        }
    }
    try_job!(check_order_links(tables, None, new, authzs)?);
    // Every check passed: from here on only writes.
    tables.acme_orders()?.insert(new.id.as_str(), order.bytes.as_slice())?;
    for authz in authzs {
        tables
            .acme_authzs()?
            .insert(authz.record.id.as_str(), authz.bytes.as_slice())?;
    }
    reindex(tables, None, Some(new))?;
    Ok(Ok(()))
}

/// Replaces an order, moving its index entries to what the new version needs.
fn update_order(tables: &mut Tables<'_>, order: &Encoded<AcmeOrder>) -> Applied<()> {
    let new = &order.record;
    let Some(old) = try_job!(stored::<AcmeOrder>(tables.acme_orders()?, ORDER, &new.id)?) else {
        return Ok(Err(missing(ORDER, &new.id)));
    };
    try_job!(check_order_links(tables, Some(&old), new, &[])?);
    // Every check passed: from here on only writes.
    tables.acme_orders()?.insert(new.id.as_str(), order.bytes.as_slice())?;
    reindex(tables, Some(&old), Some(new))?;
    Ok(Ok(()))
}

/// Checks what `new` links to that `old` (the stored version, if any) did not: every
/// authorization it lists exists (stored, or among `authzs` created with it), and the
/// certificate it replaces is not already being replaced by another order.
fn check_order_links(
    tables: &mut Tables<'_>,
    old: Option<&AcmeOrder>,
    new: &AcmeOrder,
    authzs: &[Encoded<AcmeAuthz>],
) -> Applied<()> {
    for id in &new.authz_ids {
        let known = old.is_some_and(|o| o.authz_ids.contains(id)) || authzs.iter().any(|a| a.record.id == *id);
        if !known && tables.acme_authzs()?.get(id.as_str())?.is_none() {
            return Ok(Err(missing(AUTHZ, id)));
        }
    }
    let Some(cert_id) = new.replaces.as_deref() else {
        return Ok(Ok(()));
    };
    if old.is_some_and(|o| o.replaces.as_deref() == Some(cert_id)) {
        return Ok(Ok(()));
    }
    let holder = tables.acme_replaces()?.get(cert_id)?.map(|v| v.value().to_owned());
    let Some(holder) = holder.filter(|h| *h != new.id) else {
        return Ok(Ok(()));
    };
    // An invalid order replaced nothing, so a new one may try again (RFC 9773 7).
    let holder_order = try_job!(stored::<AcmeOrder>(tables.acme_orders()?, ORDER, &holder)?);
    match holder_order {
        Some(o) if o.status != OrderStatus::Invalid => Ok(Err(conflict(format_args!(
            "certificate {cert_id} is already being replaced by {ORDER} {holder}"
        )))),
        // Invalid, or (never left by this code) an entry naming a purged order.
        _ => Ok(Ok(())),
    }
}

/// Moves an order's index entries from what `old` needs to what `new` needs; `None` for an
/// order being created or removed. Entries that stay the same are not rewritten.
fn reindex(tables: &mut Tables<'_>, old: Option<&AcmeOrder>, new: Option<&AcmeOrder>) -> Result<(), StoreError> {
    let Some(id) = new.or(old).map(|o| o.id.as_str()) else {
        return Ok(());
    };

    let by_account = |o: &AcmeOrder| (o.account_id.clone(), o.created_at);
    let (old_key, new_key) = (old.map(by_account), new.map(by_account));
    if old_key != new_key {
        let table = tables.acme_orders_by_account()?;
        if let Some((account, at)) = &old_key {
            table.remove((account.as_str(), *at, id))?;
        }
        if let Some((account, at)) = &new_key {
            table.insert((account.as_str(), *at, id), ())?;
        }
    }

    let by_expiry = |o: &AcmeOrder| purgeable(o.status).then_some(o.expires);
    let (old_key, new_key) = (old.and_then(by_expiry), new.and_then(by_expiry));
    if old_key != new_key {
        let table = tables.acme_orders_by_expiry()?;
        if let Some(at) = old_key {
            table.remove((at, id))?;
        }
        if let Some(at) = new_key {
            table.insert((at, id), ())?;
        }
    }

    let replaces = |o: Option<&AcmeOrder>| o.and_then(|o| o.replaces.clone());
    let (old_key, new_key) = (replaces(old), replaces(new));
    if old_key != new_key {
        let table = tables.acme_replaces()?;
        if let Some(cert_id) = &old_key {
            // Only this order's own claim goes: a later order may have taken it over.
            let ours = table.get(cert_id.as_str())?.is_some_and(|v| v.value() == id);
            if ours {
                table.remove(cert_id.as_str())?;
            }
        }
        if let Some(cert_id) = &new_key {
            table.insert(cert_id.as_str(), id)?;
        }
    }

    let authz_ids = |o: Option<&AcmeOrder>| o.map(|o| o.authz_ids.clone()).unwrap_or_default();
    let (old_ids, new_ids) = (authz_ids(old), authz_ids(new));
    let table = tables.acme_authz_orders()?;
    for authz_id in old_ids.iter().filter(|a| !new_ids.contains(a)) {
        table.remove((authz_id.as_str(), id))?;
    }
    for authz_id in new_ids.iter().filter(|a| !old_ids.contains(a)) {
        table.insert((authz_id.as_str(), id), ())?;
    }
    Ok(())
}

/// Replaces an existing authorization.
fn update_authz(tables: &mut Tables<'_>, authz: &Encoded<AcmeAuthz>) -> Applied<()> {
    let id = authz.record.id.as_str();
    let authzs = tables.acme_authzs()?;
    if authzs.get(id)?.is_none() {
        return Ok(Err(missing(AUTHZ, id)));
    }
    authzs.insert(id, authz.bytes.as_slice())?;
    Ok(Ok(()))
}

/// Records a nonce as used unless it was before.
fn consume_nonce(tables: &mut Tables<'_>, nonce: &str, expires_at: i64) -> Applied<()> {
    let nonces = tables.acme_nonces()?;
    if nonces.get(nonce)?.is_some() {
        return Ok(Err(conflict("the nonce was already used")));
    }
    nonces.insert(nonce, expires_at)?;
    tables.acme_nonces_by_expiry()?.insert((expires_at, nonce), ())?;
    Ok(Ok(()))
}

/// Removes expired orders (not valid or processing) with the authorizations no remaining
/// order lists, and expired nonces.
fn purge(tables: &mut Tables<'_>, now: i64) -> Applied<Purged> {
    // Keys before (now, "") are exactly those whose expiry is before `now`.
    let mut expired = Vec::new();
    for entry in tables.acme_orders_by_expiry()?.range(..(now, ""))? {
        expired.push(entry?.0.value().1.to_owned());
    }
    let mut orders = Vec::with_capacity(expired.len());
    for id in &expired {
        match try_job!(stored::<AcmeOrder>(tables.acme_orders()?, ORDER, id)?) {
            Some(order) if purgeable(order.status) => orders.push(order),
            Some(_) => {}
            None => {
                return Ok(Err(StoreError::Corrupt(format!(
                    "the order expiry index names a missing {ORDER} {id}"
                ))))
            }
        }
    }
    // Every check passed: from here on only writes.
    let mut purged = Purged::default();
    for order in &orders {
        tables.acme_orders()?.remove(order.id.as_str())?;
        reindex(tables, Some(order), None)?;
        purged.orders += 1;
        for authz_id in &order.authz_ids {
            let listed = tables
                .acme_authz_orders()?
                .range((authz_id.as_str(), "")..)?
                .next()
                .transpose()?
                .is_some_and(|(key, _)| key.value().0 == authz_id);
            if !listed && tables.acme_authzs()?.remove(authz_id.as_str())?.is_some() {
                purged.authzs += 1;
            }
        }
    }
    let mut nonces = Vec::new();
    for entry in tables
        .acme_nonces_by_expiry()?
        .extract_from_if(..(now, ""), |_, _| true)?
    {
        nonces.push(entry?.0.value().1.to_owned());
    }
    let table = tables.acme_nonces()?;
    for nonce in &nonces {
        table.remove(nonce.as_str())?;
    }
    purged.nonces = nonces.len();
    Ok(Ok(purged))
}
