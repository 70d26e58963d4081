//! The address book (§6): an account's contacts (name and number) and groups of them, usable
//! as recipients in the composer. Every query is scoped to the caller's account; another
//! account's contact or group id answers 404, exactly like an id that does not exist.

mod page;
mod picker;

pub use page::{AddressBookPage, RejectedTable};
pub use picker::GroupPicker;

use crate::error::AppError;
use leptos::prelude::*;
use server_fn::codec::{MultipartData, MultipartFormData};

pub use engine::address_book::*;

/// The caller's database.
#[cfg(feature = "ssr")]
fn db() -> Result<engine::db::Db, AppError> {
    Ok(crate::auth::context::server_state()?.db)
}

/// The caller's account id; the address book belongs to customer accounts.
#[cfg(feature = "ssr")]
fn customer() -> Result<i64, AppError> {
    Ok(crate::auth::context::require_customer()?.account_id)
}

#[server(endpoint = "load_address_book")]
pub async fn load_address_book() -> Result<AddressBook, AppError> {
    crate::error::with_status(
        async { Ok(engine::address_book::store::load(&db()?, customer()?).await?) }.await,
    )
}

/// Adds a contact (`contact_id` empty) or changes one.
#[server(endpoint = "save_contact")]
pub async fn save_contact(
    contact_id: Option<i64>,
    name: String,
    number: String,
) -> Result<i64, AppError> {
    crate::error::with_status(
        async {
            Ok(engine::address_book::store::save_contact(
                &db()?,
                customer()?,
                contact_id,
                &name,
                &number,
            )
            .await?)
        }
        .await,
    )
}

#[server(endpoint = "delete_contact")]
pub async fn delete_contact(contact_id: i64) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            Ok(
                engine::address_book::store::delete_contact(&db()?, customer()?, contact_id)
                    .await?,
            )
        }
        .await,
    )
}

#[server(endpoint = "create_group")]
pub async fn create_group(group_name: String) -> Result<i64, AppError> {
    crate::error::with_status(
        async {
            Ok(engine::address_book::store::create_group(&db()?, customer()?, &group_name).await?)
        }
        .await,
    )
}

#[server(endpoint = "delete_group")]
pub async fn delete_group(group_id: i64) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            Ok(engine::address_book::store::delete_group(&db()?, customer()?, group_id).await?)
        }
        .await,
    )
}

/// Puts a contact in a group (`member` = "true") or takes it out.
#[server(endpoint = "set_membership")]
pub async fn set_membership(group_id: i64, contact_id: i64, member: bool) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            Ok(engine::address_book::store::set_membership(
                &db()?,
                customer()?,
                group_id,
                contact_id,
                member,
            )
            .await?)
        }
        .await,
    )
}

/// The numbers of a group's contacts, for the composer's recipients.
#[server(endpoint = "group_numbers")]
pub async fn group_numbers(group_id: i64) -> Result<Vec<String>, AppError> {
    crate::error::with_status(
        async {
            Ok(engine::address_book::store::group_numbers(&db()?, customer()?, group_id).await?)
        }
        .await,
    )
}

/// Imports contacts from a CSV of `name,number[,group]` rows (multipart field `file`).
#[server(endpoint = "import_contacts", input = MultipartFormData)]
pub async fn import_contacts(data: MultipartData) -> Result<ContactImport, AppError> {
    crate::error::with_status(
        async {
            let account_id = customer()?;
            let upload = crate::import::read_upload(data, crate::import::MAX_IMPORT_BYTES).await?;
            let lang = crate::i18n::page_lang();
            let bytes = upload
                .file
                .ok_or_else(|| AppError::field("file", crate::i18n::tr::contacts_choose_csv(lang)))?
                .bytes;
            let mut result =
                engine::address_book::store::import_csv(&db()?, account_id, bytes).await?;
            crate::import::localise_reasons(&mut result.rejected);
            Ok(result)
        }
        .await,
    )
}

/// `GET /address-book/contacts.csv`: the caller's contacts as `name,number,groups`.
#[cfg(feature = "ssr")]
pub async fn contacts_csv(
    axum::extract::State(state): axum::extract::State<crate::auth::context::ServerState>,
    axum::Extension(ctx): axum::Extension<crate::auth::context::RequestContext>,
    headers: http::HeaderMap,
) -> axum::response::Response {
    use crate::i18n::tr;
    use crate::ledger::page::csv_field;
    use axum::response::IntoResponse;
    use http::{header, StatusCode};
    let lang = crate::i18n::request_lang(&headers, Some(&ctx));
    let Some(viewer) = ctx.viewer.filter(|v| !v.is_staff()) else {
        return (StatusCode::UNAUTHORIZED, tr::contacts_sign_in(lang)).into_response();
    };
    let book = match engine::address_book::store::load(&state.db, viewer.account_id).await {
        Ok(b) => b,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let names: std::collections::HashMap<i64, &str> = book
        .groups
        .iter()
        .map(|g| (g.id, g.name.as_str()))
        .collect();
    let mut csv = format!("{}\r\n", tr::contacts_csv_header(lang));
    for c in &book.contacts {
        let groups: Vec<&str> = c
            .groups
            .iter()
            .filter_map(|g| names.get(g).copied())
            .collect();
        csv.push_str(&format!(
            "{},+{},{}\r\n",
            csv_field(&c.name),
            c.msisdn,
            csv_field(&groups.join("; "))
        ));
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"contacts.csv\"",
            ),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        csv,
    )
        .into_response()
}
