-- The HTTP API (issue 14). Keep in step with ../postgres/0010_api_keys.sql.

-- API keys (§11): a customer's system acts for its own account with one. Only the key's
-- SHA-256 is stored (keys are 256 random bits, so a plain hash is as good as a slow one);
-- `prefix` is the key's first characters, for people to tell keys apart. A revoked key stays
-- listed with who revoked it.
CREATE TABLE api_keys (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    name            TEXT    NOT NULL,
    prefix          TEXT    NOT NULL,
    key_hash        TEXT    NOT NULL UNIQUE,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER NULL,
    last_used_ip    TEXT    NULL,
    revoked_at      INTEGER NULL,
    revoked_by      INTEGER NULL REFERENCES accounts(id)
);
CREATE INDEX api_keys_account ON api_keys(account_id, id);

-- Idempotency keys (§11): the first answer to a request sent with an `Idempotency-Key`, kept
-- 24 hours per API key. `status` is NULL while the first request is still being answered;
-- `request_hash` tells a retry (same body) from a reuse of the key for another request.
CREATE TABLE idempotent_requests (
    api_key_id      INTEGER NOT NULL REFERENCES api_keys(id),
    idempotency_key TEXT    NOT NULL,
    request_hash    TEXT    NOT NULL,
    status          INTEGER NULL,
    body            TEXT    NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (api_key_id, idempotency_key)
);
CREATE INDEX idempotent_requests_age ON idempotent_requests(created_at);
