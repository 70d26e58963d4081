//! `/address-book`: contacts and groups, their CSV import and export, and the consent list
//! that the do-not-call filter respects.

use super::{
    load_address_book, AddressBook, CreateGroup, DeleteContact, DeleteGroup, SaveContact,
    SetMembership,
};
use crate::dnc::consent::{my_consents, AddConsent, DeleteConsent};
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
    view! {
        <Title text="Address Book"/>
        <RequireViewer>
            <PageHeader title="Address Book" subtitle="Contacts and groups for this account. Add a group to a broadcast from the composer."/>
            <Contacts/>
            <Consents/>
        </RequireViewer>
    }
}

#[component]
fn Contacts() -> impl IntoView {
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
            <h2 id="contacts-heading">"Contacts"</h2>
            <ActionForm action=save attr:class="form form-grid">
                <FormError error=action_error(save_value)/>
                <TextField label="Name" name="name" required=true error=field_error(save_value, "name")/>
                <TextField label="Mobile number" name="number" required=true hint="Hong Kong numbers need no country code." error=field_error(save_value, "number")/>
                <SubmitButton label="Add contact" pending_label="Saving…" pending=save.pending()/>
            </ActionForm>
            <Suspense fallback=|| view! { <Loading what="your contacts"/> }>
                {move || Suspend::new(async move {
                    match book.await {
                        Ok(book) => view! { <ContactTable book delete membership/> }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
            <div class="actions">
                <a class="button button-quiet" href="/address-book/contacts.csv" download="contacts.csv" rel="external">"Export CSV"</a>
            </div>
            <form class="form form-grid" on:submit=submit_form(import) novalidate>
                <FormError error=action_error(import_value)/>
                <TextField label="Import contacts (CSV: name, number, group)" name="file" kind="file" error=field_error(import_value, "file")/>
                {move || match import_value.get() {
                    Some(Ok(r)) => Some({
                        let summary = format!("{} added, {} updated, {} rejected.", r.added, r.updated, r.rejected.len());
                        view! {
                        <Notice kind=NoticeKind::Success>
                            <span data-testid="contacts-imported">{summary}</span>
                        </Notice>
                        <RejectedTable rows=r.rejected/>
                    }}),
                    _ => None,
                }}
                <SubmitButton label="Import contacts" pending_label="Importing…" pending=import.pending()/>
            </form>
        </section>
        <section class="card" aria-labelledby="groups-heading">
            <h2 id="groups-heading">"Groups"</h2>
            <ActionForm action=create_group attr:class="form form-grid">
                <FormError error=action_error(group_value)/>
                <TextField label="New group" name="group_name" required=true error=field_error(group_value, "group_name")/>
                <SubmitButton label="Create group" pending_label="Creating…" pending=create_group.pending()/>
            </ActionForm>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    book.await.ok().map(|book| {
                        if book.groups.is_empty() {
                            view! { <EmptyState title="No groups yet"><p>"Create a group, then tick contacts into it."</p></EmptyState> }.into_any()
                        } else {
                            view! {
                                <ul class="plain-list" data-testid="groups">
                                    {book.groups.into_iter().map(|g| view! {
                                        <li>
                                            {format!("{} ({} contact{}) ", g.name, g.members, if g.members == 1 { "" } else { "s" })}
                                            <button type="button" class="button button-quiet" on:click=move |_| { delete_group.dispatch(DeleteGroup { group_id: g.id }); }>"Delete group"</button>
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
    if book.contacts.is_empty() {
        return view! { <EmptyState title="No contacts yet"><p>"Add contacts one by one or import a CSV file."</p></EmptyState> }.into_any();
    }
    let groups = book.groups.clone();
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="contacts">
                <thead><tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Number"</th>
                    {groups.iter().map(|g| view! { <th scope="col">{g.name.clone()}</th> }).collect_view()}
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
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
                                    let label = format!("{} in {}", c.name, g.name);
                                    view! {
                                        <td><input type="checkbox" aria-label=label prop:checked=checked
                                            on:change=move |ev| { membership.dispatch(SetMembership { group_id, contact_id, member: event_target_checked(&ev) }); }/></td>
                                    }
                                }).collect_view()}
                                <td><button type="button" class="button button-quiet" on:click=move |_| { delete.dispatch(DeleteContact { contact_id }); }>"Delete"</button></td>
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
    (!rows.is_empty()).then(|| {
        view! {
            <div class="table-wrap">
                <table class="table" data-testid="import-rejected-rows">
                    <thead><tr><th scope="col">"Row"</th><th scope="col">"Input"</th><th scope="col">"Reason"</th></tr></thead>
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
            <h2 id="consent-heading">"Consent"</h2>
            <p class="muted">"Numbers whose owners agreed to receive your messages. The do-not-call filter never removes them."</p>
            <ActionForm action=add attr:class="form form-grid">
                <FormError error=action_error(add_value)/>
                <TextField label="Mobile number" name="consent_number" required=true error=field_error(add_value, "consent_number")/>
                <TextField label="Consent date" name="consent_date" kind="date" required=true error=field_error(add_value, "consent_date")/>
                <TextField label="Note" name="note" hint="How consent was given (optional)." error=field_error(add_value, "note")/>
                <SubmitButton label="Record consent" pending_label="Saving…" pending=add.pending()/>
            </ActionForm>
            <form class="form form-grid" on:submit=submit_form(import) novalidate>
                <FormError error=action_error(import_value)/>
                <TextField label="Import consent (CSV: number, date, note)" name="file" kind="file" error=field_error(import_value, "file")/>
                {move || match import_value.get() {
                    Some(Ok(r)) => Some({
                        let summary = format!("{} recorded, {} rejected.", r.added, r.rejected.len());
                        view! {
                            <Notice kind=NoticeKind::Success>{summary}</Notice>
                            <RejectedTable rows=r.rejected/>
                        }
                    }),
                    _ => None,
                }}
                <SubmitButton label="Import consent" pending_label="Importing…" pending=import.pending()/>
            </form>
            <Suspense fallback=|| view! { <Loading what="consent"/> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(list) if list.is_empty() => view! { <EmptyState title="No consent recorded"><p>"Record consent for numbers that must never be filtered."</p></EmptyState> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap"><table class="table" data-testid="consents">
                                <thead><tr><th scope="col">"Number"</th><th scope="col">"Consent date"</th><th scope="col">"Note"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                                <tbody>{list.into_iter().map(|c| {
                                    let consent_id = c.id;
                                    view! {
                                        <tr><td>{format!("+{}", c.msisdn)}</td><td>{c.consent_date}</td><td>{c.note}</td>
                                        <td><button type="button" class="button button-quiet" on:click=move |_| { delete.dispatch(DeleteConsent { consent_id }); }>"Remove"</button></td></tr>
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
