//! Document uploads (payment receipts, business registration certificates): the form reader
//! that refuses a file the moment it passes 10 MB. Types, checks and storage are in
//! `engine::documents`.

pub use engine::documents::*;

/// Reads a document upload form: its text fields, and the file in `file_field`, refused the
/// moment it passes 10 MB.
#[cfg(feature = "ssr")]
pub async fn read_upload(
    data: server_fn::codec::MultipartData,
    file_field: &str,
) -> Result<crate::upload::Upload, crate::error::AppError> {
    let lang = crate::i18n::page_lang();
    crate::upload::read(data, file_field, MAX_DOCUMENT_BYTES, move || {
        crate::i18n::tr::account_upload_too_large(lang).to_string()
    })
    .await
}
