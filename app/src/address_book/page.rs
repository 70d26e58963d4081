//! `/address-book`: contacts and groups, their CSV import and export, and the consent list
//! that the do-not-call filter respects.

use super::{
    load_address_book, AddressBook, CreateGroup, DeleteContact, DeleteGroup, SaveContact,
    SetMembership,
};
use crate::dnc::consent::{my_consents, AddConsent, DeleteConsent};
use crate::i18n::{tr, use_lang};
use crate::shell::RequireViewer;
use crate::ui::submit_form;
use crate::ui::{
    action_error, field_error, EmptyState, FormError, Loading, Notice, NoticeKind, PageHeader,
    SubmitButton, TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AddressBookPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        <Title text=tr::contacts_title(lang)/>
        <RequireViewer>
            <PageHeader title=tr::contacts_title(lang) subtitle=tr::contacts_subtitle(lang)/>
            <Contacts/>
            <Consents/>
        </RequireViewer>
    }
}

#[component]
fn Contacts() -> impl IntoView {
    let lang = use_lang();
    let save = ServerAction::<SaveContact>::new();
    let delete = ServerAction::<DeleteContact>::new();
    let create_group = ServerAction::<CreateGroup>::new();
    let delete_group = ServerAction::<DeleteGroup>::new();
    let membership = ServerAction::<SetMembership>::new();
    let import =
        Action::new_local(|data: &web_sys::FormData| super::import_contacts(data.clone().into()));
    let book = Resource::new(
        move || {
            (
                save.version().get(),
                delete.version().get(),
                create_group.version().get(),
                delete_group.version().get(),
                membership.version().get(),
                import.version().get(),
            )
        },
        |_| load_address_book(),
    );
    let save_value = save.value();
    let group_value = create_group.value();
    let import_value = import.value();
    view! {
        <section class="card" aria-labelledby="contacts-heading">
            <h2 id="contacts-heading">{tr::contacts_heading(lang)}</h2>
            <ActionForm action=save attr:class="form form-grid">
                <FormError error=action_error(save_value)/>
                <TextField label=tr::contacts_name(lang) name="name" required=true error=field_error(save_value, "name")/>
                <TextField label=tr::contacts_mobile(lang) name="number" required=true hint=tr::contacts_mobile_hint(lang) error=field_error(save_value, "number")/>
                <SubmitButton label=tr::contacts_add(lang) pending_label=tr::contacts_saving(lang) pending=save.pending()/>
            </ActionForm>
            <Suspense fallback=move || view! { <Loading what=tr::contacts_loading(lang)/> }>
                {move || Suspend::new(async move {
                    match book.await {
                        Ok(book) => view! { <ContactTable book delete membership/> }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
            <div class="actions">
                <a class="button button-quiet" href="/address-book/contacts.csv" download="contacts.csv" rel="external">{tr::contacts_export(lang)}</a>
            </div>
            <form class="form form-grid" on:submit=submit_form(import) novalidate>
                <FormError error=action_error(import_value)/>
                <TextField label=tr::contacts_import_label(lang) name="file" kind="file" error=field_error(import_value, "file")/>
                {move || match import_value.get() {
                    Some(Ok(r)) => Some({
                        let summary = tr::contacts_imported(lang, r.added, r.rejected.len(), r.updated);
                        view! {
                        <Notice kind=NoticeKind::Success>
                            <span data-testid="contacts-imported">{summary}</span>
                        </Notice>
                        <RejectedTable rows=r.rejected/>
                    }}),
                    _ => None,
                }}
                <SubmitButton label=tr::contacts_import(lang) pending_label=tr::contacts_importing(lang) pending=import.pending()/>
            </form>
        </section>
        <section class="card" aria-labelledby="groups-heading">
            <h2 id="groups-heading">{tr::contacts_groups(lang)}</h2>
            <ActionForm action=create_group attr:class="form form-grid">
                <FormError error=action_error(group_value)/>
                <TextField label=tr::contacts_new_group(lang) name="group_name" required=true error=field_error(group_value, "group_name")/>
                <SubmitButton label=tr::contacts_create_group(lang) pending_label=tr::contacts_creating(lang) pending=create_group.pending()/>
            </ActionForm>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    book.await.ok().map(|book| {
                        if book.groups.is_empty() {
                            view! { <EmptyState title=tr::contacts_no_groups(lang)><p>{tr::contacts_no_groups_text(lang)}</p></EmptyState> }.into_any()
                        } else {
                            view! {
                                <ul class="plain-list" data-testid="groups">
                                    {book.groups.into_iter().map(|g| view! {
                                        <li>
                                            {format!("{} ", tr::contacts_group_item(lang, g.members, &g.name))}
                                            <button type="button" class="button button-quiet" on:click=move |_| { delete_group.dispatch(DeleteGroup { group_id: g.id }); }>{tr::contacts_delete_group(lang)}</button>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                    })
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn ContactTable(
    book: AddressBook,
    delete: ServerAction<DeleteContact>,
    membership: ServerAction<SetMembership>,
) -> impl IntoView {
    let lang = use_lang();
    if book.contacts.is_empty() {
        return view! { <EmptyState title=tr::contacts_empty(lang)><p>{tr::contacts_empty_text(lang)}</p></EmptyState> }.into_any();
    }
    let groups = book.groups.clone();
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="contacts">
                <thead><tr>
                    <th scope="col">{tr::contacts_col_name(lang)}</th>
                    <th scope="col">{tr::contacts_col_number(lang)}</th>
                    {groups.iter().map(|g| view! { <th scope="col">{g.name.clone()}</th> }).collect_view()}
                    <th scope="col"><span class="visually-hidden">{tr::contacts_col_actions(lang)}</span></th>
                </tr></thead>
                <tbody>
                    {book.contacts.into_iter().map(|c| {
                        let contact_id = c.id;
                        view! {
                            <tr>
                                <td>{c.name.clone()}</td>
                                <td>{format!("+{}", c.msisdn)}</td>
                                {groups.iter().map(|g| {
                                    let group_id = g.id;
                                    let checked = c.groups.contains(&group_id);
                                    let label = tr::contacts_in_group(lang, &g.name, &c.name);
                                    view! {
                                        <td><input type="checkbox" aria-label=label prop:checked=checked
                                            on:change=move |ev| { membership.dispatch(SetMembership { group_id, contact_id, member: event_target_checked(&ev) }); }/></td>
                                    }
                                }).collect_view()}
                                <td><button type="button" class="button button-quiet" on:click=move |_| { delete.dispatch(DeleteContact { contact_id }); }>{tr::contacts_delete(lang)}</button></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}

/// Rejected rows with their reasons.
#[component]
pub fn RejectedTable(rows: Vec<crate::broadcast::RejectedRow>) -> impl IntoView {
    let lang = use_lang();
    (!rows.is_empty()).then(|| {
        view! {
            <div class="table-wrap">
                <table class="table" data-testid="import-rejected-rows">
                    <thead><tr><th scope="col">{tr::contacts_col_row(lang)}</th><th scope="col">{tr::contacts_col_input(lang)}</th><th scope="col">{tr::contacts_col_reason(lang)}</th></tr></thead>
                    <tbody>
                        {rows.into_iter().take(500).map(|r| view! { <tr><td>{r.row}</td><td>{r.input}</td><td>{r.reason}</td></tr> }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
    })
}

#[component]
fn Consents() -> impl IntoView {
    let lang = use_lang();
    let add = ServerAction::<AddConsent>::new();
    let delete = ServerAction::<DeleteConsent>::new();
    let import = Action::new_local(|data: &web_sys::FormData| {
        crate::dnc::consent::import_consents(data.clone().into())
    });
    let list = Resource::new(
        move || {
            (
                add.version().get(),
                delete.version().get(),
                import.version().get(),
            )
        },
        |_| my_consents(),
    );
    let add_value = add.value();
    let import_value = import.value();
    view! {
        <section class="card" aria-labelledby="consent-heading">
            <h2 id="consent-heading">{tr::contacts_consent(lang)}</h2>
            <p class="muted">{tr::contacts_consent_text(lang)}</p>
            <ActionForm action=add attr:class="form form-grid">
                <FormError error=action_error(add_value)/>
                <TextField label=tr::contacts_mobile(lang) name="consent_number" required=true error=field_error(add_value, "consent_number")/>
                <TextField label=tr::contacts_consent_date(lang) name="consent_date" kind="date" required=true error=field_error(add_value, "consent_date")/>
                <TextField label=tr::contacts_note(lang) name="note" hint=tr::contacts_note_hint(lang) error=field_error(add_value, "note")/>
                <SubmitButton label=tr::contacts_record_consent(lang) pending_label=tr::contacts_saving(lang) pending=add.pending()/>
            </ActionForm>
            <form class="form form-grid" on:submit=submit_form(import) novalidate>
                <FormError error=action_error(import_value)/>
                <TextField label=tr::contacts_import_consent_label(lang) name="file" kind="file" error=field_error(import_value, "file")/>
                {move || match import_value.get() {
                    Some(Ok(r)) => Some({
                        let summary = tr::contacts_consent_imported(lang, r.added, r.rejected.len());
                        view! {
                            <Notice kind=NoticeKind::Success>{summary}</Notice>
                            <RejectedTable rows=r.rejected/>
                        }
                    }),
                    _ => None,
                }}
                <SubmitButton label=tr::contacts_import_consent(lang) pending_label=tr::contacts_importing(lang) pending=import.pending()/>
            </form>
            <Suspense fallback=move || view! { <Loading what=tr::contacts_loading_consent(lang)/> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(list) if list.is_empty() => view! { <EmptyState title=tr::contacts_no_consent(lang)><p>{tr::contacts_no_consent_text(lang)}</p></EmptyState> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap"><table class="table" data-testid="consents">
                                <thead><tr><th scope="col">{tr::contacts_col_number(lang)}</th><th scope="col">{tr::contacts_consent_date(lang)}</th><th scope="col">{tr::contacts_note(lang)}</th><th scope="col"><span class="visually-hidden">{tr::contacts_col_actions(lang)}</span></th></tr></thead>
                                <tbody>{list.into_iter().map(|c| {
                                    let consent_id = c.id;
                                    view! {
                                        <tr><td>{format!("+{}", c.msisdn)}</td><td>{c.consent_date}</td><td>{c.note}</td>
                                        <td><button type="button" class="button button-quiet" on:click=move |_| { delete.dispatch(DeleteConsent { consent_id }); }>{tr::contacts_remove(lang)}</button></td></tr>
                                    }
                                }).collect_view()}</tbody>
                            </table></div>
                        }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
