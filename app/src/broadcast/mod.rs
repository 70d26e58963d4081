//! Broadcast SMS (PRODUCT.md §4–§7): the composer with its live count and cost, computed in
//! the browser by the `sms` crate, and the server's own recomputation of the same figures.
//!
//! The route follows each number (§5): Hong Kong numbers go by the customer's choice of HK
//! Business or HK Economic, mainland numbers by the China route (signature and unsubscribe
//! suffix added), every other country by International. One batch may mix them; each
//! recipient is composed, counted and priced by its own route, the same way here in the
//! browser ([`compose`], [`quote`]) as on the server.

// `submit_broadcast` takes the composer's fields one argument each (the request's JSON shape);
// the server-function macro generates the browser's caller without any attribute put on it.
#![allow(clippy::too_many_arguments)]

mod composer;
mod panels;

pub use composer::BroadcastPage;
pub use engine::broadcast::*;

use crate::error::AppError;
use leptos::prelude::*;
use sms::Route;

/// The caller as a sender, with the installation's China signature.
#[cfg(feature = "ssr")]
fn sender(
    state: &crate::auth::context::ServerState,
    account_id: i64,
) -> engine::broadcast::store::Sender<'_> {
    engine::broadcast::store::Sender {
        db: &state.db,
        account_id,
        default_china_signature: &state.portal.default_china_signature,
    }
}

#[server(endpoint = "composer_setup")]
pub async fn load_composer_setup() -> Result<ComposerSetup, AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_customer()?;
            let state = crate::auth::context::server_state()?;
            let sender = sender(&state, viewer.account_id);
            Ok(engine::broadcast::store::setup(&sender).await?)
        }
        .await,
    )
}

/// `route` is the Hong Kong choice (HK Business or HK Economic); `default_country_code`
/// applies to numbers typed without one (the account's setting when absent).
#[server(endpoint = "check_broadcast", input = server_fn::codec::Json)]
pub async fn check_broadcast(
    route: Route,
    purpose: Purpose,
    text: String,
    recipients: String,
    client: ClientFigures,
    #[server(default)] filter_dnc: bool,
    #[server(default)] default_country_code: Option<u16>,
) -> Result<BroadcastCheck, AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_customer()?;
            let state = crate::auth::context::server_state()?;
            let sender = sender(&state, viewer.account_id);
            let submission = engine::broadcast::store::Submission {
                route,
                purpose,
                text,
                recipients,
                client,
                filter_dnc,
                default_country_code,
            };
            Ok(engine::broadcast::store::check(&sender, submission).await?)
        }
        .await,
    )
}

// The composer's fields, one argument each: that is the request's JSON shape.
#[server(endpoint = "submit_broadcast", input = server_fn::codec::Json)]
pub async fn submit_broadcast(
    route: Route,
    purpose: Purpose,
    text: String,
    recipients: String,
    client: ClientFigures,
    sender_id: String,
    schedule_at: String,
    #[server(default)] filter_dnc: bool,
    #[server(default)] default_country_code: Option<u16>,
) -> Result<i64, AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_customer()?;
            let state = crate::auth::context::server_state()?;
            let sender = sender(&state, viewer.account_id);
            let submission = engine::broadcast::store::Submission {
                route,
                purpose,
                text,
                recipients,
                client,
                filter_dnc,
                default_country_code,
            };
            let batches = &state.batches;
            let id = engine::broadcast::store::submit(
                &sender,
                batches,
                submission,
                &sender_id,
                &schedule_at,
            )
            .await?;
            Ok(id)
        }
        .await,
    )
}
