//! Custom China signatures (§3, §5): the customer applies for one; staff approve (charging the
//! fee unless waived) or reject. The workflow is `engine::review::signatures`; these are the
//! portal's doors to it.

use crate::error::AppError;
use leptos::prelude::*;

pub use engine::review::signatures::{SignatureApplication, FEE_WAIVER_TOP_UP, SIGNATURE_FEE};

#[server(endpoint = "apply_china_signature")]
pub async fn apply_china_signature(signature: String) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_customer()?;
            let db = crate::auth::context::server_state()?.db;
            Ok(engine::review::signatures::apply(&db, viewer.account_id, &signature).await?)
        }
        .await,
    )
}

#[server(endpoint = "my_signature_applications")]
pub async fn my_signature_applications() -> Result<Vec<SignatureApplication>, AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_viewer()?;
            let db = crate::auth::context::server_state()?.db;
            let own = engine::review::Listing::Own {
                account_id: viewer.account_id,
            };
            Ok(engine::review::signatures::applications(&db, own).await?)
        }
        .await,
    )
}

#[server(endpoint = "pending_signatures")]
pub async fn pending_signatures() -> Result<Vec<SignatureApplication>, AppError> {
    crate::error::with_status(
        async {
            crate::auth::context::require_staff()?;
            let db = crate::auth::context::server_state()?.db;
            let pending = engine::review::Listing::Pending;
            Ok(engine::review::signatures::applications(&db, pending).await?)
        }
        .await,
    )
}

#[server(endpoint = "decide_signature")]
pub async fn decide_signature(
    application_id: i64,
    approve: bool,
    reason: String,
) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let staff = crate::auth::context::require_staff()?;
            let db = crate::auth::context::server_state()?.db;
            let decision = engine::review::Decision::new(approve, &reason)?;
            let (staff_id, id) = (staff.account_id, application_id);
            Ok(engine::review::signatures::decide_signature(&db, staff_id, id, &decision).await?)
        }
        .await,
    )
}
