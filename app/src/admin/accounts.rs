//! Staff work on customer accounts: the console's doors. Rules and storage are
//! `engine::staff::accounts`.

use crate::error::AppError;
use leptos::prelude::*;

pub use engine::staff::accounts::*;

#[server(endpoint = "search_accounts")]
pub async fn search_accounts(query: String) -> Result<Vec<AccountRow>, AppError> {
    crate::auth::context::as_staff(|_, db| async move {
        Ok(engine::staff::accounts::store::search(&db, &query).await?)
    })
    .await
}

#[server(endpoint = "staff_account_detail")]
pub async fn load_staff_account_detail(account_id: i64) -> Result<StaffAccountDetail, AppError> {
    crate::auth::context::as_staff(|_, db| async move {
        Ok(engine::staff::accounts::store::detail(&db, account_id).await?)
    })
    .await
}

#[server(endpoint = "link_sub_account")]
pub async fn link_sub_account(account_id: i64, primary_login: String) -> Result<(), AppError> {
    crate::auth::context::as_staff(|caller, db| async move {
        Ok(
            engine::staff::accounts::store::link(
                &db,
                caller.account_id,
                account_id,
                &primary_login,
            )
            .await?,
        )
    })
    .await
}

#[server(endpoint = "transfer_balance")]
pub async fn transfer_balance(
    from_account_id: i64,
    to_account_id: i64,
    amount: String,
    note: String,
) -> Result<(), AppError> {
    crate::auth::context::as_staff(|caller, db| async move {
        Ok(engine::staff::accounts::store::transfer(
            &db,
            caller.account_id,
            from_account_id,
            to_account_id,
            &amount,
            &note,
        )
        .await?)
    })
    .await
}

#[server(endpoint = "set_charity")]
pub async fn set_charity(account_id: i64, charity: bool) -> Result<(), AppError> {
    crate::auth::context::as_staff(|caller, db| async move {
        Ok(
            engine::staff::accounts::store::set_charity(
                &db,
                caller.account_id,
                account_id,
                charity,
            )
            .await?,
        )
    })
    .await
}
