-- SMSC connections managed by staff in the console (issue 17, PRODUCT.md §12), beside the
-- ones in ferry.toml. Keep in step with ../sqlite/0017_smsc_connections.sql.
--
-- Every dispatcher polls this table and reconnects when a row changes, so an edit reaches every
-- `ferry serve` on the database within seconds. `name` is how receipts find their messages
-- (messages.smsc), so it never changes once created. `routes` is a comma-separated list of
-- route codes; `max_per_second` 0 means no limit. The password is what the operator gave us
-- to bind with: it has to be sent as is, so it is stored as is and never shown again.
CREATE TABLE smsc_connections (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE,
    address         TEXT    NOT NULL,
    system_id       TEXT    NOT NULL,
    password        TEXT    NOT NULL,
    routes          TEXT    NOT NULL,
    priority        BIGINT NOT NULL,
    window_size     BIGINT NOT NULL,
    max_per_second  BIGINT NOT NULL,
    msg_id_matching TEXT    NOT NULL,
    enabled         BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
