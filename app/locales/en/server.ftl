# Refusals worded by the engine and the rules crate (in English): each message is a template
# the portal recognises in the English text and words again in the person's language
# (i18n::from_english). The English must be exactly what the engine writes; no selects.
# Templates are tried in the order of their ids: where one template would also match a longer
# text meant for another (a list, a text followed by more), the longer one's id sorts first.
server-row = Row { $row }: { $reason }.

## Rules crate: numbers (sms/src/msisdn.rs)
server-msisdn-empty = the number is empty
server-msisdn-invalid-character = the number contains '{ $char }'; use only digits, spaces, brackets, dashes and a leading +
server-msisdn-too-short = the number is too short
server-msisdn-too-long = the number is too long
server-msisdn-unknown-country = the country code is not recognised
server-msisdn-unknown-default-country = { $code } is not a known default country code
server-msisdn-invalid = the number is not a valid number in its country
server-msisdn-not-mobile = the number is a landline or service number, which cannot receive SMS

## Rules crate: sender IDs (sms/src/sender_id.rs)
server-sender-id-empty = the sender ID is empty
server-sender-id-too-long = the sender ID may have at most 11 letters and digits (it has { $count })
server-sender-id-registered-length = a registered sender ID needs 1 to 10 letters or digits after the #
server-sender-id-number-punctuation = write a number sender ID as digits with its country code, without + or - (e.g. 85299887766)
server-sender-id-invalid-character = '{ $char }' is not allowed in a sender ID; use only A-Z, a-z and 0-9
server-sender-id-invalid-number = a number sender ID must be a valid mobile number with its country code (at most 15 digits)

## Rules crate: amounts, China signatures, segments
server-money-not-a-number = enter an amount such as 300 or 300.50
server-money-too-precise = use at most 4 decimal places
server-money-overflow = the amount is too large
server-china-signature-too-short = the signature needs at least { $min } characters (it has { $count })
server-china-signature-too-long = the signature may have at most { $max } characters (it has { $count })
server-china-signature-not-allowed = the signature may contain only Chinese characters and English letters, not '{ $char }'
server-segment-too-long = the message is too long: { $units } characters, but at most { $limit } fit in { $parts } parts

## Field prefixes around a rules-crate reason ("-and-more" sorts before the plain one)
server-number-and-more = Number: { $reason }. { $more }
server-number-reason = Number: { $reason }.
server-amount-reason = Amount: { $reason }.
server-limit-reason = Limit: { $reason }.
server-price-reason = Price: { $reason }.
server-signature-reason = Signature: { $reason }
server-sender-id-reason = Sender ID: { $reason }

## Address book
server-contact-name-empty = Enter the contact's name.
server-contact-name-empty-and-more = Enter the contact's name. { $more }
server-contact-name-too-long = Use at most { $max } characters for the name.
server-contact-name-too-long-and-more = Use at most { $max } characters for the name. { $more }
server-contact-number-taken = +{ $number } is already in your address book.
server-group-name-length = Give the group a name of 1 to { $max } characters.
server-group-name-taken = You already have a group called { $name }.
server-contacts-import-csv = Import contacts from a CSV UTF-8 file: name, number, and optionally a group.

## API keys
server-api-key-name-empty = Name the key after the system that will use it.
server-api-key-name-too-long = A key name has at most { $max } characters.
server-api-key-limit = This account has { $max } keys already: revoke one it no longer uses first.

## Sign-up, sign-in, passwords, codes
server-sign-in-busy = Ferry is handling many sign-ins right now. Try again in a minute.
server-signup-throttled = Too many accounts were created from your network address. { $retry }
server-login-name-taken = This login name is taken. Choose another one.
server-sign-in-ip-refused = This account only accepts sign-ins from its IP allow-list, and { $ip } is not on it. Sign in from an allowed network, or ask the Ferry operator to clear the list.
server-sign-in-code-needed = Enter the 6-digit code from your authenticator app, or one of your recovery codes.
server-sign-in-code-wrong = That code is not right, or it was already used. Codes change every 30 seconds.
server-sign-in-incorrect = The login name or password is incorrect.
server-sign-in-throttled-account = Too many failed sign-in attempts for this account. { $retry }
server-sign-in-throttled-account-address = Too many failed sign-in attempts for this account from your network address. { $retry }
server-sign-in-throttled-address = Too many failed sign-in attempts for your network address. { $retry }
server-password-length = Use { $min } to { $max } characters.
server-password-is-login = The password must not be the login name.
server-password-mismatch = The two new passwords do not match.
server-password-change-throttled = Too many wrong current passwords. { $retry }
server-current-password-wrong = The current password is incorrect.
server-reset-login-name-empty = Enter your login name.
server-reset-request-throttled = Too many reset requests from your network address. { $retry }
server-sms-code-needed = Enter the { $digits }-digit code from the SMS.
server-reset-code-wrong = This code is wrong or has expired. Request a new one.
server-wrong-codes-throttled = Too many wrong codes. { $retry }
server-wrong-codes-account-throttled = Too many wrong codes for this account. { $retry }
server-try-again-hours = Try again in { $hours } hours.
server-try-again-minutes = Try again in { $minutes } minutes.
server-try-again-one-minute = Try again in 1 minute.
server-two-factor-code-mismatch = That code does not match. Enter the 6 digits your app shows now.
server-two-factor-restart = Start the set-up again: there is no secret waiting to be confirmed.
server-two-factor-staff-required = Staff sign in with two factors; it cannot be turned off.
server-two-factor-code-wrong = That code is not right, or it was already used.
server-mobile-already-verified = This account's mobile number is already verified.
server-verification-throttled-account = Too many verification codes were sent for this account. { $retry }
server-verification-throttled-address = Too many verification codes were sent for your network address. { $retry }
server-verification-throttled-mobile = Too many verification codes were sent for this mobile number. { $retry }
server-verification-code-wrong = This code is wrong or has expired. Check the SMS, or send a new code.

## Sending a batch: recipients, message, price, schedule, balance
server-trial-own-mobile-only = a trial account can only send to its registered mobile number
server-duplicate-row = the same number as row { $first }: sent once
server-verify-mobile-first = Verify your registered mobile number first: enter the 8-digit code we sent by SMS on your Account page.
server-choose-hk-route = Choose HK Business or HK Economic for Hong Kong numbers; mainland and other numbers take the China and International routes by themselves.
server-not-a-country-code = { $code } is not a country code.
server-message-empty = Write the message to send.
server-message-too-long = The message is too long: { $units } characters, at most { $limit } fit in { $parts } parts. Remove { $excess } characters; Ferry never cuts a message.
server-message-too-long-china = The message is too long for the mainland numbers (with the signature): { $units } characters, at most { $limit } fit in { $parts } parts. Remove { $excess } characters; Ferry never cuts a message.
server-too-many-rows = { $rows } rows is more than a batch can take: at most { $max } numbers. Split the list into smaller batches.
server-too-many-numbers = { $count } numbers is more than the { $max } one batch can take.
server-no-recipients = Enter at least one recipient number.
server-none-sendable = None of the { $count } numbers can be sent to. { $rows }.
# The refused rows listed in server-none-sendable (at most five, then "; …"): longest first.
server-refused-rows-a = row { $row1 } ({ $input1 }): { $reason1 }; row { $row2 } ({ $input2 }): { $reason2 }; row { $row3 } ({ $input3 }): { $reason3 }; row { $row4 } ({ $input4 }): { $reason4 }; row { $row5 } ({ $input5 }): { $reason5 }; …
server-refused-rows-b = row { $row1 } ({ $input1 }): { $reason1 }; row { $row2 } ({ $input2 }): { $reason2 }; row { $row3 } ({ $input3 }): { $reason3 }; row { $row4 } ({ $input4 }): { $reason4 }; row { $row5 } ({ $input5 }): { $reason5 }
server-refused-rows-c = row { $row1 } ({ $input1 }): { $reason1 }; row { $row2 } ({ $input2 }): { $reason2 }; row { $row3 } ({ $input3 }): { $reason3 }; row { $row4 } ({ $input4 }): { $reason4 }
server-refused-rows-d = row { $row1 } ({ $input1 }): { $reason1 }; row { $row2 } ({ $input2 }): { $reason2 }; row { $row3 } ({ $input3 }): { $reason3 }
server-refused-rows-e = row { $row1 } ({ $input1 }): { $reason1 }; row { $row2 } ({ $input2 }): { $reason2 }
server-refused-rows-f = row { $row1 } ({ $input1 }): { $reason1 }
server-china-keywords-one = China operators refuse messages containing: { $keywords }. Remove it, or remove the mainland numbers from the list.
server-china-keywords-many = China operators refuse messages containing: { $keywords }. Remove them, or remove the mainland numbers from the list.
server-promotion-needs-signature = Without an approved custom China signature only notification messages may be sent to mainland numbers.
server-declare-purpose = Declare whether this is a notification or a promotion: mainland numbers need it.
server-no-price-hk-business = HK Business has no price yet; ask the Ferry operator.
server-no-price-hk-economic = HK Economic has no price yet; ask the Ferry operator.
server-no-price-china = China has no price yet; ask the Ferry operator.
server-no-price-international = International has no price yet; ask the Ferry operator.
server-client-figures-differ = The page showed { $client_parts } part(s) at { $client_price } each in { $client_encoding }, but Ferry counts { $parts } part(s) at { $price } in { $encoding }. Reload the page and check the message again.
server-all-left-out = All { $total } numbers are left out ({ $dnc } on the do-not-call register without consent, { $opted_out } opted out by replying STOP): there is nothing to send.
server-no-price-listed-hk-business = HK Business has no price yet, and the list has HK Business numbers on it; ask the Ferry operator, or remove them.
server-no-price-listed-hk-economic = HK Economic has no price yet, and the list has HK Economic numbers on it; ask the Ferry operator, or remove them.
server-no-price-listed-china = China has no price yet, and the list has China numbers on it; ask the Ferry operator, or remove them.
server-no-price-listed-international = International has no price yet, and the list has International numbers on it; ask the Ferry operator, or remove them.
server-no-sender-id-hk-business = Numbers on the HK Business route show a sender ID, and this account has none yet. Ask the Ferry operator to create one, or use HK Economic for Hong Kong numbers.
server-no-sender-id-international = Numbers on the International route show a sender ID, and this account has none yet. Ask the Ferry operator to create one, or use HK Economic for Hong Kong numbers.
server-choose-sender-id = Choose one of your sender IDs.
server-schedule-too-far = A batch can be scheduled at most 5 years ahead.
server-schedule-format = Enter the date and time as YYYY-MM-DD HH:MM (Hong Kong time).
server-validity-range = The validity period is whole minutes from { $min } to { $max }.
server-batch-insufficient-balance = Insufficient balance: this batch costs { $total } and { $available } is available. Top up { $shortfall } more, or send to fewer numbers. Nothing was sent.

## Callback URLs
server-callback-url-scheme = The callback URL must start with https:// (or http://).
server-callback-url-too-long = Use at most { $max } characters for the callback URL.
server-callback-url-space = The callback URL holds a space: write spaces as %20 and non-ASCII characters percent-encoded.
server-callback-url-character = The callback URL holds the character '{ $char }': write spaces as %20 and non-ASCII characters percent-encoded.
server-callback-url-no-host = The callback URL has no host name after the scheme.

## Resending
server-resend-codes-format = Choose the error codes to resend from the list, e.g. 16.
server-resend-codes-empty = Choose at least one error code to resend.
server-resend-dnc = Numbers left out by the do-not-call filter are not resent; record their consent and send a new batch.
server-resend-none-match = No message of this batch ended with those error codes.
server-resend-sender-retired = The sender ID { $sender } is no longer one of this account's sender IDs; send a new batch with a current one.
server-resend-china-keywords = China operators refuse messages containing: { $keywords }. This batch cannot be resent to its mainland numbers as it is.
server-resend-nothing-left = Every one of these numbers is now on the do-not-call register without recorded consent, or replied STOP to you: there is nothing to resend.
server-resend-no-price-hk-business = HK Business has no price.
server-resend-no-price-hk-economic = HK Economic has no price.
server-resend-no-price-china = China has no price.
server-resend-no-price-international = International has no price.
server-resend-insufficient-balance = Insufficient balance: resending costs { $total } and { $available } is available; top up { $shortfall } more first.

## Do-not-call register and consent
server-consent-date = Enter the consent date as YYYY-MM-DD.
server-consent-date-and-more = Enter the consent date as YYYY-MM-DD. { $more }
server-consent-note-too-long = Use at most 200 characters for the note.
server-consent-import-csv = Import consent from a CSV UTF-8 file: number, consent date (YYYY-MM-DD), note.
server-dnc-not-hk-number = not a Hong Kong phone number
server-dnc-register-date = Enter the register's date as YYYY-MM-DD.
server-dnc-no-numbers = This file holds no phone numbers; the register was not changed.

## Uploaded documents
server-document-empty = Choose a file to upload.
server-document-too-large = The file is { $size } MB; the limit is 10 MB.
server-document-wrong-type = Upload a PDF, JPG or PNG file; this file is none of those.

## Importing recipient, contact, consent and keyword files
server-import-busy = Ferry is reading other files right now. Try again in a minute.
server-import-empty = Choose a file to import.
server-import-too-large = The file is { $size } MB; the limit is { $limit } MB. Split it into smaller files.
server-import-too-many-numbers = The file has { $count } numbers; the limit is { $max } per import. Split it into smaller files.
server-import-wrong-type = This file is not a CSV, XLS or XLSX file. Save it from your spreadsheet as CSV UTF-8 or Excel (.xlsx) and try again.
server-import-utf16 = This file is UTF-16 text (Excel's "Unicode Text"). Save it as "CSV UTF-8 (Comma delimited)" and try again.
server-import-not-utf8 = This CSV file is not UTF-8 (line { $line }); it looks like Big5, GBK or another legacy encoding. In Excel choose Save As → "CSV UTF-8 (Comma delimited)", or import the .xlsx file itself.
server-import-broken-workbook = This Excel file is damaged or not a workbook ({ $reason }). Open it in Excel, save it again as .xlsx, and retry.
server-import-no-sheet = This workbook has no sheet with data.
server-import-encrypted = This workbook is password-protected. Remove the password in Excel (File → Info → Protect Workbook), save, and try again.
server-import-old-excel = This is an Excel 95 or older workbook. Open it in Excel and save it as .xlsx, then try again.
server-import-bomb = This workbook's { $part } unpacks to more than { $limit } MB (it says { $size } MB), far more than a list of numbers needs; it may be damaged or built to overload a server. Save the numbers alone as CSV or .xlsx and try again.
server-import-too-many-rows = The first column has more than { $limit } filled rows; at most { $max } numbers can be imported at once. Split the file into smaller ones.
server-import-broken-csv = This CSV file could not be read at line { $line }: { $reason }.
server-import-unknown-country = { $code } is not a known default country code.
# What is wrong inside a damaged workbook (the reason in server-import-broken-workbook)
server-workbook-no-shared-strings = cells name shared strings, but the workbook has none
server-workbook-missing-shared-string = row { $row } names shared string { $index }, which the file does not have
server-workbook-no-stream = it has no workbook stream; it may be a Word or other Office file
server-workbook-record-past-end = a record at byte { $byte } runs past the end of the file
server-workbook-record-too-short = a { $kind } record is too short
server-workbook-no-globals = it does not start with the workbook's globals
server-workbook-not-excel = it does not start like an Excel workbook
server-workbook-sheet-misplaced = the first sheet is not where the workbook says
server-workbook-too-many-parts = { $count } parts in one file
server-workbook-part-missing = the part { $path } is missing
server-workbook-no-workbook-part = it has no workbook part; it may be another kind of zip file
server-workbook-range = its sheet claims the range { $range }, beyond Excel's 1,048,576 rows × XFD columns
server-workbook-row-number = row number { $row }
server-workbook-cell-shared-string = cell A{ $row } names shared string "{ $text }"
server-workbook-unknown-entity = unknown entity &{ $name };

## China keyword library (staff)
server-keyword-empty = Enter a keyword.
server-keyword-too-long = A keyword is at most { $max } characters.
server-keyword-one-line = A keyword is one line of text, without tabs or control characters.
server-keyword-exists = "{ $keyword }" is in the library already.
server-keywords-import-csv = Import keywords from a CSV UTF-8 file: one keyword per row, in the first column.

## Payments, registrations, signatures and their review
server-review-reason-empty = Give the customer a reason for the rejection.
server-review-reason-too-long = Keep the reason to 500 characters or fewer.
server-review-payment-confirmed = This payment was already confirmed; nothing was changed.
server-review-payment-rejected = This payment was already rejected; nothing was changed.
server-review-registration-approved = This registration was already approved; nothing was changed.
server-review-registration-rejected = This registration was already rejected; nothing was changed.
server-review-application-approved = This application was already approved; nothing was changed.
server-review-application-rejected = This application was already rejected; nothing was changed.
server-top-up-minimum = A top-up is at least { $min }.
server-payment-method = Choose how you paid.
server-payment-reference-empty = Enter the payment reference shown on your receipt.
server-payment-reference-too-long = Use at most 100 characters for the reference.
server-payment-receipt-missing = Attach the payment receipt (PDF, JPG or PNG, up to 10 MB).
server-payment-already-confirmed = This payment was already confirmed.
server-registration-certificate-missing = Attach the business registration certificate (PDF, JPG or PNG, up to 10 MB).
server-registration-not-trial = Only trial accounts upload a business registration; this account is already approved.
server-registration-pending = A certificate is already waiting for review; staff will approve or reject it.
server-signature-pending = An application is already waiting for review.
server-signature-fee-balance = The account's balance does not cover the { $fee } signature fee ({ $shortfall } short). Ask the customer to top up first.

## Sender IDs (staff)
server-sender-id-tick-registered = A sender ID starting with # is a registered SSRS ID: tick "registered" once the registration is confirmed.
server-sender-id-duplicate = This account already has this sender ID.
server-sender-id-limit = An account can have at most { $max } sender IDs; retire one first.

## Account settings
server-ip-allow-list-problems = IP allow-list: { $problems }.
# The bad entries listed in server-ip-allow-list-problems: three and more, three, two, one.
server-ip-entries-a = entry { $n1 } "{ $entry1 }" is not an IPv4/IPv6 address or CIDR such as 203.0.113.0/24; entry { $n2 } "{ $entry2 }" is not an IPv4/IPv6 address or CIDR such as 203.0.113.0/24; entry { $n3 } "{ $entry3 }" is not an IPv4/IPv6 address or CIDR such as 203.0.113.0/24; { $more }
server-ip-entries-b = entry { $n1 } "{ $entry1 }" is not an IPv4/IPv6 address or CIDR such as 203.0.113.0/24; entry { $n2 } "{ $entry2 }" is not an IPv4/IPv6 address or CIDR such as 203.0.113.0/24; entry { $n3 } "{ $entry3 }" is not an IPv4/IPv6 address or CIDR such as 203.0.113.0/24
server-ip-entries-c = entry { $n1 } "{ $entry1 }" is not an IPv4/IPv6 address or CIDR such as 203.0.113.0/24; entry { $n2 } "{ $entry2 }" is not an IPv4/IPv6 address or CIDR such as 203.0.113.0/24
server-ip-entries-d = entry { $n1 } "{ $entry1 }" is not an IPv4/IPv6 address or CIDR such as 203.0.113.0/24
server-ip-allow-list-lockout = This list would lock you out: your current address { $ip } is not in it.
server-country-code-format = Enter a country code as 1 to 3 digits, e.g. 852.
server-validity-minutes = Enter whole minutes from { $min } to { $max } (23 hours).
server-limit-positive = The limit must be more than zero, or leave it empty for no limit.
server-hotline-format = Enter the hotline as 8 to 15 digits, e.g. 21234567.

## Staff: accounts, transfers, prices
server-no-customer-login = No customer account has this login name.
server-own-primary = An account cannot be its own primary.
server-primary-is-sub = That account is itself a sub-account; link to its primary instead.
server-has-subs = This account has sub-accounts of its own, so it cannot become a sub-account.
server-amount-above-zero = Enter an amount above zero.
server-transfer-same-account = Choose a different account to transfer to.
server-transfer-not-linked = Balances move only between a primary account and its sub-accounts.
server-transfer-shortfall = { $login } has { $shortfall } too little for this transfer.
server-price-route = Choose a route.
server-price-prefix = Use digits only: a country code or a longer prefix (e.g. 853 or 8536), or leave empty for the whole route.
server-price-negative = A price cannot be negative.
server-price-date = Enter a date as YYYY-MM-DD, or leave empty for now.

## Staff: SMSC connections
server-connection-name-format = Use 1 to 40 letters, digits, '-', '_' or '.' (e.g. csl-1).
server-connection-name-reserved = "{ $name }" is already the name of a connection in ferry.toml or of the built-in simulator.
server-connection-address = Enter the SMSC's host and port, e.g. smsc.operator.example:2775 or 10.0.0.5:2775.
server-connection-system-id = Enter the system ID the operator gave you: 1 to { $max } characters.
server-connection-password = SMPP passwords are at most { $max } characters, without spaces.
server-connection-routes = Choose at least one route for this connection.
server-connection-priority = Priority: a whole number from { $min } to { $max }.
server-connection-window = Window: a whole number from { $min } to { $max }.
server-connection-max-per-second = Messages per second (0 or empty for no limit): a whole number from { $min } to { $max }.
server-connection-msg-id-matching = Choose how receipt ids match submit ids.
server-connection-name-taken = A connection named "{ $name }" already exists.
server-connection-name-fixed = A connection's name cannot change: its delivery receipts find their messages by it.
server-connection-disable-first = Disable { $name } before removing it.
# A connection's last failure (staff connections page)
server-link-connect-failed = connect failed: { $reason }
server-link-disconnected = disconnected: { $reason }

## Staff: inbound numbers (two-way)
server-inbound-number-digits = Enter the inbound number in digits, e.g. 85260001234 or a short code.
server-inbound-number-length = An inbound number has 3 to 15 digits.
server-inbound-keyword-one-word = A keyword is one word: replies are matched by their first word.
server-inbound-keyword-too-long = Use at most { $max } characters for the keyword.
server-choose-customer = Choose a customer account.
server-inbound-keyword-assigned = { $number } with keyword { $keyword } is assigned to { $holder }: release it there first.
server-inbound-number-assigned = { $number } is assigned to { $holder }: release it there first.

## Texts the engine stores for people to read: statement descriptions, code batches
server-ledger-trial-credit = Trial credit
server-ledger-sms-delivered-parts = SMS to +{ $number } (batch #{ $batch }, { $delivered } of { $parts } parts delivered)
server-ledger-sms-to = SMS to +{ $number } (batch #{ $batch })
server-ledger-china-refund = Refund: undeliverable China SMS to +{ $number } (batch #{ $batch })
server-ledger-top-up = Top-up (payment #{ $payment })
server-ledger-charity-first = Charity bonus: first top-up
server-ledger-charity-ten-percent = Charity bonus: 10% of top-up
server-ledger-signature-fee = China signature fee
server-ledger-transfer-out-note = Transfer to { $login }: { $note }
server-ledger-transfer-out-plain = Transfer to { $login }
server-ledger-transfer-in-note = Transfer from { $login }: { $note }
server-ledger-transfer-in-plain = Transfer from { $login }
server-batch-reset-code = Password reset code
server-batch-verification-code = Mobile verification code
server-batch-not-sent-balance = (not sent: insufficient balance)

## The HTTP stack (server/src/http.rs)
server-http-body-too-large = The request is larger than { $mb } MB.
server-http-body-stalled = The request stopped arriving for { $seconds } seconds; please try again.
