-- Idempotency across a crash (issue 14). Keep in step with ../postgres/0012_idempotent_batches.sql.

-- The idempotency claim a batch was sent under (`<api key id>:<Idempotency-Key>`), written in
-- the batch's own transaction: when a process dies after the batch committed and before the
-- answer was kept, the retry finds the batch here instead of sending it again.
ALTER TABLE batches ADD COLUMN idempotency_ref TEXT NULL;
CREATE INDEX batches_idempotency_ref ON batches(idempotency_ref) WHERE idempotency_ref IS NOT NULL;
