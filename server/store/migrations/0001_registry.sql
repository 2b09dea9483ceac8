-- The municipality, its public offices and services, and the population
-- registry with the records later features read: identity cards, vehicles and
-- the waste tax (TARI).

CREATE TABLE municipality (
	id          INTEGER PRIMARY KEY CHECK (id = 1), -- one municipality per server
	name        TEXT NOT NULL,
	istat       TEXT NOT NULL CHECK (length(istat) = 6),
	belfiore    TEXT NOT NULL CHECK (length(belfiore) = 4),
	province    TEXT NOT NULL,
	region      TEXT NOT NULL,
	fiscal_code TEXT NOT NULL CHECK (length(fiscal_code) = 11),
	demo        INTEGER NOT NULL DEFAULT 0,
	address     TEXT NOT NULL,
	phone       TEXT NOT NULL,
	email       TEXT NOT NULL,
	pec         TEXT NOT NULL,
	website     TEXT NOT NULL,
	logo        BLOB,
	logo_type   TEXT
);

CREATE TABLE services (
	id             TEXT PRIMARY KEY,
	position       INTEGER NOT NULL,
	name_it        TEXT NOT NULL,
	name_en        TEXT NOT NULL,
	description_it TEXT NOT NULL,
	description_en TEXT NOT NULL,
	online         INTEGER NOT NULL
);

CREATE TABLE offices (
	id       TEXT PRIMARY KEY,
	position INTEGER NOT NULL,
	name     TEXT NOT NULL,
	address  TEXT NOT NULL,
	phone    TEXT NOT NULL,
	email    TEXT NOT NULL
);

CREATE TABLE office_hours (
	office_id TEXT NOT NULL REFERENCES offices (id) ON DELETE CASCADE,
	weekday   INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
	opens     TEXT NOT NULL,
	closes    TEXT NOT NULL CHECK (closes > opens)
);
CREATE INDEX office_hours_office ON office_hours (office_id, weekday, opens);

CREATE TABLE families (
	id             TEXT PRIMARY KEY,
	street         TEXT NOT NULL,
	number         TEXT NOT NULL,
	postal_code    TEXT NOT NULL,
	town           TEXT NOT NULL,
	province       TEXT NOT NULL,
	resident_since TEXT NOT NULL
);

CREATE TABLE citizens (
	fiscal_code          TEXT PRIMARY KEY CHECK (length(fiscal_code) = 16),
	surname              TEXT NOT NULL,
	name                 TEXT NOT NULL,
	sex                  TEXT NOT NULL CHECK (sex IN ('M', 'F')),
	birth_date           TEXT NOT NULL,
	birth_place_name     TEXT NOT NULL,
	birth_place_province TEXT NOT NULL,
	birth_place_belfiore TEXT NOT NULL,
	citizenship          TEXT NOT NULL,
	family_id            TEXT NOT NULL REFERENCES families (id),
	relationship         TEXT NOT NULL,
	marital_status       TEXT NOT NULL,
	email                TEXT NOT NULL DEFAULT '',
	phone                TEXT NOT NULL DEFAULT ''
);
CREATE INDEX citizens_family ON citizens (family_id);

-- One row per spouse: each partner's current marriage or civil union.
CREATE TABLE marriages (
	fiscal_code        TEXT PRIMARY KEY REFERENCES citizens (fiscal_code),
	spouse_fiscal_code TEXT NOT NULL REFERENCES citizens (fiscal_code),
	date               TEXT NOT NULL,
	place_name         TEXT NOT NULL,
	place_province     TEXT NOT NULL,
	place_belfiore     TEXT NOT NULL,
	civil_union        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE id_cards (
	number      TEXT PRIMARY KEY,
	fiscal_code TEXT NOT NULL REFERENCES citizens (fiscal_code),
	issue_date  TEXT NOT NULL,
	expiry      TEXT NOT NULL
);
CREATE INDEX id_cards_holder ON id_cards (fiscal_code);

CREATE TABLE vehicles (
	plate             TEXT PRIMARY KEY,
	type              TEXT NOT NULL CHECK (type IN ('car', 'motorcycle')),
	make              TEXT NOT NULL,
	model             TEXT NOT NULL,
	owner_fiscal_code TEXT NOT NULL REFERENCES citizens (fiscal_code)
);
CREATE INDEX vehicles_owner ON vehicles (owner_fiscal_code);

CREATE TABLE tari_positions (
	id                 TEXT PRIMARY KEY,
	year               INTEGER NOT NULL,
	holder_fiscal_code TEXT NOT NULL REFERENCES citizens (fiscal_code),
	street             TEXT NOT NULL,
	number             TEXT NOT NULL,
	postal_code        TEXT NOT NULL,
	town               TEXT NOT NULL,
	province           TEXT NOT NULL,
	square_metres      INTEGER NOT NULL,
	occupants          INTEGER NOT NULL,
	amount_cents       INTEGER NOT NULL
);
CREATE INDEX tari_positions_holder ON tari_positions (holder_fiscal_code, year);

CREATE TABLE tari_instalments (
	position_id   TEXT NOT NULL REFERENCES tari_positions (id),
	number        INTEGER NOT NULL,
	due_date      TEXT NOT NULL,
	amount_cents  INTEGER NOT NULL,
	notice_number TEXT NOT NULL UNIQUE CHECK (length(notice_number) = 18),
	paid_on       TEXT,
	PRIMARY KEY (position_id, number)
);
