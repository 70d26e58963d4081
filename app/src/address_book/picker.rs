//! The composer's "Add a group" select: appends a group's numbers to the recipients.

use super::{group_numbers, load_address_book};
use leptos::prelude::*;

#[component]
pub fn GroupPicker(recipients_text: RwSignal<String>) -> impl IntoView {
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
                        <label for="composer-group">"Add a group"</label>
                        <select id="composer-group" on:change=move |ev| {
                            if let Ok(id) = event_target_value(&ev).parse::<i64>() {
                                add.dispatch(id);
                            }
                        }>
                            <option value="" selected=true>"Choose a group…"</option>
                            {groups.into_iter().map(|g| view! {
                                <option value=g.id.to_string()>{format!("{} ({})", g.name, g.members)}</option>
                            }).collect_view()}
                        </select>
                        {move || match value.get() {
                            Some(Ok(n)) => Some(format!("{} number(s) added.", n.len())),
                            Some(Err(e)) => Some(e.to_string()),
                            None => None,
                        }.map(|m| view! { <p class="field-hint" role="status">{m}</p> })}
                    </div>
                })
            })}
        </Suspense>
    }
}
