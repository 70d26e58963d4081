# 共用元件（app/src/ui.rs）。
ui-loading = 載入中…
ui-loading-what = 正在載入{ $what }…
ui-coming-soon = 即將推出
ui-previous = ← 上一頁
ui-next = 下一頁 →
ui-pages = 分頁
ui-page-of = 第 { $page } 頁，共 { $pages } 頁
