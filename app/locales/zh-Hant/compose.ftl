# 發送短訊：撰寫工具、即時字數及費用、伺服器核對、收件人檔案快速匯入，以及上載表格的拒絕訊息。
compose-title = 發送短訊
compose-subtitle = 撰寫一次，即可發送至最多 50,000 個號碼。字數及費用會隨輸入即時更新。
compose-loading-composer = 撰寫工具

## 路線
compose-route-hk-business = 香港商務
compose-route-hk-economic = 香港經濟
compose-route-china = 中國內地
compose-route-international = 國際
compose-route-note-hk-business = 顯示你的發送者名稱，提供送達報告。
compose-route-note-hk-economic = 較便宜；不顯示發送者名稱，沒有送達報告。
compose-route-note-china = 內地號碼；會加上簽名，不顯示發送者名稱。
compose-route-note-international = 其他國家及地區，包括澳門。
compose-per-part = 每段 { $price }
compose-no-price = 尚未定價
compose-other-routes = 中國內地號碼經中國內地路線發送（每段 { $china_price }；{ $china_note }），其他國家及地區的號碼經國際路線發送（每段 { $intl_price }；{ $intl_note }）。同一批次可混合不同路線。

## 未有國家代碼的號碼可選的國家代碼
compose-country-hk = 香港
compose-country-mo = 澳門
compose-country-cn = 中國內地
compose-country-tw = 台灣
compose-country-sg = 新加坡
compose-country-my = 馬來西亞
compose-country-jp = 日本
compose-country-kr = 南韓
compose-country-au = 澳洲
compose-country-gb = 英國
compose-country-us-ca = 美國／加拿大

## 表格
compose-trial-note = 試用帳戶：短訊只可發送至你登記的手機號碼 +{ $mobile }。
compose-route-legend = 香港號碼的發送路線
compose-sender-id = 發送者名稱
compose-no-sender-id = 尚未有發送者名稱：Ferry 營運方會為你的帳戶建立。在此之前，香港號碼請使用「香港經濟」路線。
compose-purpose = 用途
compose-purpose-hint = 推廣短訊必須提供退訂方法。
compose-purpose-hint-china = 推廣短訊必須提供退訂方法。發送至內地號碼須申報用途；在你的自訂中國簽名獲批核前，只可發送通知短訊。
compose-purpose-notification = 通知
compose-purpose-promotion = 推廣
compose-message = 短訊內容
compose-recipients = 收件人
compose-recipients-hint = 每行一個號碼（亦可用逗號分隔）。未有國家代碼的號碼會使用下方的國家代碼；重複的號碼只會發送一次。
compose-country-code = 未有國家代碼的號碼所用的國家代碼
compose-filter-dnc = 過濾拒收訊息號碼（免費）
compose-filter-dnc-hint = 登記在通訊辦（OFCA）拒收訊息登記冊上的號碼會被剔除，除非你已記錄其同意。這些號碼會在批次結果中顯示為拒收訊息（Do-Not-Call），不收費用。按「核對收件人及費用」可查看數目。
compose-schedule = 發送時間（香港時間）
compose-schedule-hint = 留空即立即發送。最遠可預約 5 年後；預約的批次可於發送時間前 1 小時或之前刪除，但不能修改。
compose-checking = 正在核對…
compose-check = 核對收件人及費用
compose-sending = 正在發送…
compose-send-now = 立即發送
compose-schedule-button = 預約發送

## 退訂提示（《非應邀電子訊息條例》）
compose-uemo-warning = 推廣短訊必須告知收件人如何取消接收（《非應邀電子訊息條例》）：請加上 EN/UN 及你的退訂熱線。
compose-uemo-append = 加上 { $suffix }
compose-uemo-set-before = 請先在
compose-uemo-set-link = 帳戶頁面
compose-uemo-set-after = 設定退訂熱線，即可在此加上。

## 即時計數
compose-encoding-ucs2 = UCS-2（Unicode）
compose-units = { $count } 個字元
compose-parts = { $count ->
   *[other] { $count } 段
}
compose-parts-too-long = 過長
compose-left-in-part = 本段尚餘 { $count } 個字元
compose-too-long = 過長：共 { $units } 個字元，但 { $max_parts } 段最多只可容納 { $limit } 個字元。請刪除 { $remove } 個字元；Ferry 絕不會截斷短訊。
compose-non-gsm = 以下字元會令短訊改用 UCS-2 編碼（每段 70 個字元，而非 160 個）：
compose-culprit-at = 位於第 { $position } 個字元
compose-culprit-invisible = 位於第 { $position } 個字元（不可見字元：請刪除）
compose-culprit-suggestion = 位於第 { $position } 個字元 → { $suggestion }
compose-replace-lookalikes = 以 GSM 字元取代相似字元

## 中國內地預覽
compose-china-will-see = 收件人會看到
compose-china-parts = { $count ->
   *[other] 內地號碼：{ $count } 段。
}
compose-china-too-long = 加上簽名後，內容對內地號碼而言過長。
compose-china-unsubscribe = 退訂文字「/退訂回T」可放入最後一段而不增加費用，因此會自動加上。
compose-china-keywords = 內地營運商會拒絕含有以下{ $count ->
   *[other] 關鍵字
}的短訊：{ $keywords }。伺服器不會接受此短訊發送至內地號碼。
compose-list-separator = 、

## 費用
compose-numbers = { $count ->
   *[other] { $count } 個號碼
}
compose-in-all = ，合共：
compose-short = 你的餘額為 { $balance }：尚需 { $short }。
compose-col-route = 路線
compose-col-numbers = 號碼數目
compose-col-parts-each = 每個號碼段數
compose-col-per-part = 每段價格
compose-col-cost = 費用

## 伺服器核對
compose-checked = 伺服器核對結果
compose-check-summary = { $recipients ->
   *[other] { $recipients } 位收件人
}，按輸入內容共 { $parts ->
   *[other] { $parts } 段
}（{ $encoding }，{ $units } 個字元）：
compose-check-duplicates = { $count } 個重複號碼只會發送一次。
compose-check-dnc = { $count } 個登記在拒收訊息登記冊上的號碼將被剔除，不收費用。
compose-check-opted-out = { $count } 個曾向你回覆 STOP 的號碼將被剔除，不收費用。
compose-check-insufficient = 餘額不足：現有 { $balance }，尚需 { $short }。
compose-check-covered = 你的餘額 { $balance } 足以支付此批次。
compose-check-rejected = { $count } 行不會發送
compose-check-first-listed = 以下列出首 { $count } 行。
compose-col-row = 行
compose-col-number = 號碼
compose-col-reason = 原因

## 快速匯入收件人
compose-import-label = 匯入號碼（CSV、XLS、XLSX）
compose-import-hint = 第一欄每行一個號碼，檔案最大 6 MB、最多 50,000 個號碼；未有國家代碼的號碼會使用上方的國家代碼。匯入的號碼會加到上方的收件人名單。
compose-import-reading = 正在讀取檔案…
compose-import-imported = { $count ->
   *[other] 已匯入 { $count } 個號碼
}
compose-import-duplicates = （{ $count ->
   *[other] 已合併 { $count } 個重複號碼
}）
compose-import-separator = ，
compose-import-rejected = { $count ->
   *[other] { $count } 行被拒絕
}
compose-import-end = 。
compose-import-download = 下載被拒絕的行（CSV）
# 被拒絕行 CSV 下載檔的標題行。
compose-import-csv-header = 行號,輸入內容,原因
compose-import-country-code = 請以數字輸入國家代碼，例如 852。
compose-import-too-large = 檔案超過 { $mb } MB；上限為 { $mb } MB。請分拆為較小的檔案。

## 上載表格（入口網站所有檔案上載）
compose-upload-interrupted = 上載中斷或表格無效（{ $error }）。請再試一次。
compose-upload-too-many-fields = 表格傳送了超過 { $max } 個欄位；請只傳送表格本身的欄位。
compose-upload-one-file = 請每次只傳送一個檔案。
compose-upload-field-too-long = 此欄位超過 { $kb } KB；未有儲存任何內容。
compose-upload-not-utf8 = 此欄位不是有效的 UTF-8 文字。
