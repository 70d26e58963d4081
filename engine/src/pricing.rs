//! The price list (§3): a unit price per message part by route and destination prefix, the
//! longest matching prefix winning. Staff edit it with effective dates; the composer's preview
//! and the server's checks use the same list, sent to the browser once per page.

use serde::{Deserialize, Serialize};
use sms::{Money, Route};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceEntry {
    pub route: Route,
    /// Leading digits of the E.164 number (country code or longer); empty for the whole route.
    pub prefix: String,
    pub unit_price: Money,
}

/// The prices in effect at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PriceList(pub Vec<PriceEntry>);

impl PriceList {
    /// The price of one part to `number` (E.164 digits) on `route`: the longest prefix wins.
    pub fn unit_price(&self, route: Route, number: &str) -> Option<Money> {
        self.0
            .iter()
            .filter(|e| e.route == route && number.starts_with(e.prefix.as_str()))
            .max_by_key(|e| e.prefix.len())
            .map(|e| e.unit_price)
    }

    /// The route's general price (prefix ''), as the composer lists it.
    pub fn base_price(&self, route: Route) -> Option<Money> {
        self.0
            .iter()
            .find(|e| e.route == route && e.prefix.is_empty())
            .map(|e| e.unit_price)
    }
}

/// Digits of a typed number as it will be normalised for the common forms (+CC…, 00CC…, or a
/// local Hong Kong number): enough for the composer to pick the same price as the server.
pub fn estimate_digits(input: &str, default_country_code: u16) -> String {
    let trimmed = input.trim();
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if trimmed.starts_with('+') {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_string()
    } else if digits.len() <= 8 {
        format!("{default_country_code}{digits}")
    } else {
        digits
    }
}

#[cfg(feature = "storage")]
pub mod store {
    use super::*;
    use crate::db::Db;

    #[derive(sqlx::FromRow)]
    struct CurrentPriceRow {
        route: String,
        prefix: String,
        unit_price_minor: i64,
    }

    impl crate::reader::NativeRow for CurrentPriceRow {
        fn from_native(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
            Ok(CurrentPriceRow {
                route: row.get(0)?,
                prefix: row.get(1)?,
                unit_price_minor: row.get(2)?,
            })
        }
    }

    #[derive(sqlx::FromRow)]
    struct StoredPriceRow {
        id: i64,
        route: String,
        prefix: String,
        unit_price_minor: i64,
        effective_from: i64,
    }

    impl From<StoredPriceRow> for PriceRow {
        fn from(r: StoredPriceRow) -> Self {
            PriceRow {
                id: r.id,
                route: r.route,
                prefix: r.prefix,
                unit_price: Money::from_minor(r.unit_price_minor),
                effective_from: r.effective_from,
            }
        }
    }

    /// The prices in effect at `now`: for each (route, prefix) the latest row already in effect.
    pub async fn current(db: &Db, now: i64) -> Result<PriceList, sqlx::Error> {
        const SQL: &str =
            "SELECT p.route AS route, p.prefix AS prefix, p.unit_price_minor AS unit_price_minor \
             FROM prices p \
             WHERE p.effective_from <= $1 AND p.id = ( \
                SELECT q.id FROM prices q WHERE q.route = p.route AND q.prefix = p.prefix \
                AND q.effective_from <= $1 ORDER BY q.effective_from DESC, q.id DESC LIMIT 1) \
             ORDER BY p.route, p.prefix";
        // Staff keep the list: a few rows per route, read on every send.
        let rows: Vec<CurrentPriceRow> = match db.native_reads() {
            Some(readers) => readers.fetch_all(SQL, &[&now])?,
            None => sqlx::query_as(SQL).bind(now).fetch_all(db.pool()).await?,
        };
        let mut entries = Vec::with_capacity(rows.len());
        for r in rows {
            let Ok(route) = r.route.parse::<Route>() else {
                tracing::error!(route = %r.route, "unknown route in the price list");
                continue;
            };
            entries.push(PriceEntry {
                route,
                prefix: r.prefix,
                unit_price: Money::from_minor(r.unit_price_minor),
            });
        }
        Ok(PriceList(entries))
    }

    /// A row of the price list as staff see it, scheduled ones included.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct PriceRow {
        pub id: i64,
        pub route: String,
        pub prefix: String,
        pub unit_price: Money,
        pub effective_from: i64,
    }

    pub async fn all_rows(db: &Db) -> Result<Vec<PriceRow>, sqlx::Error> {
        let rows: Vec<StoredPriceRow> = sqlx::query_as(
            "SELECT id, route, prefix, unit_price_minor, effective_from FROM prices \
             ORDER BY route, prefix, effective_from DESC, id DESC",
        )
        .fetch_all(db.pool())
        .await?;
        Ok(rows.into_iter().map(PriceRow::from).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> PriceList {
        PriceList(vec![
            PriceEntry {
                route: Route::International,
                prefix: String::new(),
                unit_price: Money::from_minor(6_800),
            },
            PriceEntry {
                route: Route::International,
                prefix: "853".into(),
                unit_price: Money::from_minor(4_800),
            },
            PriceEntry {
                route: Route::International,
                prefix: "8536".into(),
                unit_price: Money::from_minor(4_000),
            },
            PriceEntry {
                route: Route::HkBusiness,
                prefix: String::new(),
                unit_price: Money::from_minor(3_200),
            },
        ])
    }

    #[test]
    fn the_longest_matching_prefix_wins() {
        let l = list();
        assert_eq!(
            l.unit_price(Route::International, "85366123456"),
            Some(Money::from_minor(4_000))
        );
        assert_eq!(
            l.unit_price(Route::International, "85328123456"),
            Some(Money::from_minor(4_800))
        );
        assert_eq!(
            l.unit_price(Route::International, "447911123456"),
            Some(Money::from_minor(6_800))
        );
        assert_eq!(
            l.unit_price(Route::HkBusiness, "85291234567"),
            Some(Money::from_minor(3_200))
        );
        assert_eq!(l.unit_price(Route::China, "8613800138000"), None);
        assert_eq!(
            l.base_price(Route::International),
            Some(Money::from_minor(6_800))
        );
    }

    #[test]
    fn estimates_digits_like_the_server_normalises_common_forms() {
        assert_eq!(estimate_digits("9123 4567", 852), "85291234567");
        assert_eq!(estimate_digits("+853 6612 3456", 852), "85366123456");
        assert_eq!(estimate_digits("00853 6612 3456", 852), "85366123456");
        assert_eq!(estimate_digits("8613800138000", 852), "8613800138000");
    }
}
