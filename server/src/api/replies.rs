//! Replies over the API (two-way SMS, §10): the account's replies, newest first, searchable
//! by number and period, and one reply by id. Scoped to the caller's account like every read:
//! another account's reply is simply not found.

use super::error::{ErrorResponse, KeyRefused, NotFound};
use super::messages::path_id;
use super::resources::{Reply, ReplyPage};
use super::{ApiError, ApiState, Caller};
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use engine::two_way::store::{self as two_way, ReplyFilter};
use serde::Deserialize;

/// Replies per page unless `limit` says.
const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 100;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RepliesQuery {
    /// Only replies from this number (any format a send accepts, e.g. `91234567`).
    #[serde(default)]
    from: Option<String>,
    /// Received at or after this time (RFC 3339, e.g. `2026-12-01T00:00:00+08:00`).
    #[serde(default)]
    since: Option<String>,
    /// Received before this time (RFC 3339).
    #[serde(default)]
    until: Option<String>,
    /// Older than this reply id: `next_before` of the previous page.
    #[serde(default)]
    #[param(value_type = Option<i64>, minimum = 1)]
    before: Option<String>,
    /// Replies per page, 1 to 100 (default 50).
    #[serde(default)]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
}

fn time_ms(field: &str, raw: &str) -> Result<i64, ApiError> {
    time::OffsetDateTime::parse(raw.trim(), &time::format_description::well_known::Rfc3339)
        .map(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))
        .map_err(|_| {
            ApiError::field(
                field,
                "Write the time as RFC 3339, e.g. 2026-12-01T09:00:00+08:00.",
            )
        })
}

fn whole_number(
    field: &str,
    raw: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ApiError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            ApiError::field(
                field,
                format!(
                    "{field} is a whole number from {} to {}.",
                    range.start(),
                    range.end()
                ),
            )
        })
}

/// `GET /api/v1/replies`.
#[utoipa::path(
    get,
    path = "/api/v1/replies",
    tag = "Replies",
    summary = "The account's replies, newest first",
    description = "Replies to the account's inbound numbers (staff assign them). Page with `before` = the previous page's `next_before`. Each reply is also POSTed to the account's 2-way callback URL as a `ReplyEvent`, signed like status callbacks.",
    params(RepliesQuery),
    responses(
        (status = 200, description = "A page of replies.", body = ReplyPage),
        (status = 422, description = "A parameter is not what it should be (the error names it), or an unknown parameter was sent.", body = ErrorResponse),
        KeyRefused,
    )
)]
pub async fn replies(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    query: Result<Query<RepliesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ReplyPage>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::field("query", e.body_text()))?;
    let limit = match query.limit.as_deref() {
        Some(raw) => whole_number("limit", raw, 1..=MAX_LIMIT)?,
        None => DEFAULT_LIMIT,
    };
    let filter = ReplyFilter {
        sender: query.from.filter(|f| !f.trim().is_empty()),
        from_ms: query
            .since
            .as_deref()
            .map(|s| time_ms("since", s))
            .transpose()?,
        until_ms: query
            .until
            .as_deref()
            .map(|s| time_ms("until", s))
            .transpose()?,
        before_id: query
            .before
            .as_deref()
            .map(|b| whole_number("before", b, 1..=i64::MAX))
            .transpose()?,
        limit: limit + 1,
    };
    let mut rows = two_way::replies(&state.server.db, caller.account_id, &filter).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(Json(ReplyPage {
        next_before: if more {
            rows.last().map(|r| r.id)
        } else {
            None
        },
        data: rows.iter().map(Reply::from).collect(),
    }))
}

/// `GET /api/v1/replies/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/replies/{id}",
    tag = "Replies",
    summary = "One reply",
    params(("id" = i64, Path, minimum = 1, description = "The reply id (from the list or its callback).")),
    responses(
        (status = 200, description = "The reply.", body = Reply),
        NotFound,
        KeyRefused,
    )
)]
pub async fn reply(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Reply>, ApiError> {
    let reply = two_way::reply(&state.server.db, caller.account_id, path_id(&id)?).await?;
    Ok(Json(Reply::from(&reply)))
}
