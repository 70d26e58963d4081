-- An outcome group of acceptances is recorded in one statement that commits as it ends (issue
-- 13): the account rows it charges stay locked for the statement alone, not also for the round
-- trip of a COMMIT. Such a statement cannot roll back what it did once it finds that an account
-- does not hold enough for its charges (a row changed by hand: every charge was held first), so
-- it must fail instead: it selects ferry_cannot_charge(account) for such an account, and the
-- statement, with everything it wrote, is undone. Ferry reads the account's id back from the
-- message (SQLSTATE FY001).
CREATE FUNCTION ferry_cannot_charge(account_id BIGINT) RETURNS BIGINT
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'account % does not hold enough for its charges', account_id
    USING ERRCODE = 'FY001';
END
$$;
