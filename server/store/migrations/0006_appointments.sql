-- Appointments at the municipal offices (docs/appointments.md): the services
-- citizens book, which office offers which with how many places per slot,
-- the days an office is closed, the re-confirmation setting, the bookings
-- and the outbox of the e-mails they send. Instants are Unix seconds, UTC;
-- calendar days ISO 8601 text, as in 0001.

-- A service handled at an office counter by appointment. topic is the
-- municipality's service (services.id) it belongs to, "" for none; bring_*
-- is what to take to the counter, one item per line.
CREATE TABLE appointment_services (
	id             TEXT PRIMARY KEY,
	position       INTEGER NOT NULL,
	topic          TEXT NOT NULL DEFAULT '',
	name_it        TEXT NOT NULL,
	name_en        TEXT NOT NULL,
	description_it TEXT NOT NULL,
	description_en TEXT NOT NULL,
	bring_it       TEXT NOT NULL DEFAULT '',
	bring_en       TEXT NOT NULL DEFAULT '',
	slot_minutes   INTEGER NOT NULL CHECK (slot_minutes BETWEEN 5 AND 480)
);

-- Which office offers which service, with the places of each slot.
CREATE TABLE office_services (
	office_id  TEXT NOT NULL REFERENCES offices (id) ON DELETE CASCADE,
	service_id TEXT NOT NULL REFERENCES appointment_services (id) ON DELETE CASCADE,
	capacity   INTEGER NOT NULL CHECK (capacity >= 1),
	PRIMARY KEY (office_id, service_id)
);

-- Hours of a service at an office when they are not the office's own
-- (office_hours): with any row for that office and service, only these.
CREATE TABLE office_service_hours (
	office_id  TEXT NOT NULL,
	service_id TEXT NOT NULL,
	weekday    INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
	opens      TEXT NOT NULL,
	closes     TEXT NOT NULL CHECK (closes > opens),
	FOREIGN KEY (office_id, service_id) REFERENCES office_services (office_id, service_id) ON DELETE CASCADE
);
CREATE INDEX office_service_hours_key ON office_service_hours (office_id, service_id, weekday, opens);

-- A day the offices (office_id NULL) or one office are closed, besides the
-- national holidays, which the server computes.
CREATE TABLE closures (
	id        INTEGER PRIMARY KEY,
	office_id TEXT REFERENCES offices (id) ON DELETE CASCADE,
	day       TEXT NOT NULL,
	reason_it TEXT NOT NULL,
	reason_en TEXT NOT NULL
);
CREATE INDEX closures_day ON closures (day, office_id);

-- reconfirm_days N > 0: a booking more than N days ahead must be
-- re-confirmed N days before, or it is released; 0: no re-confirmation.
CREATE TABLE appointment_settings (
	id             INTEGER PRIMARY KEY CHECK (id = 1),
	reconfirm_days INTEGER NOT NULL DEFAULT 0 CHECK (reconfirm_days BETWEEN 0 AND 60)
);
INSERT INTO appointment_settings (id, reconfirm_days) VALUES (1, 0);

-- A booking, rebuilt from 0003's: the service by id (rows from before keep
-- the service's name there), the applicant's names and contacts, the
-- details, and the re-confirmation. Rows from before keep their code,
-- citizen, office, times and status; a booked one already over is done.
CREATE TABLE appointments_v6 (
	code         TEXT PRIMARY KEY,                                -- the confirmation code
	fiscal_code  TEXT NOT NULL REFERENCES citizens (fiscal_code),
	service_id   TEXT NOT NULL,
	office_id    TEXT NOT NULL REFERENCES offices (id),
	start_at     INTEGER NOT NULL,
	end_at       INTEGER NOT NULL CHECK (end_at > start_at),
	status       TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'done', 'released')),
	details      TEXT NOT NULL DEFAULT '' CHECK (length(details) <= 500),
	name         TEXT NOT NULL,
	surname      TEXT NOT NULL,
	email        TEXT NOT NULL DEFAULT '',
	phone        TEXT NOT NULL DEFAULT '',
	booked_at    INTEGER NOT NULL,
	confirm_by   INTEGER,                                         -- NULL: no re-confirmation asked
	confirmed_at INTEGER,
	updated_at   INTEGER NOT NULL
);
INSERT INTO appointments_v6 (code, fiscal_code, service_id, office_id, start_at, end_at, status,
	name, surname, email, phone, booked_at, updated_at)
	SELECT a.code, a.fiscal_code, a.service, a.office_id, a.start_at, a.end_at,
	CASE WHEN a.status = 'booked' AND a.end_at <= CAST(strftime('%s', 'now') AS INTEGER) THEN 'done' ELSE a.status END,
	coalesce(c.name, ''), coalesce(c.surname, ''), coalesce(c.email, ''), coalesce(c.phone, ''),
	min(a.start_at, CAST(strftime('%s', 'now') AS INTEGER)), CAST(strftime('%s', 'now') AS INTEGER)
	FROM appointments a LEFT JOIN citizens c ON c.fiscal_code = a.fiscal_code;
-- One active booking per citizen and service: of earlier duplicates the
-- first stays booked, the others are cancelled (the unique index below
-- could not be built otherwise).
UPDATE appointments_v6 SET status = 'cancelled'
	WHERE status = 'booked' AND EXISTS (SELECT 1 FROM appointments_v6 o
		WHERE o.fiscal_code = appointments_v6.fiscal_code AND o.service_id = appointments_v6.service_id
		AND o.status = 'booked' AND (o.start_at < appointments_v6.start_at
			OR (o.start_at = appointments_v6.start_at AND o.code < appointments_v6.code)));
DROP TABLE appointments;
ALTER TABLE appointments_v6 RENAME TO appointments;
CREATE INDEX appointments_citizen ON appointments (fiscal_code, start_at);
-- Availability counts the places taken at an office, service and time from
-- this index alone.
CREATE INDEX appointments_slot ON appointments (office_id, service_id, start_at, status, confirm_by, confirmed_at);
CREATE UNIQUE INDEX appointments_one_active ON appointments (fiscal_code, service_id) WHERE status = 'booked';
-- The sweep: booked appointments over (done) and unconfirmed past their
-- deadline (released).
CREATE INDEX appointments_booked_end ON appointments (end_at) WHERE status = 'booked';
CREATE INDEX appointments_unconfirmed ON appointments (confirm_by) WHERE status = 'booked' AND confirmed_at IS NULL;

-- The e-mails the server sends (a summary of each booking, move,
-- cancellation and release, with its .ics); an operator's mailer sends
-- them (sportello-server outbox prints them).
CREATE TABLE outbox (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	recipient        TEXT NOT NULL,
	subject          TEXT NOT NULL,
	body             TEXT NOT NULL,
	attachment_name  TEXT NOT NULL DEFAULT '',
	attachment       BLOB,
	appointment_code TEXT,
	created_at       INTEGER NOT NULL,
	sent_at          INTEGER                                      -- NULL until sent
);
CREATE INDEX outbox_recipient ON outbox (recipient, id);
