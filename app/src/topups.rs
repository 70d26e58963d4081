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
    crate::auth::context::as_customer(|viewer, db| async move {
        let upload = crate::documents::read_upload(data, "receipt").await?;
        let form = engine::review::payments::PaymentForm {
            amount: upload.text("amount").to_string(),
            method: upload.text("method").to_string(),
            reference: upload.text("reference").to_string(),
        };
        Ok(engine::review::payments::record(&db, viewer.account_id, &form, upload.file).await?)
    })
    .await
}

crate::review::review_doors! {
    item: Payment,
    own: my_payments = "my_payments",
    pending: pending_payments = "pending_payments",
    list: engine::review::payments::payments,
    decide: decide_payment(payment_id) = "decide_payment",
    decide_with: engine::review::payments::decide_payment,
}
