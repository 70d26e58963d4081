-- Lookups by many keys at once lead with the key (issue 13; see the PostgreSQL migration of
-- the same number, where a planner without statistics searched by the leading columns and
-- filtered the keys row by row).
--
-- SQLite's planner searches an IN list on the second column of an index as well as on the
-- first, so smsc_keys keeps its primary key (a WITHOUT ROWID table: changing it would rewrite
-- the table). The charges' reference index is only an index, and is given the same column
-- order on both backends.
DROP INDEX ledger_entries_reference;
CREATE UNIQUE INDEX ledger_entries_reference ON ledger_entries(reference, account_id, kind);
