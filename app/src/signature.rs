//! Custom China signatures (§3, §5): the customer applies for one; staff approve (charging the
//! fee unless waived) or reject. The workflow is `engine::review::signatures`; these are the
//! portal's doors to it.

use crate::error::AppError;
use leptos::prelude::*;

pub use engine::review::signatures::{SignatureApplication, FEE_WAIVER_TOP_UP, SIGNATURE_FEE};

#[server(endpoint = "apply_china_signature")]
pub async fn apply_china_signature(signature: String) -> Result<(), AppError> {
    crate::auth::context::as_customer(|viewer, db| async move {
        Ok(engine::review::signatures::apply(&db, viewer.account_id, &signature).await?)
    })
    .await
}

crate::review::review_doors! {
    item: SignatureApplication,
    own: my_signature_applications = "my_signature_applications",
    pending: pending_signatures = "pending_signatures",
    list: engine::review::signatures::applications,
    decide: decide_signature(application_id) = "decide_signature",
    decide_with: engine::review::signatures::decide_signature,
}
