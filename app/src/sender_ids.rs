//! Sender IDs (§2): the portal's doors. Rules and storage are `engine::sender_ids`.

use crate::error::AppError;
use leptos::prelude::*;

pub use engine::sender_ids::*;

#[server(endpoint = "my_sender_ids")]
pub async fn my_sender_ids() -> Result<Vec<SenderIdRecord>, AppError> {
    crate::auth::context::as_viewer(|viewer, db| async move {
        Ok(engine::sender_ids::store::list(&db, viewer.account_id, true).await?)
    })
    .await
}

#[server(endpoint = "create_sender_id")]
pub async fn create_sender_id(
    account_id: i64,
    sender_id: String,
    registered: Option<String>,
) -> Result<(), AppError> {
    crate::auth::context::as_staff(|staff, db| async move {
        let (staff_id, registered) = (staff.account_id, registered.is_some());
        Ok(
            engine::sender_ids::store::create(&db, staff_id, account_id, &sender_id, registered)
                .await?,
        )
    })
    .await
}

#[server(endpoint = "retire_sender_id")]
pub async fn retire_sender_id(sender_id_id: i64) -> Result<(), AppError> {
    crate::auth::context::as_staff(|staff, db| async move {
        Ok(engine::sender_ids::store::retire(&db, staff.account_id, sender_id_id).await?)
    })
    .await
}
