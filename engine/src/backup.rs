//! Backups of the embedded SQLite store and their restore (`ferry backup`, `ferry restore`).
//! PostgreSQL installations use `pg_dump`/`pg_restore`, which already do this well.
//!
//! A backup is taken with `VACUUM INTO`: SQLite copies one consistent snapshot (a read
//! transaction) into a new file while the running Ferry goes on writing. The page-by-page
//! backup API (`sqlite3_backup_step`) would give the same file, but through unsafe FFI, and a
//! copy made in several steps starts over whenever another connection writes in between, which
//! under steady sending it may never finish. Every backup is checked before it is kept (SQLite's
//! integrity check, and every balance equal to the sum of its ledger entries) and only then
//! renamed into place, so a file named as asked is always a whole, consistent backup.
//!
//! A restore never destroys anything: the database it replaces is kept beside it, and it is
//! refused while a Ferry has the database open (see [`DatabaseLock`]).

use crate::db::{Backend, Db};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "this is a PostgreSQL database: back it up with `pg_dump --format=custom --file=ferry.dump \"$DATABASE_URL\"` \
         and restore it with `pg_restore --clean --if-exists --dbname \"$DATABASE_URL\" ferry.dump`"
    )]
    Postgres,
    #[error("{0} already exists; choose a new file name")]
    Exists(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Sqlite { path: PathBuf, source: sqlx::Error },
    #[error("{path} is damaged: {problem}")]
    Damaged { path: PathBuf, problem: String },
    #[error("{path} is not a Ferry database (no migrations table)")]
    NotFerry { path: PathBuf },
    #[error(
        "{path} was written by a newer Ferry (schema version {found}, this one knows up to {known}); \
         restore it with that version or later"
    )]
    Newer {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("{path}: the balances of accounts {accounts:?} do not equal the sums of their ledger entries")]
    OutOfBalance { path: PathBuf, accounts: Vec<i64> },
    #[error(
        "{0} is locked by another Ferry process: stop every `ferry serve` on it before restoring \
         (and Ferry does not start while a restore runs)"
    )]
    InUse(PathBuf),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

/// What a backup holds, as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub schema_version: i64,
    pub accounts: i64,
    pub ledger_entries: i64,
    pub batches: i64,
    pub messages: i64,
    pub bytes: u64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "schema {}, {} accounts, {} ledger entries (every balance equals its entries), \
             {} batches, {} messages, {} bytes",
            self.schema_version,
            self.accounts,
            self.ledger_entries,
            self.batches,
            self.messages,
            self.bytes
        )
    }
}

/// Copies the database behind `db` into the new file `dest`, checks the copy and returns what
/// it holds. `dest` must not exist. The running Ferry is not stopped or slowed beyond the read.
pub async fn backup(db: &Db, dest: &Path) -> Result<Summary, BackupError> {
    if db.backend() == Backend::Postgres {
        return Err(BackupError::Postgres);
    }
    if dest.exists() {
        return Err(BackupError::Exists(dest.into()));
    }
    let partial = with_suffix(dest, ".partial");
    remove_if_present(&partial)?;
    let path_text = partial.to_str().ok_or_else(|| BackupError::Io {
        path: partial.clone(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not UTF-8"),
    })?;
    sqlx::query("VACUUM INTO $1")
        .bind(path_text)
        .execute(db.pool())
        .await
        .map_err(|source| BackupError::Sqlite {
            path: partial.clone(),
            source,
        })?;
    let summary = match verify(&partial).await {
        Ok(summary) => summary,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    sync_file(&partial)?;
    std::fs::rename(&partial, dest).map_err(|source| BackupError::Io {
        path: dest.into(),
        source,
    })?;
    sync_parent(dest)?;
    Ok(summary)
}

/// Opens `path` read-only and checks it: SQLite's integrity check, a Ferry schema, and every
/// account's balance equal to the sum of its ledger entries.
pub async fn verify(path: &Path) -> Result<Summary, BackupError> {
    let sqlite = |source| BackupError::Sqlite {
        path: path.into(),
        source,
    };
    if !path.is_file() {
        return Err(BackupError::Io {
            path: path.into(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .map_err(sqlite)?;
    let problems: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .map_err(|e| BackupError::Damaged {
            path: path.into(),
            problem: e.to_string(),
        })?;
    if problems != ["ok"] {
        return Err(BackupError::Damaged {
            path: path.into(),
            problem: problems.join("; "),
        });
    }
    let has_migrations: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(sqlite)?;
    if has_migrations == 0 {
        return Err(BackupError::NotFerry { path: path.into() });
    }
    let out_of_balance: Vec<i64> = sqlx::query_scalar(crate::ledger::store::OUT_OF_BALANCE)
        .fetch_all(&mut conn)
        .await
        .map_err(sqlite)?;
    if !out_of_balance.is_empty() {
        return Err(BackupError::OutOfBalance {
            path: path.into(),
            accounts: out_of_balance,
        });
    }
    let count = |table: &'static str| format!("SELECT COUNT(*) FROM {table}");
    let mut numbers = Vec::new();
    for sql in [
        "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success".to_string(),
        count("accounts"),
        count("ledger_entries"),
        count("batches"),
        count("messages"),
    ] {
        numbers.push(
            sqlx::query_scalar::<_, i64>(&sql)
                .fetch_one(&mut conn)
                .await
                .map_err(sqlite)?,
        );
    }
    conn.close().await.map_err(sqlite)?;
    let bytes = std::fs::metadata(path)
        .map_err(|source| BackupError::Io {
            path: path.into(),
            source,
        })?
        .len();
    Ok(Summary {
        schema_version: numbers[0],
        accounts: numbers[1],
        ledger_entries: numbers[2],
        batches: numbers[3],
        messages: numbers[4],
        bytes,
    })
}

/// Replaces the SQLite database at `target` with the backup `from`, after checking the backup.
/// The database it replaces (if any) is kept as `<target>.before-restore-<ms>`, whose path is
/// returned. The restored database is then brought up to this Ferry's schema and checked again.
pub async fn restore(
    from: &Path,
    target: &Path,
) -> Result<(Summary, Option<PathBuf>), BackupError> {
    let checked = verify(from).await?;
    let known = crate::db::newest_sqlite_migration();
    if checked.schema_version > known {
        return Err(BackupError::Newer {
            path: from.into(),
            found: checked.schema_version,
            known,
        });
    }
    let _lock = DatabaseLock::exclusive(target)?;
    let kept = if target.exists() {
        // Fold the write-ahead log into the file first, so the file set aside is whole on its
        // own and no stale log is left for the restored file to pick up.
        let mut conn = SqliteConnectOptions::new()
            .filename(target)
            .connect()
            .await
            .map_err(|source| BackupError::Sqlite {
                path: target.into(),
                source,
            })?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await
            .map_err(|source| BackupError::Sqlite {
                path: target.into(),
                source,
            })?;
        conn.close().await.map_err(|source| BackupError::Sqlite {
            path: target.into(),
            source,
        })?;
        let kept = with_suffix(target, &format!(".before-restore-{}", crate::db::now_ms()));
        std::fs::rename(target, &kept).map_err(|source| BackupError::Io {
            path: target.into(),
            source,
        })?;
        for side in ["-wal", "-shm"] {
            remove_if_present(&with_suffix(target, side))?;
        }
        Some(kept)
    } else {
        None
    };
    let partial = with_suffix(target, ".partial");
    std::fs::copy(from, &partial).map_err(|source| BackupError::Io {
        path: partial.clone(),
        source,
    })?;
    sync_file(&partial)?;
    std::fs::rename(&partial, target).map_err(|source| BackupError::Io {
        path: target.into(),
        source,
    })?;
    sync_parent(target)?;
    let url = format!("sqlite://{}", target.display());
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    db.close().await;
    Ok((verify(target).await?, kept))
}

/// An advisory lock on an SQLite database, held in `<database>.lock` beside it: every
/// `ferry serve` holds it shared for its lifetime (several processes may share one file), and
/// a restore takes it exclusively, so a database is never swapped under a running Ferry.
#[derive(Debug)]
pub struct DatabaseLock {
    _file: File,
}

impl DatabaseLock {
    pub fn shared(database: &Path) -> Result<DatabaseLock, BackupError> {
        Self::take(database, false)
    }

    pub fn exclusive(database: &Path) -> Result<DatabaseLock, BackupError> {
        Self::take(database, true)
    }

    fn take(database: &Path, exclusive: bool) -> Result<DatabaseLock, BackupError> {
        let path = with_suffix(database, ".lock");
        let io = |source| BackupError::Io {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        let taken = if exclusive {
            file.try_lock()
        } else {
            file.try_lock_shared()
        };
        match taken {
            Ok(()) => Ok(DatabaseLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(BackupError::InUse(database.into())),
            Err(TryLockError::Error(source)) => Err(io(source)),
        }
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_if_present(path: &Path) -> Result<(), BackupError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(BackupError::Io {
            path: path.into(),
            source: e,
        }),
        _ => Ok(()),
    }
}

fn sync_file(path: &Path) -> Result<(), BackupError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|source| BackupError::Io {
            path: path.into(),
            source,
        })
}

/// Makes a rename in `path`'s directory durable.
fn sync_parent(path: &Path) -> Result<(), BackupError> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)
        .and_then(|d| d.sync_all())
        .map_err(|source| BackupError::Io {
            path: parent.into(),
            source,
        })
}
