# 發送結果（app/src/delivery）、圖表（app/src/chart.rs）及 CSV 下載。

## 發送狀態（規格 §8）。
results-status-upload-failed = 上載失敗
results-status-upload-success = 已上載
results-status-scheduling = 已排程
results-status-processing = 處理中
results-status-submitted = 已提交
results-status-retry = 重試中
results-status-expired = 已過期
results-status-undeliverable = 無法送達
results-status-delivered = 已送達

## 錯誤代碼（規格 §8）：名稱及含義。
results-error-handset-off = 手機關機
results-error-memory-full = 記憶體已滿
results-error-unknown-subscriber = 用戶不存在
results-error-barred = 已被禁止接收
results-error-blocked-as-spam = 被列為垃圾訊息
results-error-network-error = 網絡錯誤
results-error-expired = 已過期
results-error-operator-rejected = 營運商拒絕
results-error-invalid-number = 號碼無效
results-error-do-not-call = 拒收訊息登記
results-error-keyword-blocked = 含封鎖關鍵字
results-error-over-charge-limit = 超出單條短訊收費上限
results-error-cannot-receive-sms = 無法接收短訊
results-error-no-route = 沒有可用路線
results-error-message-too-long = 訊息過長
results-error-insufficient-balance = 餘額不足
results-error-unknown = 未知錯誤
results-error-opted-out = 已退訂
results-why-handset-off = 手機已關機或不在網絡覆蓋範圍內（用戶不在服務區）。
results-why-memory-full = 手機的訊息儲存空間已滿。
results-why-unknown-subscriber = 此號碼並未使用（已取消登記或已停用）。
results-why-barred = 此用戶已被禁止接收訊息。
results-why-blocked-as-spam = 營運商視此訊息為垃圾訊息，或應收件人要求而攔截。
results-why-network-error = 營運商網絡未能送達此訊息。
results-why-expired = 在有效期內未能聯絡到該手機。
results-why-operator-rejected = 營運商在提交時拒絕了此訊息。
results-why-invalid-number = 此號碼並非有效的流動電話號碼。
results-why-do-not-call = 此號碼已登記在拒收訊息登記冊。
results-why-keyword-blocked = 內容含有被封鎖的關鍵字。
results-why-over-charge-limit = 此訊息的費用超出帳戶的單條短訊收費上限。
results-why-cannot-receive-sms = 此號碼無法接收短訊（例如只限數據的號碼）。
results-why-no-route = 此目的地未設定營運商路線或價格。
results-why-message-too-long = 訊息長度超出該路線的上限。
results-why-insufficient-balance = 帳戶餘額不足以支付此訊息，因此沒有發送。
results-why-unknown = 營運商沒有提供原因。
results-why-opted-out = 此號碼已向此帳戶回覆 STOP（或同等指令），因此 Ferry 不會再向其發送。

## 路線（§5）。
results-route-hk-business = 香港商業
results-route-hk-economic = 香港經濟
results-route-china = 中國內地
results-route-international = 國際

## 搜尋及刪除的拒絕訊息。
results-end-before-start = 結束日期早於開始日期。
results-choose-status = 請從清單中選擇狀態。
results-choose-error = 請從清單中選擇錯誤代碼。
results-delete-too-late = 此批次已無法刪除：只有發送時間在 1 小時以後的已排程批次才可刪除，而已排程批次不能修改。

## 批次列表（/results）。
results-title = 發送結果
results-subtitle = 你的批次，最新的排在最前。超過 2 個月的記錄不會保留。
results-search-label = 搜尋批次
results-sent-from = 發送日期由
results-to = 至
results-sender-id = 發送者名稱
results-with-messages = 訊息狀態
results-any-status = 任何狀態
results-search = 搜尋
results-clear = 清除
results-loading-batches = 批次
results-no-batches-title = 尚未有批次
results-no-batches-text = 發送短訊後，可在此追蹤發送情況。
results-compose = 撰寫訊息
results-no-match-title = 沒有符合的批次
results-no-match-text = 在此期間內沒有符合這些條件的發送記錄。
results-show-all = 顯示所有批次
results-batches-found = 找到 { $count } 個批次
results-col-batch = 批次
results-col-created = 建立時間（香港時間）
results-send-time = 發送時間
results-col-message = 訊息
results-col-messages = 訊息
results-progress = 進度
results-col-charge = 收費
results-send-deleted = 已刪除
results-send-immediate = 即時
results-newer = ← 較新
results-older = 較舊 →

## 單一批次（/results/:id）。
results-batch = 批次
results-loading-batch = 批次
results-batch-title = 批次 #{ $id }
results-progress-line = { $total } 條訊息中有 { $finished } 條已有最終狀態（{ $percent }%）
results-route = 路線
results-send-immediately = 即時發送（{ $time }）
results-total-messages = 訊息總數
results-total-charge = 總收費
results-deleted-notice = 此已排程批次已被刪除，沒有發送任何訊息。
results-export = 匯出所有訊息（CSV）
results-delete = 刪除已排程批次
results-resend = 重新發送
results-resend-text = 為訊息以你所選錯誤結束的收件人建立一個新批次，並按今天的規則處理（現行的發送者名稱、關鍵字庫及拒收訊息登記冊）。
results-error-codes = 錯誤代碼
results-error-count = { $error }（{ $count }）
results-resend-button = 重新發送給這些收件人
results-status-over-time = 狀態變化
results-loading-chart = 圖表
results-filter-label = 篩選訊息
results-col-status = 狀態
results-col-error = 錯誤
results-any-error = 任何錯誤
results-number-contains = 號碼包含
results-filter = 篩選
results-messages-match = 有 { $count } 條訊息符合
results-no-messages-title = 沒有訊息
results-no-messages-text = 沒有符合此篩選條件的項目。
results-col-message-id = 訊息編號
results-col-number = 號碼
results-col-parts = 段數
results-col-submitted = 提交時間
results-col-final = 完成時間
results-col-why = 原因

## 即時進度及 CSV 下載。
results-too-many-streams = 最多只可同時開啟 { $max } 個即時進度畫面；請關閉其他分頁後重新載入。
# 批次 CSV 的標題列：以半形逗號分隔各欄名稱。
results-csv-header = 訊息編號,號碼,段數,狀態代碼,狀態,錯誤代碼,錯誤,收費（港元）,建立時間（香港時間）,提交時間（香港時間）,完成時間（香港時間）,路線,列號,說明

## 圖表（批次狀態變化；帳戶最近 30 日）。
results-chart-waiting = 等候中
results-chart-processing = 處理中
# 圖表說明中各組數字之間，例如「等候中 0、已送達 5」。
results-chart-separator = {"、"}
results-chart-label = 由 { $from } 至 { $to } 各狀態的訊息數目：目前{ $summary }。
results-chart-show-figures = 顯示數據
results-chart-time = 時間（香港時間）
results-chart-per-day = 由 { $from } 至 { $to } 每日{ $title }：合共 { $total }。
results-chart-in-30-days = 30 日內共 { $total }
results-chart-day-value = { $day }：{ $value }
results-chart-last-30-days = 最近 30 日
results-chart-messages = 訊息
results-chart-spend = 支出
results-chart-day = 日期（香港時間）
results-chart-nothing-sent = 最近 30 日沒有發送任何訊息
results-chart-nothing-sent-text = 發送訊息後，每日的訊息數目及支出會在此顯示。
