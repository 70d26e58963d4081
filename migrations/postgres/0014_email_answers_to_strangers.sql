-- The email API mails a refusal of a mail that no valid key vouched for only to an account's
-- registered contact address, and only a few times an hour per address (issue 15): such
-- answers are marked, and counted by this index. Keep in step with
-- ../sqlite/0014_email_answers_to_strangers.sql.
ALTER TABLE email_replies ADD COLUMN unvouched INTEGER NOT NULL DEFAULT 0;
CREATE INDEX email_replies_unvouched ON email_replies(to_address, created_at) WHERE unvouched = 1;
