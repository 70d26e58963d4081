-- The email API (issue 15): its mails and its answers. Keep in step with ../postgres/0013_email_intake.sql.

-- Every mail accepted as a send, by account and identity (SHA-256 of its Message-ID, or of
-- its bytes when it has none): a resent mail finds its row and is not sent again, however
-- long after. `batch_id` is NULL while the mail is being handled; when the process died
-- then, the batch (if it was stored) is found by `batches.idempotency_ref` = 'smtp:' ||
-- identity, which the batch carries in its own transaction.
CREATE TABLE email_intake (
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    identity    TEXT    NOT NULL,
    claimed_at  INTEGER NOT NULL,
    batch_id    INTEGER NULL,
    PRIMARY KEY (account_id, identity)
);

-- Ferry's answers to mails, by mail (what it sent, or why it refused), waiting to be handed to
-- `[smtp] reply_relay`: written before the SMTP answer, so a crash loses none; retried with
-- back-off for 24 hours.
CREATE TABLE email_replies (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    to_address      TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    in_reply_to     TEXT    NULL,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    sent_at         INTEGER NULL,
    given_up_at     INTEGER NULL,
    last_error      TEXT    NULL
);
CREATE INDEX email_replies_due ON email_replies(next_attempt_at) WHERE sent_at IS NULL AND given_up_at IS NULL;
