//! The store: one pool over SQLite (embedded default) or PostgreSQL (scale-out), chosen by URL.
//!
//! Queries are written once with `$1` placeholders, which both backends accept through sqlx's
//! `Any` driver; the few statements that must differ (row locking, upserts with special
//! semantics) branch on [`Backend`].

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL must start with sqlite:// or postgres://, got {0:?}")]
    UnsupportedUrl(String),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("an in-memory SQLite database cannot be shared by the pool and the writer; give a file, e.g. sqlite://data/ferry.db")]
    InMemory,
    #[error("cannot start the database writer's thread: {0}")]
    Writer(#[source] std::io::Error),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Ids as the inside of an SQL `IN (…)`: integers only, so nothing needs escaping, and a
/// statement of any length needs no bind parameters.
pub fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// `column IN (…)` over ids bound as the one parameter `$n` ([`id_array`]): the statement's
/// text is then the same for any number of ids. PostgreSQL parses a statement once per
/// connection when its text repeats, instead of on every call (half a millisecond for a
/// 500-id list, issue 13), and a list needs no chunking to stay under the parameter limit.
pub fn in_ids(backend: Backend, column: &str, n: usize) -> String {
    match backend {
        Backend::Postgres => format!("{column} = ANY(${n}::int8[])"),
        Backend::Sqlite => format!("{column} IN (SELECT value FROM json_each(${n}))"),
    }
}

/// The parameter of [`in_ids`]: a PostgreSQL array literal, or a JSON array for SQLite.
pub fn id_array(backend: Backend, ids: &[i64]) -> String {
    match backend {
        Backend::Postgres => format!("{{{}}}", id_list(ids)),
        Backend::Sqlite => format!("[{}]", id_list(ids)),
    }
}

/// Integers as a PostgreSQL array literal, bound as text and cast in the statement
/// (`$1::int8[]`, e.g. in `unnest`): the `Any` driver binds no arrays.
pub fn pg_int8_array(values: impl IntoIterator<Item = i64>) -> String {
    id_array(Backend::Postgres, &values.into_iter().collect::<Vec<_>>())
}

/// Booleans as a PostgreSQL array literal (`$1::bool[]`).
pub fn pg_bool_array(values: impl IntoIterator<Item = bool>) -> String {
    let items: Vec<&str> = values
        .into_iter()
        .map(|b| if b { "t" } else { "f" })
        .collect();
    format!("{{{}}}", items.join(","))
}

/// Strings as a PostgreSQL array literal (`$1::text[]`). Every element is quoted, so any
/// text, including what an SMSC sends as a message id (quotes, backslashes, braces, commas,
/// the word NULL, nothing at all), comes back as it was.
pub fn pg_text_array<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::from("{");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in item.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out.push('}');
    out
}

/// The backend a connection talks to.
pub fn backend_of(conn: &sqlx::AnyConnection) -> Backend {
    if conn.backend_name() == "PostgreSQL" {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// Numbered bind placeholders `$start, $start+1, …`, `count` of them: the inside of an
/// `IN (…)` whose values are bound one by one. Both backends cap the number of parameters of
/// one statement, so callers chunk long lists. `placeholders(2, 3)` is `"$2, $3, $4"`.
pub fn placeholders(start: usize, count: usize) -> String {
    (start..start + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rows of a multi-row `INSERT … VALUES`: `rows` groups of `cols` numbered placeholders,
/// numbered on from `start` row by row, so the values are bound row after row in column order.
/// `values_rows(2, 2, 1)` is `"($1, $2), ($3, $4)"`.
pub fn values_rows(rows: usize, cols: usize, start: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(start + r * cols, cols)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A yes/no column. Both schemas store flags as integers (0 or 1) so one query serves both
/// backends; a `bool` field reads one with `#[sqlx(try_from = "crate::db::Flag")]`.
pub struct Flag(bool);

impl sqlx::Type<sqlx::Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<sqlx::Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Flag(
            <i64 as sqlx::Decode<'r, sqlx::Any>>::decode(value)? != 0,
        ))
    }
}

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

/// An amount column (`*_minor`, integer cents); a `Money` field reads one with
/// `#[sqlx(try_from = "crate::db::Minor")]`.
pub struct Minor(i64);

impl sqlx::Type<sqlx::Any> for Minor {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<sqlx::Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Minor {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Minor(<i64 as sqlx::Decode<'r, sqlx::Any>>::decode(value)?))
    }
}

impl From<Minor> for sms::Money {
    fn from(minor: Minor) -> sms::Money {
        sms::Money::from_minor(minor.0)
    }
}

/// A handle to the database, cheap to clone (the pool is reference-counted).
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// The process's one writer of the sending path ([`crate::writer`]).
    writer: crate::writer::Writer,
    /// Ferry's own read connections to an SQLite file ([`crate::reader`]).
    readers: Option<std::sync::Arc<crate::reader::Readers>>,
    /// Rung when this process stored messages due now, so its idle dispatcher workers claim
    /// them at once instead of at their next poll.
    due: std::sync::Arc<tokio::sync::Notify>,
    /// PostgreSQL: the connections of [`Db::write_one_statement`], which plan each statement
    /// once ([`KEYED_PLANS`]).
    keyed: Option<AnyPool>,
    /// The price list as last read ([`crate::pricing::store::current`]).
    prices: std::sync::Arc<crate::pricing::store::PriceCache>,
}

/// The planner settings of [`Db::write_one_statement`]'s connections. Elsewhere each statement
/// is planned for its own values (`force_custom_plan`, see [`Db::connect`]); planning the
/// outcome statement of a group of acceptances took ~0.9 ms, a fifth of PostgreSQL's time on
/// the dispatch benchmark. Its plan is made once per connection instead, and with only nested
/// loops over index lookups allowed, so it cannot depend on how big the tables were when it
/// was made (a generic plan made on a new install's small tables must not scan them whole
/// once they have grown): a statement of these connections must reach every row it reads by
/// an index.
pub const KEYED_PLANS: &[&str] = &[
    "SET plan_cache_mode = force_generic_plan",
    "SET enable_seqscan = off",
    "SET enable_hashjoin = off",
    "SET enable_mergejoin = off",
    "SET enable_bitmapscan = off",
];

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

impl Db {
    /// Connects to `url` (`sqlite://path/to/file.db` or `postgres://...`). For SQLite the file and
    /// its directory are created when missing, and the journal is switched to WAL.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(DbError::UnsupportedUrl(url.to_string()));
        };
        let url = match backend {
            Backend::Sqlite => sqlite_url_with_create(url)?,
            Backend::Postgres => url.to_string(),
        };
        // The writer opens its own connection to the same file (see `crate::writer`).
        let sqlite_file = sqlite_path(&url);
        if backend == Backend::Sqlite && sqlite_file.is_none() {
            return Err(DbError::InMemory);
        }
        let options = AnyConnectOptions::from_str(&url)
            .map_err(DbError::Connect)?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                // SQLite serialises writers anyway; a few readers keep pages responsive.
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(crate::writer::sqlite_write_pragmas().as_str())
                            .await?;
                    } else {
                        // Plan each statement for its own values. A generic plan made while
                        // a table was still small (a fresh install's first big batch grows
                        // `smsc_keys` by 300,000 rows before autovacuum analyses it) stays a
                        // sequential scan, and receipt lookups slowed 200-fold.
                        conn.execute("SET plan_cache_mode = force_custom_plan")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await
            .map_err(DbError::Connect)?;
        let keyed = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(
                AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            for setting in KEYED_PLANS {
                                conn.execute(*setting).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect_lazy_with(options),
            ),
        };
        Ok(Db {
            keyed,
            readers: sqlite_file
                .clone()
                .map(|path| std::sync::Arc::new(crate::reader::Readers::new(path))),
            writer: crate::writer::Writer::start(pool.clone(), backend, sqlite_file)
                .map_err(DbError::Writer)?,
            pool,
            backend,
            due: Default::default(),
            prices: Default::default(),
        })
    }

    pub async fn migrate(&self) -> Result<(), DbError> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a transaction that reads first and writes later can otherwise fail
    /// with SQLITE_BUSY when another writer committed in between, which the busy timeout cannot
    /// wait out.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Begins a read-only transaction that sees one snapshot from its first read to its end,
    /// without taking the write lock: on SQLite a deferred `BEGIN` (WAL readers never wait for
    /// the writer), on PostgreSQL `REPEATABLE READ, READ ONLY`. For reads of several statements
    /// that must agree with each other while writers go on.
    pub async fn begin_read(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN DEFERRED").await,
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await
            }
        }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn writer(&self) -> &crate::writer::Writer {
        &self.writer
    }

    /// Tells this process's waiting dispatcher workers that messages due now were committed.
    /// Other processes on the same database find them at their next poll.
    pub fn note_due(&self) {
        self.due.notify_waiters();
    }

    /// What [`Db::note_due`] rings: a worker creates its `notified()` future before it claims,
    /// so a batch stored between an empty claim and its wait still wakes it.
    pub fn due(&self) -> &tokio::sync::Notify {
        &self.due
    }

    /// Runs `statements` as one write of the sending path: on SQLite in the writer's next
    /// tick, one transaction shared with the other writes that arrive meanwhile; on PostgreSQL
    /// in a transaction of its own. Returns once committed. `rows` counts the rows of the
    /// result for `/metrics`. See [`crate::writer`].
    pub async fn write<T, E, F>(
        &self,
        kind: crate::delivery::write_sizes::WriteKind,
        rows: fn(&T) -> usize,
        statements: F,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
        F: for<'c> FnOnce(
                &'c mut sqlx::AnyConnection,
            ) -> futures::future::BoxFuture<'c, Result<T, E>>
            + Send
            + 'static,
    {
        self.writer.write(self, kind, rows, statements).await
    }

    /// [`Db::write`] for a write that is one statement (PostgreSQL): run outside a transaction
    /// block, it commits as it ends, without a further round trip for `COMMIT`, during which
    /// the rows it locked would stay locked (an account's row, which every other charge and
    /// hold of the account waits for). `statement` must run exactly one statement, and reach
    /// every row it reads by an index: it is planned once per connection ([`KEYED_PLANS`]).
    /// On SQLite it is [`Db::write`].
    pub async fn write_one_statement<T, E, F>(
        &self,
        kind: crate::delivery::write_sizes::WriteKind,
        rows: fn(&T) -> usize,
        statement: F,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
        F: for<'c> FnOnce(
                &'c mut sqlx::AnyConnection,
            ) -> futures::future::BoxFuture<'c, Result<T, E>>
            + Send
            + 'static,
    {
        let Some(keyed) = &self.keyed else {
            return self.write(kind, rows, statement).await;
        };
        let started = std::time::Instant::now();
        let mut conn = keyed.acquire().await?;
        let value = statement(&mut conn).await?;
        let n = rows(&value);
        if n > 0 {
            crate::delivery::write_sizes::record(kind, n, started.elapsed());
        }
        Ok(value)
    }

    /// The connections of [`Db::write_one_statement`] (PostgreSQL), for tests of their plans.
    #[cfg(test)]
    pub(crate) fn keyed_pool(&self) -> Option<&AnyPool> {
        self.keyed.as_ref()
    }

    /// Whether [`Db::write_native`] is the way to write the sending path (SQLite).
    pub fn writes_natively(&self) -> bool {
        self.writer.is_native()
    }

    /// [`Db::write`] with the statements run on the SQLite writer's own connection and thread,
    /// prepared and cached; only when [`Db::writes_natively`].
    pub async fn write_native<T, E, F>(
        &self,
        kind: crate::delivery::write_sizes::WriteKind,
        rows: fn(&T) -> usize,
        statements: F,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, E> + Send + 'static,
    {
        self.writer.write_native(kind, rows, statements).await
    }

    /// The price list as last read, shared by every clone of this handle.
    pub(crate) fn price_cache(&self) -> &crate::pricing::store::PriceCache {
        &self.prices
    }

    /// The SQLite file's own read connections, for the short reads of the sending path
    /// ([`crate::reader`]); `None` on PostgreSQL, where those reads go through sqlx.
    pub fn native_reads(&self) -> Option<&crate::reader::Readers> {
        self.readers.as_deref()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        if let Some(keyed) = &self.keyed {
            keyed.close().await;
        }
        self.pool.close().await;
    }
}

/// The newest schema version this build's SQLite migrations reach.
pub fn newest_sqlite_migration() -> i64 {
    SQLITE_MIGRATIONS
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

/// The file behind an `sqlite:` URL (`None` for PostgreSQL and in-memory databases).
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split_once('?').map_or(rest, |(p, _)| p);
    (!path.is_empty() && path != ":memory:").then(|| percent_decoded(path).into())
}

/// A URL path as the file name it names (`my%20data` is `my data`), decoded as sqlx decodes
/// it: the writer's own connection must open the file the pool opened.
fn percent_decoded(path: &str) -> String {
    percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned()
}

fn sqlite_url_with_create(url: &str) -> Result<String, DbError> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    if path != ":memory:" {
        let file = percent_decoded(path);
        if let Some(parent) = std::path::Path::new(&file).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|source| DbError::DataDir {
                    path: parent.display().to_string(),
                    source,
                })?;
            }
        }
    }
    Ok(match query {
        Some(q) if q.contains("mode=") => format!("sqlite://{path}?{q}"),
        Some(q) => format!("sqlite://{path}?{q}&mode=rwc"),
        None => format!("sqlite://{path}?mode=rwc"),
    })
}

/// Milliseconds since the Unix epoch: the one timestamp format of the schema.
pub fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

/// Throwaway databases for store tests: every test runs against SQLite and, when the test
/// script has started a PostgreSQL cluster (`FERRY_TEST_PG_URL`), against PostgreSQL too.
#[cfg(any(test, feature = "storage"))]
pub mod testing {
    use super::*;

    /// A fresh, migrated database per call so tests stay independent and parallel-safe.
    pub struct TestDb {
        pub db: Db,
        pub name: String,
        /// How another process reaches the same database.
        pub url: String,
        _dir: Option<TempDir>,
    }

    /// Removes the SQLite test directory when dropped.
    pub struct TempDir(std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn unique_suffix() -> String {
        use rand::Rng;
        let n: u64 = rand::thread_rng().gen();
        format!("{}_{n:016x}", std::process::id())
    }

    /// Test databases on the cluster are named `ferry_test_<host>_<pid>_<random>`: the
    /// machine and process that made them, so a later run can tell which are left over.
    const PG_PREFIX: &str = "ferry_test_";

    /// This machine, as eight hex digits of its host name (database names are at most 63
    /// bytes).
    fn host_tag() -> String {
        use std::hash::{Hash, Hasher};
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        host.trim().hash(&mut hasher);
        format!("{:08x}", hasher.finish() as u32)
    }

    /// Whether a test database named `name` was left by a process of this machine that has
    /// ended. A test cannot drop its own database (there is no async drop, and its pool may
    /// still be open), so each test process drops its ended predecessors' once, when it makes
    /// its first: a development cluster kept across runs otherwise fills its disk (1,225
    /// databases, 16 GB, once). Databases of live processes and of other machines sharing the
    /// cluster are kept; so are all of them where `/proc` cannot say which processes live.
    fn left_over(name: &str, host: &str) -> bool {
        let Some(rest) = name.strip_prefix(PG_PREFIX) else {
            return false;
        };
        let parts: Vec<&str> = rest.split('_').collect();
        let pid = match parts.as_slice() {
            [h, pid, _] if *h == host => pid,
            // Named before the host was part of the name.
            [pid, _] => pid,
            _ => return false,
        };
        let proc = std::path::Path::new("/proc");
        pid.parse::<u32>().is_ok() && proc.join("self").exists() && !proc.join(pid).exists()
    }

    /// Drops the test databases [`left_over`] by ended processes of this machine, once per
    /// process. Best effort: a failure is noted and the test goes on.
    async fn drop_left_over(admin: &Db) {
        static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
        SWEPT
            .get_or_init(|| async {
                let host = host_tag();
                let names: Vec<String> = match sqlx::query_scalar(
                    "SELECT datname::text FROM pg_database WHERE datname LIKE 'ferry\\_test\\_%'",
                )
                .fetch_all(admin.pool())
                .await
                {
                    Ok(names) => names,
                    Err(e) => return eprintln!("note: cannot list old test databases: {e}"),
                };
                for name in names.iter().filter(|n| left_over(n, &host)) {
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    if let Err(e) = admin.pool().execute(drop.as_str()).await {
                        eprintln!("note: cannot drop the old test database {name}: {e}");
                    }
                }
            })
            .await;
    }

    pub async fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(format!("ferry-test-{}", unique_suffix()));
        let url = format!("sqlite://{}/ferry.db", dir.display());
        let db = Db::connect(&url).await.expect("connect sqlite");
        db.migrate().await.expect("migrate sqlite");
        TestDb {
            db,
            name: "sqlite".into(),
            url,
            _dir: Some(TempDir(dir)),
        }
    }

    /// A new database on the test cluster; `None` when no cluster was started (plain
    /// `cargo test`). The README's test command sets `FERRY_REQUIRE_PG=1`, which turns a
    /// missing cluster into a failure so CI can never skip PostgreSQL silently.
    pub async fn postgres() -> Option<TestDb> {
        let Ok(base) = std::env::var("FERRY_TEST_PG_URL") else {
            if std::env::var("FERRY_REQUIRE_PG").as_deref() == Ok("1") {
                panic!("FERRY_REQUIRE_PG=1 but FERRY_TEST_PG_URL is not set");
            }
            eprintln!("note: FERRY_TEST_PG_URL not set; PostgreSQL half of this test skipped");
            return None;
        };
        let name = format!("{PG_PREFIX}{}_{}", host_tag(), unique_suffix());
        let admin = Db::connect(&format!("{base}/postgres"))
            .await
            .expect("connect to the test cluster");
        drop_left_over(&admin).await;
        admin
            .pool()
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create test database");
        admin.close().await;
        let url = format!("{base}/{name}");
        let db = Db::connect(&url).await.expect("connect test database");
        db.migrate().await.expect("migrate postgres");
        Some(TestDb {
            db,
            name: "postgres".into(),
            url,
            _dir: None,
        })
    }

    #[cfg(test)]
    #[test]
    fn only_databases_of_ended_processes_of_this_machine_are_left_over() {
        let host = host_tag();
        let me = std::process::id();
        // Above any pid_max Linux allows (2^22): no such process.
        let ended = 99_999_999;
        assert!(left_over(&format!("ferry_test_{host}_{ended}_00ab"), &host));
        assert!(
            left_over(&format!("ferry_test_{ended}_00ab"), &host),
            "the old names"
        );
        assert!(
            !left_over(&format!("ferry_test_{host}_{me}_00ab"), &host),
            "alive"
        );
        assert!(
            !left_over(&format!("ferry_test_{me}_00ab"), &host),
            "alive, old name"
        );
        assert!(
            !left_over(&format!("ferry_test_0badc0de_{ended}_00ab"), &host),
            "another machine's"
        );
        for other in [
            "ferry",
            "ferry_bench_1_2",
            "postgres",
            "ferry_test_x_y_z_w",
            "ferry_test_abc_00ab",
        ] {
            assert!(!left_over(other, &host), "{other}");
        }
    }

    /// Every backend available to this run: SQLite always, PostgreSQL when configured.
    pub async fn all_backends() -> Vec<TestDb> {
        let mut dbs = vec![sqlite().await];
        if let Some(pg) = postgres().await {
            dbs.push(pg);
        }
        dbs
    }
}

#[cfg(test)]
mod tests {
    use super::{placeholders, values_rows};

    #[test]
    fn placeholders_number_on_from_start() {
        assert_eq!(placeholders(1, 1), "$1");
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
        assert_eq!(placeholders(5, 0), "");
    }

    #[test]
    fn an_sqlite_url_names_the_file_sqlx_opens() {
        use super::sqlite_path;
        let path = |url| sqlite_path(url).map(|p| p.display().to_string());
        assert_eq!(
            path("sqlite://data/ferry.db").as_deref(),
            Some("data/ferry.db")
        );
        assert_eq!(
            path("sqlite:///srv/my%20data/ferry%3F.db?mode=rwc").as_deref(),
            Some("/srv/my data/ferry?.db")
        );
        // Not an escape: kept as written.
        assert_eq!(path("sqlite://100%.db").as_deref(), Some("100%.db"));
        assert_eq!(path("sqlite::memory:"), None);
        assert_eq!(path("postgres://x/y"), None);
    }

    #[test]
    fn array_literals_quote_every_string() {
        use super::{id_array, pg_int8_array, pg_text_array, Backend};
        assert_eq!(id_array(Backend::Postgres, &[1, -2, 30]), "{1,-2,30}");
        assert_eq!(id_array(Backend::Sqlite, &[1, -2, 30]), "[1,-2,30]");
        assert_eq!(id_array(Backend::Postgres, &[]), "{}");
        assert_eq!(pg_int8_array([7, 8]), "{7,8}");
        assert_eq!(
            pg_text_array(["a", "", "NULL", r#"q"t\b"#, "{,}"]),
            r#"{"a","","NULL","q\"t\\b","{,}"}"#
        );
        assert_eq!(pg_text_array([]), "{}");
    }

    /// What an SMSC may put in a message id comes back from the database as it went in, and
    /// an id list finds exactly its rows, on both backends.
    #[tokio::test]
    async fn array_parameters_round_trip_on_every_backend() {
        use super::{id_array, in_ids, pg_text_array};
        for t in super::testing::all_backends().await {
            let backend = t.db.backend();
            let ids: Vec<i64> = sqlx::query_scalar(&format!(
                "SELECT id FROM (SELECT 1 AS id UNION ALL SELECT 2 UNION ALL SELECT 3) AS t \
                 WHERE {} ORDER BY id",
                in_ids(backend, "id", 1)
            ))
            .bind(id_array(backend, &[3, 1, 99]))
            .fetch_all(t.db.pool())
            .await
            .expect("ids");
            assert_eq!(ids, vec![1, 3], "{}", t.name);
            if backend != super::Backend::Postgres {
                continue;
            }
            let hostile = [
                "1A2B",
                "",
                "NULL",
                "with space",
                r#"quote " and \ backslash"#,
                "{brace},comma",
                "香港",
            ];
            let back: Vec<String> = sqlx::query_scalar(
                "SELECT x FROM unnest($1::text[]) WITH ORDINALITY AS t(x, n) ORDER BY n",
            )
            .bind(pg_text_array(hostile))
            .fetch_all(t.db.pool())
            .await
            .expect("texts");
            assert_eq!(back, hostile);
        }
    }

    #[test]
    fn values_rows_number_row_after_row() {
        assert_eq!(values_rows(2, 2, 1), "($1, $2), ($3, $4)");
        assert_eq!(values_rows(1, 3, 4), "($4, $5, $6)");
        assert_eq!(values_rows(0, 3, 1), "");
    }
}
