-- Device settings the core owns (which municipality) and the cache of public
-- answers (the municipality's description and logo). Personal data never goes
-- in these tables: it has its own, encrypted at rest.
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE public_cache (
	key        TEXT PRIMARY KEY,
	etag       TEXT NOT NULL DEFAULT '',
	media_type TEXT NOT NULL DEFAULT '',
	data       BLOB NOT NULL,
	fetched_at TEXT NOT NULL
);
