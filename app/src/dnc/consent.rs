//! Consent (§6): numbers whose owners agreed to receive this account's messages. They are
//! never removed by the do-not-call filter. Added one by one or imported from a CSV
//! (number, consent date, note); every query is scoped to the caller's account.

use crate::error::AppError;
use leptos::prelude::*;
use server_fn::codec::{MultipartData, MultipartFormData};

pub use engine::dnc::consent::{Consent, ConsentImport};

#[server(endpoint = "my_consents")]
pub async fn my_consents() -> Result<Vec<Consent>, AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_customer()?.account_id;
            let db = crate::auth::context::server_state()?.db;
            Ok(engine::dnc::consent::store::list(&db, viewer).await?)
        }
        .await,
    )
}

#[server(endpoint = "add_consent")]
pub async fn add_consent(
    consent_number: String,
    consent_date: String,
    note: String,
) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_customer()?.account_id;
            let db = crate::auth::context::server_state()?.db;
            Ok(
                engine::dnc::consent::store::add(
                    &db,
                    viewer,
                    &consent_number,
                    &consent_date,
                    &note,
                )
                .await?,
            )
        }
        .await,
    )
}

#[server(endpoint = "delete_consent")]
pub async fn delete_consent(consent_id: i64) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_customer()?.account_id;
            let db = crate::auth::context::server_state()?.db;
            Ok(engine::dnc::consent::store::delete(&db, viewer, consent_id).await?)
        }
        .await,
    )
}

/// Imports a CSV of `number,consent date,note` rows (multipart field `file`).
#[server(endpoint = "import_consents", input = MultipartFormData)]
pub async fn import_consents(data: MultipartData) -> Result<ConsentImport, AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_customer()?.account_id;
            let db = crate::auth::context::server_state()?.db;
            let upload = crate::import::read_upload(data, crate::import::MAX_IMPORT_BYTES).await?;
            let lang = crate::i18n::page_lang();
            let bytes = upload
                .file
                .ok_or_else(|| {
                    AppError::field("file", crate::i18n::tr::contacts_choose_consent_csv(lang))
                })?
                .bytes;
            let mut result = engine::dnc::consent::store::import_csv(&db, viewer, bytes).await?;
            crate::import::localise_reasons(&mut result.rejected);
            Ok(result)
        }
        .await,
    )
}
