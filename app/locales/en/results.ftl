# Delivery Results (app/src/delivery), the charts (app/src/chart.rs) and the CSV downloads.

## Delivery statuses (spec §8). English is the spec's label, exactly as the API writes it.
results-status-upload-failed = UPLOAD FAILED
results-status-upload-success = UPLOAD SUCCESS
results-status-scheduling = SCHEDULING
results-status-processing = PROCESSING
results-status-submitted = SUBMITTED
results-status-retry = RETRY
results-status-expired = EXPIRED
results-status-undeliverable = UNDELIVERABLE
results-status-delivered = DELIVERED

## Error codes (spec §8): their names, then what each means.
results-error-handset-off = Handset Off
results-error-memory-full = Memory Full
results-error-unknown-subscriber = Unknown Subscriber
results-error-barred = Barred
results-error-blocked-as-spam = Blocked As Spam
results-error-network-error = Network Error
results-error-expired = Expired
results-error-operator-rejected = Operator Rejected
results-error-invalid-number = Invalid Number
results-error-do-not-call = Do-Not-Call
results-error-keyword-blocked = Keyword Blocked
results-error-over-charge-limit = Over Single-SMS Charge Limit
results-error-cannot-receive-sms = Cannot Receive SMS
results-error-no-route = No Route
results-error-message-too-long = Message Too Long
results-error-insufficient-balance = Insufficient Balance
results-error-unknown = Unknown Error
results-error-opted-out = Opted Out
results-why-handset-off = The phone was switched off or out of coverage (absent subscriber).
results-why-memory-full = The phone's message storage is full.
results-why-unknown-subscriber = The number is not in service (unsubscribed or deactivated).
results-why-barred = The subscriber is barred from receiving messages.
results-why-blocked-as-spam = The operator blocked the message as spam or at the recipient's request.
results-why-network-error = The operator's network failed to deliver the message.
results-why-expired = The validity period passed before the phone could be reached.
results-why-operator-rejected = The operator refused the message when it was submitted.
results-why-invalid-number = The number is not a valid mobile number.
results-why-do-not-call = The number is on the do-not-call register.
results-why-keyword-blocked = The content contains a blocked keyword.
results-why-over-charge-limit = The message costs more than the account's single-SMS charge limit.
results-why-cannot-receive-sms = The number cannot receive SMS (e.g. a data-only line).
results-why-no-route = No operator route or price is set up for this destination.
results-why-message-too-long = The message is longer than the route allows.
results-why-insufficient-balance = The account balance did not cover the message, so it was not sent.
results-why-unknown = The operator did not give a reason.
results-why-opted-out = The number replied STOP (or an equivalent) to this account, so Ferry does not send to it.

## Routes (§5).
results-route-hk-business = HK Business
results-route-hk-economic = HK Economic
results-route-china = China
results-route-international = International

## Refusals of the search and of deletion.
results-end-before-start = The end date is before the start date.
results-choose-status = Choose a status from the list.
results-choose-error = Choose an error code from the list.
results-delete-too-late = This batch can no longer be deleted: only scheduled batches whose time is more than 1 hour away can be deleted, and scheduled batches cannot be modified.

## The list of batches (/results).
results-title = Delivery Results
results-subtitle = Your batches, newest first. Records older than 2 months are not kept.
results-search-label = Search batches
results-sent-from = Sent from
results-to = To
results-sender-id = Sender ID
results-with-messages = With messages
results-any-status = Any status
results-search = Search
results-clear = Clear
results-loading-batches = batches
results-no-batches-title = No batches yet
results-no-batches-text = Send a broadcast and follow it here.
results-compose = Compose a message
results-no-match-title = No batches match
results-no-match-text = Nothing was sent in this period with these choices.
results-show-all = Show all batches
results-batches-found = { $count ->
    [one] { $count } batch found
   *[other] { $count } batches found
}
results-col-batch = Batch
results-col-created = Created (HKT)
results-send-time = Send time
results-col-message = Message
results-col-messages = Messages
results-progress = Progress
results-col-charge = Charge
results-send-deleted = deleted
results-send-immediate = immediate
results-newer = ← Newer
results-older = Older →

## One batch (/results/:id).
results-batch = Batch
results-loading-batch = the batch
results-batch-title = Batch #{ $id }
results-progress-line = { $finished } of { $total } messages final ({ $percent }%)
results-route = Route
results-send-immediately = immediately ({ $time })
results-total-messages = Total messages
results-total-charge = Total charge
results-deleted-notice = This scheduled batch was deleted; nothing was sent.
results-export = Export all messages (CSV)
results-delete = Delete scheduled batch
results-resend = Resend
results-resend-text = Create a new batch of exactly the recipients whose messages ended with the errors you tick, under today's rules (current sender IDs, keyword library and do-not-call register).
results-error-codes = Error codes
results-error-count = { $error } ({ $count })
results-resend-button = Resend to these recipients
results-status-over-time = Status over time
results-loading-chart = the chart
results-filter-label = Filter messages
results-col-status = Status
results-col-error = Error
results-any-error = Any error
results-number-contains = Number contains
results-filter = Filter
results-messages-match = { $count ->
    [one] 1 message matches
   *[other] { $count } messages match
}
results-no-messages-title = No messages here
results-no-messages-text = Nothing matches this filter.
results-col-message-id = Message ID
results-col-number = Number
results-col-parts = Parts
results-col-submitted = Submitted
results-col-final = Final
results-col-why = Why

## Live progress and the CSV download.
results-too-many-streams = At most { $max } live progress views can be open at once; close another tab and reload.
# The header row of a batch's CSV: the column names stay one word each, separated by commas.
results-csv-header = message_id,number,parts,status_code,status,error_code,error,charge_hkd,created_hkt,submitted_hkt,final_hkt,route,row,explanation

## The charts (a batch's status over time; an account's last 30 days).
results-chart-waiting = Waiting
results-chart-processing = Processing
# Between the series in the chart's description, e.g. "Waiting 0, DELIVERED 5".
results-chart-separator = {", "}
results-chart-label = Messages by status from { $from } to { $to }: now { $summary }.
results-chart-show-figures = Show the figures
results-chart-time = Time (HKT)
results-chart-per-day = { $title } per day from { $from } to { $to }: { $total } in total.
results-chart-in-30-days = { $total } in 30 days
results-chart-day-value = { $day }: { $value }
results-chart-last-30-days = Last 30 days
results-chart-messages = Messages
results-chart-spend = Spend
results-chart-day = Day (HKT)
results-chart-nothing-sent = Nothing sent in the last 30 days
results-chart-nothing-sent-text = Messages and spend per day will appear here once you send.
