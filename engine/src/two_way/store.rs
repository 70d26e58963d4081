//! Replies, inbound numbers and opt-outs in the database (see the module's documentation).

use super::*;
use crate::db::{now_ms, Backend, Db};
use crate::delivery::write_sizes::WriteKind;
use crate::error::Error;
use crate::reader::INLINE_ROWS;
use futures::FutureExt;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

/// One reply part as it came off an SMPP connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingPart {
    pub smsc: String,
    pub sender: String,
    pub recipient: String,
    pub data_coding: u8,
    /// The user data without its header.
    pub body: Vec<u8>,
    /// (reference, total, seq) when it is one part of several.
    pub concat: Option<(u16, u8, u8)>,
}

impl IncomingPart {
    pub fn from_mo(smsc: &str, mo: &smpp::MoMessage) -> IncomingPart {
        IncomingPart {
            smsc: smsc.to_string(),
            sender: mo.from.clone(),
            recipient: mo.to.clone(),
            data_coding: mo.data_coding,
            body: mo.body.clone(),
            concat: mo
                .concat
                .filter(|c| c.total > 1)
                .map(|c| (c.reference, c.total, c.seq)),
        }
    }
}

/// What became of one incoming part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// A whole reply, stored as this id.
    Stored(i64),
    /// The same reply delivered again: counted on this one.
    Again(i64),
    /// A part of a longer reply, waiting for the rest.
    PartWaiting,
}

/// Stores incoming parts in one transaction (a part delivered again is kept once) and turns
/// every reply they complete into a stored, routed reply. Acknowledge them to the SMSC only
/// after this returns.
pub async fn receive(
    db: &Db,
    settings: &TwoWaySettings,
    parts: Vec<IncomingPart>,
) -> Result<Vec<Received>, Error> {
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    let (backend, settings) = (db.backend(), settings.clone());
    db.write(WriteKind::Reply, Vec::len, move |conn| {
        async move { receive_in(conn, backend, &settings, &parts).await }.boxed()
    })
    .await
}

async fn receive_in(
    tx: &mut AnyConnection,
    backend: Backend,
    settings: &TwoWaySettings,
    parts: &[IncomingPart],
) -> Result<Vec<Received>, Error> {
    let now = now_ms();
    let mut outcomes = Vec::with_capacity(parts.len());
    for part in parts {
        let outcome = match part.concat {
            None => {
                let whole = Whole {
                    smsc: part.smsc.clone(),
                    sender: part.sender.clone(),
                    recipient: part.recipient.clone(),
                    data_coding: part.data_coding,
                    pieces: vec![Some(part.body.clone())],
                };
                store_reply(&mut *tx, settings, &whole, now).await?
            }
            Some((reference, total, seq)) => {
                let group = PartGroup {
                    sender: part.sender.clone(),
                    recipient: part.recipient.clone(),
                    reference: i64::from(reference),
                    total: i64::from(total),
                };
                lock_group(&mut *tx, backend, &group).await?;
                sqlx::query(
                    "INSERT INTO reply_parts (sender, recipient, reference, total, seq, smsc, data_coding, body_hex, received_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (sender, recipient, reference, total, seq) DO NOTHING",
                )
                .bind(&part.sender)
                .bind(&part.recipient)
                .bind(i64::from(reference))
                .bind(i64::from(total))
                .bind(i64::from(seq))
                .bind(&part.smsc)
                .bind(i64::from(part.data_coding))
                .bind(hex::encode(&part.body))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                match assemble(&mut *tx, &group, false).await? {
                    Some(whole) => store_reply(&mut *tx, settings, &whole, now).await?,
                    None => Received::PartWaiting,
                }
            }
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// Replies whose missing parts have waited longer than `part_timeout_ms`: stored with what
/// arrived and the gaps marked. Returns how many were stored.
pub async fn store_timed_out_parts(db: &Db, settings: &TwoWaySettings) -> Result<usize, Error> {
    let now = now_ms();
    let groups: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT sender, recipient, reference, total FROM reply_parts \
         GROUP BY sender, recipient, reference, total HAVING MIN(received_at) <= $1 LIMIT 100",
    )
    .bind(now - settings.part_timeout_ms)
    .fetch_all(db.pool())
    .await?;
    if groups.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin_write().await?;
    let mut stored = 0;
    for (sender, recipient, reference, total) in groups {
        let group = PartGroup {
            sender,
            recipient,
            reference,
            total,
        };
        lock_group(&mut tx, db.backend(), &group).await?;
        // Another process may have stored it first: then nothing is left to assemble.
        if let Some(whole) = assemble(&mut tx, &group, true).await? {
            store_reply(&mut tx, settings, &whole, now).await?;
            stored += 1;
        }
    }
    tx.commit().await?;
    Ok(stored)
}

struct PartGroup {
    sender: String,
    recipient: String,
    reference: i64,
    total: i64,
}

/// On PostgreSQL, serialises everything done to one reply's parts: two processes each holding
/// one part would otherwise each miss the other's uncommitted row and leave both waiting for
/// the timeout, or both store the reply. (SQLite has one writer at a time already.)
async fn lock_group(
    tx: &mut AnyConnection,
    backend: Backend,
    group: &PartGroup,
) -> Result<(), Error> {
    if backend != Backend::Postgres {
        return Ok(());
    }
    let digest = Sha256::new()
        .chain_update(group.sender.as_bytes())
        .chain_update([0])
        .chain_update(group.recipient.as_bytes())
        .chain_update(group.reference.to_be_bytes())
        .chain_update(group.total.to_be_bytes())
        .finalize();
    let mut key = [0u8; 8];
    key.copy_from_slice(&digest[..8]);
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(i64::from_be_bytes(key))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A reply put together: each part's bytes in order, `None` where a part never came.
struct Whole {
    smsc: String,
    sender: String,
    recipient: String,
    data_coding: u8,
    pieces: Vec<Option<Vec<u8>>>,
}

impl Whole {
    fn missing(&self) -> i64 {
        self.pieces.iter().filter(|p| p.is_none()).count() as i64
    }

    /// The text: the parts' bytes joined and decoded once (a UCS-2 character or a GSM-7
    /// escape may straddle two parts); around a missing part, each run is decoded alone.
    fn text(&self) -> String {
        let mut text = String::new();
        let mut run: Vec<u8> = Vec::new();
        for piece in &self.pieces {
            match piece {
                Some(bytes) => run.extend_from_slice(bytes),
                None => {
                    text.push_str(&smpp::pdu::deliver::decode_text(self.data_coding, &run));
                    run.clear();
                    text.push_str(MISSING_PART);
                }
            }
        }
        text.push_str(&smpp::pdu::deliver::decode_text(self.data_coding, &run));
        text
    }

    /// Same sender, number, coding and bytes: the same reply.
    fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.sender.as_bytes());
        h.update([0]);
        h.update(self.recipient.as_bytes());
        h.update([0, self.data_coding]);
        for piece in &self.pieces {
            match piece {
                Some(bytes) => {
                    h.update((bytes.len() as u64).to_be_bytes());
                    h.update(bytes);
                }
                None => h.update(u64::MAX.to_be_bytes()),
            }
        }
        hex::encode(h.finalize())
    }
}

/// The group's parts, removed from `reply_parts`, when all are there (or `incomplete_ok`).
async fn assemble(
    tx: &mut AnyConnection,
    group: &PartGroup,
    incomplete_ok: bool,
) -> Result<Option<Whole>, Error> {
    let rows: Vec<(i64, String, i64, String)> = sqlx::query_as(
        "SELECT seq, smsc, data_coding, body_hex FROM reply_parts \
         WHERE sender = $1 AND recipient = $2 AND reference = $3 AND total = $4 ORDER BY seq",
    )
    .bind(&group.sender)
    .bind(&group.recipient)
    .bind(group.reference)
    .bind(group.total)
    .fetch_all(&mut *tx)
    .await?;
    let complete = i64::try_from(rows.len()).unwrap_or(0) >= group.total;
    if rows.is_empty() || (!complete && !incomplete_ok) {
        return Ok(None);
    }
    sqlx::query(
        "DELETE FROM reply_parts WHERE sender = $1 AND recipient = $2 AND reference = $3 AND total = $4",
    )
    .bind(&group.sender)
    .bind(&group.recipient)
    .bind(group.reference)
    .bind(group.total)
    .execute(&mut *tx)
    .await?;
    let total = usize::try_from(group.total).unwrap_or(1).max(1);
    let mut whole = Whole {
        smsc: String::new(),
        sender: group.sender.clone(),
        recipient: group.recipient.clone(),
        data_coding: 0,
        pieces: vec![None; total],
    };
    for (seq, smsc, coding, body_hex) in rows {
        let Some(slot) = usize::try_from(seq - 1)
            .ok()
            .and_then(|i| whole.pieces.get_mut(i))
        else {
            continue;
        };
        *slot = Some(hex::decode(body_hex).unwrap_or_default());
        whole.smsc = smsc;
        whole.data_coding = u8::try_from(coding).unwrap_or(0);
    }
    Ok(Some(whole))
}

/// Routes, links and stores one whole reply (or counts it on its first copy), with its
/// opt-out and its callback, in the caller's transaction.
async fn store_reply(
    tx: &mut AnyConnection,
    settings: &TwoWaySettings,
    whole: &Whole,
    now: i64,
) -> Result<Received, Error> {
    let fingerprint = whole.fingerprint();
    let first: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM replies WHERE fingerprint = $1 AND received_at >= $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(&fingerprint)
    .bind(now - settings.duplicate_window_ms)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(first) = first {
        sqlx::query("UPDATE replies SET copies = copies + 1 WHERE id = $1")
            .bind(first)
            .execute(&mut *tx)
            .await?;
        return Ok(Received::Again(first));
    }
    let text = whole.text();
    let sender = sender_number(&whole.sender);
    let number = inbound_number(&whole.recipient).unwrap_or_else(|_| whole.recipient.clone());
    // A number + keyword assignment wins over the whole number's ('' sorts first).
    let route: Option<(i64, i64)> = sqlx::query_as(
        "SELECT id, account_id FROM inbound_numbers \
         WHERE number = $1 AND released_at IS NULL AND keyword IN ($2, '') \
         ORDER BY keyword DESC LIMIT 1",
    )
    .bind(&number)
    .bind(keyword_of(&text))
    .fetch_optional(&mut *tx)
    .await?;
    let (inbound_number_id, account_id) = match route {
        Some((id, account)) => (Some(id), Some(account)),
        None => (None, None),
    };
    let mut in_reply_to: Option<i64> = None;
    let mut opted_out = false;
    if let Some(account) = account_id {
        in_reply_to = sqlx::query_scalar(
            "SELECT MAX(id) FROM messages WHERE account_id = $1 AND destination = $2",
        )
        .bind(account)
        .bind(&sender)
        .fetch_one(&mut *tx)
        .await?;
        opted_out = is_stop(&text, &settings.stop_words);
    }
    let reply_id: i64 = sqlx::query_scalar(
        "INSERT INTO replies (account_id, inbound_number_id, smsc, sender, recipient, text, data_coding, parts, \
           missing_parts, fingerprint, in_reply_to, opted_out, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(account_id)
    .bind(inbound_number_id)
    .bind(&whole.smsc)
    .bind(&sender)
    .bind(&number)
    .bind(&text)
    .bind(i64::from(whole.data_coding))
    .bind(whole.pieces.len() as i64)
    .bind(whole.missing())
    .bind(&fingerprint)
    .bind(in_reply_to)
    .bind(i64::from(opted_out))
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let Some(account) = account_id else {
        tracing::info!(reply_id, recipient = %number, "reply to an unassigned number kept for staff");
        return Ok(Received::Stored(reply_id));
    };
    if opted_out {
        sqlx::query(
            "INSERT INTO opt_outs (account_id, number, reply_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account_id, number) DO NOTHING",
        )
        .bind(account)
        .bind(&sender)
        .bind(reply_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    let url: String = sqlx::query_scalar("SELECT callback_url FROM accounts WHERE id = $1")
        .bind(account)
        .fetch_one(&mut *tx)
        .await?;
    if !url.trim().is_empty() {
        sqlx::query(
            "INSERT INTO status_callbacks (account_id, reply_id, url, state, attempts, created_at, next_attempt_at) \
             VALUES ($1, $2, $3, 0, 0, $4, $4)",
        )
        .bind(account)
        .bind(reply_id)
        .bind(url.trim())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    Ok(Received::Stored(reply_id))
}

#[derive(sqlx::FromRow)]
struct ReplyRow {
    id: i64,
    sender: String,
    recipient: String,
    text: String,
    parts: i64,
    missing_parts: i64,
    copies: i64,
    in_reply_to: Option<i64>,
    opted_out: i64,
    received_at: i64,
    read_at: Option<i64>,
}

impl From<ReplyRow> for Reply {
    fn from(r: ReplyRow) -> Reply {
        Reply {
            id: r.id,
            sender: r.sender,
            recipient: r.recipient,
            text: r.text,
            parts: r.parts,
            missing_parts: r.missing_parts,
            copies: r.copies,
            in_reply_to: r.in_reply_to,
            opted_out: r.opted_out != 0,
            received_at: r.received_at,
            read: r.read_at.is_some(),
        }
    }
}

const REPLY_COLUMNS: &str = "id, sender, recipient, text, parts, missing_parts, copies, in_reply_to, opted_out, received_at, read_at";

/// Which of an account's replies to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyFilter {
    /// The sender's number (as typed: read like a recipient number), or any.
    pub sender: Option<String>,
    /// Received at or after / before (Unix ms).
    pub from_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// Older than this reply id (the next page), or from the newest.
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// The account's replies, newest first.
pub async fn replies(db: &Db, account_id: i64, filter: &ReplyFilter) -> Result<Vec<Reply>, Error> {
    select_replies(db, account_id, filter, None).await
}

/// The account's replies matching `filter` (its `before_id` ignored) with ids above `after_id`,
/// oldest first: the CSV export's pages.
pub async fn replies_after(
    db: &Db,
    account_id: i64,
    filter: &ReplyFilter,
    after_id: i64,
) -> Result<Vec<Reply>, Error> {
    select_replies(db, account_id, filter, Some(after_id)).await
}

/// Newest first (`before_id`), or oldest first after `after`.
async fn select_replies(
    db: &Db,
    account_id: i64,
    filter: &ReplyFilter,
    after: Option<i64>,
) -> Result<Vec<Reply>, Error> {
    let mut sql = format!("SELECT {REPLY_COLUMNS} FROM replies WHERE account_id = $1");
    let mut n = 1;
    let mut arg = |sql: &mut String, clause: &str| {
        n += 1;
        sql.push_str(&clause.replace('?', &format!("${n}")));
    };
    let sender = filter.sender.as_deref().map(sender_number);
    if sender.is_some() {
        arg(&mut sql, " AND sender = ?");
    }
    if filter.from_ms.is_some() {
        arg(&mut sql, " AND received_at >= ?");
    }
    if filter.until_ms.is_some() {
        arg(&mut sql, " AND received_at < ?");
    }
    let cursor = match after {
        Some(after) => {
            arg(&mut sql, " AND id > ?");
            sql.push_str(" ORDER BY id");
            Some(after)
        }
        None => {
            if filter.before_id.is_some() {
                arg(&mut sql, " AND id < ?");
            }
            sql.push_str(" ORDER BY id DESC");
            filter.before_id
        }
    };
    arg(&mut sql, " LIMIT ?");
    let mut q = sqlx::query_as::<_, ReplyRow>(&sql).bind(account_id);
    if let Some(sender) = sender {
        q = q.bind(sender);
    }
    for v in [filter.from_ms, filter.until_ms, cursor]
        .into_iter()
        .flatten()
    {
        q = q.bind(v);
    }
    let rows = q
        .bind(filter.limit.clamp(1, 10_000))
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(Reply::from).collect())
}

/// What the live inbox follows: (replies not yet read, the newest reply's id or 0).
pub async fn inbox_state(db: &Db, account_id: i64) -> Result<(i64, i64), Error> {
    Ok(sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN read_at IS NULL THEN 1 ELSE 0 END), 0), COALESCE(MAX(id), 0) \
         FROM replies WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_one(db.pool())
    .await?)
}

/// One of the account's replies.
pub async fn reply(db: &Db, account_id: i64, reply_id: i64) -> Result<Reply, Error> {
    let row: Option<ReplyRow> = sqlx::query_as(&format!(
        "SELECT {REPLY_COLUMNS} FROM replies WHERE id = $1 AND account_id = $2"
    ))
    .bind(reply_id)
    .bind(account_id)
    .fetch_optional(db.pool())
    .await?;
    row.map(Reply::from).ok_or(Error::NotFound)
}

/// The account's replies nobody has opened yet.
pub async fn unread_count(db: &Db, account_id: i64) -> Result<i64, Error> {
    Ok(
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM replies WHERE account_id = $1 AND read_at IS NULL",
        )
        .bind(account_id)
        .fetch_one(db.pool())
        .await?,
    )
}

/// Marks the account's replies from `sender` (or all, with `None`) as read.
pub async fn mark_read(db: &Db, account_id: i64, sender: Option<&str>) -> Result<u64, Error> {
    let now = now_ms();
    let done = match sender {
        Some(sender) => {
            sqlx::query(
                "UPDATE replies SET read_at = $1 WHERE account_id = $2 AND sender = $3 AND read_at IS NULL",
            )
            .bind(now)
            .bind(account_id)
            .bind(sender_number(sender))
            .execute(db.pool())
            .await?
        }
        None => {
            sqlx::query("UPDATE replies SET read_at = $1 WHERE account_id = $2 AND read_at IS NULL")
                .bind(now)
                .bind(account_id)
                .execute(db.pool())
                .await?
        }
    };
    Ok(done.rows_affected())
}

/// The account's conversation with `number`: messages it sent there and replies from there,
/// oldest first, the latest `limit` of each.
pub async fn conversation(
    db: &Db,
    account_id: i64,
    number: &str,
    limit: i64,
) -> Result<Vec<ConversationLine>, Error> {
    let number = sender_number(number);
    let limit = limit.clamp(1, 500);
    let sent: Vec<(i64, String, i64, i64)> = sqlx::query_as(
        "SELECT m.id, b.content, m.status, m.created_at FROM messages m JOIN batches b ON b.id = m.batch_id \
         WHERE m.account_id = $1 AND m.destination = $2 ORDER BY m.id DESC LIMIT $3",
    )
    .bind(account_id)
    .bind(&number)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    let received = replies(
        db,
        account_id,
        &ReplyFilter {
            sender: Some(number),
            limit,
            ..ReplyFilter::default()
        },
    )
    .await?;
    let mut lines: Vec<ConversationLine> = sent
        .into_iter()
        .map(|(id, text, status, at)| ConversationLine::Sent {
            message_id: id,
            text,
            status: sms::DeliveryStatus::try_from(status)
                .unwrap_or(sms::DeliveryStatus::Processing),
            at,
        })
        .chain(received.into_iter().map(ConversationLine::Received))
        .collect();
    lines.sort_by_key(|l| match l {
        ConversationLine::Sent { at, .. } => *at,
        ConversationLine::Received(r) => r.received_at,
    });
    Ok(lines)
}

/// Which of `numbers` (E.164 digits) are on the account's opt-out list.
pub async fn opted_out_among(
    db: &Db,
    account_id: i64,
    numbers: &[String],
) -> Result<std::collections::HashSet<String>, Error> {
    let mut found = std::collections::HashSet::new();
    if numbers.is_empty() {
        return Ok(found);
    }
    let sql_for = |count: usize| {
        format!(
            "SELECT number FROM opt_outs WHERE account_id = $1 AND number IN ({})",
            crate::db::placeholders(2, count)
        )
    };
    if let (Some(readers), true) = (db.native_reads(), numbers.len() <= INLINE_ROWS) {
        // One statement text per list length up to INLINE_ROWS, each prepared once.
        let mut params: Vec<&dyn rusqlite::ToSql> = vec![&account_id];
        params.extend(numbers.iter().map(|n| n as &dyn rusqlite::ToSql));
        found.extend(readers.fetch_all::<String>(&sql_for(numbers.len()), &params)?);
        return Ok(found);
    }
    for chunk in numbers.chunks(1_000) {
        let sql = sql_for(chunk.len());
        let mut q = sqlx::query_scalar::<_, String>(&sql).bind(account_id);
        for n in chunk {
            q = q.bind(n);
        }
        found.extend(q.fetch_all(db.pool()).await?);
    }
    Ok(found)
}

/// Splits `numbers` into those that may be sent to and those on the account's opt-out list,
/// each in its original order.
pub async fn split_opted_out(
    db: &Db,
    account_id: i64,
    numbers: Vec<String>,
) -> Result<(Vec<String>, Vec<String>), Error> {
    let out = opted_out_among(db, account_id, &numbers).await?;
    if out.is_empty() {
        return Ok((numbers, Vec::new()));
    }
    Ok(numbers.into_iter().partition(|n| !out.contains(n)))
}

/// The account's opt-out list, newest first: (number, when).
pub async fn opt_outs(db: &Db, account_id: i64, limit: i64) -> Result<Vec<(String, i64)>, Error> {
    Ok(sqlx::query_as(
        "SELECT number, created_at FROM opt_outs WHERE account_id = $1 ORDER BY created_at DESC, number LIMIT $2",
    )
    .bind(account_id)
    .bind(limit.clamp(1, 10_000))
    .fetch_all(db.pool())
    .await?)
}

/// Assigns an inbound number (with a keyword, or '' for every reply) to an account, audited.
/// A number (+ keyword) routes to one account at a time: release it first.
pub async fn assign_number(
    db: &Db,
    staff_id: i64,
    account_id: i64,
    number: &str,
    keyword: &str,
) -> Result<i64, Error> {
    let number = inbound_number(number).map_err(|m| Error::field("number", m))?;
    let keyword = assigned_keyword(keyword).map_err(|m| Error::field("keyword", m))?;
    let mut tx = db.begin_write().await?;
    let customer: Option<String> =
        sqlx::query_scalar("SELECT login_name FROM accounts WHERE id = $1 AND role = 'customer'")
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
    if customer.is_none() {
        return Err(Error::field("account", "Choose a customer account."));
    }
    let held: Option<String> = sqlx::query_scalar(
        "SELECT a.login_name FROM inbound_numbers n JOIN accounts a ON a.id = n.account_id \
         WHERE n.number = $1 AND n.keyword = $2 AND n.released_at IS NULL",
    )
    .bind(&number)
    .bind(&keyword)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(holder) = held {
        let what = if keyword.is_empty() {
            number.clone()
        } else {
            format!("{number} with keyword {keyword}")
        };
        return Err(Error::Conflict(format!(
            "{what} is assigned to {holder}: release it there first."
        )));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO inbound_numbers (number, keyword, account_id, assigned_by, assigned_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&number)
    .bind(&keyword)
    .bind(account_id)
    .bind(staff_id)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    crate::audit::record(
        &mut tx,
        staff_id,
        "inbound_number.assign",
        Some(account_id),
        json!({}),
        json!({ "number": number, "keyword": keyword }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// [`assign_number`] to the customer account with login `login`.
pub async fn assign_number_to_login(
    db: &Db,
    staff_id: i64,
    login: &str,
    number: &str,
    keyword: &str,
) -> Result<i64, Error> {
    let account: Option<i64> =
        sqlx::query_scalar("SELECT id FROM accounts WHERE login_name = $1 AND role = 'customer'")
            .bind(login.trim())
            .fetch_optional(db.pool())
            .await?;
    let Some(account) = account else {
        return Err(Error::field(
            "login",
            "No customer account has this login name.",
        ));
    };
    assign_number(db, staff_id, account, number, keyword).await
}

/// Ends an assignment (kept as history), audited.
pub async fn release_number(db: &Db, staff_id: i64, assignment_id: i64) -> Result<(), Error> {
    let mut tx = db.begin_write().await?;
    let row: Option<(i64, String, String)> = sqlx::query_as(
        "SELECT account_id, number, keyword FROM inbound_numbers WHERE id = $1 AND released_at IS NULL",
    )
    .bind(assignment_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((account_id, number, keyword)) = row else {
        return Err(Error::NotFound);
    };
    sqlx::query("UPDATE inbound_numbers SET released_at = $1, released_by = $2 WHERE id = $3")
        .bind(now_ms())
        .bind(staff_id)
        .bind(assignment_id)
        .execute(&mut *tx)
        .await?;
    crate::audit::record(
        &mut tx,
        staff_id,
        "inbound_number.release",
        Some(account_id),
        json!({ "number": number, "keyword": keyword }),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct NumberRow {
    id: i64,
    number: String,
    keyword: String,
    account_id: i64,
    account_login: String,
    assigned_by: String,
    assigned_at: i64,
    released_by: Option<String>,
    released_at: Option<i64>,
}

/// Every assignment, current ones first, then history (newest first); `account_id` limits
/// it to one account's (what a customer may see of its own numbers).
pub async fn numbers(db: &Db, account_id: Option<i64>) -> Result<Vec<InboundNumber>, Error> {
    let sql = format!(
        "SELECT n.id, n.number, n.keyword, n.account_id, a.login_name AS account_login, \
           s.login_name AS assigned_by, n.assigned_at, r.login_name AS released_by, n.released_at \
         FROM inbound_numbers n JOIN accounts a ON a.id = n.account_id \
         JOIN accounts s ON s.id = n.assigned_by LEFT JOIN accounts r ON r.id = n.released_by {} \
         ORDER BY CASE WHEN n.released_at IS NULL THEN 0 ELSE 1 END, n.id DESC LIMIT 1000",
        if account_id.is_some() {
            "WHERE n.account_id = $1"
        } else {
            ""
        }
    );
    let mut q = sqlx::query_as::<_, NumberRow>(&sql);
    if let Some(account) = account_id {
        q = q.bind(account);
    }
    Ok(q.fetch_all(db.pool())
        .await?
        .into_iter()
        .map(|r| InboundNumber {
            id: r.id,
            number: r.number,
            keyword: r.keyword,
            account_id: r.account_id,
            account_login: r.account_login,
            assigned_by: r.assigned_by,
            assigned_at: r.assigned_at,
            released_by: r.released_by,
            released_at: r.released_at,
        })
        .collect())
}

/// Replies to numbers nobody holds, newest first, content masked for staff (§13).
pub async fn unrouted(db: &Db, limit: i64) -> Result<Vec<UnroutedReply>, Error> {
    let rows: Vec<(i64, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, sender, recipient, text, smsc, received_at FROM replies \
         WHERE account_id IS NULL ORDER BY id DESC LIMIT $1",
    )
    .bind(limit.clamp(1, 1_000))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, sender, recipient, text, smsc, received_at)| UnroutedReply {
                id,
                sender,
                recipient,
                masked_text: sms::mask_for_staff(&text),
                smsc,
                received_at,
            },
        )
        .collect())
}
