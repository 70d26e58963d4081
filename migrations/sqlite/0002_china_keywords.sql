-- The China illegal-keyword library (PRODUCT.md §5): checked live in the composer and again on
-- the server, which refuses a China message containing one. Staff maintain it; a starter list
-- ships so a fresh install checks something.

CREATE TABLE china_keywords (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    keyword     TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

INSERT INTO china_keywords (keyword, created_at) VALUES
    ('代開發票', 0), ('代开发票', 0), ('發票', 0), ('发票', 0),
    ('六合彩', 0), ('賭博', 0), ('赌博', 0), ('博彩', 0),
    ('裸聊', 0), ('套現', 0), ('套现', 0), ('洗錢', 0), ('洗钱', 0),
    ('高利貸', 0), ('高利贷', 0), ('假證', 0), ('假证', 0);
