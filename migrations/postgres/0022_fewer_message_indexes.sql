-- Fewer index entries written per status change (issue 13).
--
-- Every message changes status three or four times (waiting, held, accepted, final), and each
-- change rewrote its entry in every index that holds the status, whether or not anything
-- looks it up in that state. On SQLite that is the one writer's work, so it bounds dispatch:
--
-- * messages_account_status (account_id, status) served the sum of an account's waiting
--   messages at intake, which the account row keeps now (migration 0020). Nothing else reads it.
-- * messages_due is read only for waiting messages (the claim, the due count): it now holds
--   only them, so a message leaves it once, when it is held.
-- * messages_expiry is read only for messages in flight with an expiry time (the expiry sweep):
--   a message enters it when accepted and leaves it when final.
-- * messages_done is read only below a time (retention): messages still waiting, with no
--   done_at, are not in it.
DROP INDEX messages_account_status;

DROP INDEX messages_due;
CREATE INDEX messages_due ON messages(due_at) WHERE status IN (2, 3);

DROP INDEX messages_expiry;
CREATE INDEX messages_expiry ON messages(expires_at) WHERE status IN (4, 19) AND expires_at IS NOT NULL;

DROP INDEX messages_done;
CREATE INDEX messages_done ON messages(done_at) WHERE done_at IS NOT NULL;
