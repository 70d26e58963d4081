# 引擎及規則模組以英文寫成的拒絕訊息；門戶辨認英文範本後以使用者的語言重寫。
# 範本按 id 次序逐一比對：較長的範本（清單、後接其他訊息）須排在較短的之前。
server-row = 第 { $row } 行：{ $reason }。

## 規則模組：號碼
server-msisdn-empty = 號碼空白
server-msisdn-invalid-character = 號碼含有「{ $char }」；只可使用數字、空格、括號、連字號及開首的 +
server-msisdn-too-short = 號碼太短
server-msisdn-too-long = 號碼太長
server-msisdn-unknown-country = 無法識別國家代碼
server-msisdn-unknown-default-country = { $code } 並非已知的預設國家代碼
server-msisdn-invalid = 此號碼並非其所屬國家或地區的有效號碼
server-msisdn-not-mobile = 此號碼是固網或服務號碼，無法接收短訊

## 規則模組：發送者名稱
server-sender-id-empty = 發送者名稱空白
server-sender-id-too-long = 發送者名稱最多只可有 11 個英文字母及數字（現有 { $count } 個）
server-sender-id-registered-length = 已登記的發送者名稱須在 # 後有 1 至 10 個英文字母或數字
server-sender-id-number-punctuation = 數字發送者名稱須以連同國家代碼的數字輸入，不可有 + 或 -（例如 85299887766）
server-sender-id-invalid-character = 發送者名稱不可包含「{ $char }」；只可使用 A-Z、a-z 及 0-9
server-sender-id-invalid-number = 數字發送者名稱必須是連同國家代碼的有效流動電話號碼（最多 15 位數字）

## 規則模組：金額、中國簽名、分段
server-money-not-a-number = 請輸入金額，例如 300 或 300.50
server-money-too-precise = 最多只可有 4 位小數
server-money-overflow = 金額太大
server-china-signature-too-short = 簽名最少須有 { $min } 個字元（現有 { $count } 個）
server-china-signature-too-long = 簽名最多只可有 { $max } 個字元（現有 { $count } 個）
server-china-signature-not-allowed = 簽名只可包含中文字及英文字母，不可包含「{ $char }」
server-segment-too-long = 短訊太長：共 { $units } 個字元，但 { $parts } 段最多只可容納 { $limit } 個字元

## 欄位名稱加上規則模組的原因
server-number-and-more = 號碼：{ $reason }。{ $more }
server-number-reason = 號碼：{ $reason }。
server-amount-reason = 金額：{ $reason }。
server-limit-reason = 上限：{ $reason }。
server-price-reason = 價格：{ $reason }。
server-signature-reason = 簽名：{ $reason }
server-sender-id-reason = 發送者名稱：{ $reason }

## 通訊錄
server-contact-name-empty = 請輸入聯絡人的名稱。
server-contact-name-empty-and-more = 請輸入聯絡人的名稱。{ $more }
server-contact-name-too-long = 名稱最多只可有 { $max } 個字元。
server-contact-name-too-long-and-more = 名稱最多只可有 { $max } 個字元。{ $more }
server-contact-number-taken = +{ $number } 已在你的通訊錄中。
server-group-name-length = 請為群組命名，名稱須有 1 至 { $max } 個字元。
server-group-name-taken = 你已有名為「{ $name }」的群組。
server-contacts-import-csv = 請以 CSV UTF-8 檔案匯入聯絡人：名稱、號碼，以及（選填）群組。

## API 金鑰
server-api-key-name-empty = 請以將會使用此金鑰的系統為金鑰命名。
server-api-key-name-too-long = 金鑰名稱最多只可有 { $max } 個字元。
server-api-key-limit = 此帳戶已有 { $max } 個金鑰：請先撤銷一個不再使用的金鑰。

## 註冊、登入、密碼、驗證碼
server-sign-in-busy = Ferry 目前正處理大量登入，請一分鐘後再試。
server-signup-throttled = 從你的網絡位址建立的帳戶過多。{ $retry }
server-login-name-taken = 此登入名稱已被使用，請選擇另一個。
server-sign-in-ip-refused = 此帳戶只接受來自其 IP 允許清單的登入，而 { $ip } 不在清單內。請從獲准的網絡登入，或請 Ferry 營運商清除清單。
server-sign-in-code-needed = 請輸入驗證器應用程式顯示的 6 位數字驗證碼，或你的其中一個復原碼。
server-sign-in-code-wrong = 驗證碼不正確或已使用。驗證碼每 30 秒更新一次。
server-sign-in-incorrect = 登入名稱或密碼不正確。
server-sign-in-throttled-account = 此帳戶的登入失敗次數過多。{ $retry }
server-sign-in-throttled-account-address = 從你的網絡位址登入此帳戶的失敗次數過多。{ $retry }
server-sign-in-throttled-address = 你的網絡位址的登入失敗次數過多。{ $retry }
server-password-length = 請使用 { $min } 至 { $max } 個字元。
server-password-is-login = 密碼不可與登入名稱相同。
server-password-mismatch = 兩次輸入的新密碼不相符。
server-password-change-throttled = 輸入錯誤現有密碼的次數過多。{ $retry }
server-current-password-wrong = 現有密碼不正確。
server-reset-login-name-empty = 請輸入你的登入名稱。
server-reset-request-throttled = 來自你的網絡位址的重設要求過多。{ $retry }
server-sms-code-needed = 請輸入短訊中的 { $digits } 位數字驗證碼。
server-reset-code-wrong = 驗證碼不正確或已過期，請索取新的驗證碼。
server-wrong-codes-throttled = 輸入錯誤驗證碼的次數過多。{ $retry }
server-wrong-codes-account-throttled = 此帳戶輸入錯誤驗證碼的次數過多。{ $retry }
server-try-again-hours = 請於 { $hours } 小時後再試。
server-try-again-minutes = 請於 { $minutes } 分鐘後再試。
server-try-again-one-minute = 請於 1 分鐘後再試。
server-two-factor-code-mismatch = 驗證碼不相符。請輸入應用程式現時顯示的 6 位數字。
server-two-factor-restart = 請重新開始設定：沒有等待確認的密鑰。
server-two-factor-staff-required = 職員須以雙重認證登入，此功能不可關閉。
server-two-factor-code-wrong = 驗證碼不正確或已使用。
server-mobile-already-verified = 此帳戶的流動電話號碼已經驗證。
server-verification-throttled-account = 此帳戶已發送過多驗證碼。{ $retry }
server-verification-throttled-address = 你的網絡位址已要求發送過多驗證碼。{ $retry }
server-verification-throttled-mobile = 已向此流動電話號碼發送過多驗證碼。{ $retry }
server-verification-code-wrong = 驗證碼不正確或已過期。請查看短訊，或發送新的驗證碼。

## 發送批次：收件人、短訊、價格、預約、餘額
server-trial-own-mobile-only = 試用帳戶只可發送至其登記流動電話號碼
server-duplicate-row = 與第 { $first } 行的號碼相同：只發送一次
server-verify-mobile-first = 請先驗證你的登記流動電話號碼：在「帳戶」頁面輸入我們以短訊發送的 8 位數字驗證碼。
server-choose-hk-route = 請為香港號碼選擇「香港商務」或「香港經濟」路線；內地及其他號碼會自動經「中國內地」及「國際」路線發送。
server-not-a-country-code = { $code } 不是國家代碼。
server-message-empty = 請撰寫要發送的短訊。
server-message-too-long = 短訊太長：共 { $units } 個字元，{ $parts } 段最多只可容納 { $limit } 個字元。請刪減 { $excess } 個字元；Ferry 絕不會截斷短訊。
server-message-too-long-china = 連同簽名，發送至內地號碼的短訊太長：共 { $units } 個字元，{ $parts } 段最多只可容納 { $limit } 個字元。請刪減 { $excess } 個字元；Ferry 絕不會截斷短訊。
server-too-many-rows = { $rows } 行超出一個批次可接受的數量：最多 { $max } 個號碼。請將名單分拆為較小的批次。
server-too-many-numbers = { $count } 個號碼超出一個批次可接受的 { $max } 個上限。
server-no-recipients = 請輸入最少一個收件人號碼。
server-none-sendable = { $count } 個號碼均無法發送。{ $rows }。
# server-none-sendable 列出的被拒行（最多五行，其後為「；…」）：最長的排先。
server-refused-rows-a = 第 { $row1 } 行（{ $input1 }）：{ $reason1 }；第 { $row2 } 行（{ $input2 }）：{ $reason2 }；第 { $row3 } 行（{ $input3 }）：{ $reason3 }；第 { $row4 } 行（{ $input4 }）：{ $reason4 }；第 { $row5 } 行（{ $input5 }）：{ $reason5 }；…
server-refused-rows-b = 第 { $row1 } 行（{ $input1 }）：{ $reason1 }；第 { $row2 } 行（{ $input2 }）：{ $reason2 }；第 { $row3 } 行（{ $input3 }）：{ $reason3 }；第 { $row4 } 行（{ $input4 }）：{ $reason4 }；第 { $row5 } 行（{ $input5 }）：{ $reason5 }
server-refused-rows-c = 第 { $row1 } 行（{ $input1 }）：{ $reason1 }；第 { $row2 } 行（{ $input2 }）：{ $reason2 }；第 { $row3 } 行（{ $input3 }）：{ $reason3 }；第 { $row4 } 行（{ $input4 }）：{ $reason4 }
server-refused-rows-d = 第 { $row1 } 行（{ $input1 }）：{ $reason1 }；第 { $row2 } 行（{ $input2 }）：{ $reason2 }；第 { $row3 } 行（{ $input3 }）：{ $reason3 }
server-refused-rows-e = 第 { $row1 } 行（{ $input1 }）：{ $reason1 }；第 { $row2 } 行（{ $input2 }）：{ $reason2 }
server-refused-rows-f = 第 { $row1 } 行（{ $input1 }）：{ $reason1 }
server-china-keywords-one = 中國內地營運商拒收含有以下字詞的短訊：{ $keywords }。請刪除該字詞，或從名單中移除內地號碼。
server-china-keywords-many = 中國內地營運商拒收含有以下字詞的短訊：{ $keywords }。請刪除這些字詞，或從名單中移除內地號碼。
server-promotion-needs-signature = 如沒有已獲批准的自訂中國簽名，只可向內地號碼發送通知類短訊。
server-declare-purpose = 請申報此短訊屬通知類或推廣類：發送至內地號碼須作此申報。
server-no-price-hk-business = 「香港商務」路線尚未設定價格；請聯絡 Ferry 營運商。
server-no-price-hk-economic = 「香港經濟」路線尚未設定價格；請聯絡 Ferry 營運商。
server-no-price-china = 「中國內地」路線尚未設定價格；請聯絡 Ferry 營運商。
server-no-price-international = 「國際」路線尚未設定價格；請聯絡 Ferry 營運商。
server-client-figures-differ = 頁面顯示以 { $client_encoding } 編碼共 { $client_parts } 段、每段 { $client_price }，但 Ferry 計算為以 { $encoding } 編碼共 { $parts } 段、每段 { $price }。請重新載入頁面並再次檢查短訊。
server-all-left-out = 全部 { $total } 個號碼均被剔除（{ $dnc } 個在拒收訊息登記冊上而沒有同意記錄，{ $opted_out } 個已回覆 STOP 拒收）：沒有可發送的號碼。
server-no-price-listed-hk-business = 「香港商務」路線尚未設定價格，而名單上有此路線的號碼；請聯絡 Ferry 營運商，或移除這些號碼。
server-no-price-listed-hk-economic = 「香港經濟」路線尚未設定價格，而名單上有此路線的號碼；請聯絡 Ferry 營運商，或移除這些號碼。
server-no-price-listed-china = 「中國內地」路線尚未設定價格，而名單上有此路線的號碼；請聯絡 Ferry 營運商，或移除這些號碼。
server-no-price-listed-international = 「國際」路線尚未設定價格，而名單上有此路線的號碼；請聯絡 Ferry 營運商，或移除這些號碼。
server-no-sender-id-hk-business = 「香港商務」路線的號碼會顯示發送者名稱，但此帳戶尚未有發送者名稱。請聯絡 Ferry 營運商建立，或為香港號碼改用「香港經濟」路線。
server-no-sender-id-international = 「國際」路線的號碼會顯示發送者名稱，但此帳戶尚未有發送者名稱。請聯絡 Ferry 營運商建立，或為香港號碼改用「香港經濟」路線。
server-choose-sender-id = 請選擇你的其中一個發送者名稱。
server-schedule-too-far = 批次最遲只可預約在 5 年內發送。
server-schedule-format = 請以 YYYY-MM-DD HH:MM 格式輸入日期及時間（香港時間）。
server-validity-range = 有效期須為 { $min } 至 { $max } 之間的整數分鐘。
server-batch-insufficient-balance = 餘額不足：此批次費用為 { $total }，可用餘額為 { $available }。請再增值 { $shortfall }，或減少發送號碼。短訊未有發送。

## 回呼網址
server-callback-url-scheme = 回呼網址必須以 https://（或 http://）開首。
server-callback-url-too-long = 回呼網址最多只可有 { $max } 個字元。
server-callback-url-space = 回呼網址含有空格：請將空格寫成 %20，並以百分號編碼表示非 ASCII 字元。
server-callback-url-character = 回呼網址含有字元「{ $char }」：請將空格寫成 %20，並以百分號編碼表示非 ASCII 字元。
server-callback-url-no-host = 回呼網址在通訊協定之後沒有主機名稱。

## 重發
server-resend-codes-format = 請從清單中選擇要重發的錯誤代碼，例如 16。
server-resend-codes-empty = 請選擇最少一個要重發的錯誤代碼。
server-resend-dnc = 被拒收訊息過濾剔除的號碼不會重發；請記錄其同意後發送新批次。
server-resend-none-match = 此批次沒有以這些錯誤代碼結束的短訊。
server-resend-sender-retired = 發送者名稱 { $sender } 已不再是此帳戶的發送者名稱；請以現有的發送者名稱發送新批次。
server-resend-china-keywords = 中國內地營運商拒收含有以下字詞的短訊：{ $keywords }。此批次無法按原樣重發至其內地號碼。
server-resend-nothing-left = 這些號碼現時全部在拒收訊息登記冊上而沒有同意記錄，或已向你回覆 STOP：沒有可重發的號碼。
server-resend-no-price-hk-business = 「香港商務」路線沒有價格。
server-resend-no-price-hk-economic = 「香港經濟」路線沒有價格。
server-resend-no-price-china = 「中國內地」路線沒有價格。
server-resend-no-price-international = 「國際」路線沒有價格。
server-resend-insufficient-balance = 餘額不足：重發費用為 { $total }，可用餘額為 { $available }；請先再增值 { $shortfall }。

## 拒收訊息登記冊及同意記錄
server-consent-date = 請以 YYYY-MM-DD 格式輸入同意日期。
server-consent-date-and-more = 請以 YYYY-MM-DD 格式輸入同意日期。{ $more }
server-consent-note-too-long = 備註最多只可有 200 個字元。
server-consent-import-csv = 請以 CSV UTF-8 檔案匯入同意記錄：號碼、同意日期（YYYY-MM-DD）、備註。
server-dnc-not-hk-number = 不是香港電話號碼
server-dnc-register-date = 請以 YYYY-MM-DD 格式輸入登記冊的日期。
server-dnc-no-numbers = 此檔案沒有電話號碼；登記冊未有更改。

## 上載文件
server-document-empty = 請選擇要上載的檔案。
server-document-too-large = 檔案大小為 { $size } MB；上限為 10 MB。
server-document-wrong-type = 請上載 PDF、JPG 或 PNG 檔案；此檔案並非其中任何一種。

## 匯入收件人、聯絡人、同意記錄及關鍵字檔案
server-import-busy = Ferry 目前正在讀取其他檔案，請一分鐘後再試。
server-import-empty = 請選擇要匯入的檔案。
server-import-too-large = 檔案大小為 { $size } MB；上限為 { $limit } MB。請將檔案分拆為較小的檔案。
server-import-too-many-numbers = 檔案有 { $count } 個號碼；每次匯入上限為 { $max } 個。請將檔案分拆為較小的檔案。
server-import-wrong-type = 此檔案並非 CSV、XLS 或 XLSX 檔案。請從試算表軟件另存為 CSV UTF-8 或 Excel（.xlsx）後再試。
server-import-utf16 = 此檔案是 UTF-16 文字（Excel 的「Unicode Text」）。請另存為「CSV UTF-8 (Comma delimited)」後再試。
server-import-not-utf8 = 此 CSV 檔案並非 UTF-8 編碼（第 { $line } 行），看來是 Big5、GBK 或其他舊式編碼。請在 Excel 選擇「另存新檔」→「CSV UTF-8 (Comma delimited)」，或直接匯入 .xlsx 檔案。
server-import-broken-workbook = 此 Excel 檔案已損壞或並非活頁簿（{ $reason }）。請在 Excel 開啟檔案，重新另存為 .xlsx 後再試。
server-import-no-sheet = 此活頁簿沒有含資料的工作表。
server-import-encrypted = 此活頁簿受密碼保護。請在 Excel 移除密碼（檔案 → 資訊 → 保護活頁簿），儲存後再試。
server-import-old-excel = 此為 Excel 95 或更舊版本的活頁簿。請在 Excel 開啟並另存為 .xlsx 後再試。
server-import-bomb = 此活頁簿的 { $part } 解壓後超過 { $limit } MB（檔案標示為 { $size } MB），遠超一份號碼名單所需；檔案可能已損壞，或被刻意製作以令伺服器超出負荷。請只將號碼另存為 CSV 或 .xlsx 後再試。
server-import-too-many-rows = 第一欄已填寫的行數超過 { $limit } 行；每次最多只可匯入 { $max } 個號碼。請將檔案分拆為較小的檔案。
server-import-broken-csv = 無法讀取此 CSV 檔案的第 { $line } 行：{ $reason }。
server-import-unknown-country = { $code } 並非已知的預設國家代碼。
# 損壞活頁簿內的問題（server-import-broken-workbook 中的原因）
server-workbook-no-shared-strings = 儲存格引用共用字串，但活頁簿沒有共用字串
server-workbook-missing-shared-string = 第 { $row } 行引用第 { $index } 個共用字串，但檔案中沒有此字串
server-workbook-no-stream = 檔案沒有活頁簿資料流，可能是 Word 或其他 Office 檔案
server-workbook-record-past-end = 位於第 { $byte } 位元組的記錄超出檔案結尾
server-workbook-record-too-short = { $kind } 記錄太短
server-workbook-no-globals = 檔案並非以活頁簿的全域記錄開首
server-workbook-not-excel = 檔案的開首不像 Excel 活頁簿
server-workbook-sheet-misplaced = 第一個工作表不在活頁簿所指的位置
server-workbook-too-many-parts = 一個檔案內有 { $count } 個部分
server-workbook-part-missing = 缺少部分 { $path }
server-workbook-no-workbook-part = 檔案沒有活頁簿部分，可能是其他類型的 zip 檔案
server-workbook-range = 其工作表聲稱的範圍 { $range } 超出 Excel 的 1,048,576 行 × XFD 欄
server-workbook-row-number = 行號 { $row } 無效
server-workbook-cell-shared-string = 儲存格 A{ $row } 引用的共用字串「{ $text }」無效
server-workbook-unknown-entity = 不明實體 &{ $name };

## 中國關鍵字庫（職員）
server-keyword-empty = 請輸入關鍵字。
server-keyword-too-long = 關鍵字最多只可有 { $max } 個字元。
server-keyword-one-line = 關鍵字須為單行文字，不可有定位字元或控制字元。
server-keyword-exists = 「{ $keyword }」已在關鍵字庫中。
server-keywords-import-csv = 請以 CSV UTF-8 檔案匯入關鍵字：每行一個關鍵字，放在第一欄。

## 付款、商業登記、簽名及其審批
server-review-reason-empty = 請向客戶說明拒絕的原因。
server-review-reason-too-long = 原因最多只可有 500 個字元。
server-review-payment-confirmed = 此付款已獲確認；未有作出任何更改。
server-review-payment-rejected = 此付款已被拒絕；未有作出任何更改。
server-review-registration-approved = 此商業登記已獲批准；未有作出任何更改。
server-review-registration-rejected = 此商業登記已被拒絕；未有作出任何更改。
server-review-application-approved = 此申請已獲批准；未有作出任何更改。
server-review-application-rejected = 此申請已被拒絕；未有作出任何更改。
server-top-up-minimum = 每次增值最少為 { $min }。
server-payment-method = 請選擇付款方式。
server-payment-reference-empty = 請輸入收據上顯示的付款參考編號。
server-payment-reference-too-long = 參考編號最多只可有 100 個字元。
server-payment-receipt-missing = 請附上付款收據（PDF、JPG 或 PNG，最大 10 MB）。
server-payment-already-confirmed = 此付款已獲確認。
server-registration-certificate-missing = 請附上商業登記證（PDF、JPG 或 PNG，最大 10 MB）。
server-registration-not-trial = 只有試用帳戶須上載商業登記；此帳戶已獲批准。
server-registration-pending = 已有一份證書正在等候審核；職員會批准或拒絕。
server-signature-pending = 已有一份申請正在等候審核。
server-signature-fee-balance = 此帳戶的餘額不足以支付 { $fee } 簽名費用（尚欠 { $shortfall }）。請客戶先行增值。

## 發送者名稱（職員）
server-sender-id-tick-registered = 以 # 開首的發送者名稱是已登記的 SSRS 名稱：登記確認後請剔選「已登記」。
server-sender-id-duplicate = 此帳戶已有此發送者名稱。
server-sender-id-limit = 每個帳戶最多只可有 { $max } 個發送者名稱；請先停用其中一個。

## 帳戶設定
server-ip-allow-list-problems = IP 允許清單：{ $problems }。
# server-ip-allow-list-problems 列出的錯誤項目：三項及以上、三項、兩項、一項。
server-ip-entries-a = 第 { $n1 } 項「{ $entry1 }」不是 IPv4／IPv6 位址或 CIDR（例如 203.0.113.0/24）；第 { $n2 } 項「{ $entry2 }」不是 IPv4／IPv6 位址或 CIDR（例如 203.0.113.0/24）；第 { $n3 } 項「{ $entry3 }」不是 IPv4／IPv6 位址或 CIDR（例如 203.0.113.0/24）；{ $more }
server-ip-entries-b = 第 { $n1 } 項「{ $entry1 }」不是 IPv4／IPv6 位址或 CIDR（例如 203.0.113.0/24）；第 { $n2 } 項「{ $entry2 }」不是 IPv4／IPv6 位址或 CIDR（例如 203.0.113.0/24）；第 { $n3 } 項「{ $entry3 }」不是 IPv4／IPv6 位址或 CIDR（例如 203.0.113.0/24）
server-ip-entries-c = 第 { $n1 } 項「{ $entry1 }」不是 IPv4／IPv6 位址或 CIDR（例如 203.0.113.0/24）；第 { $n2 } 項「{ $entry2 }」不是 IPv4／IPv6 位址或 CIDR（例如 203.0.113.0/24）
server-ip-entries-d = 第 { $n1 } 項「{ $entry1 }」不是 IPv4／IPv6 位址或 CIDR（例如 203.0.113.0/24）
server-ip-allow-list-lockout = 此清單會令你無法登入：你目前的位址 { $ip } 不在清單內。
server-country-code-format = 請以 1 至 3 位數字輸入國家代碼，例如 852。
server-validity-minutes = 請輸入 { $min } 至 { $max } 之間的整數分鐘（23 小時）。
server-limit-positive = 上限必須大於零，或留空表示不設上限。
server-hotline-format = 請以 8 至 15 位數字輸入熱線號碼，例如 21234567。

## 職員：帳戶、轉帳、價格
server-no-customer-login = 沒有客戶帳戶使用此登入名稱。
server-own-primary = 帳戶不可成為自己的主帳戶。
server-primary-is-sub = 該帳戶本身是子帳戶；請改為連結至其主帳戶。
server-has-subs = 此帳戶本身有子帳戶，因此不可成為子帳戶。
server-amount-above-zero = 請輸入大於零的金額。
server-transfer-same-account = 請選擇另一個帳戶作為轉帳對象。
server-transfer-not-linked = 餘額只可在主帳戶與其子帳戶之間轉移。
server-transfer-shortfall = { $login } 的餘額不足以進行此轉帳，尚欠 { $shortfall }。
server-price-route = 請選擇路線。
server-price-prefix = 只可使用數字：國家代碼或較長的號碼字首（例如 853 或 8536），或留空以套用於整條路線。
server-price-negative = 價格不可為負數。
server-price-date = 請以 YYYY-MM-DD 格式輸入日期，或留空表示即時生效。

## 職員：SMSC 連線
server-connection-name-format = 請使用 1 至 40 個英文字母、數字、「-」、「_」或「.」（例如 csl-1）。
server-connection-name-reserved = 「{ $name }」已是 ferry.toml 中的連線名稱或內置模擬器的名稱。
server-connection-address = 請輸入 SMSC 的主機及連接埠，例如 smsc.operator.example:2775 或 10.0.0.5:2775。
server-connection-system-id = 請輸入營運商提供的 System ID：1 至 { $max } 個字元。
server-connection-password = SMPP 密碼最多 { $max } 個字元，不可有空格。
server-connection-routes = 請為此連線選擇最少一條路線。
server-connection-priority = 優先次序：須為 { $min } 至 { $max } 的整數。
server-connection-window = 視窗：須為 { $min } 至 { $max } 的整數。
server-connection-max-per-second = 每秒短訊數（0 或留空即無上限）：須為 { $min } 至 { $max } 的整數。
server-connection-msg-id-matching = 請選擇回執 ID 與提交 ID 的比對方式。
server-connection-name-taken = 已有名為「{ $name }」的連線。
server-connection-name-fixed = 連線名稱不可更改：其回執須以此名稱找出對應的短訊。
server-connection-disable-first = 請先停用 { $name }，然後才移除。
# 連線最近一次的錯誤（職員的連線頁面）
server-link-connect-failed = 連線失敗：{ $reason }
server-link-disconnected = 已斷線：{ $reason }

## 職員：接收號碼（雙向）
server-inbound-number-digits = 請以數字輸入接收號碼，例如 85260001234 或短碼。
server-inbound-number-length = 接收號碼須有 3 至 15 位數字。
server-inbound-keyword-one-word = 關鍵字只可為一個字：回覆會以其第一個字配對。
server-inbound-keyword-too-long = 關鍵字最多只可有 { $max } 個字元。
server-choose-customer = 請選擇客戶帳戶。
server-inbound-keyword-assigned = { $number }（關鍵字 { $keyword }）已分配給 { $holder }：請先在該帳戶釋放。
server-inbound-number-assigned = { $number } 已分配給 { $holder }：請先在該帳戶釋放。

## 引擎儲存供人閱讀的文字：結單說明、驗證碼批次
server-ledger-trial-credit = 試用信用額
server-ledger-sms-delivered-parts = 發送至 +{ $number } 的短訊（批次 #{ $batch }，{ $parts } 段中已送達 { $delivered } 段）
server-ledger-sms-to = 發送至 +{ $number } 的短訊（批次 #{ $batch }）
server-ledger-china-refund = 退款：未能送達的中國內地短訊，發送至 +{ $number }（批次 #{ $batch }）
server-ledger-top-up = 增值（付款 #{ $payment }）
server-ledger-charity-first = 慈善機構獎賞：首次增值
server-ledger-charity-ten-percent = 慈善機構獎賞：增值額的 10%
server-ledger-signature-fee = 中國簽名費用
server-ledger-transfer-out-note = 轉帳至 { $login }：{ $note }
server-ledger-transfer-out-plain = 轉帳至 { $login }
server-ledger-transfer-in-note = 由 { $login } 轉入：{ $note }
server-ledger-transfer-in-plain = 由 { $login } 轉入
server-batch-reset-code = 重設密碼驗證碼
server-batch-verification-code = 流動電話驗證碼
server-batch-not-sent-balance = （未有發送：餘額不足）

## HTTP 層
server-http-body-too-large = 請求大於 { $mb } MB。
server-http-body-stalled = 請求已有 { $seconds } 秒沒有傳來；請再試一次。
