-- The cache of personal answers (the citizen's dossier, documents, ...).
-- sealed is what core/vault's Seal returned, with the row key as associated
-- data: the database never holds personal data in the clear. Wiped at
-- sign-out (Store.WipePersonal).
CREATE TABLE personal_cache (
	key        TEXT PRIMARY KEY,
	sealed     BLOB NOT NULL,
	etag       TEXT NOT NULL DEFAULT '',
	fetched_at TEXT NOT NULL
);
