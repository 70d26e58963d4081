//! Uploaded documents (payment receipts, business registration certificates): PDF, JPEG or PNG
//! up to 10 MB, recognised by their content rather than their name, stored in the database.
//! A document is readable by its own account and by staff; anyone else gets 404.

pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentType {
    Pdf,
    Jpeg,
    Png,
}

impl DocumentType {
    pub fn content_type(self) -> &'static str {
        match self {
            DocumentType::Pdf => "application/pdf",
            DocumentType::Jpeg => "image/jpeg",
            DocumentType::Png => "image/png",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("Choose a file to upload.")]
    Empty,
    #[error("The file is {0} MB; the limit is 10 MB.")]
    TooLarge(usize),
    #[error("Upload a PDF, JPG or PNG file; this file is none of those.")]
    WrongType,
}

/// What the bytes are, judged by their signature (a renamed .exe is not a PDF).
pub fn sniff(bytes: &[u8]) -> Result<DocumentType, DocumentError> {
    if bytes.is_empty() {
        return Err(DocumentError::Empty);
    }
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(DocumentError::TooLarge(bytes.len().div_ceil(1024 * 1024)));
    }
    if bytes.starts_with(b"%PDF-") {
        Ok(DocumentType::Pdf)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok(DocumentType::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok(DocumentType::Png)
    } else {
        Err(DocumentError::WrongType)
    }
}

/// An uploaded file as the browser named it, read within its size limit.
#[derive(Debug)]
pub struct UploadedFile {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// Stores a document for `account_id` after checking its type; returns its id.
#[cfg(feature = "storage")]
pub async fn store(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    kind: &str,
    file: &UploadedFile,
) -> Result<Result<i64, DocumentError>, sqlx::Error> {
    let doc_type = match sniff(&file.bytes) {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    let filename: String = file
        .filename
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | '"'))
        .take(120)
        .collect();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO documents (account_id, kind, filename, content_type, size_bytes, content, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(account_id)
    .bind(kind)
    .bind(if filename.is_empty() { "upload".to_string() } else { filename })
    .bind(doc_type.content_type())
    .bind(file.bytes.len() as i64)
    .bind(file.bytes.clone())
    .bind(crate::db::now_ms())
    .fetch_one(&mut *conn)
    .await?;
    Ok(Ok(id))
}

/// The document `id` if the caller may see it: its own account's, or any for staff.
#[cfg(feature = "storage")]
pub async fn fetch_for(
    db: &crate::db::Db,
    account_id: i64,
    is_staff: bool,
    id: i64,
) -> Result<Option<(String, String, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT filename, content_type, content FROM documents WHERE id = $1 AND (account_id = $2 OR $3 = 1)",
    )
    .bind(id)
    .bind(account_id)
    .bind(i64::from(is_staff))
    .fetch_optional(db.pool())
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_pdf_jpeg_and_png_by_content_not_name() {
        assert_eq!(sniff(b"%PDF-1.7 ..."), Ok(DocumentType::Pdf));
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            Ok(DocumentType::Jpeg)
        );
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Ok(DocumentType::Png));
        assert_eq!(
            sniff(b"MZ\x90\x00 not a pdf"),
            Err(DocumentError::WrongType)
        );
        assert_eq!(sniff(b""), Err(DocumentError::Empty));
        let big = vec![b'%'; MAX_DOCUMENT_BYTES + 1];
        assert_eq!(sniff(&big), Err(DocumentError::TooLarge(11)));
    }
}
