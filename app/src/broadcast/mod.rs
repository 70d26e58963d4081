//! Broadcast SMS (PRODUCT.md §4–§7): the composer with its live count and cost, computed in
//! the browser by the `sms` crate, and the server's own recomputation of the same figures.
//!
//! The route follows each number (§5): Hong Kong numbers go by the customer's choice of HK
//! Business or HK Economic, mainland numbers by the China route (signature and unsubscribe
//! suffix added), every other country by International. One batch may mix them; each
//! recipient is composed, counted and priced by its own route, the same way here in the
//! browser ([`compose`], [`quote`]) as on the server.

mod composer;
mod panels;

pub use composer::BroadcastPage;
pub use engine::broadcast::Submission;
pub use engine::broadcast::*;

use crate::error::AppError;
use leptos::prelude::*;

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

/// Checks what the composer holds (`route` is the Hong Kong choice; `default_country_code`
/// applies to numbers typed without one, the account's setting when absent).
#[server(endpoint = "check_broadcast", input = server_fn::codec::Json)]
pub async fn check_broadcast(
    #[server(flatten)] submission: Submission,
) -> Result<BroadcastCheck, AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_customer()?;
            let state = crate::auth::context::server_state()?;
            let sender = sender(&state, viewer.account_id);
            let mut check = engine::broadcast::store::check(&sender, submission).await?;
            crate::import::localise_reasons(&mut check.rejected);
            Ok(check)
        }
        .await,
    )
}

/// Sends what the composer holds (the same fields as the check) from `sender_id`, now or at
/// `schedule_at`.
#[server(endpoint = "submit_broadcast", input = server_fn::codec::Json)]
pub async fn submit_broadcast(
    #[server(flatten)] submission: Submission,
    sender_id: String,
    schedule_at: String,
) -> Result<i64, AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_customer()?;
            let state = crate::auth::context::server_state()?;
            let sender = sender(&state, viewer.account_id);
            let batches = &state.batches;
            let (sender_id, schedule_at) = (&sender_id, &schedule_at);
            let submission = engine::broadcast::store::submit(
                &sender,
                batches,
                submission,
                sender_id,
                schedule_at,
            );
            Ok(submission.await?)
        }
        .await,
    )
}
