//! Do-not-call (§6): staff import the OFCA do-not-call register; a customer may filter a batch
//! against it (free), except numbers for which the account recorded consent.
//!
//! The register is versioned: an import loads a new version and switches the one-row
//! `dnc_current` pointer to it in the same transaction, so [`store::filter`] sees the old
//! list or the new one, never a mix and never an empty list halfway through.

pub mod consent;

use serde::{Deserialize, Serialize};

/// The register file's size limit: a million 8-digit numbers, one per line, is about 10 MB
/// (the portal accepts request bodies up to 12 MB).
pub const MAX_REGISTER_BYTES: usize = 11 * 1024 * 1024;

/// One imported version of the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterVersion {
    pub id: i64,
    /// The register's own date, as staff entered it (YYYY-MM-DD).
    pub register_date: String,
    pub filename: String,
    pub number_count: i64,
    pub imported_by: String,
    pub created_at: i64,
}

/// The outcome of a register import: the new version and the rows that held no number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterImport {
    pub version: RegisterVersion,
    pub rejected_rows: u64,
    /// The first few rejected rows, as examples for staff.
    pub rejected_examples: Vec<crate::import::RejectedRow>,
}

/// Whether `s` is a calendar date written YYYY-MM-DD.
pub fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (
        s[..4].parse::<i32>(),
        s[5..7].parse::<u8>(),
        s[8..].parse::<u8>(),
    ) else {
        return false;
    };
    time::Month::try_from(m)
        .ok()
        .and_then(|m| time::Date::from_calendar_date(y, m, d).ok())
        .is_some()
}

#[cfg(feature = "storage")]
pub mod store {
    use super::*;
    use crate::db::{now_ms, placeholders, Db};
    use crate::error::Error;
    use crate::import::RejectedRow;

    #[derive(sqlx::FromRow)]
    struct VersionRow {
        id: i64,
        register_date: String,
        filename: String,
        number_count: i64,
        imported_by: String,
        created_at: i64,
    }

    impl From<VersionRow> for RegisterVersion {
        fn from(r: VersionRow) -> Self {
            RegisterVersion {
                id: r.id,
                register_date: r.register_date,
                filename: r.filename,
                number_count: r.number_count,
                imported_by: r.imported_by,
                created_at: r.created_at,
            }
        }
    }
    use std::collections::HashSet;

    /// Rows per multi-row INSERT: a million numbers take a hundred statements.
    const INSERT_BATCH: usize = 10_000;
    /// Numbers per `IN (…)` lookup when filtering.
    const LOOKUP_BATCH: usize = 1_000;

    /// A register number as stored: E.164 digits. The register lists Hong Kong numbers; an
    /// 8-digit number is stored as 852 + its digits without asking whether its range is
    /// allocated today, so a newly opened range is never missing from the filter.
    pub fn register_number(cell: &str) -> Option<String> {
        let digits: String = cell
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
            .collect();
        let plain = digits.strip_prefix('+').unwrap_or(&digits);
        if plain.bytes().all(|b| b.is_ascii_digit()) {
            if plain.len() == 8 {
                return Some(format!("852{plain}"));
            }
            if plain.len() == 11 && plain.starts_with("852") {
                return Some(plain.to_string());
            }
        }
        sms::Msisdn::parse(cell, sms::msisdn::HONG_KONG_CODE)
            .ok()
            .map(String::from)
    }

    /// Reads a register CSV (first column, header tolerated): distinct numbers, sorted, and
    /// the rows that held none.
    pub fn parse_register(
        bytes: &[u8],
    ) -> Result<(Vec<String>, Vec<RejectedRow>, u64), crate::import::parse::ImportError> {
        use crate::import::parse::{
            for_each_csv_cell, is_header, sniff_within, FileKind, ImportError,
        };
        if sniff_within(bytes, MAX_REGISTER_BYTES)? != FileKind::Csv {
            return Err(ImportError::WrongType);
        }
        let mut numbers = Vec::new();
        let mut examples = Vec::new();
        let mut rejected = 0u64;
        let mut first = true;
        for_each_csv_cell(bytes, |row, cell| {
            let cell = cell.trim();
            if cell.is_empty() {
                return std::ops::ControlFlow::Continue(());
            }
            let was_first = std::mem::replace(&mut first, false);
            match register_number(cell) {
                Some(n) => numbers.push(n),
                None if was_first && is_header(cell) => {}
                None => {
                    rejected += 1;
                    if examples.len() < 20 {
                        examples.push(RejectedRow {
                            row,
                            input: cell.chars().take(64).collect(),
                            reason: "not a Hong Kong phone number".into(),
                        });
                    }
                }
            }
            std::ops::ControlFlow::Continue(())
        })?;
        numbers.sort_unstable();
        numbers.dedup();
        Ok((numbers, examples, rejected))
    }

    /// Replaces the register with the numbers of `bytes` (an OFCA CSV) dated `register_date`,
    /// parsed off the async threads; the rows that held no number are counted, a few kept as
    /// examples.
    pub async fn import_register(
        db: &Db,
        staff_id: i64,
        register_date: &str,
        bytes: Vec<u8>,
    ) -> Result<RegisterImport, Error> {
        if !is_iso_date(register_date) {
            return Err(Error::field(
                "register_date",
                "Enter the register's date as YYYY-MM-DD.",
            ));
        }
        let (numbers, rejected_examples, rejected_rows) =
            crate::import::parse_off_thread(move || parse_register(&bytes))
                .await?
                .map_err(|e| Error::field("file", e.to_string()))?;
        if numbers.is_empty() {
            return Err(Error::field(
                "file",
                "This file holds no phone numbers; the register was not changed.",
            ));
        }
        let version = replace(db, staff_id, register_date, "register.csv", &numbers).await?;
        Ok(RegisterImport {
            version,
            rejected_rows,
            rejected_examples,
        })
    }

    /// Loads `numbers` (distinct E.164 digits) as a new register version and makes it the
    /// current one, all in one transaction with the audit entry; then drops older versions'
    /// numbers. Readers in between see the old version until the commit, then the new one.
    pub async fn replace(
        db: &Db,
        staff_id: i64,
        register_date: &str,
        filename: &str,
        numbers: &[String],
    ) -> Result<RegisterVersion, Error> {
        let before = current(db).await?;
        let mut tx = db.begin_write().await?;
        let created_at = now_ms();
        let version_id: i64 = sqlx::query_scalar(
            "INSERT INTO dnc_versions (register_date, filename, number_count, imported_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(register_date)
        .bind(filename)
        .bind(numbers.len() as i64)
        .bind(staff_id)
        .bind(created_at)
        .fetch_one(&mut *tx)
        .await?;
        // Numbers are E.164 digits, checked here, so they are written into the statement as
        // literals: binding a million parameters through the `Any` driver costs more than the
        // insert itself (a million rows on SQLite: 12 s with binds, 0.8 s as literals).
        if let Some(bad) = numbers
            .iter()
            .find(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(Error::internal(
                "dnc import",
                format!("not digits: {bad:?}"),
            ));
        }
        for chunk in numbers.chunks(INSERT_BATCH) {
            let mut sql = String::with_capacity(64 + chunk.len() * 24);
            sql.push_str("INSERT INTO dnc_numbers (version_id, msisdn) VALUES ");
            for (i, n) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("({version_id},'{n}')"));
            }
            sqlx::query(&sql)
                .persistent(false)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE dnc_current SET version_id = $1 WHERE id = 1")
            .bind(version_id)
            .execute(&mut *tx)
            .await?;
        crate::audit::record(
            &mut tx,
            staff_id,
            "dnc.import",
            None,
            serde_json::json!(before.as_ref().map(|v| serde_json::json!({
                "version": v.id, "register_date": v.register_date, "numbers": v.number_count
            }))),
            serde_json::json!({ "version": version_id, "register_date": register_date, "numbers": numbers.len() }),
        )
        .await?;
        tx.commit().await?;
        // The old numbers are unreachable now; removing them is housekeeping, not part of
        // the switch (a failure here leaves rows that the next import removes).
        // Only versions older than the current one: a later import that committed meanwhile
        // must keep its numbers.
        if let Err(e) = sqlx::query(
            "DELETE FROM dnc_numbers WHERE version_id < (SELECT version_id FROM dnc_current WHERE id = 1)",
        )
        .execute(db.pool())
        .await
        {
            tracing::warn!(error = %e, "could not remove old do-not-call versions");
        }
        tracing::info!(
            version_id,
            numbers = numbers.len(),
            staff_id,
            "do-not-call register replaced"
        );
        current(db)
            .await?
            .ok_or_else(|| Error::internal("dnc import", "new version missing"))
    }

    pub async fn current(db: &Db) -> Result<Option<RegisterVersion>, sqlx::Error> {
        let row: Option<VersionRow> = sqlx::query_as(
            "SELECT v.id AS id, v.register_date AS register_date, v.filename AS filename, \
                    v.number_count AS number_count, a.login_name AS imported_by, \
                    v.created_at AS created_at \
             FROM dnc_current c JOIN dnc_versions v ON v.id = c.version_id \
             JOIN accounts a ON a.id = v.imported_by WHERE c.id = 1",
        )
        .fetch_optional(db.pool())
        .await?;
        Ok(row.map(RegisterVersion::from))
    }

    /// Splits `numbers` (E.164 digits) into those to send and those on the do-not-call
    /// register, keeping each list in the given order. Numbers the account has consent for
    /// are always kept. Runs in one read snapshot, so a register import that commits
    /// meanwhile is either wholly seen or not at all.
    pub async fn filter(
        db: &Db,
        account_id: i64,
        numbers: &[String],
    ) -> Result<(Vec<String>, Vec<String>), sqlx::Error> {
        // One snapshot for the version and its numbers, and no write lock: a 50,000-number
        // check must not stop intake and the dispatcher from writing meanwhile.
        let mut tx = db.begin_read().await?;
        let version: Option<i64> =
            sqlx::query_scalar::<_, Option<i64>>("SELECT version_id FROM dnc_current WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await?
                .flatten();
        let Some(version) = version else {
            tx.commit().await?;
            return Ok((numbers.to_vec(), Vec::new()));
        };
        let mut listed: HashSet<String> = HashSet::new();
        let mut consented: HashSet<String> = HashSet::new();
        for chunk in numbers.chunks(LOOKUP_BATCH) {
            let in_list = placeholders(2, chunk.len());
            let lookups = [
                format!("SELECT msisdn FROM dnc_numbers WHERE version_id = $1 AND msisdn IN ({in_list})"),
                format!("SELECT msisdn FROM consents WHERE account_id = $1 AND msisdn IN ({in_list})"),
            ];
            for (sql, key, into) in [
                (&lookups[0], version, &mut listed),
                (&lookups[1], account_id, &mut consented),
            ] {
                let mut query = sqlx::query_scalar::<_, String>(sql).bind(key);
                for n in chunk {
                    query = query.bind(n.as_str());
                }
                into.extend(query.fetch_all(&mut *tx).await?);
            }
        }
        tx.commit().await?;
        let (kept, filtered) = numbers
            .iter()
            .cloned()
            .partition(|n| !listed.contains(n) || consented.contains(n));
        Ok((kept, filtered))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn register_dates_are_calendar_dates() {
        assert!(super::is_iso_date("2026-11-26"));
        assert!(!super::is_iso_date("2026-02-30"));
        assert!(!super::is_iso_date("26/11/2026"));
    }

    #[cfg(feature = "storage")]
    #[test]
    fn the_register_keeps_every_hong_kong_number_and_counts_the_rest() {
        let csv =
            b"Telephone Number\r\n9123 4567\r\n+852 6123 4567\r\n91234567\r\nfax\r\n2123 4567\r\n";
        let (numbers, examples, rejected) = super::store::parse_register(csv).expect("csv");
        // Landlines are kept too: the register is matched, not validated.
        assert_eq!(numbers, vec!["85221234567", "85261234567", "85291234567"]);
        assert_eq!(rejected, 1);
        assert_eq!(examples[0].row, 5);
        assert!(super::store::parse_register(b"PK\x03\x04junk").is_err());
    }
}
