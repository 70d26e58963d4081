//! The composer's "Add a group" select: appends a group's numbers to the recipients.

use super::{group_numbers, load_address_book};
use crate::i18n::{tr, use_lang};
use leptos::prelude::*;

#[component]
pub fn GroupPicker(recipients_text: RwSignal<String>) -> impl IntoView {
    let lang = use_lang();
    let book = Resource::new(|| (), |_| load_address_book());
    let add = Action::new(|group_id: &i64| group_numbers(*group_id));
    let value = add.value();
    Effect::new(move |_| {
        if let Some(Ok(numbers)) = value.get() {
            recipients_text.update(|t| crate::import::widget::append_numbers(t, &numbers));
        }
    });
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let groups = book.await.map(|b| b.groups).unwrap_or_default();
                (!groups.is_empty()).then(|| view! {
                    <div class="field">
                        <label for="composer-group">{tr::contacts_add_group(lang)}</label>
                        <select id="composer-group" on:change=move |ev| {
                            if let Ok(id) = event_target_value(&ev).parse::<i64>() {
                                add.dispatch(id);
                            }
                        }>
                            <option value="" selected=true>{tr::contacts_choose_group(lang)}</option>
                            {groups.into_iter().map(|g| view! {
                                <option value=g.id.to_string()>{tr::contacts_group_option(lang, g.members, g.name)}</option>
                            }).collect_view()}
                        </select>
                        {move || match value.get() {
                            Some(Ok(n)) => Some(tr::contacts_numbers_added(lang, n.len())),
                            Some(Err(e)) => Some(e.to_string()),
                            None => None,
                        }.map(|m| view! { <p class="field-hint" role="status">{m}</p> })}
                    </div>
                })
            })}
        </Suspense>
    }
}
