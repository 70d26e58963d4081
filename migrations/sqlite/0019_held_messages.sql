-- Write cost of the sending path (issue 13).
--
-- Claims look for messages due to be sent: waiting ones, and in-flight ones still holding
-- their charge (an attempt interrupted by a crash or a lost connection). The second kind are
-- few, but through messages_due (status, due_at) every in-flight message is visited to check
-- its hold: a claim's cost grew with the messages awaiting receipts.
CREATE INDEX messages_held ON messages(due_at) WHERE status = 4 AND hold_minor > 0;

-- Each accepted part writes one message_parts row and up to four smsc_keys rows. Both tables
-- are reached only by their primary keys (and smsc_keys also by message, for retention), so
-- they are stored as their primary key's B-tree (WITHOUT ROWID) rather than as a rowid table
-- plus a second B-tree for the key; smsc_keys_lookup (smsc, key) was a prefix of the primary
-- key, a third B-tree written for nothing.
CREATE TABLE message_parts_by_key (
    message_id          INTEGER NOT NULL REFERENCES messages(id),
    part                INTEGER NOT NULL,
    smsc                TEXT    NOT NULL,
    smsc_message_id     TEXT    NOT NULL,
    status              INTEGER NOT NULL,
    error_code          INTEGER NULL,
    PRIMARY KEY (message_id, part)
) WITHOUT ROWID;
INSERT INTO message_parts_by_key (message_id, part, smsc, smsc_message_id, status, error_code)
    SELECT message_id, part, smsc, smsc_message_id, status, error_code FROM message_parts;
DROP TABLE message_parts;
ALTER TABLE message_parts_by_key RENAME TO message_parts;

CREATE TABLE smsc_keys_by_key (
    smsc                TEXT    NOT NULL,
    key                 TEXT    NOT NULL,
    message_id          INTEGER NOT NULL REFERENCES messages(id),
    part                INTEGER NOT NULL,
    PRIMARY KEY (smsc, key, message_id, part)
) WITHOUT ROWID;
INSERT INTO smsc_keys_by_key (smsc, key, message_id, part)
    SELECT smsc, key, message_id, part FROM smsc_keys;
DROP TABLE smsc_keys;
ALTER TABLE smsc_keys_by_key RENAME TO smsc_keys;
CREATE INDEX smsc_keys_message ON smsc_keys(message_id);
