//! The statement page: every ledger entry with its running balance, filtered by type and
//! period, and exported as CSV with the same filter.

use super::{hkt_date_to_ms, EntryKind, LedgerEntry, StatementFilter};
use crate::error::AppError;
use crate::i18n::{tr, use_lang, Lang};
use crate::shell::RequireViewer;
use crate::ui::{format_hkt_in, EmptyState, Loading, Notice, NoticeKind, PageHeader};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// A ledger entry's type as people read it in `lang` (`Top-up`, 增值); "Other" for a type this
/// build does not know. The CSV keeps [`EntryKind::label`].
pub fn kind_label(lang: Lang, kind: &str) -> &'static str {
    match EntryKind::parse(kind) {
        Some(EntryKind::TrialCredit) => tr::ledger_kind_trial_credit(lang),
        Some(EntryKind::TopUp) => tr::ledger_kind_top_up(lang),
        Some(EntryKind::Bonus) => tr::ledger_kind_bonus(lang),
        Some(EntryKind::Charge) => tr::ledger_kind_charge(lang),
        Some(EntryKind::Refund) => tr::ledger_kind_refund(lang),
        Some(EntryKind::TransferIn) => tr::ledger_kind_transfer_in(lang),
        Some(EntryKind::TransferOut) => tr::ledger_kind_transfer_out(lang),
        Some(EntryKind::Fee) => tr::ledger_kind_fee(lang),
        None => tr::ledger_kind_other(lang),
    }
}

/// Builds a filter from the statement page's query parameters (`kind`, `from`, `to` dates),
/// its refusals worded in `lang`.
pub fn filter_from_query(
    lang: Lang,
    kind: &str,
    from: &str,
    to: &str,
) -> Result<StatementFilter, AppError> {
    let mut errors = crate::error::FieldErrors::default();
    let kind = match kind {
        "" => None,
        k if EntryKind::parse(k).is_some() => Some(k.to_string()),
        _ => {
            errors.add("kind", tr::ledger_choose_type(lang));
            None
        }
    };
    let mut date = |field: &str, value: &str| -> Option<i64> {
        if value.is_empty() {
            return None;
        }
        let ms = hkt_date_to_ms(value);
        if ms.is_none() {
            errors.add(field, tr::ledger_enter_date(lang));
        }
        ms
    };
    let from_ms = date("from", from);
    // The `to` date is inclusive for people: entries before the following midnight.
    let to_ms = date("to", to).map(|ms| ms + 86_400_000);
    errors.into_result()?;
    Ok(StatementFilter {
        kind,
        from: from_ms,
        to: to_ms,
    })
}

#[server(endpoint = "my_statement")]
pub async fn my_statement(
    kind: String,
    from: String,
    to: String,
) -> Result<Vec<LedgerEntry>, AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_viewer()?;
            let filter = filter_from_query(crate::i18n::page_lang(), &kind, &from, &to)?;
            let db = crate::auth::context::server_state()?.db;
            Ok(super::store::entries(&db, viewer.account_id, &filter, 1_000).await?)
        }
        .await,
    )
}

#[component]
pub fn StatementPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        <Title text=tr::ledger_title(lang)/>
        <RequireViewer>
            <Statement/>
        </RequireViewer>
    }
}

#[component]
fn Statement() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let param = move |name: &'static str| query.with(|q| q.get(name).unwrap_or_default());
    let entries = Resource::new(
        move || (param("kind"), param("from"), param("to")),
        |(kind, from, to)| my_statement(kind, from, to),
    );
    let csv_href = move || {
        format!(
            "/account/statement.csv?kind={}&from={}&to={}",
            param("kind"),
            param("from"),
            param("to")
        )
    };
    view! {
        <PageHeader title=tr::ledger_title(lang) subtitle=tr::ledger_subtitle(lang)/>
        <section class="card">
            <form method="get" action="/account/statement" class="filters">
                <div class="field">
                    <label for="statement-kind">{tr::ledger_col_type(lang)}</label>
                    <select id="statement-kind" name="kind">
                        <option value="" selected=move || param("kind").is_empty()>{tr::ledger_all_types(lang)}</option>
                        {EntryKind::ALL.into_iter().map(|k| view! {
                            <option value=k.as_str() selected=move || param("kind") == k.as_str()>{kind_label(lang, k.as_str())}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="statement-from">{tr::ledger_from(lang)}</label>
                    <input id="statement-from" type="date" name="from" prop:value=move || param("from")/>
                </div>
                <div class="field">
                    <label for="statement-to">{tr::ledger_to(lang)}</label>
                    <input id="statement-to" type="date" name="to" prop:value=move || param("to")/>
                </div>
                <div class="filter-actions">
                    <button type="submit" class="button button-primary">{tr::ledger_show(lang)}</button>
                    <a class="button button-quiet" href=csv_href download="statement.csv">{tr::ledger_export_csv(lang)}</a>
                </div>
            </form>
        </section>
        <Suspense fallback=move || view! { <Loading what=tr::ledger_loading(lang)/> }>
            {move || Suspend::new(async move {
                match entries.await {
                    Ok(list) if list.is_empty() => view! {
                        <section class="card"><EmptyState title=tr::ledger_no_entries_title(lang)><p>{tr::ledger_no_entries_text(lang)}</p></EmptyState></section>
                    }.into_any(),
                    Ok(list) => view! { <section class="card"><StatementTable entries=list/></section> }.into_any(),
                    Err(e) => view! { <Notice kind=NoticeKind::Error>{e.localized(lang)}</Notice> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A statement table; shared by the customer's statement and the staff account view.
#[component]
pub fn StatementTable(entries: Vec<LedgerEntry>) -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="statement">
                <thead><tr>
                    <th scope="col">{tr::ledger_col_date(lang)}</th>
                    <th scope="col">{tr::ledger_col_type(lang)}</th>
                    <th scope="col">{tr::ledger_col_description(lang)}</th>
                    <th scope="col" class="num">{tr::ledger_col_amount(lang)}</th>
                    <th scope="col" class="num">{tr::ledger_col_balance(lang)}</th>
                </tr></thead>
                <tbody>
                    {entries.into_iter().map(|e| view! {
                        <tr>
                            <td>{format_hkt_in(lang, e.created_at)}</td>
                            <td>{kind_label(lang, &e.kind)}</td>
                            // Stored in English; a `server-*` template words it in `lang`.
                            <td>{crate::i18n::from_english(lang, &e.description)}</td>
                            <td class="num">{e.amount.to_string()}</td>
                            <td class="num">{e.balance_after.to_string()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The CSV export: a plain axum handler (a download, not a server function), scoped to the
/// caller's own account like every other read.
#[cfg(feature = "ssr")]
pub async fn statement_csv(
    axum::extract::State(state): axum::extract::State<crate::auth::context::ServerState>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
    axum::Extension(ctx): axum::Extension<crate::auth::context::RequestContext>,
    headers: http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use http::StatusCode;
    let lang = crate::i18n::request_lang(&headers, Some(&ctx));
    let Some(viewer) = ctx.viewer else {
        let text = AppError::Unauthenticated.localized(lang);
        return (StatusCode::UNAUTHORIZED, text).into_response();
    };
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    let filter = match filter_from_query(lang, get("kind"), get("from"), get("to")) {
        Ok(f) => f,
        Err(e) => return (StatusCode::UNPROCESSABLE_ENTITY, e.localized(lang)).into_response(),
    };
    let db = state.db.clone();
    let account_id = viewer.account_id;
    crate::download::stream_csv(
        "statement.csv".into(),
        format!("{}\r\n", tr::ledger_csv_header(lang)),
        move |before| {
            let (db, filter) = (db.clone(), filter.clone());
            async move {
                let entries = super::store::entries_before(
                    &db,
                    account_id,
                    &filter,
                    before.unwrap_or(i64::MAX),
                    crate::download::CHUNK,
                )
                .await?;
                Ok(crate::download::chunk_result(
                    &entries,
                    |e| e.id,
                    |e| {
                        format!(
                            "{},{},{},{},{}\r\n",
                            crate::ui::format_hkt(e.created_at),
                            EntryKind::parse(&e.kind)
                                .map(EntryKind::label)
                                .unwrap_or("Other"),
                            csv_field(&e.description),
                            plain_amount(e.amount),
                            plain_amount(e.balance_after)
                        )
                    },
                ))
            }
        },
    )
}

/// `1234.5000`-style amounts for spreadsheets (no currency sign, no grouping, 4 decimals).
pub fn plain_amount(m: sms::Money) -> String {
    let minor = m.minor();
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:04}", abs / 10_000, abs % 10_000)
}

/// Quotes a CSV field when needed, and defuses spreadsheet formulas (=, +, -, @).
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(plain_amount(sms::Money::from_minor(-12_345)), "-1.2345");
    }

    #[test]
    fn statement_filters_parse_hkt_dates_inclusively() {
        let f = filter_from_query(Lang::En, "top_up", "2026-11-01", "2026-11-30").expect("valid");
        assert_eq!(f.kind.as_deref(), Some("top_up"));
        assert_eq!(f.from, Some(1_793_462_400_000));
        assert_eq!(f.to, Some(1_796_054_400_000));
        let err = filter_from_query(Lang::En, "nope", "2026-13-01", "x").expect_err("invalid");
        assert!(
            err.message_for("kind").is_some()
                && err.message_for("from").is_some()
                && err.message_for("to").is_some()
        );
    }
}
