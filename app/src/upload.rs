//! Reading a multipart upload (recipient lists, registers, receipts, certificates) within
//! bounds fixed before the first byte: at most [`MAX_FIELDS`] fields, text fields of at most
//! [`MAX_TEXT_FIELD_BYTES`], one file of at most the caller's limit. Reading stops the moment a
//! bound is passed, so a multi-gigabyte field costs a few kilobytes of memory, and each refusal
//! names the field it concerns.

use crate::error::{AppError, FieldError};
use crate::i18n::tr;
use server_fn::codec::MultipartData;
use std::collections::HashMap;

/// A text field (a date, a reference, a country code) is never longer than this.
pub const MAX_TEXT_FIELD_BYTES: usize = 4 * 1024;
/// Fields in one upload form, file included.
pub const MAX_FIELDS: usize = 16;

pub use engine::documents::UploadedFile;

/// What an upload form sent: its text fields by name and the file, when one was chosen.
#[derive(Debug, Default)]
pub struct Upload {
    pub fields: HashMap<String, String>,
    pub file: Option<UploadedFile>,
}

impl Upload {
    /// A text field, trimmed; empty when absent.
    pub fn text(&self, name: &str) -> &str {
        self.fields.get(name).map(|s| s.trim()).unwrap_or("")
    }
}

/// Reads `data`: the field named `file_field` as the file (at most `max_file_bytes`), every
/// other field as text. `too_large` is the message for a file over the limit.
pub async fn read(
    data: MultipartData,
    file_field: &str,
    max_file_bytes: usize,
    too_large: impl Fn() -> String,
) -> Result<Upload, AppError> {
    let mut multipart = data
        .into_inner()
        .ok_or_else(|| AppError::internal("upload", "multipart data missing on the server"))?;
    let lang = crate::i18n::page_lang();
    let interrupted = |field: &str, e: &dyn std::fmt::Display| {
        AppError::field(field, tr::compose_upload_interrupted(lang, e))
    };
    let mut upload = Upload::default();
    let mut count = 0usize;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| interrupted(file_field, &e))?
    {
        count += 1;
        let name: String = field.name().unwrap_or_default().chars().take(64).collect();
        if count > MAX_FIELDS {
            return Err(AppError::field(
                file_field,
                tr::compose_upload_too_many_fields(lang, MAX_FIELDS),
            ));
        }
        if name == file_field {
            if upload.file.is_some() {
                return Err(AppError::field(
                    file_field,
                    tr::compose_upload_one_file(lang),
                ));
            }
            let filename: String = field
                .file_name()
                .unwrap_or("upload")
                .chars()
                .take(255)
                .collect();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| interrupted(&name, &e))? {
                if bytes.len() + chunk.len() > max_file_bytes {
                    // Stop here: the rest of the body is never read.
                    return Err(AppError::field(file_field, too_large()));
                }
                bytes.extend_from_slice(&chunk);
            }
            if !bytes.is_empty() {
                upload.file = Some(UploadedFile { filename, bytes });
            }
        } else {
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| interrupted(&name, &e))? {
                if bytes.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
                    return Err(AppError::Invalid(vec![FieldError {
                        field: name.clone(),
                        message: tr::compose_upload_field_too_long(
                            lang,
                            MAX_TEXT_FIELD_BYTES / 1024,
                        ),
                    }]));
                }
                bytes.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(bytes)
                .map_err(|_| AppError::field(&name, tr::compose_upload_not_utf8(lang)))?;
            upload.fields.insert(name, text);
        }
    }
    Ok(upload)
}
