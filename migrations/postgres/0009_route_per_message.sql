-- Sending correctness (issue 19). Keep in step with ../sqlite/0009_route_per_message.sql.

-- The route follows each number (§5): a batch keeps the customer's Hong Kong choice
-- (HK_BUSINESS or HK_ECONOMIC) in `batches.route`; each message its own route (NULL: the
-- batch's, for messages stored before). China recipients get the composed text (signature,
-- unsubscribe suffix) kept beside the batch's own.
ALTER TABLE messages ADD COLUMN route TEXT NULL;
ALTER TABLE batches ADD COLUMN china_text TEXT NULL;

-- A default country code per account (§6), for numbers typed without one.
ALTER TABLE accounts ADD COLUMN default_country_code BIGINT NOT NULL DEFAULT 852;
