-- Delivery-status callbacks (issue 14, §11). Keep in step with ../postgres/0011_status_callbacks.sql.

-- The account's default callback URL for delivery statuses (the 2-way `callback_url` of §2
-- is a different one), and the secret its callbacks are signed with (HMAC-SHA256), made on
-- first use and rotatable.
ALTER TABLE accounts ADD COLUMN status_callback_url TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN callback_secret TEXT NOT NULL DEFAULT '';

-- Where this batch's statuses are POSTed: the request's URL or the account's default, fixed
-- when the batch is accepted.
ALTER TABLE batches ADD COLUMN callback_url TEXT NULL;

-- 1 while a message of a batch with a callback URL still owes its callback: it moves to the
-- outbox, in the same transaction that clears the flag, once its status is final. The partial
-- index holds only those messages, so finding them costs nothing once they are few.
ALTER TABLE messages ADD COLUMN callback_pending INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_callback_pending ON messages(id) WHERE callback_pending = 1;

-- The durable outbox: one row per message's final status, retried with back-off until the
-- receiver answers 2xx or 24 hours pass. `state`: 0 waiting, 1 delivered, 2 given up. A row
-- being sent has `next_attempt_at` pushed a lease ahead, so another process (or this one
-- after a crash) takes it again only once the lease has run out.
CREATE TABLE status_callbacks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    message_id      INTEGER NOT NULL UNIQUE,
    url             TEXT    NOT NULL,
    state           INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_attempt_at INTEGER NULL,
    last_result     TEXT    NULL,
    delivered_at    INTEGER NULL
);
CREATE INDEX status_callbacks_due ON status_callbacks(next_attempt_at) WHERE state = 0;
CREATE INDEX status_callbacks_account ON status_callbacks(account_id, id);
