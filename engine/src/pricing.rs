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

    #[derive(Debug, sqlx::FromRow)]
    struct StoredPriceRow {
        id: i64,
        route: String,
        prefix: String,
        unit_price_minor: i64,
        effective_from: i64,
    }

    impl crate::reader::NativeRow for StoredPriceRow {
        fn from_native(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
            Ok(StoredPriceRow {
                id: row.get(0)?,
                route: row.get(1)?,
                prefix: row.get(2)?,
                unit_price_minor: row.get(3)?,
                effective_from: row.get(4)?,
            })
        }
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

    /// Every row of the price list, newest-effective first within each route and prefix (a
    /// tie: the later row first): the order [`in_effect`] reads them in.
    const ALL_ROWS: &str =
        "SELECT id, route, prefix, unit_price_minor, effective_from FROM prices \
         ORDER BY route, prefix, effective_from DESC, id DESC";

    /// The prices in effect at `now`: for each (route, prefix) the latest row already in effect.
    ///
    /// Every send reads the list, and it changes a few times a year: the rows are kept in
    /// memory (per [`Db`], shared by its clones) and read again only when the table's
    /// [`PriceStamp`] has moved. Staff only ever add rows (a new price, or one effective
    /// later), so a row count and the highest id tell any change apart, including a row
    /// added by another process on the same PostgreSQL database, and a row with a lower id
    /// that commits after a higher one. A price scheduled for later takes effect by itself:
    /// what is in effect is worked out at `now` from the rows, by the staff page's own rule.
    pub async fn current(db: &Db, now: i64) -> Result<PriceList, sqlx::Error> {
        const STAMP: &str =
            "SELECT COUNT(*) AS row_count, COALESCE(MAX(id), 0) AS last_id FROM prices";
        let stamp: PriceStamp = match db.native_reads() {
            Some(readers) => readers.fetch_optional(STAMP, &[])?,
            None => sqlx::query_as(STAMP).fetch_optional(db.pool()).await?,
        }
        .unwrap_or_default();
        let cache = db.price_cache();
        let rows = match cache.rows_at(stamp) {
            Some(rows) => rows,
            None => {
                // Read in the same read transaction as the stamp when the caller holds one (a
                // send's check does), so the rows are the ones the stamp describes.
                let rows = match db.native_reads() {
                    Some(readers) => readers
                        .fetch_all::<StoredPriceRow>(ALL_ROWS, &[])?
                        .into_iter()
                        .map(PriceRow::from)
                        .collect(),
                    None => all_rows(db).await?,
                };
                let rows = std::sync::Arc::new(rows);
                cache.keep(stamp, std::sync::Arc::clone(&rows));
                rows
            }
        };
        let mut entries = Vec::new();
        for (r, _) in rows
            .iter()
            .zip(in_effect(&rows, now))
            .filter(|(_, current)| *current)
        {
            let Ok(route) = r.route.parse::<Route>() else {
                tracing::error!(route = %r.route, "unknown route in the price list");
                continue;
            };
            entries.push(PriceEntry {
                route,
                prefix: r.prefix.clone(),
                unit_price: r.unit_price,
            });
        }
        Ok(PriceList(entries))
    }

    /// What tells one state of the `prices` table from another: its row count and highest
    /// id (the table only grows).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow)]
    pub struct PriceStamp {
        row_count: i64,
        last_id: i64,
    }

    impl crate::reader::NativeRow for PriceStamp {
        fn from_native(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
            Ok(PriceStamp {
                row_count: row.get(0)?,
                last_id: row.get(1)?,
            })
        }
    }

    /// The `prices` rows as last read, with their stamp.
    #[derive(Debug, Default)]
    pub struct PriceCache(std::sync::Mutex<Option<(PriceStamp, std::sync::Arc<Vec<PriceRow>>)>>);

    impl PriceCache {
        fn rows_at(&self, stamp: PriceStamp) -> Option<std::sync::Arc<Vec<PriceRow>>> {
            let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
            kept.as_ref()
                .filter(|(at, _)| *at == stamp)
                .map(|(_, rows)| std::sync::Arc::clone(rows))
        }

        fn keep(&self, stamp: PriceStamp, rows: std::sync::Arc<Vec<PriceRow>>) {
            *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((stamp, rows));
        }
    }

    /// Whether each of `rows` (in [`all_rows`]' order) is in effect at `now`: the first row of
    /// its route and prefix that has started.
    pub fn in_effect(rows: &[PriceRow], now: i64) -> Vec<bool> {
        let mut seen = std::collections::HashSet::new();
        rows.iter()
            .map(|r| r.effective_from <= now && seen.insert((r.route.as_str(), r.prefix.as_str())))
            .collect()
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

    /// Every row, newest-effective first within each route and prefix.
    pub async fn all_rows(db: &Db) -> Result<Vec<PriceRow>, sqlx::Error> {
        let rows: Vec<StoredPriceRow> = sqlx::query_as(ALL_ROWS).fetch_all(db.pool()).await?;
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

#[cfg(all(test, feature = "storage"))]
mod store_tests {
    use super::store::current;
    use super::*;
    use crate::db::testing::all_backends;
    use crate::db::{now_ms, Db};

    /// What the list was read with before it was kept in memory: the rows in effect, by SQL.
    async fn by_query(db: &Db, now: i64) -> PriceList {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT p.route, p.prefix, p.unit_price_minor FROM prices p \
             WHERE p.effective_from <= $1 AND p.id = ( \
                SELECT q.id FROM prices q WHERE q.route = p.route AND q.prefix = p.prefix \
                AND q.effective_from <= $1 ORDER BY q.effective_from DESC, q.id DESC LIMIT 1) \
             ORDER BY p.route, p.prefix",
        )
        .bind(now)
        .fetch_all(db.pool())
        .await
        .expect("prices by query");
        PriceList(
            rows.into_iter()
                .map(|(route, prefix, minor)| PriceEntry {
                    route: route.parse().expect("route"),
                    prefix,
                    unit_price: Money::from_minor(minor),
                })
                .collect(),
        )
    }

    /// A row added behind the handle's back, as staff in another process would.
    async fn add(db: &Db, id: Option<i64>, route: &str, prefix: &str, minor: i64, from: i64) {
        let q = match id {
            Some(_) => "INSERT INTO prices (id, route, prefix, unit_price_minor, effective_from, created_at) VALUES ($1, $2, $3, $4, $5, $5)",
            None => "INSERT INTO prices (route, prefix, unit_price_minor, effective_from, created_at) VALUES ($2, $3, $4, $5, $5)",
        };
        sqlx::query(q)
            .bind(id.unwrap_or(0))
            .bind(route)
            .bind(prefix)
            .bind(minor)
            .bind(from)
            .execute(db.pool())
            .await
            .expect("add a price");
    }

    #[tokio::test]
    async fn the_kept_list_follows_every_change_to_the_table_and_the_clock() {
        for t in all_backends().await {
            let db = &t.db;
            let now = now_ms();
            let hour = 3_600_000;
            let check = |at: i64| async move {
                let kept = current(db, at).await.expect("current");
                assert_eq!(kept, by_query(db, at).await, "at {at}");
                kept
            };
            let seeded = check(now).await;
            assert!(seeded.base_price(Route::HkBusiness).is_some());
            // Read twice from memory: the same list.
            assert_eq!(check(now).await, seeded);

            // A new price in effect now replaces the route's general one.
            add(db, None, "HK_BUSINESS", "", 4_100, now - 1).await;
            let changed = check(now).await;
            assert_eq!(
                changed.base_price(Route::HkBusiness),
                Some(Money::from_minor(4_100))
            );

            // One scheduled for later changes nothing until its time, then takes effect
            // without any further change to the table.
            add(db, None, "HK_BUSINESS", "", 4_300, now + hour).await;
            assert_eq!(check(now).await, changed);
            assert_eq!(
                check(now + 2 * hour).await.base_price(Route::HkBusiness),
                Some(Money::from_minor(4_300))
            );

            // A row whose id is below the highest (on PostgreSQL, one that committed after
            // a later one): the count tells it apart.
            add(db, Some(0), "INTERNATIONAL", "853", 2_900, now - 1).await;
            let macau = check(now).await;
            assert_eq!(
                macau.unit_price(Route::International, "85366123456"),
                Some(Money::from_minor(2_900))
            );

            // Two entries for one (route, prefix) at the same moment: the higher id wins.
            add(db, None, "CHINA", "", 5_000, now - 10).await;
            add(db, None, "CHINA", "", 5_100, now - 10).await;
            assert_eq!(
                check(now).await.base_price(Route::China),
                Some(Money::from_minor(5_100))
            );

            // The staff page marks the same rows as in effect.
            let marked: Vec<PriceEntry> = crate::staff::prices::store::rows(db)
                .await
                .expect("staff rows")
                .into_iter()
                .filter(|r| r.current)
                .map(|r| PriceEntry {
                    route: r.route.parse().expect("route"),
                    prefix: r.prefix,
                    unit_price: r.unit_price,
                })
                .collect();
            assert_eq!(PriceList(marked), check(now_ms()).await, "{}", t.name);
        }
    }
}
