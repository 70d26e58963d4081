# 回覆收件匣及與單一號碼的對話（app/src/inbox）。
inbox-title = 收件匣
inbox-unread = { $count } 則未讀
inbox-subtitle = 發送到你的接收號碼的回覆，最新的排在最前。超過 2 個月的回覆不會保留。
inbox-search-label = 搜尋回覆
inbox-from-number = 來自號碼
inbox-received-from = 接收日期由
inbox-to = 至
inbox-search = 搜尋
inbox-clear = 清除
inbox-download-csv = 下載 CSV
inbox-loading-replies = 回覆
inbox-number-with-keyword = { $number }（關鍵字 { $keyword }）
inbox-no-numbers = 此帳戶尚未獲分配接收號碼：請向 Ferry 職員申請，之後發送到該號碼的回覆會在此顯示。
# 「發送到……的回覆會在此顯示。」中各號碼之間。
inbox-list-separator = {"、"}
inbox-numbers = 發送到 { $numbers } 的回覆會在此顯示。
inbox-no-match-title = 沒有符合的回覆
inbox-no-match-text = 在此期間內沒有收到此號碼的回覆。
inbox-no-replies-title = 尚未有回覆
inbox-no-replies-text = 當有人回覆你的訊息時，回覆會即時在此顯示。
inbox-caption = 回覆，最新的排在最前
inbox-col-from = 寄件人
inbox-col-message = 訊息
inbox-col-received = 接收時間（香港時間）
inbox-marking = 正在標示…
inbox-mark-all-read = 全部標示為已讀
inbox-pages = 分頁
inbox-older = 較舊 →
inbox-new = 新
inbox-opted-out-title = 此號碼現已列入你的退訂名單：Ferry 不會再向其發送。
inbox-opted-out = 已退訂
inbox-missing-title = 此回覆有部分段落未有送達。
inbox-parts-missing = { $parts } 段中缺少 { $missing } 段
inbox-copies-title = 營運商重複送達了此回覆；只保留一份。
inbox-copies = 送達 { $copies } 次
inbox-conversation = 對話
inbox-conversation-subtitle = 你發送到此號碼的訊息及其回覆，最舊的排在最前。
inbox-back = ← 收件匣
inbox-loading-conversation = 對話
inbox-nothing-title = 與此號碼沒有任何往來
inbox-nothing-text = 沒有向此號碼發送過訊息，亦沒有收到其回覆（超過 2 個月的記錄不會保留）。
inbox-sent-meta = 你，{ $at } · { $status } · 訊息 { $id }
inbox-reply-meta = 回覆，{ $at }
inbox-meta-opted-out = 已退訂

## 拒絕訊息。
inbox-search-by-number = 請以電話號碼搜尋，例如 9123 4567 或 +852 9123 4567。
inbox-open-by-number = 請以號碼開啟對話。
inbox-too-many-streams = 此帳戶開啟的即時畫面過多；請關閉其他分頁。
# 回覆 CSV 的標題列：以半形逗號分隔各欄名稱。
inbox-csv-header = 回覆編號,寄件人,收件號碼,內容,段數,缺少段數,重複次數,已退訂,回覆的訊息編號,接收時間（香港時間）
