//! The price list as staff edit it (§3): every row with whether it is in effect or scheduled,
//! and new rows with an effective date, audited.

use serde::{Deserialize, Serialize};
use sms::Money;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceRowView {
    pub id: i64,
    pub route: String,
    pub prefix: String,
    pub unit_price: Money,
    pub effective_from: i64,
    /// In effect now (the latest row of its route and prefix that has started).
    pub current: bool,
    /// Starts in the future.
    pub scheduled: bool,
}

/// A new price-list row as staff typed it: every field is text until [`store::add`] parses it
/// and names each field that is wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPrice {
    /// A route's code (`HK_BUSINESS`, …).
    pub route: String,
    /// Digits of a country code or a longer prefix; empty for the whole route.
    pub prefix: String,
    /// HK$ per part, e.g. `0.32`.
    pub unit_price: String,
    /// A Hong Kong date (YYYY-MM-DD); empty for now.
    pub effective_from: String,
}

#[cfg(feature = "storage")]
pub mod store {
    use super::*;
    use crate::db::now_ms;
    use crate::db::Db;
    use crate::error::Error;
    use crate::error::FieldErrors;
    use serde_json::json;

    pub async fn rows(db: &Db) -> Result<Vec<PriceRowView>, Error> {
        let now = now_ms();
        let rows = crate::pricing::store::all_rows(db).await?;
        let current = crate::pricing::store::in_effect(&rows, now);
        Ok(rows
            .into_iter()
            .zip(current)
            .map(|(r, current)| PriceRowView {
                id: r.id,
                route: r.route,
                prefix: r.prefix,
                unit_price: r.unit_price,
                effective_from: r.effective_from,
                current,
                scheduled: r.effective_from > now,
            })
            .collect())
    }

    pub async fn add(db: &Db, staff_id: i64, new: &NewPrice) -> Result<(), Error> {
        let mut errors = FieldErrors::default();
        let route = new.route.parse::<sms::Route>().ok();
        if route.is_none() {
            errors.add("route", "Choose a route.");
        }
        let prefix: String = new.prefix.trim().trim_start_matches('+').to_string();
        if !prefix.chars().all(|c| c.is_ascii_digit()) || prefix.len() > 15 {
            errors.add("prefix", "Use digits only: a country code or a longer prefix (e.g. 853 or 8536), or leave empty for the whole route.");
        }
        let price = match Money::parse_hkd(&new.unit_price) {
            Ok(p) if p.minor() >= 0 => Some(p),
            Ok(_) => {
                errors.add("unit_price", "A price cannot be negative.");
                None
            }
            Err(e) => {
                errors.add("unit_price", format!("Price: {e}."));
                None
            }
        };
        let now = now_ms();
        let effective = new.effective_from.as_str();
        let effective_from = if effective.trim().is_empty() {
            Some(now)
        } else {
            let ms = crate::ledger::hkt_date_to_ms(effective);
            if ms.is_none() {
                errors.add(
                    "effective_from",
                    "Enter a date as YYYY-MM-DD, or leave empty for now.",
                );
            }
            ms
        };
        errors.into_result()?;
        let (Some(route), Some(price), Some(effective_from)) = (route, price, effective_from)
        else {
            return Err(Error::internal("add price", "validated fields missing"));
        };
        let mut tx = db.begin_write().await?;
        sqlx::query(
            "INSERT INTO prices (route, prefix, unit_price_minor, effective_from, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(route.as_str())
        .bind(&prefix)
        .bind(price.minor())
        .bind(effective_from)
        .bind(staff_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        crate::audit::record(
            &mut tx,
            staff_id,
            "price.add",
            None,
            json!({}),
            json!({ "route": route.as_str(), "prefix": prefix, "unit_price": price.minor(), "effective_from": effective_from }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
