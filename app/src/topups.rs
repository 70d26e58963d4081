//! Top-ups (§3): the customer records a payment with its receipt; staff confirm or reject it.
//! The rules and storage are `engine::review::payments`; these are the portal's doors to them.

use crate::error::AppError;
use leptos::prelude::*;
use server_fn::codec::{MultipartData, MultipartFormData};

pub use engine::review::payments::{
    charity_bonuses, Payment, CHARITY_BONUS_PERCENT, CHARITY_FIRST_BONUS, MIN_TOP_UP,
    PAYMENT_METHODS,
};

#[server(endpoint = "record_payment", input = MultipartFormData)]
pub async fn record_payment(data: MultipartData) -> Result<i64, AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_customer()?;
            let db = crate::auth::context::server_state()?.db;
            let upload = crate::documents::read_upload(data, "receipt").await?;
            let form = engine::review::payments::PaymentForm {
                amount: upload.text("amount").to_string(),
                method: upload.text("method").to_string(),
                reference: upload.text("reference").to_string(),
            };
            Ok(
                engine::review::payments::record(&db, viewer.account_id, &form, upload.file)
                    .await?,
            )
        }
        .await,
    )
}

#[server(endpoint = "my_payments")]
pub async fn my_payments() -> Result<Vec<Payment>, AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_viewer()?;
            let db = crate::auth::context::server_state()?.db;
            let own = engine::review::Listing::Own {
                account_id: viewer.account_id,
            };
            Ok(engine::review::payments::payments(&db, own).await?)
        }
        .await,
    )
}

#[server(endpoint = "pending_payments")]
pub async fn pending_payments() -> Result<Vec<Payment>, AppError> {
    crate::error::with_status(
        async {
            crate::auth::context::require_staff()?;
            let db = crate::auth::context::server_state()?.db;
            let pending = engine::review::Listing::Pending;
            Ok(engine::review::payments::payments(&db, pending).await?)
        }
        .await,
    )
}

#[server(endpoint = "decide_payment")]
pub async fn decide_payment(
    payment_id: i64,
    approve: bool,
    reason: String,
) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let staff = crate::auth::context::require_staff()?;
            let db = crate::auth::context::server_state()?.db;
            let decision = engine::review::Decision::new(approve, &reason)?;
            let staff_id = staff.account_id;
            Ok(
                engine::review::payments::decide_payment(&db, staff_id, payment_id, &decision)
                    .await?,
            )
        }
        .await,
    )
}
