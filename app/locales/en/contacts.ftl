# The address book (contacts, groups, consent), the composer's group picker, and the staff
# page of the do-not-call register.
contacts-title = Address Book
contacts-subtitle = Contacts and groups for this account. Add a group to a broadcast from the composer.

## Contacts
contacts-heading = Contacts
contacts-name = Name
contacts-mobile = Mobile number
contacts-mobile-hint = Hong Kong numbers need no country code.
contacts-add = Add contact
contacts-saving = Saving…
contacts-loading = your contacts
contacts-export = Export CSV
contacts-import-label = Import contacts (CSV: name, number, group)
contacts-imported = { $added } added, { $updated } updated, { $rejected } rejected.
contacts-import = Import contacts
contacts-importing = Importing…
contacts-empty = No contacts yet
contacts-empty-text = Add contacts one by one or import a CSV file.
contacts-col-name = Name
contacts-col-number = Number
contacts-col-actions = Actions
contacts-in-group = { $name } in { $group }
contacts-delete = Delete
contacts-choose-csv = Choose a CSV file to import.
contacts-sign-in = Please sign in to continue.
# The header row of the contacts.csv download (the import skips it).
contacts-csv-header = name,number,groups

## Groups
contacts-groups = Groups
contacts-new-group = New group
contacts-create-group = Create group
contacts-creating = Creating…
contacts-no-groups = No groups yet
contacts-no-groups-text = Create a group, then tick contacts into it.
contacts-group-item = { $name } ({ $count ->
    [one] { $count } contact
   *[other] { $count } contacts
})
contacts-delete-group = Delete group

## Rejected rows of an import
contacts-col-row = Row
contacts-col-input = Input
contacts-col-reason = Reason

## Consent
contacts-consent = Consent
contacts-consent-text = Numbers whose owners agreed to receive your messages. The do-not-call filter never removes them.
contacts-consent-date = Consent date
contacts-note = Note
contacts-note-hint = How consent was given (optional).
contacts-record-consent = Record consent
contacts-import-consent-label = Import consent (CSV: number, date, note)
contacts-consent-imported = { $added } recorded, { $rejected } rejected.
contacts-import-consent = Import consent
contacts-loading-consent = consent
contacts-no-consent = No consent recorded
contacts-no-consent-text = Record consent for numbers that must never be filtered.
contacts-remove = Remove
contacts-choose-consent-csv = Choose a CSV file.

## The composer's group picker
contacts-add-group = Add a group
contacts-choose-group = Choose a group…
contacts-group-option = { $name } ({ $count })
contacts-numbers-added = { $count } number(s) added.

## The do-not-call register (staff)
contacts-dnc-title = Do-not-call register
contacts-dnc-subtitle = The OFCA register customers may filter their batches against (free). Numbers a customer recorded consent for are never filtered.
contacts-dnc-current = Register in force
contacts-dnc-loading = the register
contacts-dnc-count = { $count } numbers
contacts-dnc-details = , register of { $date }, imported { $at } by { $by }.
contacts-dnc-none = No register imported yet
contacts-dnc-none-text = Until one is imported, filtering keeps every number.
contacts-dnc-replace = Replace the register
contacts-dnc-replace-text = Upload the register as CSV (one number per row in the first column; a header row is fine), up to 11 MB. The new list replaces the old one in a single step.
contacts-dnc-date = Register date
contacts-dnc-file = Register file (CSV)
contacts-dnc-imported = Imported { $count } numbers (register of { $date }).
contacts-dnc-no-number = {" "}{ $count } row(s) held no phone number, e.g. row { $row }.
contacts-dnc-import = Import register
contacts-dnc-choose-file = Choose the register file (CSV) to import.
