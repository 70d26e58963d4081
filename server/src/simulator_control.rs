//! The built-in simulator's control endpoint (`[simulator] control_listen`, off by default; keep
//! it on loopback): makes the simulated SMSC send a reply (an MO message) to Ferry as a handset
//! would, so a fresh install shows two-way SMS end to end.
//!
//! ```text
//! POST /replies  {"from": "85291234567", "to": "85260001111", "text": "YES"}
//! 202 {"parts": 1}     409 when no ESME is bound     422 for a bad field
//! ```
//!
//! Long texts are sent as concatenated parts, GSM-7 when the text fits it and UCS-2 otherwise.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use smpp::{MoRequest, SimulatorHandle};
use std::net::SocketAddr;

/// Longest text a simulated reply may have (a handset sends at most a few parts).
const MAX_TEXT_CHARS: usize = 1_000;
/// SMPP 3.4 addresses are at most 20 characters.
const MAX_ADDRESS_CHARS: usize = 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyRequest {
    from: String,
    to: String,
    text: String,
}

fn refuse(status: StatusCode, field: &str, message: &str) -> (StatusCode, Json<Value>) {
    (
        status,
        Json(json!({ "error": { "field": field, "message": message } })),
    )
}

async fn send_reply(
    State(simulator): State<SimulatorHandle>,
    Json(request): Json<ReplyRequest>,
) -> (StatusCode, Json<Value>) {
    for (field, value) in [("from", &request.from), ("to", &request.to)] {
        let value = value.trim();
        if value.is_empty() || value.chars().count() > MAX_ADDRESS_CHARS {
            return refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                field,
                "an address of 1 to 20 characters",
            );
        }
    }
    if request.text.is_empty() || request.text.chars().count() > MAX_TEXT_CHARS {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "text",
            "a text of 1 to 1,000 characters",
        );
    }
    let mo = MoRequest {
        from: request.from.trim().to_string(),
        to: request.to.trim().to_string(),
        text: request.text,
        system_id: None,
    };
    match simulator.inject_mo(mo) {
        Ok(parts) => (StatusCode::ACCEPTED, Json(json!({ "parts": parts }))),
        Err(smpp::SimulatorError::NotBound) => refuse(
            StatusCode::CONFLICT,
            "",
            "no ESME is bound to the simulator yet; try again in a moment",
        ),
        Err(e) => refuse(StatusCode::UNPROCESSABLE_ENTITY, "text", &e.to_string()),
    }
}

pub fn router(simulator: SimulatorHandle) -> Router {
    Router::new()
        .route("/replies", post(send_reply))
        .layer(DefaultBodyLimit::max(16 * 1024))
        .with_state(simulator)
}

/// Serves the control endpoint on `addr` until the process ends; returns where it listens.
pub async fn start(
    addr: SocketAddr,
    simulator: SimulatorHandle,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router(simulator)).await {
            tracing::warn!(error = %e, "simulator control endpoint stopped");
        }
    });
    Ok((addr, task))
}
