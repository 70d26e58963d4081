//! Business registration (§2): a trial customer uploads a certificate; staff approve it (the
//! account becomes normal) or reject it with a reason. The workflow is
//! `engine::review::registrations`; these are the portal's doors to it.

use crate::error::AppError;
use leptos::prelude::*;
use server_fn::codec::{MultipartData, MultipartFormData};

pub use engine::review::registrations::Registration;

#[server(endpoint = "upload_registration", input = MultipartFormData)]
pub async fn upload_registration(data: MultipartData) -> Result<i64, AppError> {
    crate::auth::context::as_viewer(|viewer, db| async move {
        let file = crate::documents::read_upload(data, "certificate")
            .await?
            .file;
        let account_id = viewer.account_id;
        Ok(engine::review::registrations::submit(&db, account_id, file).await?)
    })
    .await
}

crate::review::review_doors! {
    item: Registration,
    own: my_registrations = "my_registrations",
    pending: pending_registrations = "pending_registrations",
    list: engine::review::registrations::registrations,
    decide: decide_registration(registration_id) = "decide_registration",
    decide_with: engine::review::registrations::decide_registration,
}
