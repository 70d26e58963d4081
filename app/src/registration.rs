//! Business registration (§2): a trial customer uploads a certificate; staff approve it (the
//! account becomes normal) or reject it with a reason. The workflow is
//! `engine::review::registrations`; these are the portal's doors to it.

use crate::error::AppError;
use leptos::prelude::*;
use server_fn::codec::{MultipartData, MultipartFormData};

pub use engine::review::registrations::Registration;

#[server(endpoint = "upload_registration", input = MultipartFormData)]
pub async fn upload_registration(data: MultipartData) -> Result<i64, AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_viewer()?;
            let db = crate::auth::context::server_state()?.db;
            let file = crate::documents::read_upload(data, "certificate")
                .await?
                .file;
            let account_id = viewer.account_id;
            Ok(engine::review::registrations::submit(&db, account_id, file).await?)
        }
        .await,
    )
}

#[server(endpoint = "my_registrations")]
pub async fn my_registrations() -> Result<Vec<Registration>, AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_viewer()?;
            let db = crate::auth::context::server_state()?.db;
            let own = engine::review::Listing::Own {
                account_id: viewer.account_id,
            };
            Ok(engine::review::registrations::registrations(&db, own).await?)
        }
        .await,
    )
}

#[server(endpoint = "pending_registrations")]
pub async fn pending_registrations() -> Result<Vec<Registration>, AppError> {
    crate::error::with_status(
        async {
            crate::auth::context::require_staff()?;
            let db = crate::auth::context::server_state()?.db;
            let pending = engine::review::Listing::Pending;
            Ok(engine::review::registrations::registrations(&db, pending).await?)
        }
        .await,
    )
}

#[server(endpoint = "decide_registration")]
pub async fn decide_registration(
    registration_id: i64,
    approve: bool,
    reason: String,
) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let staff = crate::auth::context::require_staff()?;
            let db = crate::auth::context::server_state()?.db;
            let decision = engine::review::Decision::new(approve, &reason)?;
            let (staff_id, id) = (staff.account_id, registration_id);
            Ok(
                engine::review::registrations::decide_registration(&db, staff_id, id, &decision)
                    .await?,
            )
        }
        .await,
    )
}
