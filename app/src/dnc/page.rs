//! `/admin/dnc`: the register in force (its date and size) and the form that replaces it.

use super::{dnc_register, RegisterImport};
use crate::shell::RequireViewer;
use crate::ui::submit_form;
use crate::ui::{
    action_error, field_error, format_hkt, EmptyState, FormError, Loading, Notice, NoticeKind,
    PageHeader, SubmitButton, TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DncAdminPage() -> impl IntoView {
    view! {
        <Title text="Do-not-call register"/>
        <RequireViewer staff=true>
            <DncAdmin/>
        </RequireViewer>
    }
}

#[component]
fn DncAdmin() -> impl IntoView {
    let upload = Action::new_local(|data: &web_sys::FormData| {
        super::import_dnc_register(data.clone().into())
    });
    let value = upload.value();
    let current = Resource::new(move || upload.version().get(), |_| dnc_register());
    view! {
        <PageHeader title="Do-not-call register" subtitle="The OFCA register customers may filter their batches against (free). Numbers a customer recorded consent for are never filtered."/>
        <section class="card" aria-labelledby="dnc-current-heading">
            <h2 id="dnc-current-heading">"Register in force"</h2>
            <Suspense fallback=|| view! { <Loading what="the register"/> }>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(Some(v)) => view! {
                            <p data-testid="dnc-current">
                                <strong>{format!("{} numbers", v.number_count)}</strong>
                                {format!(", register of {}, imported {} by {}.", v.register_date, format_hkt(v.created_at), v.imported_by)}
                            </p>
                        }.into_any(),
                        Ok(None) => view! { <EmptyState title="No register imported yet"><p>"Until one is imported, filtering keeps every number."</p></EmptyState> }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <section class="card" aria-labelledby="dnc-import-heading">
            <h2 id="dnc-import-heading">"Replace the register"</h2>
            <p class="muted">"Upload the register as CSV (one number per row in the first column; a header row is fine), up to 11 MB. The new list replaces the old one in a single step."</p>
            <form class="form form-grid" on:submit=submit_form(upload) novalidate>
                <FormError error=action_error(value)/>
                <TextField label="Register date" name="register_date" kind="date" required=true error=field_error(value, "register_date")/>
                <TextField label="Register file (CSV)" name="file" kind="file" required=true error=field_error(value, "file")/>
                {move || match value.get() {
                    Some(Ok(RegisterImport { version, rejected_rows, rejected_examples })) => Some(view! {
                        <Notice kind=NoticeKind::Success>
                            <span data-testid="dnc-imported">{format!("Imported {} numbers (register of {}).", version.number_count, version.register_date)}</span>
                            {(rejected_rows > 0).then(|| format!(" {rejected_rows} row(s) held no phone number, e.g. row {}.", rejected_examples.first().map(|r| r.row).unwrap_or_default()))}
                        </Notice>
                    }),
                    _ => None,
                }}
                <SubmitButton label="Import register" pending_label="Importing…" pending=upload.pending()/>
            </form>
        </section>
    }
}
