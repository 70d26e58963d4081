-- The delivery engine (PRODUCT.md §7, §8, §12): batches, one row per message, the SMSC ids of
-- every submitted part for receipt correlation, and receipts that arrived before their ids.

-- Money held for messages being handed to operators: a message holds its charge while it is
-- submitted, and the hold becomes a ledger charge when the operator accepts it (or is released
-- when it refuses). Debits other than those charges may only spend balance - held.
ALTER TABLE accounts ADD COLUMN held_minor INTEGER NOT NULL DEFAULT 0 CHECK (held_minor >= 0);

CREATE TABLE batches (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id          INTEGER NOT NULL REFERENCES accounts(id),
    route               TEXT    NOT NULL,
    sender_id           TEXT    NULL,
    purpose             TEXT    NOT NULL,
    content             TEXT    NOT NULL,
    final_text          TEXT    NOT NULL,
    encoding            TEXT    NOT NULL,
    parts               INTEGER NOT NULL,
    validity_minutes    INTEGER NOT NULL,
    scheduled_at        INTEGER NOT NULL,
    is_scheduled        INTEGER NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('active', 'deleted')),
    total_messages      INTEGER NOT NULL,
    estimated_cost_minor INTEGER NOT NULL,
    resent_from         INTEGER NULL REFERENCES batches(id),
    created_at          INTEGER NOT NULL
);
CREATE INDEX batches_account ON batches(account_id, id);

-- Status codes are those of §8. `charge_minor` is what the ledger charged for this message (0
-- until the operator accepts it); `hold_minor` what is held for it while it is being submitted.
CREATE TABLE messages (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id            INTEGER NOT NULL REFERENCES batches(id),
    account_id          INTEGER NOT NULL REFERENCES accounts(id),
    destination         TEXT    NOT NULL,
    parts               INTEGER NOT NULL,
    unit_price_minor    INTEGER NOT NULL,
    status              INTEGER NOT NULL,
    error_code          INTEGER NULL,
    charge_minor        INTEGER NOT NULL DEFAULT 0,
    hold_minor          INTEGER NOT NULL DEFAULT 0,
    attempts            INTEGER NOT NULL DEFAULT 0,
    due_at              INTEGER NOT NULL,
    claimed_until       INTEGER NOT NULL DEFAULT 0,
    claimed_by          TEXT    NULL,
    submitted_at        INTEGER NULL,
    done_at             INTEGER NULL,
    expires_at          INTEGER NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX messages_batch ON messages(batch_id, id);
CREATE INDEX messages_due ON messages(status, due_at);
CREATE INDEX messages_account_status ON messages(account_id, status);
CREATE INDEX messages_expiry ON messages(status, expires_at);

-- One row per submitted part; `status` is the part's latest receipt status (§8 code).
CREATE TABLE message_parts (
    message_id          INTEGER NOT NULL REFERENCES messages(id),
    part                INTEGER NOT NULL,
    smsc                TEXT    NOT NULL,
    smsc_message_id     TEXT    NOT NULL,
    status              INTEGER NOT NULL,
    error_code          INTEGER NULL,
    PRIMARY KEY (message_id, part)
);

-- Every normalised form of each part's SMSC id (exact, hex<->decimal, without leading zeros),
-- so a receipt finds its part whatever form the operator writes the id in (§14).
CREATE TABLE smsc_keys (
    smsc                TEXT    NOT NULL,
    key                 TEXT    NOT NULL,
    message_id          INTEGER NOT NULL REFERENCES messages(id),
    part                INTEGER NOT NULL,
    PRIMARY KEY (smsc, key, message_id, part)
);
CREATE INDEX smsc_keys_lookup ON smsc_keys(smsc, key);

-- Receipts whose part was not known yet (a receipt can overtake its submit_sm_resp): stored,
-- acknowledged, and applied when the part's id is recorded. One key row per normalised id
-- form, so matching is an indexed join, not a scan.
CREATE TABLE unmatched_receipts (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    smsc                TEXT    NOT NULL,
    status              INTEGER NOT NULL,
    error_code          INTEGER NULL,
    received_at         INTEGER NOT NULL
);
CREATE TABLE unmatched_receipt_keys (
    smsc                TEXT    NOT NULL,
    key                 TEXT    NOT NULL,
    receipt_id          INTEGER NOT NULL REFERENCES unmatched_receipts(id) ON DELETE CASCADE,
    position            INTEGER NOT NULL,
    PRIMARY KEY (smsc, key, receipt_id)
);
CREATE INDEX unmatched_receipt_keys_receipt ON unmatched_receipt_keys(receipt_id);

-- Ferry processes working on this database, with their last heartbeat. A claim by a process
-- that stopped beating (crashed, killed) can be taken over at once instead of waiting out the
-- lease.
CREATE TABLE dispatcher_nodes (
    node_id             TEXT    PRIMARY KEY,
    heartbeat_at        INTEGER NOT NULL
);
