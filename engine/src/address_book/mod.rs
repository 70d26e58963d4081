//! The address book (§6): an account's contacts (name and number) and groups of them, usable
//! as recipients in the composer. Every query is scoped to the caller's account; another
//! account's contact or group id answers 404, exactly like an id that does not exist.

#[cfg(feature = "storage")]
pub mod store;

use serde::{Deserialize, Serialize};

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
    pub rejected: Vec<crate::import::RejectedRow>,
}
