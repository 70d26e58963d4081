-- Less written per message on PostgreSQL (issue 13). Measured with pg_stat_statements on the
-- 50,000-message dispatch benchmark, the statements of the sending path spent most of their
-- time maintaining rows nothing reads:
--
-- * The foreign keys of smsc_keys and message_parts ran one check per row (a part and three or
--   four keys per part), each a lookup of the message and a KEY SHARE lock on the row this
--   very transaction had just updated: the key inserts were the costliest statement of the
--   run (54 µs a row; 11 µs without the check), the part inserts 65 µs a row. Both tables are
--   written only by the transaction that records the message's outcome, with the message's
--   row locked (`FOR UPDATE`) and checked to be held, so the message exists; retention deletes
--   a message's keys and parts before the message (`retention.rs`); a receipt whose key names
--   a message that is gone is treated as unmatched, as before. Every dispatch benchmark
--   counts parts and keys without their message at the end (`orphan_rows`, expected 0).
-- * messages_batch_error served only the error-code filter and counts, which ask for messages
--   with an error; every status change of a delivered message (error_code NULL) wrote an entry
--   for it anyway, because a status change is never a HOT update.
-- * The claim reads waiting messages and held ones in queue order (due_at, id) from their
--   partial indexes and stops at its limit. A btree on due_at alone keeps equal keys in heap
--   order, and every message of a batch has the same due_at, so each claim sorted the whole
--   queue (50 ms for 50,000 waiting messages); with id in the index it reads 500 rows in order.
-- * A claim changes no indexed column, so with room on the page it is a HOT update that writes
--   no index entry at all; fillfactor 80 leaves that room on new pages.
ALTER TABLE smsc_keys DROP CONSTRAINT smsc_keys_message_id_fkey;
ALTER TABLE message_parts DROP CONSTRAINT message_parts_message_id_fkey;

DROP INDEX messages_batch_error;
CREATE INDEX messages_batch_error ON messages(batch_id, error_code, id) WHERE error_code IS NOT NULL;

DROP INDEX messages_due;
CREATE INDEX messages_due ON messages(due_at, id) WHERE status IN (2, 3);
DROP INDEX messages_held;
CREATE INDEX messages_held ON messages(due_at, id) WHERE status = 4 AND hold_minor > 0;

ALTER TABLE messages SET (fillfactor = 80);
