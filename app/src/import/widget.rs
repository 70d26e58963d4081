//! The composer's "Import numbers" control: uploads the chosen file, appends the numbers it
//! held to the recipients box (so the live count and cost update at once) and shows what was
//! imported and every rejected row, with a CSV download of the rejections.

use super::{import_recipients, rejected_csv, ImportResult};
use crate::address_book::RejectedTable;
use crate::error::AppError;
use crate::i18n::{tr, use_lang};
use crate::ui::{Notice, NoticeKind};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Appends `numbers` to the recipients text, one per line.
pub fn append_numbers(text: &mut String, numbers: &[String]) {
    if numbers.is_empty() {
        return;
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for n in numbers {
        text.push('+');
        text.push_str(n);
        text.push('\n');
    }
}

/// `data:` URL of a CSV file, for a download link that needs no server round trip.
pub fn csv_data_url(csv: &str) -> String {
    let mut out = String::from("data:text/csv;charset=utf-8,");
    for b in csv.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[component]
pub fn ImportNumbers(
    recipients_text: RwSignal<String>,
    /// For numbers in the file without a country code.
    #[prop(into)]
    country_code: Signal<u16>,
) -> impl IntoView {
    let lang = use_lang();
    let upload =
        Action::new_local(|data: &web_sys::FormData| import_recipients(data.clone().into()));
    let value = upload.value();
    // Append once per finished upload.
    Effect::new(move |_| {
        if let Some(Ok(result)) = value.get() {
            recipients_text.update(|t| append_numbers(t, &result.numbers));
        }
    });
    let on_change = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        if let Ok(data) = web_sys::FormData::new() {
            let code = country_code.get_untracked().to_string();
            if data
                .append_with_str("default_country_code", &code)
                .and_then(|()| data.append_with_blob_and_filename("file", &file, &file.name()))
                .is_ok()
            {
                upload.dispatch_local(data);
            }
        }
        // The same file can be chosen again after fixing it.
        input.set_value("");
    };
    view! {
        <div class="field import-numbers">
            <label for="composer-import">{tr::compose_import_label(lang)}</label>
            <p class="field-hint" id="composer-import-hint">{tr::compose_import_hint(lang)}</p>
            <input id="composer-import" type="file" name="file" accept=".csv,.xls,.xlsx,text/csv"
                aria-describedby="composer-import-hint" on:change=on_change disabled=move || upload.pending().get()/>
            {move || upload.pending().get().then(|| view! { <p class="loading" role="status">{tr::compose_import_reading(lang)}</p> })}
            {move || value.get().map(|r| view! { <ImportSummary result=r/> })}
        </div>
    }
}

#[component]
fn ImportSummary(result: Result<ImportResult, AppError>) -> impl IntoView {
    let lang = use_lang();
    match result {
        Err(e) => view! {
            <Notice kind=NoticeKind::Error>
                <span data-testid="import-error">{e.message_for("file").unwrap_or_else(|| e.to_string())}</span>
            </Notice>
        }
        .into_any(),
        Ok(r) => {
            let rejected = r.rejected.len();
            let download = (rejected > 0).then(|| csv_data_url(&rejected_csv(lang, &r.rejected)));
            view! {
                <div class="import-summary" aria-live="polite">
                    <p>
                        <span data-testid="import-imported">{tr::compose_import_imported(lang, r.numbers.len() as i64)}</span>
                        {(r.duplicates > 0).then(|| tr::compose_import_duplicates(lang, r.duplicates as i64))}
                        {tr::compose_import_separator(lang)}
                        <span data-testid="import-rejected">{tr::compose_import_rejected(lang, rejected as i64)}</span>
                        {tr::compose_import_end(lang)}
                        {download.map(|href| view! { " " <a href=href download="rejected-rows.csv" data-testid="import-rejected-download">{tr::compose_import_download(lang)}</a> })}
                    </p>
                    <RejectedTable rows=r.rejected/>
                </div>
            }
            .into_any()
        }
    }
}
