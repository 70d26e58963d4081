//! Quick import (§6): a CSV, XLS or XLSX file of recipients, one number per row in the first
//! column, up to 6 MB and 50,000 numbers. The server reads the file and answers with the
//! normalised numbers, the duplicates it collapsed and every row it refused with the reason;
//! the composer appends the numbers to its recipients box, so the import itself sends nothing.

pub mod widget;

use crate::error::AppError;
use crate::i18n::{tr, Lang};
pub use engine::import::*;
use leptos::prelude::*;
use server_fn::codec::{MultipartData, MultipartFormData};

/// Reads an uploaded recipient file (multipart fields `file` and, optionally,
/// `default_country_code`, 852 when absent).
#[server(endpoint = "import_recipients", input = MultipartFormData)]
pub async fn import_recipients(data: MultipartData) -> Result<ImportResult, AppError> {
    crate::error::with_status(server::import(data).await)
}

/// The rejected rows as a CSV file the customer can download, fix and import again.
pub fn rejected_csv(lang: Lang, rows: &[RejectedRow]) -> String {
    let mut out = format!("{}\r\n", tr::compose_import_csv_header(lang));
    for r in rows {
        out.push_str(&format!(
            "{},{},{}\r\n",
            r.row,
            crate::ledger::page::csv_field(&r.input),
            crate::ledger::page::csv_field(&r.reason)
        ));
    }
    out
}

/// Words each refused row's reason (the engine's English) in the request's language.
#[cfg(feature = "ssr")]
pub fn localise_reasons(rows: &mut [RejectedRow]) {
    let lang = crate::i18n::page_lang();
    if lang == Lang::En {
        return;
    }
    // A list of 50,000 refused rows holds a handful of distinct reasons: word each once.
    let mut worded: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for r in rows {
        let reason = std::mem::take(&mut r.reason);
        r.reason = worded
            .entry(reason)
            .or_insert_with_key(|english| crate::i18n::from_english(lang, english))
            .clone();
    }
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::auth::context::require_viewer;

    pub async fn import(data: MultipartData) -> Result<ImportResult, AppError> {
        require_viewer()?;
        let lang = crate::i18n::page_lang();
        let say = |text: String| crate::i18n::from_english(lang, &text);
        let upload = read_upload(data, MAX_IMPORT_BYTES).await?;
        let default_country_code = match upload.text("default_country_code") {
            "" => sms::msisdn::HONG_KONG_CODE,
            code => code.trim_start_matches('+').parse::<u16>().map_err(|_| {
                AppError::field(
                    "default_country_code",
                    tr::compose_import_country_code(lang),
                )
            })?,
        };
        let bytes = upload
            .file
            .ok_or_else(|| AppError::field("file", say(parse::ImportError::Empty.to_string())))?
            .bytes;
        let mut result = parse_off_thread(move || parse::import(&bytes, default_country_code))
            .await?
            .map_err(|e| AppError::field("file", say(e.to_string())))?;
        localise_reasons(&mut result.rejected);
        Ok(result)
    }

    /// Reads an import form: its text fields and the `file` field, which is refused the moment
    /// it passes `limit` bytes.
    pub async fn read_upload(
        data: MultipartData,
        limit: usize,
    ) -> Result<crate::upload::Upload, AppError> {
        let lang = crate::i18n::page_lang();
        crate::upload::read(data, "file", limit, || {
            tr::compose_import_too_large(lang, limit / (1024 * 1024))
        })
        .await
    }
}

#[cfg(feature = "ssr")]
pub use server::read_upload;

#[cfg(test)]
mod tests {
    #[test]
    fn rejected_rows_download_as_csv() {
        let rows = [super::RejectedRow {
            row: 2,
            input: "=HYPERLINK(1)".into(),
            reason: "not a phone number".into(),
        }];
        let csv = super::rejected_csv(crate::i18n::Lang::En, &rows);
        assert_eq!(
            csv,
            "row,input,reason\r\n2,'=HYPERLINK(1),not a phone number\r\n"
        );
        let url = super::widget::csv_data_url("a,b\r\n");
        assert_eq!(url, "data:text/csv;charset=utf-8,a%2Cb%0D%0A");
    }
}
