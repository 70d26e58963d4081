//! API keys on the Account page (§11, §13): create one (shown once), see each key's last use
//! and address, revoke it; staff revoke any account's key. The rules and storage are
//! `engine::api_keys`.

use crate::error::AppError;
use crate::i18n::{tr, use_lang};
use crate::ui::{
    action_error, field_error, format_hkt_in, EmptyState, FormError, Loading, Notice, NoticeKind,
    SubmitButton, TextField,
};
use leptos::prelude::*;

pub use engine::api_keys::*;

/// The caller's keys; `None` for staff, whose accounts have none.
#[server(endpoint = "my_api_keys")]
pub async fn my_api_keys() -> Result<Option<Vec<ApiKey>>, AppError> {
    crate::auth::context::as_viewer(|viewer, db| async move {
        if viewer.is_staff() {
            return Ok(None);
        }
        Ok(Some(
            engine::api_keys::store::list(&db, viewer.account_id).await?,
        ))
    })
    .await
}

#[server(endpoint = "create_api_key")]
pub async fn create_api_key(name: String) -> Result<CreatedKey, AppError> {
    crate::auth::context::as_customer(|viewer, db| async move {
        Ok(engine::api_keys::store::create(&db, viewer.account_id, &name).await?)
    })
    .await
}

/// Revokes a key: a customer one of its own, staff any account's (audited). One door for
/// both, so the Account page and the staff console share the table and its button.
#[server(endpoint = "revoke_api_key")]
pub async fn revoke_api_key(key_id: i64) -> Result<(), AppError> {
    crate::auth::context::as_viewer(|viewer, db| async move {
        let id = viewer.account_id;
        if viewer.is_staff() {
            engine::api_keys::store::revoke_as_staff(&db, id, key_id).await?;
        } else {
            engine::api_keys::store::revoke(&db, id, key_id).await?;
        }
        Ok(())
    })
    .await
}

#[component]
pub fn ApiKeysSection() -> impl IntoView {
    let lang = use_lang();
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let value = create.value();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| my_api_keys(),
    );
    // Staff accounts have no keys: the section is not shown to them.
    let section = move |list: Vec<ApiKey>| {
        view! {
            <section class="card" aria-labelledby="api-keys-heading">
                <h2 id="api-keys-heading">{tr::account_keys_heading(lang)}</h2>
                <p class="muted">
                    {tr::account_keys_intro_before(lang)}
                    <code>"Authorization: Bearer <key>"</code>
                    {tr::account_keys_intro_after(lang)}
                </p>
                <ActionForm action=create attr:class="form form-inline" attr:novalidate=true>
                    <FormError error=action_error(value)/>
                    <TextField label=tr::account_keys_name(lang) name="name" required=true hint=tr::account_keys_name_hint(lang) error=field_error(value, "name")/>
                    <SubmitButton label=tr::account_keys_create(lang) pending_label=tr::account_keys_creating(lang) pending=create.pending()/>
                </ActionForm>
                {move || value.get().and_then(Result::ok).map(|created| view! {
                    <Notice kind=NoticeKind::Success>
                        <p>{tr::account_keys_created(lang, created.key.name)}</p>
                        <p><code class="secret" data-testid="new-api-key">{created.secret}</code></p>
                    </Notice>
                })}
                <FormError error=action_error(revoke.value())/>
                {if list.is_empty() {
                    view! { <EmptyState title=tr::account_keys_none(lang)><p>{tr::account_keys_none_text(lang)}</p></EmptyState> }.into_any()
                } else {
                    keys_table(list, "api-keys", revoke).into_any()
                }}
            </section>
        }
    };
    view! {
        <Suspense fallback=move || view! { <Loading what=tr::account_keys_loading(lang)/> }>
            {move || Suspend::new(async move {
                match keys.await {
                    Ok(None) => ().into_any(),
                    Ok(Some(list)) => section(list).into_any(),
                    Err(e) => view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The keys as a table (the customer's Account page and the staff console): name, prefix,
/// created, last use and address, status, and a Revoke button for each live key.
pub fn keys_table(
    keys: Vec<ApiKey>,
    test_id: &'static str,
    revoke: ServerAction<RevokeApiKey>,
) -> impl IntoView {
    // Called while rendering a component (this section, the staff console's account page).
    let lang = use_lang();
    view! {
        <div class="table-wrap"><table class="table" data-testid=test_id>
            <thead><tr>
                <th scope="col">{tr::account_keys_col_name(lang)}</th><th scope="col">{tr::account_keys_col_key(lang)}</th><th scope="col">{tr::account_keys_col_created(lang)}</th>
                <th scope="col">{tr::account_keys_col_last_used(lang)}</th><th scope="col">{tr::account_keys_col_status(lang)}</th><th scope="col"><span class="visually-hidden">{tr::account_keys_col_actions(lang)}</span></th>
            </tr></thead>
            <tbody>{keys.into_iter().map(|k| {
                let last_used = match (k.last_used_at, k.last_used_ip.clone()) {
                    (Some(at), Some(ip)) => tr::account_keys_used_from(lang, ip, format_hkt_in(lang, at)),
                    (Some(at), None) => format_hkt_in(lang, at),
                    _ => tr::account_keys_never(lang).to_string(),
                };
                let revoked = k.revoked_at.is_some();
                let action = (!revoked).then(|| {
                    let label = tr::account_keys_revoke_label(lang, &k.name);
                    view! {
                        <ActionForm action=revoke>
                            <input type="hidden" name="key_id" value=k.id/>
                            <button type="submit" class="button button-quiet" aria-label=label>{tr::account_keys_revoke(lang)}</button>
                        </ActionForm>
                    }
                });
                view! {
                    <tr>
                        <td>{k.name.clone()}</td>
                        <td><code>{format!("{}…", k.prefix)}</code></td>
                        <td>{format_hkt_in(lang, k.created_at)}</td>
                        <td>{last_used}</td>
                        <td>{if revoked {
                            view! { <span class="badge badge-bad">{tr::account_keys_revoked(lang)}</span> }.into_any()
                        } else {
                            view! { <span class="badge badge-ok">{tr::account_keys_active(lang)}</span> }.into_any()
                        }}</td>
                        <td>{action}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table></div>
    }
}
