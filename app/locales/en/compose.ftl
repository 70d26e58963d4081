# Broadcast SMS: the composer, its live counter and cost, the server's check, the quick import
# of recipient files, and the refusals of an upload form.
compose-title = Broadcast SMS
compose-subtitle = Write once, send to up to 50,000 numbers. Counts and cost update as you type.
compose-loading-composer = the composer

## Routes
compose-route-hk-business = HK Business
compose-route-hk-economic = HK Economic
compose-route-china = China
compose-route-international = International
compose-route-note-hk-business = Your sender ID, delivery reports.
compose-route-note-hk-economic = Cheaper; no sender ID, no delivery reports.
compose-route-note-china = Mainland numbers; signature added, no sender ID.
compose-route-note-international = Other countries, Macau included.
compose-per-part = { $price } per part
compose-no-price = no price yet
compose-other-routes = Mainland China numbers go by the China route ({ $china_price } per part; { $china_note }), numbers of other countries by International ({ $intl_price } per part; { $intl_note }). One batch may mix them.

## Countries offered for numbers without a country code
compose-country-hk = Hong Kong
compose-country-mo = Macau
compose-country-cn = Mainland China
compose-country-tw = Taiwan
compose-country-sg = Singapore
compose-country-my = Malaysia
compose-country-jp = Japan
compose-country-kr = South Korea
compose-country-au = Australia
compose-country-gb = United Kingdom
compose-country-us-ca = United States / Canada

## The form
compose-trial-note = Trial account: messages can only go to your registered mobile +{ $mobile }.
compose-route-legend = Route for Hong Kong numbers
compose-sender-id = Sender ID
compose-no-sender-id = No sender ID yet: the Ferry operator creates them for your account. Until then use HK Economic for Hong Kong numbers.
compose-purpose = Purpose
compose-purpose-hint = Promotional messages must offer a way to unsubscribe.
compose-purpose-hint-china = Promotional messages must offer a way to unsubscribe. Mainland numbers need this declared, and take notifications only until your custom China signature is approved.
compose-purpose-notification = Notification
compose-purpose-promotion = Promotion
compose-message = Message
compose-recipients = Recipients
compose-recipients-hint = One number per line (commas also separate). Numbers without a country code take the one below; duplicates are sent once.
compose-country-code = Country code for numbers without one
compose-filter-dnc = Filter do-not-call numbers (free)
compose-filter-dnc-hint = Numbers on the OFCA do-not-call register are left out, unless you recorded their consent. They appear in the batch result as Do-Not-Call and are not charged. "Check recipients and cost" shows how many.
compose-schedule = Send time (Hong Kong time)
compose-schedule-hint = Leave empty to send now. Up to 5 years ahead; a scheduled batch can be deleted until 1 hour before its time, and cannot be changed.
compose-checking = Checking…
compose-check = Check recipients and cost
compose-sending = Sending…
compose-send-now = Send now
compose-schedule-button = Schedule

## The unsubscribe helper (UEMO)
compose-uemo-warning = Promotional messages must tell recipients how to unsubscribe (Unsolicited Electronic Messages Ordinance): add EN/UN and your unsubscribe hotline.
compose-uemo-append = Append { $suffix }
compose-uemo-set-before = Set an unsubscribe hotline on the{" "}
compose-uemo-set-link = Account page
compose-uemo-set-after = {" "}to append it here.

## The live counter
compose-encoding-ucs2 = UCS-2 (Unicode)
compose-units = { $count } characters
compose-parts = { $count ->
    [one] { $count } part
   *[other] { $count } parts
}
compose-parts-too-long = too long
compose-left-in-part = { $count } left in this part
compose-too-long = Too long: { $units } characters, but at most { $limit } fit in { $max_parts } parts. Remove { $remove } characters; Ferry never cuts a message.
compose-non-gsm = These characters switch the message to UCS-2 (70 characters per part instead of 160):
compose-culprit-at = at character { $position }
compose-culprit-invisible = at character { $position } (invisible: remove it)
compose-culprit-suggestion = at character { $position } → { $suggestion }
compose-replace-lookalikes = Replace look-alikes with GSM characters

## The China preview
compose-china-will-see = Recipients will see
compose-china-parts = { $count ->
    [one] Mainland numbers: { $count } part.
   *[other] Mainland numbers: { $count } parts.
}
compose-china-too-long = Too long for mainland numbers with the signature.
compose-china-unsubscribe = The unsubscribe text /退訂回T fits in the last part at no extra cost, so it is added.
compose-china-keywords = China operators refuse messages containing { $count ->
    [one] this keyword
   *[other] these keywords
}: { $keywords }. The server will not accept this message for mainland numbers.
compose-list-separator = {", "}

## The cost
compose-numbers = { $count ->
    [one] { $count } number
   *[other] { $count } numbers
}
compose-in-all = {" "}in all:{" "}
compose-short = Your balance is { $balance }: this needs { $short } more.
compose-col-route = Route
compose-col-numbers = Numbers
compose-col-parts-each = Parts each
compose-col-per-part = Per part
compose-col-cost = Cost

## The server's check
compose-checked = Checked by the server
compose-check-summary = { $recipients ->
    [one] { $recipients } recipient
   *[other] { $recipients } recipients
}, { $parts ->
    [one] { $parts } part
   *[other] { $parts } parts
} as typed ({ $encoding }, { $units } characters):{" "}
compose-check-duplicates = { $count } duplicate number(s) will be sent once.
compose-check-dnc = { $count } number(s) on the do-not-call register will be left out, free of charge.
compose-check-opted-out = { $count } number(s) that replied STOP to you will be left out, free of charge.
compose-check-insufficient = Insufficient balance: { $balance } available, { $short } more is needed.
compose-check-covered = Your balance of { $balance } covers this batch.
compose-check-rejected = { $count } row(s) will not be sent
compose-check-first-listed = The first { $count } are listed.
compose-col-row = Row
compose-col-number = Number
compose-col-reason = Reason

## Quick import of recipients
compose-import-label = Import numbers (CSV, XLS, XLSX)
compose-import-hint = One number per row in the first column, up to 6 MB and 50,000 numbers; numbers without a country code take the one above. The numbers are added to the list above.
compose-import-reading = Reading the file…
compose-import-imported = { $count ->
    [one] { $count } number imported
   *[other] { $count } numbers imported
}
compose-import-duplicates = {" "}({ $count ->
    [one] { $count } duplicate
   *[other] { $count } duplicates
} collapsed)
compose-import-separator = {", "}
compose-import-rejected = { $count ->
    [one] { $count } row rejected
   *[other] { $count } rows rejected
}
compose-import-end = .
compose-import-download = Download rejected rows (CSV)
# The header row of the rejected rows' CSV download.
compose-import-csv-header = row,input,reason
compose-import-country-code = Enter a country code as digits, e.g. 852.
compose-import-too-large = The file is over { $mb } MB; the limit is { $mb } MB. Split it into smaller files.

## Upload forms (every file upload of the portal)
compose-upload-interrupted = The upload was interrupted or is not a valid form ({ $error }). Try again.
compose-upload-too-many-fields = The form sent more than { $max } fields; send only the form's own fields.
compose-upload-one-file = Send one file at a time.
compose-upload-field-too-long = This field is longer than { $kb } KB; nothing was saved.
compose-upload-not-utf8 = This field is not valid UTF-8 text.
