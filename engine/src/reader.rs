//! Ferry's own read connections to the SQLite file, for the short reads every API send makes
//! (issue 13). Through sqlx each statement is a hand-off to its connection's worker thread and
//! back: a `POST /api/v1/messages` made seven of them (key, account, prices, opt-outs, sender
//! IDs, settings, the stored messages), and the wake-ups and context switches of those
//! hand-offs cost more CPU than the reads themselves. Here a read runs on the caller's own
//! thread, on a connection taken from a small idle list, its statement prepared once per
//! connection.
//!
//! Only for reads bounded by their input: an indexed lookup of one key or one account, at most
//! [`INLINE_ROWS`] numbers or rows, the small price list. They take tens of microseconds, less
//! than a hand-off, so they may run on an async worker; a read that grows with a customer's
//! list or a table stays on sqlx. WAL readers never wait for the writer, and each statement
//! sees the last committed state, as a pool connection's would; inside [`Readers::snapshot`]
//! a task's reads share one read transaction instead (one state, one start).

use crate::writer::sqlx_error;
use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Mutex;

/// The most rows or numbers a read may touch to run on the caller's thread; larger ones go
/// through sqlx.
pub const INLINE_ROWS: usize = 64;

/// Idle connections kept for reuse; a burst beyond them opens more and closes the extras.
const MAX_IDLE: usize = 8;

/// Statements each connection keeps prepared: the hot path has a handful of constant texts.
const STATEMENT_CACHE: usize = 32;

/// A row type that can also be read from Ferry's own SQLite connections, with the columns of
/// the same statement its `sqlx::FromRow` reads.
pub trait NativeRow: Sized {
    fn from_native(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

impl NativeRow for String {
    fn from_native(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        row.get(0)
    }
}

tokio::task_local! {
    /// The read transaction a task's reads share while [`Readers::snapshot`] runs: the file it
    /// reads, and its connection once the first read has begun it.
    static SNAPSHOT: RefCell<(PathBuf, Option<rusqlite::Connection>)>;
}

/// The idle list of read connections to one SQLite file.
#[derive(Debug)]
pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
}

impl Readers {
    pub fn new(path: PathBuf) -> Readers {
        Readers {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` on an idle connection (or a new one), on this thread. The connection goes
    /// back to the idle list afterwards; a read that panics drops it.
    /// Inside [`Readers::snapshot`] it runs in the task's read transaction instead.
    pub fn read<T>(
        &self,
        read: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Result<T, sqlx::Error> {
        let in_snapshot = SNAPSHOT
            .try_with(|snapshot| snapshot.borrow().0.as_os_str() == self.path.as_os_str())
            .unwrap_or(false);
        if in_snapshot {
            return SNAPSHOT.with(|snapshot| {
                let mut snapshot = snapshot.borrow_mut();
                let conn = match snapshot.1.take() {
                    Some(conn) => conn,
                    None => {
                        let conn = self.take()?;
                        run_cached(&conn, "BEGIN").map_err(sqlx_error)?;
                        conn
                    }
                };
                let result = read(&conn).map_err(sqlx_error);
                snapshot.1 = Some(conn);
                result
            });
        }
        let conn = self.take()?;
        let result = read(&conn).map_err(sqlx_error);
        self.give_back(conn);
        result
    }

    /// Runs `work` with every read it makes on this file (through [`Readers::read`], on this
    /// task) in one read transaction: they see one committed state, and begin once instead
    /// of once each. Each begin costs a lock on the WAL index, and a reader that finds the
    /// WAL moved since its last read starts its page cache over: a send's checks made four.
    /// The transaction ends when `work` does, so a write `work` awaits is not seen by the
    /// reads after it: keep writes out.
    pub async fn snapshot<F: std::future::Future>(&self, work: F) -> F::Output {
        SNAPSHOT
            .scope(RefCell::new((self.path.clone(), None)), async {
                let out = work.await;
                if let Some(conn) = SNAPSHOT.with(|snapshot| snapshot.borrow_mut().1.take()) {
                    // A read transaction has nothing to commit; ending it lets checkpoints
                    // pass the state it saw. One that cannot end is closed instead.
                    if run_cached(&conn, "COMMIT").is_ok() {
                        self.give_back(conn);
                    }
                }
                out
            })
            .await
    }

    /// An idle connection, or a new one.
    fn take(&self) -> Result<rusqlite::Connection, sqlx::Error> {
        let taken = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match taken {
            Some(conn) => Ok(conn),
            None => self.open().map_err(sqlx_error),
        }
    }

    /// Keeps `conn` for the next read, up to [`MAX_IDLE`] connections.
    fn give_back(&self, conn: rusqlite::Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }

    /// Every row `sql` (in sqlx's `$n` placeholders) yields for `params`.
    pub fn fetch_all<R: NativeRow>(
        &self,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<R>, sqlx::Error> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(&native_sql(sql))?;
            let rows = statement.query_map(params, |row| R::from_native(row))?;
            rows.collect()
        })
    }

    /// The first row `sql` yields for `params`, if any.
    pub fn fetch_optional<R: NativeRow>(
        &self,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Option<R>, sqlx::Error> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(&native_sql(sql))?;
            let mut rows = statement.query(params)?;
            rows.next()?.map(R::from_native).transpose()
        })
    }

    /// A connection with the pool's settings that can only read (`query_only`: a statement
    /// that would write fails instead of taking the write lock).
    fn open(&self) -> rusqlite::Result<rusqlite::Connection> {
        let conn = rusqlite::Connection::open_with_flags(
            &self.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // A WAL reader waits only while another connection recovers the log, which is brief:
        // a second bounds how long an async worker can be held.
        conn.execute_batch("PRAGMA query_only = ON; PRAGMA busy_timeout = 1000;")?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }
}

/// The row `sql` (in sqlx's `$n` placeholders) yields for one bound value, if any: on the
/// SQLite file's own connections ([`Readers`]), or through sqlx where there are none
/// (PostgreSQL). For the lookups of one key or one account.
pub async fn fetch_optional<'q, R, P>(
    db: &crate::db::Db,
    sql: &'q str,
    param: P,
) -> Result<Option<R>, sqlx::Error>
where
    R: NativeRow + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    P: 'q + rusqlite::ToSql + sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send,
{
    match db.native_reads() {
        Some(readers) => readers.fetch_optional(sql, &[&param]),
        None => {
            sqlx::query_as(sql)
                .bind(param)
                .fetch_optional(db.pool())
                .await
        }
    }
}

/// A statement without rows (transaction control: `BEGIN`, `SAVEPOINT`, `COMMIT`, ...), prepared
/// once per connection: the writer runs two per job and a send's check two per request, and
/// parsing them each time was a visible part of both.
pub(crate) fn run_cached(conn: &rusqlite::Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

/// sqlx's `$n` placeholders as SQLite's numbered `?n`, which binds a repeated `$1` once.
pub(crate) fn native_sql(sql: &str) -> String {
    sql.replace('$', "?")
}

#[cfg(test)]
mod tests {
    use crate::db::testing;

    struct Pair(i64, String);

    impl super::NativeRow for Pair {
        fn from_native(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
            Ok(Pair(row.get(0)?, row.get(1)?))
        }
    }

    #[tokio::test]
    async fn reads_see_committed_writes_reuse_connections_and_cannot_write() {
        let t = testing::sqlite().await;
        let readers = t.db.native_reads().expect("an SQLite file reads natively");
        sqlx::query("CREATE TABLE reader_probe (id BIGINT PRIMARY KEY, name TEXT NOT NULL)")
            .execute(t.db.pool())
            .await
            .expect("create");
        for (id, name) in [(1_i64, "one"), (2, "two"), (3, "three")] {
            sqlx::query("INSERT INTO reader_probe (id, name) VALUES ($1, $2)")
                .bind(id)
                .bind(name)
                .execute(t.db.pool())
                .await
                .expect("insert");
        }
        let sql = "SELECT id, name FROM reader_probe WHERE id >= $1 AND id <> $1 + 5 ORDER BY id";
        let rows: Vec<Pair> = readers.fetch_all(sql, &[&2_i64]).expect("read");
        let seen: Vec<(i64, &str)> = rows.iter().map(|p| (p.0, p.1.as_str())).collect();
        assert_eq!(seen, [(2, "two"), (3, "three")]);
        let none: Option<Pair> = readers
            .fetch_optional("SELECT id, name FROM reader_probe WHERE id = $1", &[&9_i64])
            .expect("read");
        assert!(none.is_none());

        // A later commit through the pool is seen by the same, reused connection.
        sqlx::query("UPDATE reader_probe SET name = 'deux' WHERE id = 2")
            .execute(t.db.pool())
            .await
            .expect("update");
        let name: Option<String> = readers
            .fetch_optional("SELECT name FROM reader_probe WHERE id = $1", &[&2_i64])
            .expect("read");
        assert_eq!(name.as_deref(), Some("deux"));
        assert_eq!(
            readers.idle.lock().expect("idle").len(),
            1,
            "one connection, reused"
        );

        // It cannot write, and a failed read still returns its connection.
        let refused = readers.read(|conn| conn.execute("DELETE FROM reader_probe", []));
        assert!(refused.is_err(), "{refused:?}");
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reader_probe")
            .fetch_one(t.db.pool())
            .await
            .expect("count");
        assert_eq!(count, 3);
        assert_eq!(readers.idle.lock().expect("idle").len(), 1);
    }

    #[tokio::test]
    async fn reads_in_a_snapshot_see_one_state_and_give_their_connection_back() {
        let t = testing::sqlite().await;
        let readers = t.db.native_reads().expect("an SQLite file reads natively");
        sqlx::query("CREATE TABLE snapshot_probe (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)")
            .execute(t.db.pool())
            .await
            .expect("create");
        sqlx::query("INSERT INTO snapshot_probe (id, n) VALUES (1, 10)")
            .execute(t.db.pool())
            .await
            .expect("insert");
        let sql = "SELECT n FROM snapshot_probe WHERE id = $1";
        let read_n = || -> i64 {
            readers
                .read(|conn| conn.query_row(&super::native_sql(sql), [1_i64], |r| r.get(0)))
                .expect("read")
        };
        let (before, after) = readers
            .snapshot(async {
                let before = read_n();
                // A commit between two reads of one snapshot is not seen by the second.
                sqlx::query("UPDATE snapshot_probe SET n = 11 WHERE id = 1")
                    .execute(t.db.pool())
                    .await
                    .expect("update");
                (before, read_n())
            })
            .await;
        assert_eq!(
            (before, after),
            (10, 10),
            "one state for the whole snapshot"
        );
        assert_eq!(read_n(), 11, "after it, reads see the commit");
        assert_eq!(
            readers.idle.lock().expect("idle").len(),
            1,
            "the snapshot's connection went back to the idle list, and was reused"
        );

        // Another task's reads, meanwhile, are not in it.
        let outside = readers
            .snapshot(async {
                let inside = read_n();
                sqlx::query("UPDATE snapshot_probe SET n = 12 WHERE id = 1")
                    .execute(t.db.pool())
                    .await
                    .expect("update");
                let db = t.db.clone();
                let other_task = tokio::spawn(async move {
                    let readers = db.native_reads().expect("native reads");
                    readers
                        .read(|conn| conn.query_row(&super::native_sql(sql), [1_i64], |r| r.get(0)))
                        .expect("read")
                })
                .await
                .expect("task");
                (inside, other_task)
            })
            .await;
        assert_eq!(outside, (11, 12));
    }
}
