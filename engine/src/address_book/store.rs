//! The address book's queries. Each one names the account in its `WHERE`, so an id from
//! another account matches nothing and the caller gets [`Error::NotFound`].

use super::{AddressBook, Contact, ContactImport, Group};
use crate::db::{now_ms, Db};
use crate::error::{Error, FieldErrors};
use crate::import::RejectedRow;
use std::collections::HashMap;

pub const MAX_NAME_CHARS: usize = 100;

#[derive(sqlx::FromRow)]
struct ContactListRow {
    id: i64,
    name: String,
    msisdn: String,
}

impl From<ContactListRow> for Contact {
    fn from(r: ContactListRow) -> Self {
        Contact {
            id: r.id,
            name: r.name,
            msisdn: r.msisdn,
            groups: Vec::new(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct GroupRow {
    id: i64,
    name: String,
    members: i64,
}

impl From<GroupRow> for Group {
    fn from(r: GroupRow) -> Self {
        Group {
            id: r.id,
            name: r.name,
            members: r.members,
        }
    }
}

pub async fn load(db: &Db, account_id: i64) -> Result<AddressBook, Error> {
    let contact_rows: Vec<ContactListRow> = sqlx::query_as(
        "SELECT id, name, msisdn FROM contacts WHERE account_id = $1 ORDER BY name, msisdn",
    )
    .bind(account_id)
    .fetch_all(db.pool())
    .await?;
    let mut contacts: Vec<Contact> = contact_rows.into_iter().map(Contact::from).collect();
    let group_rows: Vec<GroupRow> = sqlx::query_as(
        "SELECT g.id AS id, g.name AS name, \
                (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) AS members \
         FROM contact_groups g WHERE g.account_id = $1 ORDER BY g.name",
    )
    .bind(account_id)
    .fetch_all(db.pool())
    .await?;
    let groups: Vec<Group> = group_rows.into_iter().map(Group::from).collect();
    let mut by_id: HashMap<i64, usize> = HashMap::new();
    for (i, c) in contacts.iter().enumerate() {
        by_id.insert(c.id, i);
    }
    let memberships: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT m.contact_id, m.group_id FROM group_members m \
         JOIN contact_groups g ON g.id = m.group_id WHERE g.account_id = $1 ORDER BY m.group_id",
    )
    .bind(account_id)
    .fetch_all(db.pool())
    .await?;
    for (contact, group) in memberships {
        if let Some(i) = by_id.get(&contact) {
            contacts[*i].groups.push(group);
        }
    }
    Ok(AddressBook { contacts, groups })
}

/// The two things of an address book that have an id, an owner and group memberships.
#[derive(Debug, Clone, Copy)]
enum Entry {
    Contact,
    Group,
}

impl Entry {
    fn table(self) -> &'static str {
        match self {
            Entry::Contact => "contacts",
            Entry::Group => "contact_groups",
        }
    }

    /// Its column in `group_members`.
    fn member_column(self) -> &'static str {
        match self {
            Entry::Contact => "contact_id",
            Entry::Group => "group_id",
        }
    }
}

/// Whether `id` is one of `account_id`'s contacts or groups: another account's id must
/// answer like an id that does not exist.
async fn owns(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    entry: Entry,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "SELECT id FROM {} WHERE id = $1 AND account_id = $2",
        entry.table()
    );
    Ok(sqlx::query_scalar::<_, i64>(&sql)
        .bind(id)
        .bind(account_id)
        .fetch_optional(conn)
        .await?
        .is_some())
}

/// Deletes one of `account_id`'s contacts or groups with its memberships.
async fn delete_entry(db: &Db, account_id: i64, entry: Entry, id: i64) -> Result<(), Error> {
    let mut tx = db.begin_write().await?;
    if !owns(&mut tx, account_id, entry, id).await? {
        return Err(Error::NotFound);
    }
    sqlx::query(&format!(
        "DELETE FROM group_members WHERE {} = $1",
        entry.member_column()
    ))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(&format!(
        "DELETE FROM {} WHERE id = $1 AND account_id = $2",
        entry.table()
    ))
    .bind(id)
    .bind(account_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

fn validate_contact(name: &str, number: &str) -> Result<(String, String), Error> {
    let mut errors = FieldErrors::default();
    let name = name.trim();
    if name.is_empty() {
        errors.add("name", "Enter the contact's name.");
    } else if name.chars().count() > MAX_NAME_CHARS {
        errors.add(
            "name",
            format!("Use at most {MAX_NAME_CHARS} characters for the name."),
        );
    }
    let msisdn = match sms::Msisdn::parse(number, sms::msisdn::HONG_KONG_CODE) {
        Ok(m) => String::from(m),
        Err(e) => {
            errors.add("number", format!("Number: {e}."));
            String::new()
        }
    };
    errors.into_result()?;
    Ok((name.to_string(), msisdn))
}

async fn number_taken(
    db: &Db,
    account_id: i64,
    msisdn: &str,
    except: Option<i64>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT id FROM contacts WHERE account_id = $1 AND msisdn = $2",
    )
    .bind(account_id)
    .bind(msisdn)
    .fetch_optional(db.pool())
    .await?
    .is_some_and(|id| Some(id) != except))
}

pub async fn save_contact(
    db: &Db,
    account_id: i64,
    contact_id: Option<i64>,
    name: &str,
    number: &str,
) -> Result<i64, Error> {
    let (name, msisdn) = validate_contact(name, number)?;
    if number_taken(db, account_id, &msisdn, contact_id).await? {
        return Err(Error::field(
            "number",
            format!("+{msisdn} is already in your address book."),
        ));
    }
    match contact_id {
        None => Ok(sqlx::query_scalar(
            "INSERT INTO contacts (account_id, name, msisdn, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(account_id)
        .bind(&name)
        .bind(&msisdn)
        .bind(now_ms())
        .fetch_one(db.pool())
        .await?),
        Some(id) => {
            let n = sqlx::query(
                "UPDATE contacts SET name = $1, msisdn = $2 WHERE id = $3 AND account_id = $4",
            )
            .bind(&name)
            .bind(&msisdn)
            .bind(id)
            .bind(account_id)
            .execute(db.pool())
            .await?
            .rows_affected();
            if n == 0 {
                return Err(Error::NotFound);
            }
            Ok(id)
        }
    }
}

pub async fn delete_contact(db: &Db, account_id: i64, contact_id: i64) -> Result<(), Error> {
    delete_entry(db, account_id, Entry::Contact, contact_id).await
}

pub async fn create_group(db: &Db, account_id: i64, name: &str) -> Result<i64, Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::field(
            "group_name",
            format!("Give the group a name of 1 to {MAX_NAME_CHARS} characters."),
        ));
    }
    let mut conn = db.pool().acquire().await?;
    match group_id_by_name(&mut conn, account_id, name).await? {
        Some(_) => Err(Error::field(
            "group_name",
            format!("You already have a group called {name}."),
        )),
        None => Ok(insert_group(&mut conn, account_id, name).await?),
    }
}

async fn group_id_by_name(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    name: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM contact_groups WHERE account_id = $1 AND name = $2")
        .bind(account_id)
        .bind(name)
        .fetch_optional(conn)
        .await
}

async fn insert_group(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    name: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO contact_groups (account_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(account_id)
    .bind(name)
    .bind(now_ms())
    .fetch_one(conn)
    .await
}

pub async fn delete_group(db: &Db, account_id: i64, group_id: i64) -> Result<(), Error> {
    delete_entry(db, account_id, Entry::Group, group_id).await
}

pub async fn set_membership(
    db: &Db,
    account_id: i64,
    group_id: i64,
    contact_id: i64,
    member: bool,
) -> Result<(), Error> {
    // Both ids must belong to the caller's account.
    let owned: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM contact_groups WHERE id = $1 AND account_id = $3) \
              + (SELECT COUNT(*) FROM contacts WHERE id = $2 AND account_id = $3)",
    )
    .bind(group_id)
    .bind(contact_id)
    .bind(account_id)
    .fetch_one(db.pool())
    .await?;
    if owned != 2 {
        return Err(Error::NotFound);
    }
    let sql = if member {
        "INSERT INTO group_members (group_id, contact_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    } else {
        "DELETE FROM group_members WHERE group_id = $1 AND contact_id = $2"
    };
    sqlx::query(sql)
        .bind(group_id)
        .bind(contact_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn group_numbers(db: &Db, account_id: i64, group_id: i64) -> Result<Vec<String>, Error> {
    let mut conn = db.pool().acquire().await?;
    if !owns(&mut conn, account_id, Entry::Group, group_id).await? {
        return Err(Error::NotFound);
    }
    Ok(sqlx::query_scalar(
        "SELECT c.msisdn FROM group_members m JOIN contacts c ON c.id = m.contact_id \
         WHERE m.group_id = $1 AND c.account_id = $2 ORDER BY c.name, c.msisdn",
    )
    .bind(group_id)
    .bind(account_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// Imports `name,number[,group]` rows in one transaction: a number already in the book gets
/// the new name; a group named in the third column is created when missing. A header row
/// is skipped; every refused row is listed with its reason.
pub async fn import_csv(db: &Db, account_id: i64, bytes: Vec<u8>) -> Result<ContactImport, Error> {
    let (rows, rejected) =
        crate::import::parse_off_thread(move || parse_contacts(&bytes)).await??;
    let (mut added, mut updated) = (0u64, 0u64);
    let mut groups: HashMap<String, i64> = HashMap::new();
    // Short transactions, so other writers never wait behind a whole file; importing the
    // same file again only updates what an interrupted import already wrote.
    for chunk in rows.chunks(crate::import::IMPORT_CHUNK_ROWS) {
        let mut tx = db.begin_write().await?;
        for (name, msisdn, group) in chunk {
            let (name, msisdn, group) = (name.clone(), msisdn.clone(), group.clone());
            let existing: Option<i64> =
                sqlx::query_scalar("SELECT id FROM contacts WHERE account_id = $1 AND msisdn = $2")
                    .bind(account_id)
                    .bind(&msisdn)
                    .fetch_optional(&mut *tx)
                    .await?;
            let contact_id = match existing {
                Some(id) => {
                    sqlx::query("UPDATE contacts SET name = $1 WHERE id = $2")
                        .bind(&name)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    updated += 1;
                    id
                }
                None => {
                    added += 1;
                    sqlx::query_scalar(
                    "INSERT INTO contacts (account_id, name, msisdn, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(account_id)
                .bind(&name)
                .bind(&msisdn)
                .bind(now_ms())
                .fetch_one(&mut *tx)
                .await?
                }
            };
            if !group.is_empty() && group.chars().count() <= MAX_NAME_CHARS {
                let group_id = match groups.get(&group) {
                    Some(id) => *id,
                    None => {
                        let id = match group_id_by_name(&mut tx, account_id, &group).await? {
                            Some(id) => id,
                            None => insert_group(&mut tx, account_id, &group).await?,
                        };
                        groups.insert(group.clone(), id);
                        id
                    }
                };
                sqlx::query(
                "INSERT INTO group_members (group_id, contact_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(group_id)
            .bind(contact_id)
            .execute(&mut *tx)
            .await?;
            }
        }
        tx.commit().await?;
    }
    Ok(ContactImport {
        added,
        updated,
        rejected,
    })
}

/// A valid contact row: (name, number, group).
type ContactRow = (String, String, String);

/// Reads a contacts CSV: the valid rows and the refused ones. Pure CPU work.
fn parse_contacts(bytes: &[u8]) -> Result<(Vec<ContactRow>, Vec<RejectedRow>), Error> {
    use crate::import::parse::is_header;
    let records = crate::import::csv_file_rows(
        bytes,
        "Import contacts from a CSV UTF-8 file: name, number, and optionally a group.",
    )?;
    let mut rows: Vec<ContactRow> = Vec::new();
    let mut rejected = Vec::new();
    for (i, (line, cells)) in records.into_iter().enumerate() {
        let cell = |n: usize| cells.get(n).map(String::as_str).unwrap_or_default();
        let (name, number, group) = (cell(0), cell(1), cell(2));
        if name.is_empty() && number.is_empty() {
            continue;
        }
        match validate_contact(name, number) {
            Ok((name, msisdn)) => rows.push((name, msisdn, group.to_string())),
            Err(_) if i == 0 && is_header(number) => {}
            Err(e) => rejected.push(RejectedRow {
                row: line,
                input: format!("{name},{number}").chars().take(64).collect(),
                reason: e.to_string(),
            }),
        }
    }
    Ok((rows, rejected))
}
