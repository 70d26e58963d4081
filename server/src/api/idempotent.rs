//! Idempotency keys on the API's writes (§11): a request sent again with the same
//! `Idempotency-Key` gets the first answer instead of being carried out twice. The storage is
//! `engine::idempotency`.

use super::{ApiError, ApiState, Caller};
use axum::body::Bytes;
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::idempotency::{self, Claim};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{json, Value};
use std::ops::AsyncFnOnce;
use std::time::Duration;

/// How long a request waits for an identical one (same idempotency key) to be answered.
const WAIT_FOR_TWIN: Duration = Duration::from_secs(30);

/// Runs `work` at most once per idempotency key (when the request has one): a repeat gets the
/// first answer, a concurrent twin waits for it, a reuse for another request is refused.
/// Answers worth retrying (5xx, 429) are not kept. `work` gets the claim's reference to store
/// with the batch it makes, so a retry after a crash finds that batch instead of sending again.
#[allow(clippy::too_many_arguments)]
pub async fn idempotent(
    state: &ApiState,
    caller: &Caller,
    headers: &HeaderMap,
    method: &Method,
    endpoint: &str,
    body: &Bytes,
    work: impl AsyncFnOnce(Option<&str>) -> Result<(StatusCode, Value), ApiError>,
) -> Response {
    let respond = |result: Result<(StatusCode, Value), ApiError>| match result {
        Ok((status, value)) => (status, Json(value)).into_response(),
        Err(e) => e.into_response(),
    };
    let Some(key) = headers.get("idempotency-key") else {
        return respond(work(None).await);
    };
    let key = match key.to_str().map(str::trim) {
        Ok(k) if !k.is_empty() && k.len() <= idempotency::MAX_KEY_LEN => k.to_string(),
        _ => {
            return ApiError::field(
                "Idempotency-Key",
                format!(
                    "An idempotency key is 1 to {} visible ASCII characters, e.g. a UUID.",
                    idempotency::MAX_KEY_LEN
                ),
            )
            .into_response()
        }
    };
    let request_hash = {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(method.as_str());
        h.update(b" ");
        h.update(endpoint);
        h.update(b"\n");
        h.update(body);
        hex::encode(h.finalize())
    };
    let db = &state.server.db;
    let reference = idempotency::batch_ref(caller.key_id, &key);
    let started = std::time::Instant::now();
    let mut already_sent = None;
    loop {
        match idempotency::claim(db, caller.key_id, &key, &request_hash).await {
            Err(e) => return ApiError::from(e).into_response(),
            Ok(Claim::New) => break,
            Ok(Claim::Abandoned { claimed_at }) => {
                match idempotency::batch_sent_under(db, caller.account_id, &reference, claimed_at)
                    .await
                {
                    Ok(batch) => already_sent = batch,
                    Err(e) => return ApiError::from(e).into_response(),
                }
                break;
            }
            Ok(Claim::Answered { status, body }) => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                let mut response = (
                    status,
                    [(http::header::CONTENT_TYPE, "application/json")],
                    body,
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
                return response;
            }
            Ok(Claim::Mismatch) => {
                return ApiError {
                    field: Some("Idempotency-Key".into()),
                    ..ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "idempotency_key_reused",
                        "This idempotency key was used for a different request in the last 24 hours; use a new key for a new request.",
                    )
                }
                .into_response()
            }
            Ok(Claim::InProgress) if started.elapsed() < WAIT_FOR_TWIN => {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            Ok(Claim::InProgress) => {
                return ApiError::new(
                    StatusCode::CONFLICT,
                    "request_in_progress",
                    "A request with this idempotency key is still being answered; try again shortly.",
                )
                .into_response()
            }
        }
    }
    let result = match already_sent {
        // The first request stored its batch, then died before its answer was kept.
        Some(batch_id) => Err(ApiError {
            batch_id: std::num::NonZeroI64::new(batch_id),
            ..ApiError::new(
                StatusCode::CONFLICT,
                "request_carried_out",
                format!("This request was carried out before (batch {batch_id}), but its answer was lost when Ferry restarted; nothing was sent again. Read the batch with GET /api/v1/batches/{batch_id}."),
            )
        }),
        None => work(Some(&reference)).await,
    };
    let (status, value) = match &result {
        Ok((status, value)) => (*status, value.clone()),
        Err(e) => (e.status, json!({ "error": e })),
    };
    let keep = !(status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS);
    let stored = if keep {
        idempotency::finish(db, caller.key_id, &key, status.as_u16(), &value.to_string()).await
    } else {
        idempotency::release(db, caller.key_id, &key).await
    };
    if let Err(e) = stored {
        // The work is done; its answer could not be kept. Say so rather than risk a resend
        // being carried out again without the caller knowing the first one succeeded.
        tracing::error!(error = %e, "could not store an idempotent answer");
    }
    respond(result)
}
