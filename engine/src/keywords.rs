//! The China illegal-keyword library as staff keep it (§5): search it, add and remove keywords,
//! import a CSV of them; every change is in the audit log. The composer and the server's check
//! read the library when they load, so a change reaches every open composer on its next load.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeywordRow {
    pub id: i64,
    pub keyword: String,
    pub created_at: i64,
}

/// A page of the library, optionally only the keywords containing a search text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeywordPage {
    pub keywords: Vec<KeywordRow>,
    /// Keywords in the whole library.
    pub total: i64,
    /// Keywords matching the search, over all pages.
    pub matching: i64,
    pub page: i64,
    pub pages: i64,
}

/// What an import did: keywords added, ones the library had already, and refused rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeywordImport {
    pub added: u64,
    pub already: u64,
    pub rejected: Vec<crate::import::RejectedRow>,
}

/// Longer than any phrase worth blocking; a longer line is a mistake (a pasted paragraph).
pub const MAX_KEYWORD_CHARS: usize = 50;
pub const PAGE_SIZE: i64 = 100;

/// A keyword as typed, trimmed, or why it cannot be one.
pub fn parse_keyword(text: &str) -> Result<String, String> {
    let keyword = text.trim();
    if keyword.is_empty() {
        return Err("Enter a keyword.".into());
    }
    if keyword.chars().count() > MAX_KEYWORD_CHARS {
        return Err(format!(
            "A keyword is at most {MAX_KEYWORD_CHARS} characters."
        ));
    }
    if keyword.chars().any(char::is_control) {
        return Err("A keyword is one line of text, without tabs or control characters.".into());
    }
    Ok(keyword.to_string())
}

#[cfg(feature = "storage")]
pub mod store {
    use super::*;
    use crate::db::{now_ms, Db};
    use crate::error::Error;
    use crate::import::RejectedRow;
    use serde_json::json;

    /// `%` and `_` typed in a search are themselves, not wildcards.
    fn like_pattern(query: &str) -> String {
        let escaped = query
            .trim()
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    }

    pub async fn page(db: &Db, query: &str, page: i64) -> Result<KeywordPage, Error> {
        let pattern = like_pattern(query);
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM china_keywords")
            .fetch_one(db.pool())
            .await?;
        let matching: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM china_keywords WHERE LOWER(keyword) LIKE $1 ESCAPE '\\'",
        )
        .bind(&pattern)
        .fetch_one(db.pool())
        .await?;
        let pages = (matching + PAGE_SIZE - 1) / PAGE_SIZE;
        let page = page.clamp(1, pages.max(1));
        let keywords = sqlx::query_as::<_, (i64, String, i64)>(
            "SELECT id, keyword, created_at FROM china_keywords \
             WHERE LOWER(keyword) LIKE $1 ESCAPE '\\' ORDER BY keyword LIMIT $2 OFFSET $3",
        )
        .bind(&pattern)
        .bind(PAGE_SIZE)
        .bind((page - 1) * PAGE_SIZE)
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(|(id, keyword, created_at)| KeywordRow {
            id,
            keyword,
            created_at,
        })
        .collect();
        Ok(KeywordPage {
            keywords,
            total,
            matching,
            page,
            pages,
        })
    }

    pub async fn add(db: &Db, staff_id: i64, text: &str) -> Result<(), Error> {
        let keyword = parse_keyword(text).map_err(|why| Error::field("keyword", why))?;
        let mut tx = db.begin_write().await?;
        let added = sqlx::query(
            "INSERT INTO china_keywords (keyword, created_at) VALUES ($1, $2) \
             ON CONFLICT (keyword) DO NOTHING",
        )
        .bind(&keyword)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added == 0 {
            return Err(Error::field(
                "keyword",
                format!("{keyword:?} is in the library already."),
            ));
        }
        crate::audit::record(
            &mut tx,
            staff_id,
            "keyword.add",
            None,
            json!({}),
            json!({ "keyword": keyword }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove(db: &Db, staff_id: i64, id: i64) -> Result<(), Error> {
        let mut tx = db.begin_write().await?;
        let keyword: String =
            sqlx::query_scalar("SELECT keyword FROM china_keywords WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(Error::NotFound)?;
        sqlx::query("DELETE FROM china_keywords WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        crate::audit::record(
            &mut tx,
            staff_id,
            "keyword.remove",
            None,
            json!({ "keyword": keyword }),
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One keyword per row, in the first column (a `keyword` header is skipped): what is
    /// valid, and the rows that are not, with why.
    fn parse_csv(bytes: &[u8]) -> Result<(Vec<String>, Vec<RejectedRow>), Error> {
        let records = crate::import::csv_file_rows(
            bytes,
            "Import keywords from a CSV UTF-8 file: one keyword per row, in the first column.",
        )?;
        let mut keywords = Vec::new();
        let mut rejected = Vec::new();
        for (i, (line, cells)) in records.into_iter().enumerate() {
            let first = cells.first().map(String::as_str).unwrap_or_default();
            if first.trim().is_empty() || (i == 0 && first.trim().eq_ignore_ascii_case("keyword")) {
                continue;
            }
            match parse_keyword(first) {
                Ok(k) => keywords.push(k),
                Err(reason) => rejected.push(RejectedRow {
                    row: line,
                    input: first.chars().take(64).collect(),
                    reason,
                }),
            }
        }
        Ok((keywords, rejected))
    }

    pub async fn import_csv(
        db: &Db,
        staff_id: i64,
        bytes: Vec<u8>,
    ) -> Result<KeywordImport, Error> {
        let (keywords, rejected) =
            crate::import::parse_off_thread(move || parse_csv(&bytes)).await??;
        let now = now_ms();
        let mut added = 0u64;
        // Short transactions, so the other writers never wait behind a whole file.
        for chunk in keywords.chunks(crate::import::IMPORT_CHUNK_ROWS) {
            let mut tx = db.begin_write().await?;
            for keyword in chunk {
                added += sqlx::query(
                    "INSERT INTO china_keywords (keyword, created_at) VALUES ($1, $2) \
                     ON CONFLICT (keyword) DO NOTHING",
                )
                .bind(keyword)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
        }
        let report = KeywordImport {
            added,
            already: keywords.len() as u64 - added,
            rejected,
        };
        let mut tx = db.begin_write().await?;
        crate::audit::record(
            &mut tx,
            staff_id,
            "keyword.import",
            None,
            json!({}),
            json!({ "added": report.added, "already": report.already, "rejected": report.rejected.len() }),
        )
        .await?;
        tx.commit().await?;
        Ok(report)
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::db::testing::all_backends;
        use crate::testing::{audit_entries, fixture};

        #[tokio::test]
        async fn staff_search_add_remove_and_import_keywords_audited() {
            for t in all_backends().await {
                let f = fixture(&t.db).await;
                let start = page(&t.db, "", 1).await.expect("page").total;
                add(&t.db, f.staff, "  Spam_Offer ").await.expect("add");
                let e = add(&t.db, f.staff, "Spam_Offer").await.expect_err("twice");
                assert!(e.message_for("keyword").is_some(), "{}", t.name);
                assert!(add(&t.db, f.staff, "   ").await.is_err());
                // Case-insensitive search; `_` is a character, not a wildcard.
                let found = page(&t.db, "spam_", 1).await.expect("search");
                assert_eq!(found.matching, 1);
                assert_eq!(found.keywords[0].keyword, "Spam_Offer");
                assert_eq!(
                    page(&t.db, "spamxoffer", 1).await.expect("search").matching,
                    0
                );
                assert_eq!(page(&t.db, "", 1).await.expect("all").total, start + 1);

                let csv = "keyword\n賭場\nSpam_Offer\n\n裸聊\n\"line\ttab\"\n"
                    .as_bytes()
                    .to_vec();
                let report = import_csv(&t.db, f.staff, csv).await.expect("import");
                // 裸聊 ships in the starter list; Spam_Offer was added above.
                assert_eq!((report.added, report.already), (1, 2), "{}", t.name);
                assert_eq!(report.rejected.len(), 1);
                assert_eq!(report.rejected[0].row, 6);
                let e = import_csv(&t.db, f.staff, b"PK\x03\x04 not a csv".to_vec())
                    .await
                    .expect_err("not csv");
                assert!(e.message_for("file").is_some());

                let id = page(&t.db, "賭場", 1).await.expect("search").keywords[0].id;
                remove(&t.db, f.staff, id).await.expect("remove");
                assert_eq!(page(&t.db, "賭場", 1).await.expect("search").matching, 0);
                assert_eq!(remove(&t.db, f.staff, id).await, Err(Error::NotFound));

                let actions: Vec<String> = audit_entries(&t.db)
                    .await
                    .into_iter()
                    .map(|(a, ..)| a)
                    .filter(|a| a.starts_with("keyword."))
                    .collect();
                assert_eq!(actions, ["keyword.add", "keyword.import", "keyword.remove"]);
            }
        }

        /// Hostile keyword files: too many rows, a workbook bomb, an over-long and a control-
        /// character keyword. Each is refused with its reason, nothing else is refused with
        /// it, and the library still answers afterwards.
        #[tokio::test]
        async fn hostile_keyword_files_are_refused_and_the_library_keeps_serving() {
            for t in all_backends().await {
                let f = fixture(&t.db).await;
                let start = page(&t.db, "", 1).await.expect("page").total;

                let many: String = (0..crate::import::MAX_IMPORT_NUMBERS + 1)
                    .map(|i| format!("kw{i}\n"))
                    .collect();
                let e = import_csv(&t.db, f.staff, many.into_bytes())
                    .await
                    .expect_err("too many rows");
                let why = e.message_for("file").expect("file error");
                assert!(why.contains("50,000") || why.contains("50000"), "{why}");

                let bomb = crate::import::test_files::xlsx_sheet_bomb(64 * 1024 * 1024);
                let e = import_csv(&t.db, f.staff, bomb)
                    .await
                    .expect_err("workbook");
                assert!(e.message_for("file").is_some(), "{}", t.name);

                let long = "長".repeat(MAX_KEYWORD_CHARS + 1);
                let csv = format!("{long}\n\"bad\u{7}bell\"\n賭博網站X\n").into_bytes();
                let report = import_csv(&t.db, f.staff, csv).await.expect("import");
                assert_eq!(report.added, 1, "{}", t.name);
                let rows: Vec<usize> = report.rejected.iter().map(|r| r.row).collect();
                assert_eq!(rows, [1, 2], "{}", t.name);
                assert!(report.rejected.iter().all(|r| !r.reason.is_empty()));
                assert!(report.rejected[0].input.chars().count() <= 64);

                assert_eq!(page(&t.db, "", 1).await.expect("page").total, start + 1);
            }
        }
    }
}
