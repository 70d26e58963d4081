//! Consent (§6): numbers whose owners agreed to receive this account's messages. They are
//! never removed by the do-not-call filter. Added one by one or imported from a CSV
//! (number, consent date, note); every query is scoped to the caller's account.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub id: i64,
    pub msisdn: String,
    /// YYYY-MM-DD, as the customer recorded it.
    pub consent_date: String,
    pub note: String,
}

/// What a consent CSV import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentImport {
    pub added: u64,
    pub rejected: Vec<crate::import::RejectedRow>,
}

#[cfg(feature = "storage")]
pub mod store {
    use super::*;
    use crate::db::{now_ms, Db};
    use crate::error::{Error, FieldErrors};
    use crate::import::RejectedRow;

    #[derive(sqlx::FromRow)]
    struct StoredConsent {
        id: i64,
        msisdn: String,
        consent_date: String,
        note: String,
    }

    impl From<StoredConsent> for Consent {
        fn from(r: StoredConsent) -> Self {
            Consent {
                id: r.id,
                msisdn: r.msisdn,
                consent_date: r.consent_date,
                note: r.note,
            }
        }
    }

    pub async fn list(db: &Db, account_id: i64) -> Result<Vec<Consent>, Error> {
        let rows: Vec<StoredConsent> = sqlx::query_as(
            "SELECT id, msisdn, consent_date, note FROM consents WHERE account_id = $1 ORDER BY msisdn LIMIT 5000",
        )
        .bind(account_id)
        .fetch_all(db.pool())
        .await?;
        Ok(rows.into_iter().map(Consent::from).collect())
    }

    /// A valid consent row: (number, date, note).
    type ConsentRow = (String, String, String);

    /// Checks one consent row, or lists the reasons (field, message) it is refused.
    fn validate(
        number: &str,
        consent_date: &str,
        note: &str,
    ) -> Result<ConsentRow, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let msisdn = match sms::Msisdn::parse(number, sms::msisdn::HONG_KONG_CODE) {
            Ok(m) => Some(String::from(m)),
            Err(e) => {
                errors.push(("consent_number", format!("Number: {e}.")));
                None
            }
        };
        let date = consent_date.trim();
        if !crate::dnc::is_iso_date(date) {
            errors.push((
                "consent_date",
                "Enter the consent date as YYYY-MM-DD.".into(),
            ));
        }
        let note = note.trim();
        if note.chars().count() > 200 {
            errors.push(("note", "Use at most 200 characters for the note.".into()));
        }
        match msisdn {
            Some(m) if errors.is_empty() => Ok((m, date.to_string(), note.to_string())),
            _ => Err(errors),
        }
    }

    async fn upsert(
        conn: &mut sqlx::AnyConnection,
        account_id: i64,
        (msisdn, date, note): &ConsentRow,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO consents (account_id, msisdn, consent_date, note, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (account_id, msisdn) DO UPDATE SET consent_date = excluded.consent_date, note = excluded.note",
        )
        .bind(account_id)
        .bind(msisdn)
        .bind(date)
        .bind(note)
        .bind(now_ms())
        .execute(conn)
        .await?;
        Ok(())
    }

    pub async fn add(
        db: &Db,
        account_id: i64,
        number: &str,
        consent_date: &str,
        note: &str,
    ) -> Result<(), Error> {
        let row = validate(number, consent_date, note).map_err(|errs| {
            let mut fe = FieldErrors::default();
            for (field, message) in errs {
                fe.add(field, message);
            }
            fe.into_result().err().map_or(Error::NotFound, Error::from)
        })?;
        let mut conn = db.pool().acquire().await?;
        upsert(&mut conn, account_id, &row).await?;
        Ok(())
    }

    pub async fn delete(db: &Db, account_id: i64, consent_id: i64) -> Result<(), Error> {
        let n = sqlx::query("DELETE FROM consents WHERE id = $1 AND account_id = $2")
            .bind(consent_id)
            .bind(account_id)
            .execute(db.pool())
            .await?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// Imports `number,date,note` rows; a header row is skipped; every refused row is listed.
    /// Reads a consent CSV: the valid rows and the refused ones. Pure CPU work.
    fn parse_consents(bytes: &[u8]) -> Result<(Vec<ConsentRow>, Vec<RejectedRow>), Error> {
        use crate::import::parse::is_header;
        let records = crate::import::csv_file_rows(
            bytes,
            "Import consent from a CSV UTF-8 file: number, consent date (YYYY-MM-DD), note.",
        )?;
        let mut rows = Vec::new();
        let mut rejected = Vec::new();
        for (i, (line, cells)) in records.into_iter().enumerate() {
            let cell = |n: usize| cells.get(n).map(String::as_str).unwrap_or_default();
            if cell(0).is_empty() {
                continue;
            }
            match validate(cell(0), cell(1), cell(2)) {
                Ok(row) => rows.push(row),
                Err(_) if i == 0 && is_header(cell(0)) => {}
                Err(errs) => rejected.push(RejectedRow {
                    row: line,
                    input: cells.join(",").chars().take(64).collect(),
                    reason: errs
                        .into_iter()
                        .map(|(_, m)| m)
                        .collect::<Vec<_>>()
                        .join(" "),
                }),
            }
        }
        Ok((rows, rejected))
    }

    pub async fn import_csv(
        db: &Db,
        account_id: i64,
        bytes: Vec<u8>,
    ) -> Result<ConsentImport, Error> {
        let (rows, rejected) =
            crate::import::parse_off_thread(move || parse_consents(&bytes)).await??;
        // Short transactions, so other writers never wait behind a whole file; importing the
        // same file again only updates what an interrupted import already wrote.
        for chunk in rows.chunks(crate::import::IMPORT_CHUNK_ROWS) {
            let mut tx = db.begin_write().await?;
            for row in chunk {
                upsert(&mut tx, account_id, row).await?;
            }
            tx.commit().await?;
        }
        Ok(ConsentImport {
            added: rows.len() as u64,
            rejected,
        })
    }
}
