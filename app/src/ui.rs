//! Ferry's small set of UI components: one visual language for every page (see style/main.css).

use crate::error::AppError;
use crate::i18n::{tr, use_lang};
use leptos::prelude::*;

/// The title block at the top of every page.
#[component]
pub fn PageHeader(
    #[prop(into)] title: String,
    #[prop(optional, into)] subtitle: Option<String>,
) -> impl IntoView {
    view! {
        <header class="page-header">
            <h1>{title}</h1>
            {subtitle.map(|s| view! { <p class="page-subtitle">{s}</p> })}
        </header>
    }
}

/// A labelled text input with its own error line, wired for screen readers.
#[component]
pub fn TextField(
    #[prop(into)] label: String,
    #[prop(into)] name: String,
    #[prop(optional, into)] kind: Option<String>,
    #[prop(optional, into)] autocomplete: Option<String>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] placeholder: Option<String>,
    #[prop(optional)] required: bool,
    /// What the field holds, for forms that edit something (it follows the signal).
    #[prop(optional, into)]
    value: MaybeProp<String>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = {
        let error_id = error_id.clone();
        let hint_id = hint_id.clone();
        let has_hint = hint.is_some();
        move || {
            let mut ids = Vec::new();
            if has_hint {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            ids.join(" ")
        }
    };
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="field-hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=id
                name=name
                type=kind.unwrap_or_else(|| "text".into())
                autocomplete=autocomplete
                placeholder=placeholder
                required=required
                value=move || value.get()
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described_by
            />
            <p class="field-error" id=error_id role="alert">
                {move || error.get()}
            </p>
        </div>
    }
}

/// A submit button that says what is happening while its action runs.
#[component]
pub fn SubmitButton(
    #[prop(into)] label: String,
    #[prop(into)] pending_label: String,
    #[prop(into)] pending: Signal<bool>,
) -> impl IntoView {
    view! {
        <button type="submit" class="button button-primary" disabled=move || pending.get() aria-busy=move || pending.get().to_string()>
            {move || if pending.get() { pending_label.clone() } else { label.clone() }}
        </button>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Success,
    Error,
}

/// A message box: errors are announced to screen readers immediately.
#[component]
pub fn Notice(kind: NoticeKind, children: Children) -> impl IntoView {
    let (class, role) = match kind {
        NoticeKind::Info => ("notice notice-info", "status"),
        NoticeKind::Success => ("notice notice-success", "status"),
        NoticeKind::Error => ("notice notice-error", "alert"),
    };
    view! { <div class=class role=role>{children()}</div> }
}

/// An error that is not about one field (throttling, server trouble), or nothing.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let lang = use_lang();
    move || {
        error.get().and_then(|e| match e {
            // Field errors are shown next to their fields.
            AppError::Invalid(_) => None,
            other => {
                Some(view! { <Notice kind=NoticeKind::Error>{other.localized(lang)}</Notice> })
            }
        })
    }
}

/// The field errors of an action's last result, by field name.
pub fn field_error<T, S>(value: S, field: &'static str) -> Signal<Option<String>>
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Clone + Send + Sync + 'static,
{
    Signal::derive(move || match value.get() {
        Some(Err(e)) => e.message_for(field),
        _ => None,
    })
}

/// The action's last error, if any.
pub fn action_error<T, S>(value: S) -> Signal<Option<AppError>>
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Clone + Send + Sync + 'static,
{
    Signal::derive(move || match value.get() {
        Some(Err(e)) => Some(e),
        _ => None,
    })
}

#[component]
pub fn Loading(#[prop(optional, into)] what: Option<String>) -> impl IntoView {
    let lang = use_lang();
    view! {
        <p class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            {match what {
                Some(what) => tr::ui_loading_what(lang, what),
                None => tr::ui_loading(lang).to_string(),
            }}
        </p>
    }
}

/// A page section that shows `resource` through `show` once it has loaded, with the loading
/// state while it loads and the error as a notice when it fails: the states every read needs.
pub fn loaded<T, V>(
    what: &'static str,
    resource: Resource<Result<T, crate::error::AppError>>,
    show: impl Fn(T) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    let show = StoredValue::new(show);
    let lang = use_lang();
    view! {
        <Suspense fallback=move || view! { <Loading what=what/> }>
            {move || {
                let show = show.get_value();
                Suspend::new(async move {
                    match resource.await {
                        Ok(value) => show(value).into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.localized(lang)}</Notice> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// Turns a form's submit into a multipart upload through `action` (files cannot go through
/// the URL-encoded server-function forms).
pub fn submit_form<T: 'static>(
    action: Action<web_sys::FormData, Result<T, AppError>>,
) -> impl Fn(leptos::ev::SubmitEvent) {
    use wasm_bindgen::JsCast;
    move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(form) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
        else {
            return;
        };
        if let Ok(data) = web_sys::FormData::new_with_form(&form) {
            action.dispatch_local(data);
        }
    }
}

/// What a list shows when it has nothing in it yet.
#[component]
pub fn EmptyState(#[prop(into)] title: String, children: Children) -> impl IntoView {
    view! {
        <div class="empty-state">
            <h2>{title}</h2>
            {children()}
        </div>
    }
}

/// A page whose capability has not landed yet; it says which issue brings it.
#[component]
pub fn ComingSoon(#[prop(into)] title: String, #[prop(into)] what: String) -> impl IntoView {
    let lang = use_lang();
    view! {
        <PageHeader title=title.clone()/>
        <section class="card">
            <EmptyState title=tr::ui_coming_soon(lang)>
                <p>{what}</p>
            </EmptyState>
        </section>
    }
}

/// Formats Unix milliseconds as Hong Kong time (UTC+8), e.g. `2026-11-26 21:05`.
pub fn format_hkt(ms: i64) -> String {
    hkt(
        ms,
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]"),
    )
}

/// Unix milliseconds in Hong Kong time (UTC+8) as `format` writes it; "—" when out of range.
fn hkt(ms: i64, format: &[time::format_description::BorrowedFormatItem<'_>]) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.to_offset(time::macros::offset!(+8)).format(format).ok())
        .unwrap_or_else(|| String::from("—"))
}

/// Hong Kong time as a person reads it in `lang`: `2026-11-26 21:05` in English,
/// `2026年11月26日 21:05` in Chinese. Files and APIs keep [`format_hkt`].
pub fn format_hkt_in(lang: crate::i18n::Lang, ms: i64) -> String {
    match lang {
        crate::i18n::Lang::En => format_hkt(ms),
        crate::i18n::Lang::ZhHant => hkt(
            ms,
            time::macros::format_description!(
                "[year]年[month padding:none]月[day padding:none]日 [hour]:[minute]"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::i18n::Lang;

    #[test]
    fn formats_hong_kong_time() {
        assert_eq!(super::format_hkt(0), "1970-01-01 08:00");
        assert_eq!(super::format_hkt(1_795_000_000_000), "2026-11-18 19:06");
        assert_eq!(
            super::format_hkt_in(Lang::En, 1_795_000_000_000),
            "2026-11-18 19:06"
        );
        assert_eq!(
            super::format_hkt_in(Lang::ZhHant, 1_795_000_000_000),
            "2026年11月18日 19:06"
        );
        assert_eq!(super::format_hkt_in(Lang::ZhHant, 0), "1970年1月1日 08:00");
    }
}

/// The current page's query with another page number (as a link's `href`), keeping the rest
/// of the query (filters, search).
pub fn page_href(query: &leptos_router::params::ParamsMap, page: i64) -> String {
    let mut query = query.clone();
    query.remove("page");
    query.insert("page", page.to_string());
    query.to_query_string()
}

/// "Page N of M" between links to the pages before and after, which keep the current query.
#[component]
pub fn Pager(
    page: i64,
    pages: i64,
    /// The links' words (default "← Previous" and "Next →"), e.g. "← Newer".
    #[prop(optional)]
    previous: Option<&'static str>,
    #[prop(optional)] next: Option<&'static str>,
) -> impl IntoView {
    let lang = use_lang();
    let previous = previous.unwrap_or_else(|| tr::ui_previous(lang));
    let next = next.unwrap_or_else(|| tr::ui_next(lang));
    let query = leptos_router::hooks::use_query_map().get_untracked();
    view! {
        <nav class="pager" aria-label=tr::ui_pages(lang)>
            {(page > 1).then(|| view! { <a href=page_href(&query, page - 1)>{previous}</a> })}
            <span>{tr::ui_page_of(lang, page, pages.max(1))}</span>
            {(page < pages).then(|| view! { <a href=page_href(&query, page + 1)>{next}</a> })}
        </nav>
    }
}
