//! `/admin/dnc`: the register in force (its date and size) and the form that replaces it.

use super::{dnc_register, RegisterImport};
use crate::i18n::{tr, use_lang};
use crate::shell::RequireViewer;
use crate::ui::submit_form;
use crate::ui::{
    action_error, field_error, format_hkt_in, EmptyState, FormError, Loading, Notice, NoticeKind,
    PageHeader, SubmitButton, TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DncAdminPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        <Title text=tr::contacts_dnc_title(lang)/>
        <RequireViewer staff=true>
            <DncAdmin/>
        </RequireViewer>
    }
}

#[component]
fn DncAdmin() -> impl IntoView {
    let lang = use_lang();
    let upload = Action::new_local(|data: &web_sys::FormData| {
        super::import_dnc_register(data.clone().into())
    });
    let value = upload.value();
    let current = Resource::new(move || upload.version().get(), |_| dnc_register());
    view! {
        <PageHeader title=tr::contacts_dnc_title(lang) subtitle=tr::contacts_dnc_subtitle(lang)/>
        <section class="card" aria-labelledby="dnc-current-heading">
            <h2 id="dnc-current-heading">{tr::contacts_dnc_current(lang)}</h2>
            <Suspense fallback=move || view! { <Loading what=tr::contacts_dnc_loading(lang)/> }>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(Some(v)) => view! {
                            <p data-testid="dnc-current">
                                <strong>{tr::contacts_dnc_count(lang, v.number_count)}</strong>
                                {tr::contacts_dnc_details(lang, format_hkt_in(lang, v.created_at), v.imported_by, v.register_date)}
                            </p>
                        }.into_any(),
                        Ok(None) => view! { <EmptyState title=tr::contacts_dnc_none(lang)><p>{tr::contacts_dnc_none_text(lang)}</p></EmptyState> }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.localized(crate::i18n::use_lang())}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <section class="card" aria-labelledby="dnc-import-heading">
            <h2 id="dnc-import-heading">{tr::contacts_dnc_replace(lang)}</h2>
            <p class="muted">{tr::contacts_dnc_replace_text(lang)}</p>
            <form class="form form-grid" on:submit=submit_form(upload) novalidate>
                <FormError error=action_error(value)/>
                <TextField label=tr::contacts_dnc_date(lang) name="register_date" kind="date" required=true error=field_error(value, "register_date")/>
                <TextField label=tr::contacts_dnc_file(lang) name="file" kind="file" required=true error=field_error(value, "file")/>
                {move || match value.get() {
                    Some(Ok(RegisterImport { version, rejected_rows, rejected_examples })) => Some(view! {
                        <Notice kind=NoticeKind::Success>
                            <span data-testid="dnc-imported">{tr::contacts_dnc_imported(lang, version.number_count, version.register_date)}</span>
                            {(rejected_rows > 0).then(|| tr::contacts_dnc_no_number(lang, rejected_rows, rejected_examples.first().map(|r| r.row).unwrap_or_default()))}
                        </Notice>
                    }),
                    _ => None,
                }}
                <SubmitButton label=tr::contacts_dnc_import(lang) pending_label=tr::contacts_importing(lang) pending=upload.pending()/>
            </form>
        </section>
    }
}
