//! The two migration sets (`migrations/sqlite`, `migrations/postgres`) must describe the same
//! schema: the same tables, the same columns in each, the same named indexes on the same
//! tables. Types differ by dialect (INTEGER/BIGINT, BLOB/BYTEA) and are not compared; a column,
//! table or index added to one set only fails here.

use engine::db::testing;
use sqlx::Row;
use std::collections::BTreeSet;

type Schema = (BTreeSet<(String, String)>, BTreeSet<(String, String)>);

async fn sqlite_schema(db: &engine::db::Db) -> Schema {
    let tables: Vec<String> = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(db.pool())
    .await
    .expect("tables")
    .iter()
    .map(|r| r.try_get(0).expect("name"))
    .collect();
    let mut columns = BTreeSet::new();
    for t in &tables {
        for r in sqlx::query(&format!("SELECT name FROM pragma_table_info('{t}')"))
            .fetch_all(db.pool())
            .await
            .expect("columns")
        {
            columns.insert((t.clone(), r.try_get::<String, _>(0).expect("column")));
        }
    }
    // Indexes written in the migrations (those SQLite makes for PRIMARY KEY/UNIQUE have no SQL).
    let indexes = sqlx::query(
        "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
    )
    .fetch_all(db.pool())
    .await
    .expect("indexes")
    .iter()
    .map(|r| (r.try_get(0).expect("index"), r.try_get(1).expect("table")))
    .collect();
    (columns, indexes)
}

async fn postgres_schema(db: &engine::db::Db) -> Schema {
    let columns = sqlx::query(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
    )
    .fetch_all(db.pool())
    .await
    .expect("columns")
    .iter()
    .map(|r| (r.try_get(0).expect("table"), r.try_get(1).expect("column")))
    .collect();
    // Indexes written in the migrations, not those backing a PRIMARY KEY or UNIQUE constraint.
    let indexes = sqlx::query(
        "SELECT indexname::text, tablename::text FROM pg_indexes WHERE schemaname = 'public' \
         AND tablename NOT LIKE '_sqlx%' AND indexname NOT IN (SELECT conname FROM pg_constraint)",
    )
    .fetch_all(db.pool())
    .await
    .expect("indexes")
    .iter()
    .map(|r| (r.try_get(0).expect("index"), r.try_get(1).expect("table")))
    .collect();
    (columns, indexes)
}

fn differences(
    what: &str,
    sqlite: &BTreeSet<(String, String)>,
    pg: &BTreeSet<(String, String)>,
) -> Vec<String> {
    let mut out: Vec<String> = sqlite
        .difference(pg)
        .map(|(a, b)| format!("{what} {a}.{b} only in SQLite"))
        .collect();
    out.extend(
        pg.difference(sqlite)
            .map(|(a, b)| format!("{what} {a}.{b} only in PostgreSQL")),
    );
    out
}

#[tokio::test]
async fn both_migration_sets_build_the_same_tables_columns_and_indexes() {
    let sqlite = testing::sqlite().await;
    let Some(pg) = testing::postgres().await else {
        return;
    };
    let (s_cols, s_idx) = sqlite_schema(&sqlite.db).await;
    let (p_cols, p_idx) = postgres_schema(&pg.db).await;
    assert!(
        s_cols.len() > 100,
        "the schema was read ({} columns)",
        s_cols.len()
    );
    assert!(!s_idx.is_empty(), "indexes were read");
    let mut diff = differences("column", &s_cols, &p_cols);
    // Index names are compared with the table they are on.
    diff.extend(differences("index", &s_idx, &p_idx));
    assert!(
        diff.is_empty(),
        "the migration sets drifted:\n{}",
        diff.join("\n")
    );
}
