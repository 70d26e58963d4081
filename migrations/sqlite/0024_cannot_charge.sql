-- Nothing to change on SQLite. The PostgreSQL twin of this migration adds ferry_cannot_charge,
-- with which a statement that records acceptances fails when an account does not hold enough
-- for its charges; on SQLite the writer checks that between prepared statements of one
-- transaction (ledger::store::native::charge_held_many).
SELECT 1;
