-- Accounts, money and the staff console (PRODUCT.md §2, §3, §5, §13): settings, sub-accounts,
-- stored documents, top-up payments, business registration, sender IDs, China signatures,
-- the price list and the audit log.

ALTER TABLE accounts ADD COLUMN is_charity INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN primary_account_id INTEGER NULL REFERENCES accounts(id);
ALTER TABLE accounts ADD COLUMN validity_minutes INTEGER NOT NULL DEFAULT 120;
ALTER TABLE accounts ADD COLUMN single_sms_limit_minor INTEGER NULL;
ALTER TABLE accounts ADD COLUMN ip_allow_list TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN unsubscribe_hotline TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN callback_url TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN china_signature TEXT NULL;
CREATE INDEX accounts_primary ON accounts(primary_account_id);

-- Uploaded files (payment receipts, business registration certificates), kept in the database
-- so a backup of the database is a backup of everything.
CREATE TABLE documents (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    kind            TEXT    NOT NULL CHECK (kind IN ('receipt', 'business_registration')),
    filename        TEXT    NOT NULL,
    content_type    TEXT    NOT NULL,
    size_bytes      INTEGER NOT NULL,
    content         BLOB    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX documents_account ON documents(account_id);

CREATE TABLE payments (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    amount_minor    INTEGER NOT NULL CHECK (amount_minor > 0),
    method          TEXT    NOT NULL,
    reference       TEXT    NOT NULL,
    document_id     INTEGER NOT NULL REFERENCES documents(id),
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'confirmed', 'rejected')),
    reject_reason   TEXT    NULL,
    decided_by      INTEGER NULL REFERENCES accounts(id),
    decided_at      INTEGER NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX payments_account ON payments(account_id, id);
CREATE INDEX payments_status ON payments(status, id);

CREATE TABLE registrations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    document_id     INTEGER NOT NULL REFERENCES documents(id),
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reject_reason   TEXT    NULL,
    decided_by      INTEGER NULL REFERENCES accounts(id),
    decided_at      INTEGER NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX registrations_account ON registrations(account_id, id);
CREATE INDEX registrations_status ON registrations(status, id);

CREATE TABLE sender_ids (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    sender_id       TEXT    NOT NULL,
    registered      INTEGER NOT NULL DEFAULT 0,
    status          TEXT    NOT NULL CHECK (status IN ('active', 'retired')),
    created_by      INTEGER NOT NULL REFERENCES accounts(id),
    created_at      INTEGER NOT NULL,
    retired_at      INTEGER NULL
);
CREATE INDEX sender_ids_account ON sender_ids(account_id, status);

CREATE TABLE signature_applications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    signature       TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reject_reason   TEXT    NULL,
    fee_minor       INTEGER NULL,
    decided_by      INTEGER NULL REFERENCES accounts(id),
    decided_at      INTEGER NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX signature_applications_status ON signature_applications(status, id);

-- Unit price per part by route and destination prefix ('' = the whole route). The row with the
-- longest matching prefix, among those already in effect, wins; later effective dates replace
-- earlier ones for the same (route, prefix).
CREATE TABLE prices (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    route           TEXT    NOT NULL CHECK (route IN ('HK_BUSINESS', 'HK_ECONOMIC', 'CHINA', 'INTERNATIONAL')),
    prefix          TEXT    NOT NULL,
    unit_price_minor INTEGER NOT NULL CHECK (unit_price_minor >= 0),
    effective_from  INTEGER NOT NULL,
    created_by      INTEGER NULL REFERENCES accounts(id),
    created_at      INTEGER NOT NULL
);
CREATE INDEX prices_lookup ON prices(route, prefix, effective_from);

INSERT INTO prices (route, prefix, unit_price_minor, effective_from, created_at) VALUES
    ('HK_BUSINESS', '', 3200, 0, 0),
    ('HK_ECONOMIC', '', 2200, 0, 0),
    ('CHINA', '', 4500, 0, 0),
    ('INTERNATIONAL', '', 6800, 0, 0),
    ('INTERNATIONAL', '853', 4800, 0, 0),
    ('INTERNATIONAL', '886', 5800, 0, 0),
    ('INTERNATIONAL', '65', 6200, 0, 0),
    ('INTERNATIONAL', '1', 7500, 0, 0),
    ('INTERNATIONAL', '44', 8800, 0, 0);

-- Every staff action: who, what, when, and the state before and after (JSON). Never updated.
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id        INTEGER NOT NULL REFERENCES accounts(id),
    action          TEXT    NOT NULL,
    target_account_id INTEGER NULL REFERENCES accounts(id),
    before_state    TEXT    NOT NULL,
    after_state     TEXT    NOT NULL,
    at              INTEGER NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(id);
CREATE INDEX audit_log_target ON audit_log(target_account_id, id);
