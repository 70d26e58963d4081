-- The portal language each person chose (issue 18): 'en' or 'zh-Hant'; NULL until they
-- choose, when the browser's Accept-Language decides. Keep in step with ../postgres/0018_language.sql.
ALTER TABLE accounts ADD COLUMN language TEXT NULL;
