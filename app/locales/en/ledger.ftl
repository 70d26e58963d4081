# The statement (app/src/ledger): every change to the balance, and its CSV export.
ledger-title = Statement
ledger-subtitle = Every change to your balance, newest first. Amounts in HK$.
ledger-all-types = All types
ledger-from = From
ledger-to = To
ledger-show = Show
ledger-export-csv = Export CSV
ledger-loading = the statement
ledger-no-entries-title = No entries
ledger-no-entries-text = Nothing matches this filter.
ledger-col-date = Date (HKT)
ledger-col-type = Type
ledger-col-description = Description
ledger-col-amount = Amount
ledger-col-balance = Balance

## Types of entry.
ledger-kind-trial-credit = Trial credit
ledger-kind-top-up = Top-up
ledger-kind-bonus = Bonus
ledger-kind-charge = Charge
ledger-kind-refund = Refund
ledger-kind-transfer-in = Transfer in
ledger-kind-transfer-out = Transfer out
ledger-kind-fee = Fee
ledger-kind-other = Other

## Refusals of the filter.
ledger-choose-type = Choose a type from the list.
ledger-enter-date = Enter a date as YYYY-MM-DD.
# The header row of the statement CSV: the column names separated by commas.
ledger-csv-header = date_hkt,type,description,amount_hkd,balance_hkd
