//! SMSC connections managed by staff in the console (§12), beside the ones in `ferry.toml`:
//! added, edited, disabled and removed there, audited, and picked up by every dispatcher on the
//! database within seconds (it polls [`store::enabled`]).
//!
//! A connection's name is how its delivery receipts find their messages, so it is fixed once
//! the connection exists; everything else can change, and the dispatcher reconnects.

use serde::{Deserialize, Serialize};

/// A staff-managed connection as the console shows it: never its password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedSmsc {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub system_id: String,
    /// Route codes (`HK_BUSINESS`, …).
    pub routes: Vec<String>,
    pub priority: u32,
    pub window: u32,
    /// Submits per second; 0 for no limit.
    pub max_per_second: u32,
    pub msg_id_matching: String,
    pub enabled: bool,
    pub updated_at: i64,
}

/// A connection as staff typed it into the console's form: text until [`store::save`] parses
/// it and names every field that is wrong. A checked route box sends `on`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmscForm {
    /// Empty for a new connection.
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub system_id: String,
    /// Empty when editing: keep the stored one.
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub window: String,
    #[serde(default)]
    pub max_per_second: String,
    #[serde(default)]
    pub msg_id_matching: String,
    #[serde(default)]
    pub route_hk_business: String,
    #[serde(default)]
    pub route_hk_economic: String,
    #[serde(default)]
    pub route_china: String,
    #[serde(default)]
    pub route_international: String,
}

impl SmscForm {
    /// The form's name for `route`'s check box.
    pub fn route_field(route: sms::Route) -> &'static str {
        match route {
            sms::Route::HkBusiness => "route_hk_business",
            sms::Route::HkEconomic => "route_hk_economic",
            sms::Route::China => "route_china",
            sms::Route::International => "route_international",
        }
    }

    #[cfg(feature = "storage")]
    fn route_checked(&self, route: sms::Route) -> bool {
        let value = match route {
            sms::Route::HkBusiness => &self.route_hk_business,
            sms::Route::HkEconomic => &self.route_hk_economic,
            sms::Route::China => &self.route_china,
            sms::Route::International => &self.route_international,
        };
        !value.is_empty()
    }
}

/// The name the built-in simulator's connection goes by; no managed connection may take it.
pub const SIMULATOR_NAME: &str = "simulator";

/// SMPP 3.4 §5.2.1: `system_id` is a C-string of at most 16 octets, `password` of 9, both
/// counting the terminating NUL.
#[cfg(feature = "storage")]
const MAX_SYSTEM_ID: usize = 15;
#[cfg(feature = "storage")]
const MAX_PASSWORD: usize = 8;

/// A connection's fields once every one has been checked.
#[cfg(feature = "storage")]
#[derive(Debug, Clone, PartialEq)]
struct Parsed {
    name: String,
    address: String,
    system_id: String,
    /// `None` when editing with the password box left empty.
    password: Option<String>,
    routes: Vec<sms::Route>,
    priority: u32,
    window: u32,
    max_per_second: u32,
    msg_id_matching: String,
}

/// Checks every field of `form` and reports every problem at once. `reserved` are the names
/// already used by `ferry.toml`'s connections.
#[cfg(feature = "storage")]
fn parse(
    form: &SmscForm,
    editing: bool,
    reserved: &[String],
) -> Result<Parsed, crate::error::Error> {
    let mut errors = crate::error::FieldErrors::default();
    let name = form.name.trim().to_string();
    if name.is_empty()
        || name.len() > 40
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        errors.add(
            "name",
            "Use 1 to 40 letters, digits, '-', '_' or '.' (e.g. csl-1).",
        );
    } else if !editing && (name == SIMULATOR_NAME || reserved.contains(&name)) {
        errors.add(
            "name",
            format!("{name:?} is already the name of a connection in ferry.toml or of the built-in simulator."),
        );
    }
    let address = form.address.trim().to_string();
    if !valid_address(&address) {
        errors.add(
            "address",
            "Enter the SMSC's host and port, e.g. smsc.operator.example:2775 or 10.0.0.5:2775.",
        );
    }
    let system_id = form.system_id.trim().to_string();
    if system_id.is_empty() || system_id.len() > MAX_SYSTEM_ID || !printable(&system_id) {
        errors.add(
            "system_id",
            format!("Enter the system ID the operator gave you: 1 to {MAX_SYSTEM_ID} characters."),
        );
    }
    let password = (!editing || !form.password.is_empty()).then(|| form.password.clone());
    if password
        .as_deref()
        .is_some_and(|p| p.len() > MAX_PASSWORD || !printable(p))
    {
        errors.add(
            "password",
            format!("SMPP passwords are at most {MAX_PASSWORD} characters, without spaces."),
        );
    }
    let routes: Vec<sms::Route> = sms::Route::ALL
        .into_iter()
        .filter(|r| form.route_checked(*r))
        .collect();
    if routes.is_empty() {
        errors.add("routes", "Choose at least one route for this connection.");
    }
    let mut number =
        |field: &str, text: &str, min: u32, max: u32, empty: Option<u32>, what: &str| {
            let text = text.trim();
            if let (true, Some(value)) = (text.is_empty(), empty) {
                return value;
            }
            match text.parse::<u32>() {
                Ok(n) if (min..=max).contains(&n) => n,
                _ => {
                    errors.add(
                        field,
                        format!("{what}: a whole number from {min} to {max}."),
                    );
                    0
                }
            }
        };
    let priority = number("priority", &form.priority, 0, 999, Some(1), "Priority");
    let window = number("window", &form.window, 1, 1000, Some(10), "Window");
    let max_per_second = number(
        "max_per_second",
        &form.max_per_second,
        0,
        100_000,
        Some(0),
        "Messages per second (0 or empty for no limit)",
    );
    let msg_id_matching = match form.msg_id_matching.parse::<smpp_names::Matching>() {
        Ok(m) => m.0,
        Err(()) => {
            errors.add(
                "msg_id_matching",
                "Choose how receipt ids match submit ids.",
            );
            String::new()
        }
    };
    errors.into_result()?;
    Ok(Parsed {
        name,
        address,
        system_id,
        password,
        routes,
        priority,
        window,
        max_per_second,
        msg_id_matching,
    })
}

/// The receipt-id matching names, without the SMPP crate (which the browser build lacks).
mod smpp_names {
    #[cfg(feature = "storage")]
    pub struct Matching(pub String);

    /// `smpp::MsgIdMatching`'s names; a test in `store` keeps the two lists equal.
    pub const NAMES: [&str; 5] = [
        "auto",
        "exact",
        "submit_hex_receipt_decimal",
        "submit_decimal_receipt_hex",
        "ignore_leading_zeros",
    ];

    #[cfg(feature = "storage")]
    impl std::str::FromStr for Matching {
        type Err = ();
        fn from_str(s: &str) -> Result<Self, ()> {
            let s = s.trim();
            let s = if s.is_empty() { "auto" } else { s };
            NAMES
                .contains(&s)
                .then(|| Matching(s.to_string()))
                .ok_or(())
        }
    }
}

pub use smpp_names::NAMES as MATCHING_NAMES;

#[cfg(feature = "storage")]
fn printable(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(feature = "storage")]
/// `host:port`, the host a name, an IPv4 address or a bracketed IPv6 address.
fn valid_address(address: &str) -> bool {
    let Some((host, port)) = address.rsplit_once(':') else {
        return false;
    };
    let port_ok = port.parse::<u16>().is_ok_and(|p| p > 0);
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        v6.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            })
    };
    port_ok && host_ok
}

#[cfg(feature = "storage")]
pub mod store {
    use super::*;
    use crate::db::{now_ms, Db};
    use crate::delivery::dispatcher::SmscConfig;
    use crate::error::Error;
    use serde_json::json;
    use sqlx::Row;

    const COLUMNS: &str = "id, name, address, system_id, routes, priority, window_size, \
                           max_per_second, msg_id_matching, enabled, updated_at";

    fn managed(row: &sqlx::any::AnyRow) -> Result<ManagedSmsc, sqlx::Error> {
        let routes: String = row.try_get("routes")?;
        let int = |col: &str| -> Result<u32, sqlx::Error> {
            Ok(u32::try_from(row.try_get::<i64, _>(col)?).unwrap_or(0))
        };
        Ok(ManagedSmsc {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            address: row.try_get("address")?,
            system_id: row.try_get("system_id")?,
            routes: routes
                .split(',')
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .collect(),
            priority: int("priority")?,
            window: int("window_size")?,
            max_per_second: int("max_per_second")?,
            msg_id_matching: row.try_get("msg_id_matching")?,
            enabled: row.try_get::<i64, _>("enabled")? != 0,
            updated_at: row.try_get("updated_at")?,
        })
    }

    /// Every managed connection, enabled or not, by name.
    pub async fn list(db: &Db) -> Result<Vec<ManagedSmsc>, Error> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM smsc_connections ORDER BY name"
        ))
        .fetch_all(db.pool())
        .await?;
        Ok(rows.iter().map(managed).collect::<Result<_, _>>()?)
    }

    async fn one(conn: &mut sqlx::AnyConnection, id: i64) -> Result<ManagedSmsc, Error> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM smsc_connections WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound)?;
        Ok(managed(&row)?)
    }

    /// What the audit log keeps of a connection: everything but the password.
    fn audited(c: &ManagedSmsc) -> serde_json::Value {
        json!({
            "name": c.name, "address": c.address, "system_id": c.system_id,
            "routes": c.routes, "priority": c.priority, "window": c.window,
            "max_per_second": c.max_per_second, "msg_id_matching": c.msg_id_matching,
            "enabled": c.enabled,
        })
    }

    /// Adds a connection (enabled at once) or edits one, audited; returns its id. `reserved`
    /// are the names of `ferry.toml`'s connections.
    pub async fn save(
        db: &Db,
        staff_id: i64,
        form: &SmscForm,
        reserved: &[String],
    ) -> Result<i64, Error> {
        let id = match form.id.trim() {
            "" => None,
            text => Some(text.parse::<i64>().map_err(|_| Error::NotFound)?),
        };
        let parsed = parse(form, id.is_some(), reserved)?;
        let routes = parsed
            .routes
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let now = now_ms();
        let mut tx = db.begin_write().await?;
        let saved = match id {
            None => {
                let taken: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM smsc_connections WHERE name = $1")
                        .bind(&parsed.name)
                        .fetch_optional(&mut *tx)
                        .await?;
                if taken.is_some() {
                    return Err(Error::field(
                        "name",
                        format!("A connection named {:?} already exists.", parsed.name),
                    ));
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO smsc_connections (name, address, system_id, password, routes, \
                     priority, window_size, max_per_second, msg_id_matching, enabled, created_at, \
                     updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10) RETURNING id",
                )
                .bind(&parsed.name)
                .bind(&parsed.address)
                .bind(&parsed.system_id)
                .bind(parsed.password.as_deref().unwrap_or(""))
                .bind(&routes)
                .bind(i64::from(parsed.priority))
                .bind(i64::from(parsed.window))
                .bind(i64::from(parsed.max_per_second))
                .bind(&parsed.msg_id_matching)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let after = one(&mut tx, id).await?;
                crate::audit::record(
                    &mut tx,
                    staff_id,
                    "smsc.add",
                    None,
                    json!({}),
                    audited(&after),
                )
                .await?;
                id
            }
            Some(id) => {
                let before = one(&mut tx, id).await?;
                if before.name != parsed.name {
                    return Err(Error::field(
                        "name",
                        "A connection's name cannot change: its delivery receipts find their messages by it.",
                    ));
                }
                sqlx::query(
                    "UPDATE smsc_connections SET address = $1, system_id = $2, \
                     password = COALESCE($3, password), routes = $4, priority = $5, \
                     window_size = $6, max_per_second = $7, msg_id_matching = $8, updated_at = $9 \
                     WHERE id = $10",
                )
                .bind(&parsed.address)
                .bind(&parsed.system_id)
                .bind(parsed.password.as_deref())
                .bind(&routes)
                .bind(i64::from(parsed.priority))
                .bind(i64::from(parsed.window))
                .bind(i64::from(parsed.max_per_second))
                .bind(&parsed.msg_id_matching)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                let mut after = audited(&one(&mut tx, id).await?);
                after["password_changed"] = json!(parsed.password.is_some());
                crate::audit::record(
                    &mut tx,
                    staff_id,
                    "smsc.edit",
                    None,
                    audited(&before),
                    after,
                )
                .await?;
                id
            }
        };
        tx.commit().await?;
        Ok(saved)
    }

    /// Turns a connection on or off, audited. Off: every dispatcher lets its submits in flight
    /// finish, then unbinds; its messages go to the route's other connections.
    pub async fn set_enabled(db: &Db, staff_id: i64, id: i64, enabled: bool) -> Result<(), Error> {
        let mut tx = db.begin_write().await?;
        let before = one(&mut tx, id).await?;
        if before.enabled == enabled {
            return Ok(());
        }
        sqlx::query("UPDATE smsc_connections SET enabled = $1, updated_at = $2 WHERE id = $3")
            .bind(i64::from(enabled))
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let after = one(&mut tx, id).await?;
        let action = if enabled {
            "smsc.enable"
        } else {
            "smsc.disable"
        };
        crate::audit::record(
            &mut tx,
            staff_id,
            action,
            None,
            audited(&before),
            audited(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a disabled connection, audited. An enabled one must be disabled first, so no
    /// message is on its way through it.
    pub async fn remove(db: &Db, staff_id: i64, id: i64) -> Result<(), Error> {
        let mut tx = db.begin_write().await?;
        let before = one(&mut tx, id).await?;
        if before.enabled {
            return Err(Error::Conflict(format!(
                "Disable {} before removing it.",
                before.name
            )));
        }
        sqlx::query("DELETE FROM smsc_connections WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        crate::audit::record(
            &mut tx,
            staff_id,
            "smsc.remove",
            None,
            audited(&before),
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The enabled connections as the dispatcher runs them.
    pub async fn enabled(db: &Db) -> Result<Vec<SmscConfig>, Error> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS}, password FROM smsc_connections WHERE enabled = 1 ORDER BY name"
        ))
        .fetch_all(db.pool())
        .await?;
        let mut configs = Vec::with_capacity(rows.len());
        for row in &rows {
            let m = managed(row)?;
            let msg_id_matching = m.msg_id_matching.parse().unwrap_or_else(|_| {
                tracing::warn!(smsc = %m.name, matching = %m.msg_id_matching, "unknown msg_id_matching; using auto");
                smpp::MsgIdMatching::Auto
            });
            configs.push(SmscConfig {
                password: row.try_get("password")?,
                // Stored rows were parsed on the way in; anything odd is skipped, not guessed.
                routes: m.routes.iter().filter_map(|r| r.parse().ok()).collect(),
                priority: m.priority,
                window: m.window.max(1) as usize,
                max_per_second: (m.max_per_second > 0).then_some(f64::from(m.max_per_second)),
                msg_id_matching,
                name: m.name,
                address: m.address,
                system_id: m.system_id,
            });
        }
        Ok(configs)
    }
}

#[cfg(all(test, feature = "storage"))]
mod tests;
