//! The API's OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes
//! and the answer types' schemas, served at `/api/v1/openapi.json` without a key (clients and
//! code generators fetch it before they have one).

use super::{messages, replies, send};
use axum::response::{IntoResponse, Response};
use http::header;
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ferry API",
        version = "1",
        description = "Send SMS from your own system and read their statuses. Authenticate with an API key from the Account page: `Authorization: Bearer <key>`. Amounts are integers in minor units (1/10,000 HKD). Every error answers `{\"error\": {\"code\", \"message\", \"field\", \"row\", \"errors\", \"error_code\"}}`. A send with `callback_url` (or the account's default) gets each message's final status POSTed as a `StatusEvent`, signed: `Ferry-Signature: v1=<hex HMAC-SHA256 of \"<Ferry-Timestamp>.<body>\">` keyed with the account's callback secret."
    ),
    paths(
        send::send,
        send::send_batch,
        messages::message,
        messages::batch,
        messages::delete_batch,
        messages::balance,
        replies::replies,
        replies::reply,
    ),
    components(schemas(super::resources::StatusEvent, super::resources::ReplyEvent)),
    modifiers(&ApiKeyAuth),
    security(("api_key" = [])),
    tags(
        (name = "Sending", description = "Send a text to numbers; delete a scheduled batch."),
        (name = "Status", description = "Where each message stands (§8 statuses and error codes)."),
        (name = "Replies", description = "SMS that handsets sent to the account's inbound numbers (two-way)."),
        (name = "Account", description = "The balance."),
    )
)]
pub struct ApiDoc;

struct ApiKeyAuth;

impl Modify for ApiKeyAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key from the Account page."))
                    .build(),
            ),
        );
    }
}

/// The document as JSON, built once.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    })
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_every_endpoint_and_the_error_shape() {
        let doc: serde_json::Value = serde_json::from_str(document()).expect("JSON");
        assert_eq!(doc["openapi"], "3.1.0");
        for (path, method) in [
            ("/api/v1/messages", "post"),
            ("/api/v1/batches", "post"),
            ("/api/v1/messages/{id}", "get"),
            ("/api/v1/batches/{id}", "get"),
            ("/api/v1/batches/{id}", "delete"),
            ("/api/v1/balance", "get"),
            ("/api/v1/replies", "get"),
            ("/api/v1/replies/{id}", "get"),
        ] {
            let op = &doc["paths"][path][method];
            assert!(op.is_object(), "{method} {path} missing");
            assert!(op["responses"]["401"].is_object(), "{method} {path}: 401");
        }
        let schemas = &doc["components"]["schemas"];
        for name in [
            "SendRequest",
            "Message",
            "Batch",
            "Balance",
            "ErrorResponse",
            "StatusEvent",
            "Reply",
            "ReplyPage",
            "ReplyEvent",
        ] {
            assert!(schemas[name].is_object(), "schema {name}");
        }
        assert_eq!(
            doc["components"]["securitySchemes"]["api_key"]["scheme"],
            "bearer"
        );
    }
}
