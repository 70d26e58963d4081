-- What an account's waiting messages will cost, kept beside its balance (issue 13).
--
-- A batch is accepted only if the balance covers it after what is held and what is already
-- waiting. That sum was read from the account's waiting messages on every intake, inside the
-- one writer every account shares: with 50,000 messages scheduled for tomorrow, each
-- single-message API send summed 50,000 rows and the whole process fell from ~3,000 to ~200
-- sends per second. These triggers keep the sum as messages enter and leave UPLOAD SUCCESS (2)
-- and SCHEDULING (3), whichever statement moves them, so intake reads one row.
-- PostgreSQL keeps reading the sum: there it serialises only that account's own sends.
ALTER TABLE accounts ADD COLUMN waiting_minor INTEGER NOT NULL DEFAULT 0;

UPDATE accounts SET waiting_minor = COALESCE((
    SELECT SUM(m.parts * m.unit_price_minor) FROM messages m
    WHERE m.account_id = accounts.id AND m.status IN (2, 3)), 0);

CREATE TRIGGER messages_waiting_insert AFTER INSERT ON messages
WHEN NEW.status IN (2, 3)
BEGIN
    UPDATE accounts SET waiting_minor = waiting_minor + NEW.parts * NEW.unit_price_minor
    WHERE id = NEW.account_id;
END;

CREATE TRIGGER messages_waiting_delete AFTER DELETE ON messages
WHEN OLD.status IN (2, 3)
BEGIN
    UPDATE accounts SET waiting_minor = waiting_minor - OLD.parts * OLD.unit_price_minor
    WHERE id = OLD.account_id;
END;

CREATE TRIGGER messages_waiting_update
AFTER UPDATE OF status, parts, unit_price_minor, account_id ON messages
WHEN OLD.status IN (2, 3) OR NEW.status IN (2, 3)
BEGIN
    UPDATE accounts SET waiting_minor = waiting_minor - OLD.parts * OLD.unit_price_minor
    WHERE id = OLD.account_id AND OLD.status IN (2, 3);
    UPDATE accounts SET waiting_minor = waiting_minor + NEW.parts * NEW.unit_price_minor
    WHERE id = NEW.account_id AND NEW.status IN (2, 3);
END;
