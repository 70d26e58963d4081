-- Hostile input (issue 12). Keep in step with ../postgres/0008_hostile_input.sql.

-- Attempt throttles (sign-in, reset requests and codes, sign-up, mobile verification,
-- password changes): one row per attempt that counts, per key such as
-- `login-ip:<login>|<address>`. Rows older than a day are pruned by the retention job.
CREATE TABLE throttle_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    key             TEXT    NOT NULL,
    at              INTEGER NOT NULL
);
CREATE INDEX throttle_events_key ON throttle_events(key, at);
CREATE INDEX throttle_events_at ON throttle_events(at);

-- A trial account's registered mobile is proven by a one-time code before its trial credit
-- can be used (§2: the credit must not be spent at someone else's number). Accounts that
-- existed before are taken as verified.
ALTER TABLE accounts ADD COLUMN mobile_verified_at INTEGER NULL;
UPDATE accounts SET mobile_verified_at = created_at;

CREATE TABLE mobile_verifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    mobile          TEXT    NOT NULL,
    code_hash       TEXT    NOT NULL,
    batch_id        INTEGER NULL REFERENCES batches(id),
    attempts        INTEGER NOT NULL DEFAULT 0,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX mobile_verifications_account ON mobile_verifications(account_id, id);

-- Recipients stored with a batch but never sent keep why: a refused row's place in the
-- customer's list and the reason in words (UPLOAD FAILED, §6/§14).
ALTER TABLE messages ADD COLUMN input_row INTEGER NULL;
ALTER TABLE messages ADD COLUMN reason TEXT NULL;
