-- Write cost of the sending path (issue 13).
--
-- Claims look for messages due to be sent: waiting ones, and in-flight ones still holding
-- their charge (an attempt interrupted by a crash or a lost connection). The second kind are
-- few, but through messages_due (status, due_at) every in-flight message is visited to check
-- its hold: a claim's cost grew with the messages awaiting receipts.
CREATE INDEX messages_held ON messages(due_at) WHERE status = 4 AND hold_minor > 0;

-- smsc_keys_lookup (smsc, key) is a prefix of smsc_keys' primary key, whose index serves the
-- same lookups: a second index written for every key of every part, for nothing.
DROP INDEX smsc_keys_lookup;
