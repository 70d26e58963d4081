-- Password reset by SMS one-time code (PRODUCT.md §2). Only the code's SHA-256 is stored.
CREATE TABLE password_resets (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    code_hash       TEXT    NOT NULL,
    batch_id        INTEGER NOT NULL REFERENCES batches(id),
    attempts        INTEGER NOT NULL DEFAULT 0,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX password_resets_account ON password_resets(account_id, id);
