# 通訊錄（聯絡人、群組、同意記錄）、撰寫工具的群組選擇，以及職員的拒收訊息登記冊頁面。
contacts-title = 通訊錄
contacts-subtitle = 此帳戶的聯絡人及群組。可在撰寫短訊時把群組加入收件人。

## 聯絡人
contacts-heading = 聯絡人
contacts-name = 姓名
contacts-mobile = 手機號碼
contacts-mobile-hint = 香港號碼無須輸入國家代碼。
contacts-add = 新增聯絡人
contacts-saving = 正在儲存…
contacts-loading = 你的聯絡人
contacts-export = 匯出 CSV
contacts-import-label = 匯入聯絡人（CSV：姓名、號碼、群組）
contacts-imported = 新增 { $added } 個，更新 { $updated } 個，拒絕 { $rejected } 個。
contacts-import = 匯入聯絡人
contacts-importing = 正在匯入…
contacts-empty = 尚未有聯絡人
contacts-empty-text = 可逐一新增聯絡人，或匯入 CSV 檔案。
contacts-col-name = 姓名
contacts-col-number = 號碼
contacts-col-actions = 操作
contacts-in-group = { $name } 屬於 { $group }
contacts-delete = 刪除
contacts-choose-csv = 請選擇要匯入的 CSV 檔案。
contacts-sign-in = 請先登入以繼續。
# contacts.csv 下載檔的標題行（匯入時會略過）。
contacts-csv-header = 姓名,號碼,群組

## 群組
contacts-groups = 群組
contacts-new-group = 新群組
contacts-create-group = 建立群組
contacts-creating = 正在建立…
contacts-no-groups = 尚未有群組
contacts-no-groups-text = 先建立群組，再勾選要加入群組的聯絡人。
contacts-group-item = { $name }（{ $count ->
   *[other] { $count } 位聯絡人
}）
contacts-delete-group = 刪除群組

## 匯入時被拒絕的行
contacts-col-row = 行
contacts-col-input = 輸入內容
contacts-col-reason = 原因

## 同意記錄
contacts-consent = 同意記錄
contacts-consent-text = 號碼持有人已同意接收你的短訊。拒收訊息過濾永不會剔除這些號碼。
contacts-consent-date = 同意日期
contacts-note = 備註
contacts-note-hint = 如何取得同意（選填）。
contacts-record-consent = 記錄同意
contacts-import-consent-label = 匯入同意記錄（CSV：號碼、日期、備註）
contacts-consent-imported = 已記錄 { $added } 個，拒絕 { $rejected } 個。
contacts-import-consent = 匯入同意記錄
contacts-loading-consent = 同意記錄
contacts-no-consent = 尚未記錄同意
contacts-no-consent-text = 為永不應被過濾的號碼記錄同意。
contacts-remove = 移除
contacts-choose-consent-csv = 請選擇 CSV 檔案。

## 撰寫工具的群組選擇
contacts-add-group = 加入群組
contacts-choose-group = 選擇群組…
contacts-group-option = { $name }（{ $count }）
contacts-numbers-added = 已加入 { $count } 個號碼。

## 拒收訊息登記冊（職員）
contacts-dnc-title = 拒收訊息登記冊
contacts-dnc-subtitle = 通訊辦（OFCA）的登記冊，客戶可按此過濾批次（免費）。客戶已記錄同意的號碼永不會被過濾。
contacts-dnc-current = 現行登記冊
contacts-dnc-loading = 登記冊
contacts-dnc-count = { $count } 個號碼
contacts-dnc-details = ，登記冊日期 { $date }，由 { $by } 於 { $at } 匯入。
contacts-dnc-none = 尚未匯入登記冊
contacts-dnc-none-text = 匯入登記冊之前，過濾不會剔除任何號碼。
contacts-dnc-replace = 更換登記冊
contacts-dnc-replace-text = 以 CSV 格式上載登記冊（第一欄每行一個號碼；可包含標題行），最大 11 MB。新名單會一次過取代舊名單。
contacts-dnc-date = 登記冊日期
contacts-dnc-file = 登記冊檔案（CSV）
contacts-dnc-imported = 已匯入 { $count } 個號碼（登記冊日期 { $date }）。
contacts-dnc-no-number = { $count } 行沒有電話號碼，例如第 { $row } 行。
contacts-dnc-import = 匯入登記冊
contacts-dnc-choose-file = 請選擇要匯入的登記冊檔案（CSV）。
