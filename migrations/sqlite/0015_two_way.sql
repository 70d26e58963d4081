-- Two-way SMS (issue 16, PRODUCT.md §10). Keep in step with ../postgres/0015_two_way.sql.

-- Inbound numbers staff assign to accounts: a number (digits, as operators send it in
-- destination_addr), or a number + keyword (the reply's first word, upper case). One active
-- assignment per (number, keyword); a released one stays as history.
CREATE TABLE inbound_numbers (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    number       TEXT    NOT NULL,
    keyword      TEXT    NOT NULL DEFAULT '',
    account_id   INTEGER NOT NULL REFERENCES accounts(id),
    assigned_by  INTEGER NOT NULL REFERENCES accounts(id),
    assigned_at  INTEGER NOT NULL,
    released_by  INTEGER NULL REFERENCES accounts(id),
    released_at  INTEGER NULL
);
CREATE UNIQUE INDEX inbound_numbers_active ON inbound_numbers(number, keyword) WHERE released_at IS NULL;
CREATE INDEX inbound_numbers_account ON inbound_numbers(account_id, id);

-- Replies (MO messages), whole: stored before the SMSC is acknowledged. `account_id` NULL is
-- unrouted (no number assigned): staff see those. `copies` counts the same reply delivered again
-- by the SMSC (same sender, number and bytes within the duplicate window).
CREATE TABLE replies (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id        INTEGER NULL REFERENCES accounts(id),
    inbound_number_id INTEGER NULL REFERENCES inbound_numbers(id),
    smsc              TEXT    NOT NULL,
    sender            TEXT    NOT NULL,
    recipient         TEXT    NOT NULL,
    text              TEXT    NOT NULL,
    data_coding       INTEGER NOT NULL,
    parts             INTEGER NOT NULL,
    missing_parts     INTEGER NOT NULL DEFAULT 0,
    copies            INTEGER NOT NULL DEFAULT 1,
    fingerprint       TEXT    NOT NULL,
    in_reply_to       INTEGER NULL,
    opted_out         INTEGER NOT NULL DEFAULT 0,
    received_at       INTEGER NOT NULL,
    read_at           INTEGER NULL
);
CREATE INDEX replies_account ON replies(account_id, id);
CREATE INDEX replies_account_sender ON replies(account_id, sender, id);
CREATE INDEX replies_fingerprint ON replies(fingerprint, received_at);
CREATE INDEX replies_unread ON replies(account_id) WHERE read_at IS NULL;

-- Parts of concatenated replies waiting for the rest (raw user data, hex), stored before each
-- part is acknowledged; a part delivered again is kept once.
CREATE TABLE reply_parts (
    sender      TEXT    NOT NULL,
    recipient   TEXT    NOT NULL,
    reference   INTEGER NOT NULL,
    total       INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    smsc        TEXT    NOT NULL,
    data_coding INTEGER NOT NULL,
    body_hex    TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (sender, recipient, reference, total, seq)
);
CREATE INDEX reply_parts_age ON reply_parts(received_at);

-- An account's own opt-out list (a reply of STOP, T, 退訂, ...): sending to these numbers is
-- refused like do-not-call.
CREATE TABLE opt_outs (
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    number      TEXT    NOT NULL,
    reply_id    INTEGER NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, number)
);

-- The last message an account sent to a number, for linking a reply to it.
CREATE INDEX messages_account_destination ON messages(account_id, destination, id);

-- The callback outbox is shared with replies: a row is for a message's final status or for a
-- reply (exactly one of the two). SQLite cannot drop a NOT NULL, so the table is rebuilt.
CREATE TABLE status_callbacks_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    message_id      INTEGER NULL UNIQUE,
    reply_id        INTEGER NULL UNIQUE,
    url             TEXT    NOT NULL,
    state           INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_attempt_at INTEGER NULL,
    last_result     TEXT    NULL,
    delivered_at    INTEGER NULL,
    CHECK ((message_id IS NULL) <> (reply_id IS NULL))
);
INSERT INTO status_callbacks_new (id, account_id, message_id, url, state, attempts, created_at, next_attempt_at, last_attempt_at, last_result, delivered_at)
    SELECT id, account_id, message_id, url, state, attempts, created_at, next_attempt_at, last_attempt_at, last_result, delivered_at FROM status_callbacks;
DROP TABLE status_callbacks;
ALTER TABLE status_callbacks_new RENAME TO status_callbacks;
CREATE INDEX status_callbacks_due ON status_callbacks(next_attempt_at) WHERE state = 0;
CREATE INDEX status_callbacks_account ON status_callbacks(account_id, id);
