//! One writer per process (issue 13). On SQLite every write of the sending path (batch intake,
//! claims, holds, submit outcomes and charges, receipts, replies) is handed to one task that
//! owns the write connection and runs whatever arrived during a tick in **one transaction**:
//! one disk sync per tick whatever its size, callers awaiting their own result (group commit),
//! and no writer of this process ever waits on SQLite's busy handler for another (which sleeps
//! in 1–100 ms steps while the lock is long free). Nothing is acknowledged before its commit:
//! a caller's result is released only once the tick's `COMMIT` returned.
//!
//! Each job runs inside its own savepoint, so a job that fails is rolled back alone and the
//! others of the tick still commit; a job that panics is reported as failed the same way.
//!
//! PostgreSQL has real row locks and many connections: there a job runs at once in its own
//! transaction, concurrently with the others, as before.

use crate::db::{Backend, Db};
use crate::delivery::write_sizes::{self, WriteKind};
use futures::future::BoxFuture;
use futures::FutureExt;
use sqlx::{AnyConnection, AnyPool, Executor};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

/// How many jobs one tick takes at most: a bound on how long a tick holds the write lock (the
/// portal's own writes wait for it) and on how much one failed commit sends back.
const MAX_JOBS_PER_TICK: usize = 256;

/// Prepared statements the writer's own connection keeps: every statement of the sending
/// path has a constant text, so each is parsed once per process.
const NATIVE_STATEMENT_CACHE: usize = 128;

/// What a caller is told when its write never ran: the writer stopped, or the tick's
/// transaction broke before the job's turn (the cause is logged with the tick).
fn not_stored() -> sqlx::Error {
    sqlx::Error::Protocol(
        "this write was not stored: the database writer stopped or its transaction failed".into(),
    )
}

/// An error of the writer's own connection, for callers whose error type is sqlx's.
pub fn sqlx_error(e: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::Protocol(format!("SQLite: {e}"))
}

fn panicked() -> sqlx::Error {
    sqlx::Error::Protocol("a database write panicked; it was rolled back".into())
}

/// Delivers a job's result once the tick's commit is known (`Err`: the commit failed).
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;
/// A job through sqlx: its statements on the tick's connection; whether they succeeded, and
/// how to deliver the result.
type AsyncJob = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Done> + Send>;
/// A job on the writer's own SQLite connection, run on the writer's thread.
type NativeJob = Box<dyn FnOnce(&rusqlite::Connection) -> Done + Send>;

enum Job {
    Async(AsyncJob),
    Native(NativeJob),
}

struct Done {
    ok: bool,
    kind: WriteKind,
    rows: usize,
    finish: Finish,
}

/// The result of a job, and how its caller learns it once the commit is known.
fn done<T, E>(
    kind: WriteKind,
    rows: fn(&T) -> usize,
    result: Result<T, E>,
    reply: oneshot::Sender<Result<T, E>>,
) -> Done
where
    T: Send + 'static,
    E: From<sqlx::Error> + Send + 'static,
{
    let ok = result.is_ok();
    let n = result.as_ref().map_or(0, rows);
    let finish: Finish = Box::new(move |commit: Result<(), String>| {
        let _ = reply.send(match commit {
            Ok(()) => result,
            // Nothing of this tick is stored: the job's own result is void.
            Err(why) if ok => Err(E::from(sqlx::Error::Protocol(why))),
            Err(_) => result,
        });
    });
    Done {
        ok,
        kind,
        rows: n,
        finish,
    }
}

/// A tick's native jobs, handed to the writer's thread; `ran` says they are finished.
struct NativeTick {
    jobs: Vec<NativeJob>,
    ran: oneshot::Sender<()>,
}

/// The process's writer for one database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Writer {
    queue: Option<mpsc::Sender<(WriteKind, Job)>>,
    /// Transactions committed so far.
    ticks: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Writer {
    /// Starts the writer task for `db` (SQLite, the database file at `path`), or a
    /// pass-through (PostgreSQL).
    pub fn start(
        pool: AnyPool,
        backend: Backend,
        path: Option<PathBuf>,
    ) -> std::io::Result<Writer> {
        match (backend, path) {
            (Backend::Sqlite, Some(path)) => {
                let (queue, jobs) = mpsc::channel(4 * MAX_JOBS_PER_TICK);
                let ticks = std::sync::Arc::<std::sync::atomic::AtomicU64>::default();
                let (native, native_ticks) = std::sync::mpsc::channel::<NativeTick>();
                // The writer's thread owns its connection; it ends when the task below drops
                // its sender.
                let (committed, commits) = std::sync::mpsc::sync_channel::<()>(1);
                let checkpointer_path = path.clone();
                std::thread::Builder::new()
                    .name("ferry-checkpoint".into())
                    .spawn(move || checkpoint_thread(checkpointer_path, commits))?;
                std::thread::Builder::new()
                    .name("ferry-writer".into())
                    .spawn(move || native_thread(path, native_ticks, committed))?;
                // The task holds the pool, not the `Db`: the `Db` holds this writer, and the
                // task ends when the last `Db` (and with it the last sender) is gone.
                tokio::spawn(run(pool, jobs, native, ticks.clone()));
                Ok(Writer {
                    queue: Some(queue),
                    ticks,
                })
            }
            _ => Ok(Writer {
                queue: None,
                ticks: Default::default(),
            }),
        }
    }

    /// Whether writes go through the writer's own SQLite connection ([`Writer::write_native`]).
    pub fn is_native(&self) -> bool {
        self.queue.is_some()
    }

    /// Transactions this writer has committed (SQLite; 0 on PostgreSQL).
    pub fn ticks(&self) -> u64 {
        self.ticks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `statements` in a write transaction (on SQLite: the next tick's, shared with the
    /// other writes that arrive meanwhile) and returns their result once committed. `rows`
    /// says how many rows the result carried, for `/metrics`.
    pub async fn write<T, E, F>(
        &self,
        db: &Db,
        kind: WriteKind,
        rows: fn(&T) -> usize,
        statements: F,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, E>> + Send + 'static,
    {
        let Some(queue) = &self.queue else {
            let started = Instant::now();
            let mut tx = db.begin_write().await?;
            let value = statements(&mut tx).await?;
            tx.commit().await?;
            let n = rows(&value);
            if n > 0 {
                write_sizes::record(kind, n, started.elapsed());
            }
            return Ok(value);
        };
        let (reply, answer) = oneshot::channel::<Result<T, E>>();
        let job: AsyncJob = Box::new(move |conn: &mut AnyConnection| {
            async move {
                let result = AssertUnwindSafe(statements(conn))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|_| Err(E::from(panicked())));
                done(kind, rows, result, reply)
            }
            .boxed()
        });
        queue
            .send((kind, Job::Async(job)))
            .await
            .map_err(|_| E::from(not_stored()))?;
        answer.await.map_err(|_| E::from(not_stored()))?
    }

    /// [`Writer::write`] for statements on the writer's own SQLite connection, run on its
    /// thread with prepared, cached statements: what the sending path writes most. Only when
    /// [`Writer::is_native`]; elsewhere the caller uses [`Writer::write`].
    pub async fn write_native<T, E, F>(
        &self,
        kind: WriteKind,
        rows: fn(&T) -> usize,
        statements: F,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, E> + Send + 'static,
    {
        let Some(queue) = &self.queue else {
            return Err(E::from(sqlx::Error::Protocol(
                "the writer's own connection exists only for an SQLite file".into(),
            )));
        };
        let (reply, answer) = oneshot::channel::<Result<T, E>>();
        let job: NativeJob = Box::new(move |conn: &rusqlite::Connection| {
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| statements(conn)))
                .unwrap_or_else(|_| Err(E::from(panicked())));
            done(kind, rows, result, reply)
        });
        queue
            .send((kind, Job::Native(job)))
            .await
            .map_err(|_| E::from(not_stored()))?;
        answer.await.map_err(|_| E::from(not_stored()))?
    }
}

async fn run(
    pool: AnyPool,
    mut queue: mpsc::Receiver<(WriteKind, Job)>,
    native: std::sync::mpsc::Sender<NativeTick>,
    ticks: std::sync::Arc<std::sync::atomic::AtomicU64>,
) {
    while let Some(first) = queue.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_JOBS_PER_TICK {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        // Any order of one tick's jobs is a valid one (none waited for another), so outcomes
        // go before receipts: a receipt that overtook its submit's outcome then finds its
        // part in the same transaction instead of being parked until the next pass.
        jobs.sort_by_key(|(kind, _)| *kind);
        let (mut natives, mut asyncs) = (Vec::new(), Vec::new());
        for (_, job) in jobs {
            match job {
                Job::Native(job) => natives.push(job),
                Job::Async(job) => asyncs.push(job),
            }
        }
        // The two kinds run one after the other, never at once: each is one transaction on
        // its own connection, and the second would only wait for the first's lock.
        if !natives.is_empty() {
            let (ran, finished) = oneshot::channel();
            if native.send(NativeTick { jobs: natives, ran }).is_ok() {
                // Dropped unanswered only if the thread is gone; its jobs then were dropped
                // too, and their callers were told.
                let _ = finished.await;
            }
            ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        if !asyncs.is_empty() {
            tick(&pool, asyncs).await;
            ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// The writer's thread: its own connection to the database file, opened (again) when a tick
/// finds none, and one transaction per tick. After each tick it tells the checkpoint thread
/// there is something to copy (`committed` holds one notice at most; more are the same one).
fn native_thread(
    path: PathBuf,
    ticks: std::sync::mpsc::Receiver<NativeTick>,
    committed: std::sync::mpsc::SyncSender<()>,
) {
    let mut conn: Option<rusqlite::Connection> = None;
    while let Ok(NativeTick { jobs, ran }) = ticks.recv() {
        if conn.is_none() {
            match open_native(&path) {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, jobs = jobs.len(), "cannot open the writer's connection");
                }
            }
        }
        let healthy = match &conn {
            // A panic outside the jobs' own guard (in the tick's bookkeeping) must not end
            // the thread, which would leave every later write unstored.
            Some(c) => {
                std::panic::catch_unwind(AssertUnwindSafe(|| native_tick(c, jobs)))
                .is_ok()
                // Out of any transaction, as a tick leaves it: a failed COMMIT whose ROLLBACK
                // failed too would otherwise make every later BEGIN fail.
                && c.is_autocommit()
            }
            // Dropping the jobs tells their callers nothing was stored.
            None => {
                drop(jobs);
                true
            }
        };
        if !healthy {
            tracing::warn!("the writer's connection is reopened after a failed tick");
            conn = None;
        }
        let _ = ran.send(());
        let _ = committed.try_send(());
    }
}

/// WAL frames (pages) after which a commit checkpoints on the committing connection itself.
/// The checkpoint thread has normally copied all but the last few by then, so this one is
/// short; what it adds is that nothing is left to copy when the next transaction starts, which
/// is when SQLite starts the WAL over from its beginning (a background checkpoint never
/// catches up with a writer that keeps committing, and the WAL would grow for as long as the
/// load lasts). SQLite's default is 1,000.
pub const WAL_AUTOCHECKPOINT_PAGES: u32 = 4_000;

/// The least time between two background checkpoints: each syncs the database file, and a
/// page changed by many ticks in between is copied once.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// The checkpoint thread: copies committed pages from the WAL into the database file on its
/// own connection, at most every [`CHECKPOINT_EVERY`] while the writer commits. Done by the
/// committing connection (SQLite's default), every thousandth page a commit would stop all
/// writes while it copies about 4 MB and syncs the database file; here the writer goes on
/// meanwhile (a PASSIVE checkpoint never blocks it, nor readers). It ends with the writer's
/// thread. A failure is logged and tried again at the next commit: the writer's own
/// checkpoints ([`WAL_AUTOCHECKPOINT_PAGES`]) still bound the WAL without this thread.
fn checkpoint_thread(path: PathBuf, commits: std::sync::mpsc::Receiver<()>) {
    let mut conn: Option<rusqlite::Connection> = None;
    let mut last = Instant::now();
    while commits.recv().is_ok() {
        let since = last.elapsed();
        if since < CHECKPOINT_EVERY {
            std::thread::sleep(CHECKPOINT_EVERY - since);
        }
        // The commits made while this thread slept are in this checkpoint.
        let _ = commits.try_recv();
        last = Instant::now();
        if conn.is_none() {
            conn = open_native(&path)
                .inspect_err(
                    |e| tracing::warn!(error = %e, "cannot open the checkpoint connection"),
                )
                .ok();
        }
        let Some(c) = &conn else { continue };
        // (busy, frames in the WAL, frames copied); busy when another checkpoint was running.
        match c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        }) {
            Ok((busy, frames, copied)) => {
                tracing::trace!(busy, frames, copied, elapsed = ?last.elapsed(), "checkpoint");
            }
            Err(e) => {
                tracing::warn!(error = %e, "background checkpoint failed");
                conn = None;
            }
        }
    }
}

/// The settings of every connection that writes the SQLite file (the writer's, the checkpoint
/// thread's and the pool's): WAL, `synchronous = FULL` (a commit is on disk before anything is
/// acknowledged, so an accepted message or charge survives power loss, not only a process
/// crash), foreign keys, one busy timeout, and one checkpoint threshold (a portal commit should
/// not copy the WAL the checkpoint thread is copying anyway).
pub fn sqlite_write_pragmas() -> String {
    format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
         PRAGMA busy_timeout = 15000; PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES};"
    )
}

/// The writer's connection, with the pool's settings ([`sqlite_write_pragmas`]) and a larger
/// page cache.
fn open_native(path: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.execute_batch(&sqlite_write_pragmas())?;
    conn.execute_batch("PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;")?;
    conn.set_prepared_statement_cache_capacity(NATIVE_STATEMENT_CACHE);
    Ok(conn)
}

/// [`tick`] on the writer's own connection.
fn native_tick(conn: &rusqlite::Connection, jobs: Vec<NativeJob>) {
    let mut tick = TickProgress::new(jobs.len());
    if let Err(e) = crate::reader::run_cached(conn, "BEGIN IMMEDIATE") {
        tracing::warn!(error = %e, jobs = jobs.len(), "cannot start a write tick");
        return drop(jobs);
    }
    for job in jobs {
        let Some(job) = tick.runnable(job) else {
            continue;
        };
        if let Err(e) = crate::reader::run_cached(conn, "SAVEPOINT job") {
            tick.not_started(job, e);
            continue;
        }
        let job_started = Instant::now();
        let result = job(conn);
        let undo = if result.ok {
            crate::reader::run_cached(conn, "RELEASE job")
        } else {
            conn.execute_batch("ROLLBACK TO job; RELEASE job")
        };
        tick.ran(result, undo, job_started);
    }
    let commit_started = Instant::now();
    let commit = match tick.broken.clone() {
        Some(why) => Err(why),
        None => crate::reader::run_cached(conn, "COMMIT").map_err(|e| e.to_string()),
    };
    if commit.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    tick.finish(commit, commit_started);
}

/// One transaction for `jobs`; every job learns the outcome of its commit.
async fn tick(pool: &AnyPool, jobs: Vec<AsyncJob>) {
    let mut tick = TickProgress::new(jobs.len());
    let mut conn = match pool.acquire().await {
        Ok(conn) => conn,
        Err(e) => return fail_unstarted(jobs, &e.to_string()),
    };
    if let Err(e) = conn.execute("BEGIN IMMEDIATE").await {
        return fail_unstarted(jobs, &e.to_string());
    }
    for job in jobs {
        let Some(job) = tick.runnable(job) else {
            continue;
        };
        if let Err(e) = conn.execute("SAVEPOINT job").await {
            tick.not_started(job, e);
            continue;
        }
        let job_started = Instant::now();
        let result = job(&mut conn).await;
        let undo = if result.ok {
            conn.execute("RELEASE job").await
        } else {
            match conn.execute("ROLLBACK TO job").await {
                Ok(_) => conn.execute("RELEASE job").await,
                Err(e) => Err(e),
            }
        };
        tick.ran(result, undo, job_started);
    }
    let commit_started = Instant::now();
    let commit = match tick.broken.clone() {
        Some(why) => Err(why),
        None => conn
            .execute("COMMIT")
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
    };
    if commit.is_err() {
        let _ = conn.execute("ROLLBACK").await;
    }
    tick.finish(commit, commit_started);
}

/// What a tick has done so far, on either connection: each job's result, and why its
/// transaction broke, if it did (a failed savepoint, release or rollback to one).
struct TickProgress {
    started: Instant,
    done: Vec<Done>,
    broken: Option<String>,
}

impl TickProgress {
    fn new(jobs: usize) -> TickProgress {
        TickProgress {
            started: Instant::now(),
            done: Vec::with_capacity(jobs),
            broken: None,
        }
    }

    /// The job, unless the transaction broke: then it never runs.
    fn runnable<J>(&mut self, job: J) -> Option<J> {
        if self.broken.is_some() {
            self.done.push(not_run(job));
            return None;
        }
        Some(job)
    }

    /// The job's savepoint could not be made: the transaction is unusable.
    fn not_started<J>(&mut self, job: J, why: impl std::fmt::Display) {
        self.broken = Some(why.to_string());
        self.done.push(not_run(job));
    }

    /// The job ran; `undo` is how its savepoint was released (or rolled back and released).
    fn ran<U, E: std::fmt::Display>(&mut self, result: Done, undo: Result<U, E>, started: Instant) {
        if let Err(e) = undo {
            self.broken = Some(e.to_string());
        }
        if result.ok && result.rows > 0 {
            write_sizes::record(result.kind, result.rows, started.elapsed());
        }
        self.done.push(result);
    }

    /// Tells every job how the tick's commit (begun at `commit_started`) went; the caller
    /// has rolled back a failed one.
    fn finish(self, commit: Result<(), String>, commit_started: Instant) {
        if let Err(why) = &commit {
            tracing::warn!(error = %why, jobs = self.done.len(), "a write tick failed; nothing of it is stored");
        } else {
            let rows = self
                .done
                .iter()
                .filter(|d| d.ok)
                .map(|d| d.rows)
                .sum::<usize>();
            if rows > 0 {
                write_sizes::record(WriteKind::Commit, rows, commit_started.elapsed());
                write_sizes::record(WriteKind::Tick, rows, self.started.elapsed());
            }
        }
        for d in self.done {
            (d.finish)(commit.clone());
        }
    }
}

/// A job that could not run: dropping it drops its reply channel, which its caller reads as
/// [`not_stored`]; it ran no statement.
fn not_run<J>(job: J) -> Done {
    drop(job);
    Done {
        ok: false,
        kind: WriteKind::Tick,
        rows: 0,
        finish: Box::new(|_| {}),
    }
}

fn fail_unstarted(jobs: Vec<AsyncJob>, why: &str) {
    tracing::warn!(error = %why, jobs = jobs.len(), "cannot start a write tick");
    drop(jobs);
}

#[cfg(test)]
mod tests {
    use crate::db::testing::sqlite;
    use crate::delivery::write_sizes::WriteKind;
    use futures::FutureExt;
    use sqlx::Executor;
    use std::time::Duration;

    async fn insert(db: &crate::db::Db, x: i64) -> Result<usize, sqlx::Error> {
        db.write(
            WriteKind::Intake,
            |n: &usize| *n,
            move |conn| {
                async move {
                    sqlx::query("INSERT INTO writer_test (x) VALUES ($1)")
                        .bind(x)
                        .execute(&mut *conn)
                        .await?;
                    Ok(1)
                }
                .boxed()
            },
        )
        .await
    }

    async fn stored(db: &crate::db::Db) -> Vec<i64> {
        sqlx::query_scalar("SELECT x FROM writer_test ORDER BY x")
            .fetch_all(db.pool())
            .await
            .expect("read")
    }

    /// Holds the writer's current tick for a moment, so what is sent meanwhile shares the next.
    async fn busy(db: &crate::db::Db) -> Result<usize, sqlx::Error> {
        db.write(
            WriteKind::Intake,
            |_| 0,
            |_| {
                async {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    Ok(0)
                }
                .boxed()
            },
        )
        .await
    }

    #[tokio::test]
    async fn writes_that_arrive_together_share_one_transaction() {
        let t = sqlite().await;
        t.db.pool()
            .execute("CREATE TABLE writer_test (x INTEGER NOT NULL)")
            .await
            .expect("table");
        let before = t.db.writer().ticks();
        let db = t.db.clone();
        let hold = tokio::spawn(async move { busy(&db).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let writes: Vec<_> = (0..100)
            .map(|x| {
                let db = t.db.clone();
                tokio::spawn(async move { insert(&db, x).await })
            })
            .collect();
        for w in writes {
            assert_eq!(w.await.expect("task").expect("stored"), 1);
        }
        hold.await.expect("task").expect("busy");
        assert_eq!(stored(&t.db).await, (0..100).collect::<Vec<_>>());
        // The busy tick, then the hundred writes in one or two more.
        let ticks = t.db.writer().ticks() - before;
        assert!(
            (2..=3).contains(&ticks),
            "{ticks} transactions for 101 writes"
        );
    }

    #[tokio::test]
    async fn a_failed_or_panicking_write_is_undone_alone() {
        let t = sqlite().await;
        t.db.pool()
            .execute("CREATE TABLE writer_test (x INTEGER NOT NULL)")
            .await
            .expect("table");
        let db = t.db.clone();
        let hold = tokio::spawn(async move { busy(&db).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (db1, db2, db3) = (t.db.clone(), t.db.clone(), t.db.clone());
        let fails = tokio::spawn(async move {
            db1.write(
                WriteKind::Intake,
                |_: &usize| 1,
                |conn| {
                    async move {
                        sqlx::query("INSERT INTO writer_test (x) VALUES (1)")
                            .execute(&mut *conn)
                            .await?;
                        // A statement that fails after one that worked.
                        sqlx::query("INSERT INTO writer_test (x) VALUES (NULL)")
                            .execute(&mut *conn)
                            .await?;
                        Ok::<usize, sqlx::Error>(1)
                    }
                    .boxed()
                },
            )
            .await
        });
        let panics = tokio::spawn(async move {
            db2.write(
                WriteKind::Intake,
                |_: &usize| 1,
                |conn| {
                    async move {
                        sqlx::query("INSERT INTO writer_test (x) VALUES (2)")
                            .execute(&mut *conn)
                            .await?;
                        if std::hint::black_box(true) {
                            panic!("a bug in a write");
                        }
                        Ok::<usize, sqlx::Error>(1)
                    }
                    .boxed()
                },
            )
            .await
        });
        let works = tokio::spawn(async move { insert(&db3, 3).await });
        assert!(fails.await.expect("task").is_err());
        let panicked = panics.await.expect("task").expect_err("reported");
        assert!(panicked.to_string().contains("panicked"), "{panicked}");
        assert_eq!(works.await.expect("task").expect("stored"), 1);
        hold.await.expect("task").expect("busy");
        assert_eq!(stored(&t.db).await, [3]);
        // The writer goes on.
        insert(&t.db, 4).await.expect("stored");
        assert_eq!(stored(&t.db).await, [3, 4]);
    }

    async fn insert_native(db: &crate::db::Db, x: i64) -> Result<usize, sqlx::Error> {
        db.write_native(
            WriteKind::Receipt,
            |n: &usize| *n,
            move |conn| {
                conn.execute("INSERT INTO writer_test (x) VALUES (?1)", [x])
                    .map_err(super::sqlx_error)
            },
        )
        .await
    }

    #[tokio::test]
    async fn native_writes_fail_or_panic_alone_and_share_ticks_with_the_others() {
        let t = sqlite().await;
        assert!(t.db.writes_natively());
        t.db.pool()
            .execute("CREATE TABLE writer_test (x INTEGER NOT NULL)")
            .await
            .expect("table");
        let db = t.db.clone();
        let hold = tokio::spawn(async move { busy(&db).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (db1, db2, db3, db4) = (t.db.clone(), t.db.clone(), t.db.clone(), t.db.clone());
        let fails = tokio::spawn(async move {
            db1.write_native(
                WriteKind::Outcome,
                |_: &usize| 1,
                |conn| {
                    conn.execute("INSERT INTO writer_test (x) VALUES (1)", [])
                        .map_err(super::sqlx_error)?;
                    // A statement that fails after one that worked.
                    conn.execute("INSERT INTO writer_test (x) VALUES (NULL)", [])
                        .map_err(super::sqlx_error)
                },
            )
            .await
        });
        let panics = tokio::spawn(async move {
            db2.write_native(
                WriteKind::Outcome,
                |_: &usize| 1,
                |conn| {
                    conn.execute("INSERT INTO writer_test (x) VALUES (2)", [])
                        .map_err(super::sqlx_error)?;
                    if std::hint::black_box(true) {
                        panic!("a bug in a write");
                    }
                    Ok::<usize, sqlx::Error>(1)
                },
            )
            .await
        });
        let native = tokio::spawn(async move { insert_native(&db3, 3).await });
        let through_sqlx = tokio::spawn(async move { insert(&db4, 4).await });
        let failed = fails.await.expect("task").expect_err("refused");
        assert!(failed.to_string().contains("NOT NULL"), "{failed}");
        let panicked = panics.await.expect("task").expect_err("reported");
        assert!(panicked.to_string().contains("panicked"), "{panicked}");
        assert_eq!(native.await.expect("task").expect("stored"), 1);
        assert_eq!(through_sqlx.await.expect("task").expect("stored"), 1);
        hold.await.expect("task").expect("busy");
        // The sqlx connection and the writer's own see one database.
        assert_eq!(stored(&t.db).await, [3, 4]);
        insert_native(&t.db, 5).await.expect("stored");
        assert_eq!(stored(&t.db).await, [3, 4, 5]);
    }

    #[tokio::test]
    async fn an_in_memory_database_is_refused_with_its_reason() {
        let err = crate::db::Db::connect("sqlite::memory:")
            .await
            .expect_err("refused");
        assert!(err.to_string().contains("in-memory"), "{err}");
    }

    /// The database file alone (as a copy without its WAL) and the rows of `writer_test` in it,
    /// if it can be read.
    fn rows_in_database_file(file: &std::path::Path, copy: &std::path::Path) -> Option<i64> {
        std::fs::copy(file, copy).ok()?;
        let conn = rusqlite::Connection::open(copy).ok()?;
        conn.query_row("SELECT COUNT(*) FROM writer_test", [], |r| r.get(0))
            .ok()
    }

    #[tokio::test]
    async fn committed_pages_reach_the_database_file_without_another_write() {
        let t = sqlite().await;
        t.db.pool()
            .execute(
                "PRAGMA wal_checkpoint(TRUNCATE); CREATE TABLE writer_test (x INTEGER NOT NULL)",
            )
            .await
            .expect("table");
        let autocheckpoint: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(t.db.pool())
            .await
            .expect("pragma");
        assert_eq!(autocheckpoint, i64::from(super::WAL_AUTOCHECKPOINT_PAGES));
        let writes: Vec<_> = (0..300)
            .map(|x| {
                let db = t.db.clone();
                tokio::spawn(async move { insert_native(&db, x).await })
            })
            .collect();
        for w in writes {
            w.await.expect("task").expect("stored");
        }
        // Far below the writer's own checkpoint threshold: only the checkpoint thread copies
        // these pages into the file, within CHECKPOINT_EVERY of the last commit.
        let file = crate::db::sqlite_path(&t.url).expect("sqlite file");
        let copy = file.with_file_name("copy.db");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let rows = rows_in_database_file(&file, &copy);
            if rows == Some(300) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the database file still holds {rows:?} of 300 rows"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
