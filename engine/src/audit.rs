//! The audit log (§13): every staff action with who, what, when, and the state before and
//! after. Entries are only ever inserted, in the same transaction as the action they record.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub staff_login: String,
    pub action: String,
    pub target_login: Option<String>,
    pub before: String,
    pub after: String,
    pub at: i64,
}

#[cfg(feature = "storage")]
pub async fn record(
    conn: &mut sqlx::AnyConnection,
    staff_id: i64,
    action: &str,
    target_account_id: Option<i64>,
    before: serde_json::Value,
    after: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (staff_id, action, target_account_id, before_state, after_state, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(staff_id)
    .bind(action)
    .bind(target_account_id)
    .bind(before.to_string())
    .bind(after.to_string())
    .bind(crate::db::now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(feature = "storage")]
#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    staff_login: String,
    action: String,
    target_login: Option<String>,
    before_state: String,
    after_state: String,
    at: i64,
}

#[cfg(feature = "storage")]
impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: r.id,
            staff_login: r.staff_login,
            action: r.action,
            target_login: r.target_login,
            before: r.before_state,
            after: r.after_state,
            at: r.at,
        }
    }
}

#[cfg(feature = "storage")]
pub async fn recent(db: &crate::db::Db, limit: i64) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT l.id AS id, s.login_name AS staff_login, l.action AS action, \
                t.login_name AS target_login, l.before_state AS before_state, \
                l.after_state AS after_state, l.at AS at \
         FROM audit_log l JOIN accounts s ON s.id = l.staff_id LEFT JOIN accounts t ON t.id = l.target_account_id \
         ORDER BY l.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(AuditEntry::from).collect())
}
