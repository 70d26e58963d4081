-- Delivery results (PRODUCT.md §9): per-message filters by status and by error stay indexed at
-- 50,000 messages per batch; the retention job finds finished messages by when they ended; the
-- 30-day usage chart reads an account's ledger by date.
CREATE INDEX messages_batch_status ON messages(batch_id, status, id);
CREATE INDEX messages_batch_error ON messages(batch_id, error_code, id);
CREATE INDEX messages_done ON messages(done_at);
CREATE INDEX batches_account_created ON batches(account_id, created_at);
CREATE INDEX ledger_entries_account_time ON ledger_entries(account_id, created_at);
CREATE INDEX unmatched_receipts_received ON unmatched_receipts(received_at);
CREATE INDEX smsc_keys_message ON smsc_keys(message_id);
