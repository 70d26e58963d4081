-- Accounts, sign-in, sessions, the ledger and the access log (PRODUCT.md §2, §3, §13).

CREATE TABLE accounts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    login_name      TEXT    NOT NULL UNIQUE,
    password_hash   TEXT    NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('customer', 'staff')),
    status          TEXT    NOT NULL CHECK (status IN ('trial', 'normal', 'staff')),
    company_name    TEXT    NOT NULL,
    contact_email   TEXT    NOT NULL,
    mobile          TEXT    NOT NULL,
    balance_minor   INTEGER NOT NULL DEFAULT 0 CHECK (balance_minor >= 0),
    created_at      INTEGER NOT NULL
);

CREATE TABLE ledger_entries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    kind            TEXT    NOT NULL CHECK (kind IN ('trial_credit', 'top_up', 'bonus', 'charge', 'refund', 'transfer_in', 'transfer_out', 'fee')),
    amount_minor    INTEGER NOT NULL,
    balance_after   INTEGER NOT NULL,
    description     TEXT    NOT NULL,
    -- Makes a posting idempotent: the same (account, kind, reference) is never posted twice.
    reference       TEXT    NULL,
    created_by      INTEGER NULL REFERENCES accounts(id),
    created_at      INTEGER NOT NULL
);
CREATE INDEX ledger_entries_account ON ledger_entries(account_id, id);
CREATE UNIQUE INDEX ledger_entries_reference ON ledger_entries(account_id, kind, reference);

-- Only the SHA-256 of the session token is stored: a leaked table cannot be replayed.
CREATE TABLE sessions (
    token_hash      TEXT    PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    ip              TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
CREATE INDEX sessions_account ON sessions(account_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);

-- Every sign-in attempt, successful or not, with its source IP (§13); also the throttle's input.
CREATE TABLE login_attempts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    login_name      TEXT    NOT NULL,
    account_id      INTEGER NULL REFERENCES accounts(id),
    ip              TEXT    NOT NULL,
    succeeded       INTEGER NOT NULL,
    at              INTEGER NOT NULL
);
CREATE INDEX login_attempts_login ON login_attempts(login_name, at);
CREATE INDEX login_attempts_ip ON login_attempts(ip, at);

-- Every authenticated API call (server functions now, the HTTP API later) with its source IP.
CREATE TABLE access_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    ip              TEXT    NOT NULL,
    method          TEXT    NOT NULL,
    path            TEXT    NOT NULL,
    status          INTEGER NOT NULL,
    at              INTEGER NOT NULL
);
CREATE INDEX access_log_account ON access_log(account_id, at);
