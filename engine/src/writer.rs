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
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

/// How many jobs one tick takes at most: a bound on how long a tick holds the write lock (the
/// portal's own writes wait for it) and on how much one failed commit sends back.
const MAX_JOBS_PER_TICK: usize = 256;

/// What a caller is told when its write never ran: the writer stopped, or the tick's
/// transaction broke before the job's turn (the cause is logged with the tick).
fn not_stored() -> sqlx::Error {
    sqlx::Error::Protocol(
        "this write was not stored: the database writer stopped or its transaction failed".into(),
    )
}

/// Delivers a job's result once the tick's commit is known (`Err`: the commit failed).
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;
/// A job: its statements on the tick's connection; whether they succeeded, and how to
/// deliver the result.
type Job = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Done> + Send>;

struct Done {
    ok: bool,
    kind: WriteKind,
    rows: usize,
    finish: Finish,
}

/// The process's writer for one database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Writer {
    queue: Option<mpsc::Sender<(WriteKind, Job)>>,
    /// Transactions committed so far.
    ticks: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Writer {
    /// Starts the writer task for `db` (SQLite), or a pass-through (PostgreSQL).
    pub fn start(pool: AnyPool, backend: Backend) -> Writer {
        match backend {
            Backend::Postgres => Writer {
                queue: None,
                ticks: Default::default(),
            },
            Backend::Sqlite => {
                let (queue, jobs) = mpsc::channel(4 * MAX_JOBS_PER_TICK);
                let ticks = std::sync::Arc::<std::sync::atomic::AtomicU64>::default();
                // The task holds the pool, not the `Db`: the `Db` holds this writer, and the
                // task ends when the last `Db` (and with it the last sender) is gone.
                tokio::spawn(run(pool, jobs, ticks.clone()));
                Writer {
                    queue: Some(queue),
                    ticks,
                }
            }
        }
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
        let job: Job = Box::new(move |conn: &mut AnyConnection| {
            async move {
                let result = match AssertUnwindSafe(statements(conn)).catch_unwind().await {
                    Ok(result) => result,
                    Err(_) => Err(E::from(sqlx::Error::Protocol(
                        "a database write panicked; it was rolled back".into(),
                    ))),
                };
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
            .boxed()
        });
        queue
            .send((kind, job))
            .await
            .map_err(|_| E::from(not_stored()))?;
        answer.await.map_err(|_| E::from(not_stored()))?
    }
}

async fn run(
    pool: AnyPool,
    mut queue: mpsc::Receiver<(WriteKind, Job)>,
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
        tick(&pool, jobs.into_iter().map(|(_, job)| job).collect()).await;
        ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// One transaction for `jobs`; every job learns the outcome of its commit.
async fn tick(pool: &AnyPool, jobs: Vec<Job>) {
    let started = Instant::now();
    let mut conn = match pool.acquire().await {
        Ok(conn) => conn,
        Err(e) => return fail_unstarted(jobs, &e.to_string()).await,
    };
    if let Err(e) = conn.execute("BEGIN IMMEDIATE").await {
        return fail_unstarted(jobs, &e.to_string()).await;
    }
    let mut done = Vec::with_capacity(jobs.len());
    let mut broken = None;
    for job in jobs {
        if broken.is_some() {
            // The transaction is unusable: later jobs never ran.
            done.push(not_run(job));
            continue;
        }
        if let Err(e) = conn.execute("SAVEPOINT job").await {
            broken = Some(e.to_string());
            done.push(not_run(job));
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
        if let Err(e) = undo {
            broken = Some(e.to_string());
        }
        if result.ok && result.rows > 0 {
            write_sizes::record(result.kind, result.rows, job_started.elapsed());
        }
        done.push(result);
    }
    let commit = match broken {
        Some(why) => Err(why),
        None => conn
            .execute("COMMIT")
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
    };
    if let Err(why) = &commit {
        tracing::warn!(error = %why, jobs = done.len(), "a write tick failed; nothing of it is stored");
        let _ = conn.execute("ROLLBACK").await;
    } else {
        let rows = done.iter().filter(|d| d.ok).map(|d| d.rows).sum::<usize>();
        if rows > 0 {
            write_sizes::record(WriteKind::Tick, rows, started.elapsed());
        }
    }
    for d in done {
        (d.finish)(commit.clone());
    }
}

/// A job that could not run: dropping it drops its reply channel, which its caller reads as
/// [`not_stored`]; it ran no statement.
fn not_run(job: Job) -> Done {
    drop(job);
    Done {
        ok: false,
        kind: WriteKind::Tick,
        rows: 0,
        finish: Box::new(|_| {}),
    }
}

async fn fail_unstarted(jobs: Vec<Job>, why: &str) {
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
}
