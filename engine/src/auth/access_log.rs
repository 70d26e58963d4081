//! The API access log (§13), written in groups: a request hands its entry to a background
//! writer and returns at once; the writer stores whatever has queued up in one transaction
//! (one disk sync) about every 50 ms; on SQLite, in a tick of the process's one writer
//! ([`crate::writer`]). This keeps the log from doubling the cost of every API call. A crash
//! loses at most the last ~50 ms of entries of the log, never a message or a charge.

use crate::db::{now_ms, values_rows, Db};
use crate::delivery::write_sizes::WriteKind;
use crate::writer::sqlx_error;
use std::net::IpAddr;
use std::time::Duration;
use tokio::sync::mpsc;

const QUEUE: usize = 20_000;
const ROWS_PER_STATEMENT: usize = 100;

#[derive(Debug)]
struct Entry {
    account_id: i64,
    ip: String,
    method: String,
    path: String,
    status: i64,
    at: i64,
}

#[derive(Debug, Clone)]
pub struct AccessLog {
    queue: mpsc::Sender<Entry>,
}

impl AccessLog {
    /// Starts the writer on the current Tokio runtime.
    pub fn start(db: Db) -> AccessLog {
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(writer(db, rx));
        AccessLog { queue }
    }

    pub fn record(&self, account_id: i64, ip: IpAddr, method: &str, path: &str, status: u16) {
        let entry = Entry {
            account_id,
            ip: ip.to_string(),
            method: method.to_string(),
            path: path.to_string(),
            status: i64::from(status),
            at: now_ms(),
        };
        if let Err(mpsc::error::TrySendError::Full(entry)) = self.queue.try_send(entry) {
            // The writer is behind: wait for room off the request's path rather than drop it.
            let queue = self.queue.clone();
            tokio::spawn(async move {
                let _ = queue.send(entry).await;
            });
        }
    }
}

async fn writer(db: Db, mut rx: mpsc::Receiver<Entry>) {
    let mut pending = Vec::new();
    while let Some(first) = rx.recv().await {
        pending.push(first);
        tokio::time::sleep(Duration::from_millis(50)).await;
        while pending.len() < QUEUE {
            match rx.try_recv() {
                Ok(e) => pending.push(e),
                Err(_) => break,
            }
        }
        let entries = pending.len();
        if let Err(e) = store(&db, std::mem::take(&mut pending)).await {
            tracing::error!(error = %e, entries, "could not record API access");
        }
    }
}

async fn store(db: &Db, entries: Vec<Entry>) -> Result<(), sqlx::Error> {
    if db.writes_natively() {
        // In the writer's next tick: no second writer waiting for SQLite's lock beside it,
        // and no disk sync of its own.
        db.write_native(
            WriteKind::AccessLog,
            |n: &usize| *n,
            move |conn| {
                let mut insert = conn
                    .prepare_cached(
                        "INSERT INTO access_log (account_id, ip, method, path, status, at) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )
                    .map_err(sqlx_error)?;
                for e in &entries {
                    insert
                        .execute(rusqlite::params![
                            e.account_id,
                            e.ip,
                            e.method,
                            e.path,
                            e.status,
                            e.at
                        ])
                        .map_err(sqlx_error)?;
                }
                Ok::<usize, sqlx::Error>(entries.len())
            },
        )
        .await?;
        return Ok(());
    }
    let mut tx = db.begin_write().await?;
    for chunk in entries.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO access_log (account_id, ip, method, path, status, at) VALUES {}",
            values_rows(chunk.len(), 6, 1)
        );
        let mut query = sqlx::query(&sql);
        for e in chunk {
            query = query
                .bind(e.account_id)
                .bind(e.ip.as_str())
                .bind(e.method.as_str())
                .bind(e.path.as_str())
                .bind(e.status)
                .bind(e.at);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await
}
