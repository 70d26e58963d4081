-- messages_batch_error serves only the error-code filter and counts, which ask for messages
-- with an error (issue 13): delivered messages (error_code NULL), nearly all of them, need no
-- entry. The PostgreSQL twin of this migration also drops the foreign keys of smsc_keys and
-- message_parts there; on SQLite each check is one rowid lookup, and dropping it would mean
-- rebuilding both tables.
DROP INDEX messages_batch_error;
CREATE INDEX messages_batch_error ON messages(batch_id, error_code, id) WHERE error_code IS NOT NULL;
