-- Fines by registered plate and the pagoPA sandbox (docs/payments.md): the
-- plates citizens register, fines for any plate (not only the registry's
-- vehicles), fines cancelled by the municipality, and the checkouts that pay
-- notices. Instants are Unix seconds, UTC; calendar days ISO 8601 text.

-- Fines are for any Italian plate: a vehicle used but not owned may be
-- registered elsewhere. The table loses its reference to vehicles and gains
-- the vehicle type (NULL: the registry's vehicle of that plate says) and the
-- day the municipality cancelled the fine (annullamento in autotutela).
CREATE TABLE fines_v5 (
	notice_number TEXT PRIMARY KEY CHECK (length(notice_number) = 18),
	plate         TEXT NOT NULL,
	vehicle_type  TEXT CHECK (vehicle_type IS NULL OR vehicle_type IN ('car', 'motorcycle')),
	committed_at  INTEGER NOT NULL,
	notified_on   TEXT NOT NULL,
	place         TEXT NOT NULL,
	article       TEXT NOT NULL,
	description   TEXT NOT NULL,
	reduced_cents INTEGER NOT NULL CHECK (reduced_cents > 0),
	minimum_cents INTEGER NOT NULL CHECK (minimum_cents >= reduced_cents),
	late_cents    INTEGER NOT NULL CHECK (late_cents >= minimum_cents),
	paid_on       TEXT,                                                -- NULL while to pay
	cancelled_on  TEXT                                                 -- NULL unless cancelled
);
INSERT INTO fines_v5 (notice_number, plate, committed_at, notified_on, place, article, description,
	reduced_cents, minimum_cents, late_cents, paid_on)
	SELECT notice_number, plate, committed_at, notified_on, place, article, description,
	reduced_cents, minimum_cents, late_cents, paid_on FROM fines;
DROP TABLE fines;
ALTER TABLE fines_v5 RENAME TO fines;
CREATE INDEX fines_plate ON fines (plate, committed_at);

-- A plate a citizen registered to see its fines: their own vehicle, or one
-- they use with a self-declaration that lapses (expires_at) unless confirmed.
CREATE TABLE registered_plates (
	fiscal_code   TEXT NOT NULL REFERENCES citizens (fiscal_code),
	plate         TEXT NOT NULL,
	vehicle_type  TEXT NOT NULL CHECK (vehicle_type IN ('car', 'motorcycle')),
	relation      TEXT NOT NULL CHECK (relation IN ('owner', 'user')),
	registered_at INTEGER NOT NULL,
	confirmed_at  INTEGER NOT NULL,
	expires_at    INTEGER,                                             -- NULL for an owner
	PRIMARY KEY (fiscal_code, plate)
);
CREATE INDEX registered_plates_plate ON registered_plates (plate);

-- A checkout: a cart of 1 to 5 notices paid on the sandbox page. Its
-- pending notices are held (ongoing) until expires_at. The answer to the
-- request that created it is kept under its Idempotency-Key.
CREATE TABLE checkouts (
	id              TEXT PRIMARY KEY,
	fiscal_code     TEXT NOT NULL REFERENCES citizens (fiscal_code),   -- who created it
	idempotency_key TEXT NOT NULL,
	request_hash    BLOB NOT NULL,
	response        BLOB NOT NULL,
	csrf_token      TEXT NOT NULL,
	return_ok       TEXT NOT NULL,
	return_cancel   TEXT NOT NULL,
	return_error    TEXT NOT NULL,
	status          TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'cancelled', 'declined')),
	created_at      INTEGER NOT NULL,
	expires_at      INTEGER NOT NULL,
	closed_at       INTEGER,
	UNIQUE (fiscal_code, idempotency_key)
);

CREATE TABLE checkout_notices (
	checkout_id          TEXT NOT NULL REFERENCES checkouts (id),
	position             INTEGER NOT NULL,
	notice_number        TEXT NOT NULL CHECK (length(notice_number) = 18),
	creditor_fiscal_code TEXT NOT NULL CHECK (length(creditor_fiscal_code) = 11),
	description          TEXT NOT NULL,
	amount_cents         INTEGER NOT NULL CHECK (amount_cents > 0),
	PRIMARY KEY (checkout_id, position)
);
CREATE INDEX checkout_notices_notice ON checkout_notices (creditor_fiscal_code, notice_number);

-- A notice is paid once: pagoPA identifies it by creditor and number.
ALTER TABLE payments ADD COLUMN checkout_id TEXT;
CREATE UNIQUE INDEX payments_creditor_notice ON payments (creditor_fiscal_code, notice_number);
