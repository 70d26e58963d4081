-- Two-factor sign-in (issue 17, PRODUCT.md §13). Keep in step with ../postgres/0016_two_factor.sql.

-- The TOTP secret (hex) once confirmed: sign-in then needs a code. `totp_pending_secret` is
-- one being set up, until a code from it is confirmed. `totp_last_step` is the 30-second step
-- of the last code accepted: a code is good once, never replayed in its own window.
ALTER TABLE accounts ADD COLUMN totp_secret TEXT NULL;
ALTER TABLE accounts ADD COLUMN totp_pending_secret TEXT NULL;
ALTER TABLE accounts ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;

-- One-time recovery codes, by SHA-256 only: a copy of the table signs nobody in.
CREATE TABLE recovery_codes (
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    code_hash   TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    used_at     INTEGER NULL,
    PRIMARY KEY (account_id, code_hash)
);
