//! `POST /language`: the navigation's language switch. Remembers the choice in a cookie and,
//! for a signed-in person, on their login, then goes back to the page it was made on.

use super::{Lang, COOKIE};
use crate::auth::context::{RequestContext, ServerState};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use http::{header, StatusCode};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Switch {
    lang: String,
    #[serde(default)]
    next: String,
}

pub async fn switch_language(
    State(state): State<ServerState>,
    Extension(ctx): Extension<RequestContext>,
    Form(form): Form<Switch>,
) -> Response {
    let Some(lang) = Lang::from_tag(&form.lang) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            "lang: choose en or zh-Hant.",
        )
            .into_response();
    };
    if let Some(viewer) = &ctx.viewer {
        if let Err(e) =
            engine::auth::accounts::set_language(&state.db, viewer.account_id, lang.tag()).await
        {
            // The cookie still carries the choice on this browser.
            tracing::error!(error = %e, "remembering the language");
        }
    }
    let cookie = format!(
        "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{}",
        lang.tag(),
        crate::auth::context::secure_attribute(&state.auth)
    );
    (
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, cookie),
            (header::LOCATION, local_path(&form.next).to_string()),
        ],
    )
        .into_response()
}

/// `next` when it is a path on this site, else the start page: the switch never sends anyone
/// elsewhere (`//host` and `/\host` are other sites to a browser).
fn local_path(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control());
    if local {
        next
    } else {
        "/"
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn goes_back_only_to_this_site() {
        assert_eq!(super::local_path("/results?page=2"), "/results?page=2");
        assert_eq!(super::local_path("//evil.example"), "/");
        assert_eq!(super::local_path("/\\evil.example"), "/");
        assert_eq!(super::local_path("https://evil.example"), "/");
        assert_eq!(super::local_path("/a\r\nSet-Cookie: x"), "/");
        assert_eq!(super::local_path(""), "/");
    }
}
