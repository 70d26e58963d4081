-- Recipients (PRODUCT.md §6): the do-not-call register, per-account consent, and the address
-- book with its groups. (0004 is the delivery engine's.)

-- The OFCA do-not-call register. Each staff import is a new version; its numbers are loaded
-- first and `dnc_current` is switched to it in the same transaction, so a reader sees the old
-- list or the new one, never a mix or nothing. Old versions' numbers are deleted afterwards.
CREATE TABLE dnc_versions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    register_date   TEXT    NOT NULL,
    filename        TEXT    NOT NULL,
    number_count    INTEGER NOT NULL,
    imported_by     INTEGER NOT NULL REFERENCES accounts(id),
    created_at      INTEGER NOT NULL
);
-- No foreign key: a million rows load faster without the check, and rows only ever come from
-- the import that created their version.
CREATE TABLE dnc_numbers (
    version_id      INTEGER NOT NULL,
    msisdn          TEXT    NOT NULL,
    PRIMARY KEY (version_id, msisdn)
) WITHOUT ROWID;
CREATE TABLE dnc_current (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    version_id      INTEGER NULL REFERENCES dnc_versions(id)
);
INSERT INTO dnc_current (id, version_id) VALUES (1, NULL);

-- Numbers whose owners consented to this account's messages: never filtered (§6).
CREATE TABLE consents (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    msisdn          TEXT    NOT NULL,
    consent_date    TEXT    NOT NULL,
    note            TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    UNIQUE (account_id, msisdn)
);

-- The address book: contacts (one per number per account) and groups of them.
CREATE TABLE contacts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    name            TEXT    NOT NULL,
    msisdn          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (account_id, msisdn)
);
CREATE TABLE contact_groups (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    name            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (account_id, name)
);
CREATE TABLE group_members (
    group_id        INTEGER NOT NULL REFERENCES contact_groups(id) ON DELETE CASCADE,
    contact_id      INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, contact_id)
);
CREATE INDEX group_members_contact ON group_members(contact_id);
