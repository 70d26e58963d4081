# The inbox of replies and the conversation with one number (app/src/inbox).
inbox-title = Inbox
inbox-unread = { $count } unread
inbox-subtitle = Replies to your inbound numbers, newest first. Replies older than 2 months are not kept.
inbox-search-label = Search replies
inbox-from-number = From number
inbox-received-from = Received from
inbox-to = To
inbox-search = Search
inbox-clear = Clear
inbox-download-csv = Download CSV
inbox-loading-replies = replies
inbox-number-with-keyword = { $number } (keyword { $keyword })
inbox-no-numbers = No inbound number is assigned to this account yet: ask Ferry's staff for one, then replies to it arrive here.
# Between the account's numbers in "Replies to … arrive here."
inbox-list-separator = {", "}
inbox-numbers = Replies to { $numbers } arrive here.
inbox-no-match-title = No replies match
inbox-no-match-text = Nothing arrived from this number in this period.
inbox-no-replies-title = No replies yet
inbox-no-replies-text = When someone answers one of your messages, the reply shows here at once.
inbox-caption = Replies, newest first
inbox-col-from = From
inbox-col-message = Message
inbox-col-received = Received (HKT)
inbox-marking = Marking…
inbox-mark-all-read = Mark all read
inbox-pages = Pages
inbox-older = Older →
inbox-new = New
inbox-opted-out-title = This number is now on your opt-out list: Ferry will not send to it.
inbox-opted-out = Opted out
inbox-missing-title = Parts of this reply never arrived.
inbox-parts-missing = { $missing } of { $parts } parts missing
inbox-copies-title = The operator delivered it more than once; it is kept once.
inbox-copies = delivered { $copies }×
inbox-conversation = Conversation
inbox-conversation-subtitle = Messages you sent to this number and its replies, oldest first.
inbox-back = ← Inbox
inbox-loading-conversation = the conversation
inbox-nothing-title = Nothing with this number
inbox-nothing-text = No message was sent to it and no reply came from it (records older than 2 months are not kept).
inbox-sent-meta = You, { $at } · { $status } · message { $id }
inbox-reply-meta = Reply, { $at }
inbox-meta-opted-out = opted out

## Refusals.
inbox-search-by-number = Search by a phone number, e.g. 9123 4567 or +852 9123 4567.
inbox-open-by-number = Open a conversation by its number.
inbox-too-many-streams = Too many live views are open for this account; close another tab.
# The header row of the replies CSV: the column names separated by commas.
inbox-csv-header = reply_id,from,to,text,parts,missing_parts,copies,opted_out,in_reply_to_message_id,received_hkt
