//! The address book (§6): an account's contacts (name and number) and groups of them, usable
//! as recipients in the composer. Every query is scoped to the caller's account; another
//! account's contact or group id answers 404, exactly like an id that does not exist.

mod page;
mod picker;
#[cfg(feature = "ssr")]
pub mod store;

pub use page::{AddressBookPage, RejectedTable};
pub use picker::GroupPicker;

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::{MultipartData, MultipartFormData};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: i64,
    pub name: String,
    pub msisdn: String,
    /// Ids of the groups the contact is in.
    pub groups: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub members: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressBook {
    pub contacts: Vec<Contact>,
    pub groups: Vec<Group>,
}

/// What a contacts CSV import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactImport {
    pub added: u64,
    pub updated: u64,
    pub rejected: Vec<crate::broadcast::RejectedRow>,
}

#[server(endpoint = "load_address_book")]
pub async fn load_address_book() -> Result<AddressBook, AppError> {
    crate::error::with_status(async { store::load(&store::db()?, store::customer()?).await }.await)
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
            store::save_contact(
                &store::db()?,
                store::customer()?,
                contact_id,
                &name,
                &number,
            )
            .await
        }
        .await,
    )
}

#[server(endpoint = "delete_contact")]
pub async fn delete_contact(contact_id: i64) -> Result<(), AppError> {
    crate::error::with_status(
        async { store::delete_contact(&store::db()?, store::customer()?, contact_id).await }.await,
    )
}

#[server(endpoint = "create_group")]
pub async fn create_group(group_name: String) -> Result<i64, AppError> {
    crate::error::with_status(
        async { store::create_group(&store::db()?, store::customer()?, &group_name).await }.await,
    )
}

#[server(endpoint = "delete_group")]
pub async fn delete_group(group_id: i64) -> Result<(), AppError> {
    crate::error::with_status(
        async { store::delete_group(&store::db()?, store::customer()?, group_id).await }.await,
    )
}

/// Puts a contact in a group (`member` = "true") or takes it out.
#[server(endpoint = "set_membership")]
pub async fn set_membership(group_id: i64, contact_id: i64, member: bool) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            store::set_membership(
                &store::db()?,
                store::customer()?,
                group_id,
                contact_id,
                member,
            )
            .await
        }
        .await,
    )
}

/// The numbers of a group's contacts, for the composer's recipients.
#[server(endpoint = "group_numbers")]
pub async fn group_numbers(group_id: i64) -> Result<Vec<String>, AppError> {
    crate::error::with_status(
        async { store::group_numbers(&store::db()?, store::customer()?, group_id).await }.await,
    )
}

/// Imports contacts from a CSV of `name,number[,group]` rows (multipart field `file`).
#[server(endpoint = "import_contacts", input = MultipartFormData)]
pub async fn import_contacts(data: MultipartData) -> Result<ContactImport, AppError> {
    crate::error::with_status(
        async {
            let account_id = store::customer()?;
            let upload = crate::import::read_upload(data, crate::import::MAX_IMPORT_BYTES).await?;
            let bytes = upload
                .file
                .ok_or_else(|| AppError::field("file", "Choose a CSV file to import."))?
                .bytes;
            store::import_csv(&store::db()?, account_id, bytes).await
        }
        .await,
    )
}
