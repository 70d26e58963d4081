//! Reading over the API: a message's status, a batch with a page of its messages, the balance,
//! and deleting a batch scheduled far enough ahead. Every read is scoped to the caller's
//! account: another account's id is simply not found.

use super::error::{ErrorResponse, KeyRefused, NotFound};
use super::resources::{Balance, Batch, BatchDeleted, Message};
use super::{ApiError, ApiState, Caller};
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use engine::delivery::store::{self as delivery, DeleteOutcome};
use engine::delivery::MessageFilter;
use http::StatusCode;
use serde::Deserialize;

/// An id from the path (or a SOAP field); anything but a positive number names nothing.
pub(crate) fn path_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::from(engine::Error::NotFound))
}

/// `GET /api/v1/messages/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/messages/{id}",
    tag = "Status",
    summary = "A message's status",
    params(("id" = i64, Path, minimum = 1, description = "The message id from the send's answer.")),
    responses(
        (status = 200, description = "The message.", body = Message),
        NotFound,
        KeyRefused,
    )
)]
pub async fn message(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Message>, ApiError> {
    read_message(&state, &caller, path_id(&id)?).await.map(Json)
}

/// One of the caller's messages.
pub(crate) async fn read_message(
    state: &ApiState,
    caller: &Caller,
    id: i64,
) -> Result<Message, ApiError> {
    let (batch_id, m) = delivery::message(&state.server.db, caller.account_id, id)
        .await?
        .ok_or(engine::Error::NotFound)?;
    Ok(Message::new(batch_id, &m))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The page of messages, from 1 (100 per page).
    #[serde(default)]
    #[param(value_type = Option<i64>, minimum = 1)]
    page: Option<String>,
}

/// `GET /api/v1/batches/{id}?page=N`: the batch, its counts by status, and a page of its
/// messages (100 per page).
#[utoipa::path(
    get,
    path = "/api/v1/batches/{id}",
    tag = "Status",
    summary = "A batch, its counts by status and a page of its messages",
    params(("id" = i64, Path, minimum = 1, description = "The batch id from the send's answer."), PageQuery),
    responses(
        (status = 200, description = "The batch.", body = Batch),
        NotFound,
        (status = 422, description = "`page` is not a whole number from 1, or an unknown parameter was sent.", body = ErrorResponse),
        KeyRefused,
    )
)]
pub async fn batch(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Batch>, ApiError> {
    let id = path_id(&id)?;
    let Query(query) = query.map_err(|e| ApiError::field("page", e.body_text()))?;
    let page = match query.page.as_deref() {
        None => 1,
        Some(p) => p
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| ApiError::field("page", "The page is a whole number from 1."))?,
    };
    read_batch(&state, &caller, id, page).await.map(Json)
}

/// One of the caller's batches with a page of its messages.
pub(crate) async fn read_batch(
    state: &ApiState,
    caller: &Caller,
    id: i64,
    page: i64,
) -> Result<Batch, ApiError> {
    let detail = delivery::detail(
        &state.server.db,
        caller.account_id,
        id,
        &MessageFilter::default(),
        page,
    )
    .await?
    .ok_or(engine::Error::NotFound)?;
    Ok(Batch::new(&detail))
}

/// `DELETE /api/v1/batches/{id}`: only a batch scheduled more than an hour ahead (§7).
#[utoipa::path(
    delete,
    path = "/api/v1/batches/{id}",
    tag = "Sending",
    summary = "Delete a scheduled batch",
    description = "Only a batch scheduled more than 1 hour ahead can be deleted; nothing of it is sent or charged.",
    params(("id" = i64, Path, minimum = 1, description = "The batch id.")),
    responses(
        (status = 200, description = "Deleted.", body = BatchDeleted),
        NotFound,
        (status = 409, description = "Too late: sending, sent, or due within the hour.", body = ErrorResponse),
        KeyRefused,
    )
)]
pub async fn delete_batch(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<BatchDeleted>, ApiError> {
    let id = path_id(&id)?;
    match delivery::delete_batch(&state.server.db, caller.account_id, id).await? {
        DeleteOutcome::Deleted => Ok(Json(BatchDeleted { id, deleted: true })),
        DeleteOutcome::NotFound => Err(engine::Error::NotFound.into()),
        DeleteOutcome::TooLate => Err(ApiError::new(
            StatusCode::CONFLICT,
            "too_late_to_delete",
            "Only a batch scheduled more than 1 hour ahead can be deleted; this one is sending, sent, or about to be.",
        )),
    }
}

/// `GET /api/v1/balance`.
#[utoipa::path(
    get,
    path = "/api/v1/balance",
    tag = "Account",
    summary = "The account's balance",
    responses(
        (status = 200, description = "Balance, held and available, in minor units.", body = Balance),
        KeyRefused,
    )
)]
pub async fn balance(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Balance>, ApiError> {
    read_balance(&state, &caller).await.map(Json)
}

/// The caller's balance.
pub(crate) async fn read_balance(state: &ApiState, caller: &Caller) -> Result<Balance, ApiError> {
    let (balance, held) =
        engine::ledger::store::balance_and_held(&state.server.db, caller.account_id)
            .await?
            .ok_or(engine::Error::NotFound)?;
    Ok(Balance {
        balance_minor: balance.minor(),
        held_minor: held.minor(),
        available_minor: balance.minor() - held.minor(),
        currency: super::resources::Currency::Hkd,
    })
}
