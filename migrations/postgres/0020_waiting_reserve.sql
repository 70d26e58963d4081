-- What an account's waiting messages will cost, kept beside its balance (issue 13).
--
-- A batch is accepted only if the balance covers it after what is held and what is already
-- waiting (UPLOAD SUCCESS 2, SCHEDULING 3). That sum was read from the account's waiting
-- messages on every intake: with 50,000 messages scheduled for tomorrow each single-message
-- API send summed 50,000 rows, and on SQLite, inside the one writer every account shares, the
-- whole process fell from ~3,000 to ~200 sends a second. The statements that move messages in
-- and out of waiting keep this column instead (intake adds, the hold moves it to held_minor,
-- a refusal or a deleted schedule takes it off); `accounts_out_of_balance` checks it against
-- the messages. Not triggers: a trigger on `messages` slowed every status change of dispatch.
ALTER TABLE accounts ADD COLUMN waiting_minor BIGINT NOT NULL DEFAULT 0 CHECK (waiting_minor >= 0);

UPDATE accounts SET waiting_minor = COALESCE((
    SELECT SUM(m.parts * m.unit_price_minor) FROM messages m
    WHERE m.account_id = accounts.id AND m.status IN (2, 3)), 0);
