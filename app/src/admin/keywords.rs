//! `/admin/keywords`: the China illegal-keyword library (§5). Staff search it, add and remove
//! keywords and import a CSV of them, each change audited; open composers pick the library up
//! on their next load.

use super::pages::AdminNav;
use crate::address_book::RejectedTable;
use crate::error::AppError;
use crate::i18n::{tr, use_lang};
use crate::shell::RequireViewer;
use crate::ui::{
    action_error, field_error, format_hkt_in, submit_form, EmptyState, FormError, Loading, Notice,
    NoticeKind, PageHeader, Pager, SubmitButton, TextField,
};
use engine::keywords::{KeywordImport, KeywordPage};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use server_fn::codec::{MultipartData, MultipartFormData};

/// Keyword files are text: a library of tens of thousands of keywords is well under this.
#[cfg(feature = "ssr")]
const MAX_KEYWORD_FILE_BYTES: usize = 2 * 1024 * 1024;

#[server(endpoint = "china_keywords")]
pub async fn china_keywords(query: String, page: i64) -> Result<KeywordPage, AppError> {
    crate::auth::context::as_staff(|_, db| async move {
        Ok(engine::keywords::store::page(&db, &query, page).await?)
    })
    .await
}

#[server(endpoint = "add_china_keyword")]
pub async fn add_china_keyword(keyword: String) -> Result<(), AppError> {
    crate::auth::context::as_staff(|staff, db| async move {
        Ok(engine::keywords::store::add(&db, staff.account_id, &keyword).await?)
    })
    .await
}

#[server(endpoint = "remove_china_keyword")]
pub async fn remove_china_keyword(id: i64) -> Result<(), AppError> {
    crate::auth::context::as_staff(|staff, db| async move {
        Ok(engine::keywords::store::remove(&db, staff.account_id, id).await?)
    })
    .await
}

/// Adds the keywords of an uploaded CSV (multipart field `file`; one keyword per row).
#[server(endpoint = "import_china_keywords", input = MultipartFormData)]
pub async fn import_china_keywords(data: MultipartData) -> Result<KeywordImport, AppError> {
    crate::auth::context::as_staff(|staff, db| async move {
        let upload = crate::import::read_upload(data, MAX_KEYWORD_FILE_BYTES).await?;
        let bytes = upload
            .file
            .ok_or_else(|| {
                AppError::field(
                    "file",
                    tr::admin_choose_keyword_csv(crate::i18n::page_lang()),
                )
            })?
            .bytes;
        Ok(engine::keywords::store::import_csv(&db, staff.account_id, bytes).await?)
    })
    .await
}

#[component]
pub fn KeywordsPage() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q").unwrap_or_default());
    let page = move || {
        query.with(|m| {
            m.get("page")
                .and_then(|p| p.parse::<i64>().ok())
                .unwrap_or(1)
        })
    };
    let add = ServerAction::<AddChinaKeyword>::new();
    let remove = ServerAction::<RemoveChinaKeyword>::new();
    let import =
        Action::new_local(|data: &web_sys::FormData| import_china_keywords(data.clone().into()));
    let list = Resource::new(
        move || {
            (
                q(),
                page(),
                add.version().get(),
                remove.version().get(),
                import.version().get(),
            )
        },
        |(q, page, ..)| china_keywords(q, page),
    );
    let add_value = add.value();
    let import_value = import.value();
    view! {
        <Title text=tr::admin_keywords_page_title(lang)/>
        <RequireViewer staff=true>
            <AdminNav/>
            <PageHeader title=tr::admin_nav_keywords(lang) subtitle=tr::admin_keywords_subtitle(lang)/>
            <section class="card" aria-labelledby="keyword-add-heading">
                <h2 id="keyword-add-heading">{tr::admin_add(lang)}</h2>
                <ActionForm action=add attr:class="form form-inline" attr:novalidate=true>
                    <FormError error=action_error(add_value)/>
                    <TextField label=tr::admin_keyword(lang) name="keyword" required=true error=field_error(add_value, "keyword")/>
                    <SubmitButton label=tr::admin_add_keyword(lang) pending_label=tr::admin_adding(lang) pending=add.pending()/>
                </ActionForm>
                <form class="form form-inline" on:submit=submit_form(import) novalidate>
                    <FormError error=action_error(import_value)/>
                    <TextField label=tr::admin_import_keywords(lang) name="file" kind="file" error=field_error(import_value, "file")/>
                    <SubmitButton label=tr::admin_import(lang) pending_label=tr::admin_importing(lang) pending=import.pending()/>
                </form>
                {move || match import_value.get() {
                    Some(Ok(r)) => Some({
                        let summary = tr::admin_import_summary(lang, r.added, r.already, r.rejected.len());
                        view! {
                            <Notice kind=NoticeKind::Success><span data-testid="keyword-import">{summary}</span></Notice>
                            <RejectedTable rows=r.rejected/>
                        }
                    }),
                    _ => None,
                }}
            </section>
            <section class="card" aria-labelledby="keyword-list-heading">
                <h2 id="keyword-list-heading">{tr::admin_library(lang)}</h2>
                <form method="get" action="/admin/keywords" class="filters" role="search" aria-label=tr::admin_search_keywords(lang)>
                    <div class="field">
                        <label for="keyword-search">{tr::admin_search(lang)}</label>
                        <input id="keyword-search" name="q" value=q/>
                    </div>
                    <div class="filter-actions"><button class="button button-primary" type="submit">{tr::admin_search(lang)}</button></div>
                </form>
                <Suspense fallback=move || view! { <Loading what=tr::admin_loading_keywords(lang)/> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Ok(l) if l.keywords.is_empty() => view! {
                                <EmptyState title=tr::admin_no_keywords_match(lang)><p>{tr::admin_library_total(lang, l.total)}</p></EmptyState>
                            }.into_any(),
                            Ok(l) => {
                                view! {
                                    <p class="muted" data-testid="keyword-count">{tr::admin_keyword_count(lang, l.matching, l.total)}</p>
                                    <div class="table-wrap"><table class="table" data-testid="keywords">
                                        <thead><tr><th scope="col">{tr::admin_keyword(lang)}</th><th scope="col">{tr::admin_added(lang)}</th><th scope="col"><span class="visually-hidden">{tr::admin_actions(lang)}</span></th></tr></thead>
                                        <tbody>{l.keywords.into_iter().map(|k| {
                                            let label = tr::admin_remove_label(lang, &k.keyword);
                                            view! {
                                                <tr>
                                                    <td>{k.keyword}</td>
                                                    <td>{if k.created_at == 0 { tr::admin_shipped_with_ferry(lang).to_string() } else { format_hkt_in(lang, k.created_at) }}</td>
                                                    <td>
                                                        <ActionForm action=remove attr:class="inline-form">
                                                            <input type="hidden" name="id" value=k.id.to_string()/>
                                                            <button type="submit" class="button button-quiet" aria-label=label>{tr::admin_remove(lang)}</button>
                                                        </ActionForm>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}</tbody>
                                    </table></div>
                                    <Pager page=l.page pages=l.pages/>
                                }.into_any()
                            }
                            Err(e) => view! { <Notice kind=NoticeKind::Error>{e.localized(lang)}</Notice> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </RequireViewer>
    }
}
