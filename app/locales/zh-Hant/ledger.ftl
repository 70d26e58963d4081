# 結單（app/src/ledger）：餘額的每項變動及其 CSV 匯出。
ledger-title = 結單
ledger-subtitle = 你的餘額的每項變動，最新的排在最前。金額以 HK$ 計算。
ledger-all-types = 所有類型
ledger-from = 由
ledger-to = 至
ledger-show = 顯示
ledger-export-csv = 匯出 CSV
ledger-loading = 結單
ledger-no-entries-title = 沒有記錄
ledger-no-entries-text = 沒有符合此篩選條件的項目。
ledger-col-date = 日期（香港時間）
ledger-col-type = 類型
ledger-col-description = 說明
ledger-col-amount = 金額
ledger-col-balance = 餘額

## 記錄類型。
ledger-kind-trial-credit = 試用額度
ledger-kind-top-up = 增值
ledger-kind-bonus = 贈送額
ledger-kind-charge = 收費
ledger-kind-refund = 退款
ledger-kind-transfer-in = 轉入
ledger-kind-transfer-out = 轉出
ledger-kind-fee = 費用
ledger-kind-other = 其他

## 篩選的拒絕訊息。
ledger-choose-type = 請從清單中選擇類型。
ledger-enter-date = 請以 YYYY-MM-DD 格式輸入日期。
# 結單 CSV 的標題列：以半形逗號分隔各欄名稱。
ledger-csv-header = 日期（香港時間）,類型,說明,金額（港元）,餘額（港元）
