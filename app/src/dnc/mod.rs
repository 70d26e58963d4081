//! Do-not-call (§6): staff import the OFCA do-not-call register; a customer may filter a batch
//! against it (free), except numbers for which the account recorded consent.
//!
//! The register is versioned: an import loads a new version and switches the one-row
//! `dnc_current` pointer to it in the same transaction, so [`store::filter`] sees the old
//! list or the new one, never a mix and never an empty list halfway through.

pub mod consent;
pub(crate) mod page;

#[cfg(feature = "ssr")]
pub use engine::dnc::store::filter;
pub use engine::dnc::{is_iso_date, RegisterImport, RegisterVersion, MAX_REGISTER_BYTES};
pub use page::DncAdminPage;

use crate::error::AppError;
use leptos::prelude::*;
use server_fn::codec::{MultipartData, MultipartFormData};

/// The register currently in force, if one was ever imported (staff only).
#[server(endpoint = "dnc_register")]
pub async fn dnc_register() -> Result<Option<RegisterVersion>, AppError> {
    crate::auth::context::as_staff(
        |_, db| async move { Ok(engine::dnc::store::current(&db).await?) },
    )
    .await
}

/// Replaces the register with an uploaded OFCA CSV (multipart fields `file` and
/// `register_date`), staff only.
#[server(endpoint = "import_dnc_register", input = MultipartFormData)]
pub async fn import_dnc_register(data: MultipartData) -> Result<RegisterImport, AppError> {
    crate::auth::context::as_staff(|staff, db| async move {
        let upload = crate::import::read_upload(data, MAX_REGISTER_BYTES).await?;
        let register_date = upload.text("register_date").to_string();
        let lang = crate::i18n::page_lang();
        let bytes = upload
            .file
            .ok_or_else(|| {
                AppError::field("file", crate::i18n::tr::contacts_dnc_choose_file(lang))
            })?
            .bytes;
        let staff_id = staff.account_id;
        let mut result =
            engine::dnc::store::import_register(&db, staff_id, &register_date, bytes).await?;
        crate::import::localise_reasons(&mut result.rejected_examples);
        Ok(result)
    })
    .await
}
