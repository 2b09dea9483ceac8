-- The citizen's dossier (Fascicolo del Cittadino): the municipality's
-- messages, the payments made through pagoPA, traffic fines, and the
-- certificates and appointments later features fill. Instants are Unix
-- seconds, UTC; calendar days are ISO 8601 text, as in 0001.

-- The version of the demo seed a demo database holds (package server/demo),
-- so that a newer server tops it up with what later versions added. A
-- database seeded before this table existed holds version 1.
CREATE TABLE demo_seed (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL CHECK (version >= 1)
);
INSERT INTO demo_seed (id, version) SELECT 1, 1 FROM municipality WHERE demo = 1;

CREATE TABLE messages (
	id          TEXT PRIMARY KEY,
	fiscal_code TEXT NOT NULL REFERENCES citizens (fiscal_code), -- the addressee
	subject     TEXT NOT NULL,
	body        TEXT NOT NULL,
	sent_at     INTEGER NOT NULL,
	read_at     INTEGER                                          -- NULL while unread
);
CREATE INDEX messages_citizen ON messages (fiscal_code, sent_at);

-- A payment made to the municipality through pagoPA: one per paid notice.
CREATE TABLE payments (
	id                   TEXT PRIMARY KEY,
	fiscal_code          TEXT NOT NULL REFERENCES citizens (fiscal_code), -- the payer
	notice_number        TEXT NOT NULL UNIQUE CHECK (length(notice_number) = 18),
	creditor_fiscal_code TEXT NOT NULL CHECK (length(creditor_fiscal_code) = 11),
	description          TEXT NOT NULL,
	amount_cents         INTEGER NOT NULL CHECK (amount_cents > 0),
	paid_at              INTEGER NOT NULL,
	receipt              TEXT NOT NULL                                    -- IUR
);
CREATE INDEX payments_payer ON payments (fiscal_code, paid_at);

-- A traffic fine (verbale) for a vehicle of the registry; its amounts follow
-- Codice della Strada art. 202.
CREATE TABLE fines (
	notice_number TEXT PRIMARY KEY CHECK (length(notice_number) = 18),
	plate         TEXT NOT NULL REFERENCES vehicles (plate),
	committed_at  INTEGER NOT NULL,
	notified_on   TEXT NOT NULL,
	place         TEXT NOT NULL,
	article       TEXT NOT NULL,
	description   TEXT NOT NULL,
	reduced_cents INTEGER NOT NULL CHECK (reduced_cents > 0),
	minimum_cents INTEGER NOT NULL CHECK (minimum_cents >= reduced_cents),
	late_cents    INTEGER NOT NULL CHECK (late_cents >= minimum_cents),
	paid_on       TEXT                                                -- NULL while to pay
);
CREATE INDEX fines_plate ON fines (plate, committed_at);

-- A registry certificate issued to a citizen (fiscal_code), about a subject
-- (themselves or someone they may act for), with the subject's names as
-- they were on the day of issue.
CREATE TABLE certificates (
	serial              TEXT PRIMARY KEY,
	fiscal_code         TEXT NOT NULL REFERENCES citizens (fiscal_code),
	type                TEXT NOT NULL,
	subject_fiscal_code TEXT NOT NULL REFERENCES citizens (fiscal_code),
	subject_surname     TEXT NOT NULL,
	subject_name        TEXT NOT NULL,
	subject_birth_date  TEXT NOT NULL,
	issued_on           TEXT NOT NULL,
	valid_until         TEXT,                                -- NULL: unlimited validity
	revoked             INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX certificates_citizen ON certificates (fiscal_code, issued_on);

-- A booking at a municipal office.
CREATE TABLE appointments (
	code        TEXT PRIMARY KEY,                                -- the confirmation code
	fiscal_code TEXT NOT NULL REFERENCES citizens (fiscal_code),
	service     TEXT NOT NULL,
	office_id   TEXT NOT NULL REFERENCES offices (id),
	start_at    INTEGER NOT NULL,
	end_at      INTEGER NOT NULL CHECK (end_at > start_at),
	status      TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'done'))
);
CREATE INDEX appointments_citizen ON appointments (fiscal_code, start_at);
