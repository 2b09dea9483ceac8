// Package store is the reference server's database: the municipality, its
// offices and services, and the population registry, in SQLite through
// core/sqlite. Every query the HTTP handlers and the operator commands run is
// here, so the handlers never see SQL.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/sqlite"
	"github.com/sportello/sportello/server/demo"
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrNoMunicipality means the database holds no municipality yet: it was
// neither seeded with the demo nor set up by an operator.
var ErrNoMunicipality = errors.New("the database holds no municipality")

// Store is the server's database.
type Store struct {
	db   *sql.DB
	read *statements // the queries of every request, prepared once
	// apptMu serialises the process's appointment writes before SQLite's
	// write lock does: the waiters queue here in order instead of polling
	// the busy handler.
	apptMu sync.Mutex
}

// Open opens the database file, creating and migrating it as needed.
func Open(ctx context.Context, file string) (*Store, error) {
	db, err := sqlite.Open(ctx, file, migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return newStore(db), nil
}

// maxConns bounds the database's connections: each new one parses the
// schema and prepares its statements again, which a burst of requests (a
// crowd booking the last place of a day) would otherwise pay once per
// request, and SQLite runs one writer at a time anyway. No query of the
// store holds one connection while it waits for another.
const maxConns = 32

func newStore(db *sql.DB) *Store {
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	return &Store{db: db, read: &statements{db: db}}
}

// Close closes the database.
func (s *Store) Close() error {
	s.read.close()
	return s.db.Close()
}

// statements runs queries as prepared statements, each prepared on first
// use and kept: the queries every request runs (the session of its token,
// the dossier) would otherwise spend a good part of their time having
// SQLite parse the same SQL again.
type statements struct {
	db    *sql.DB
	cache sync.Map // query to *sql.Stmt
}

func (c *statements) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.cache.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := c.cache.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

func (c *statements) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (c *statements) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return c.db.QueryRowContext(ctx, query, args...) // which reports the error
	}
	return st.QueryRowContext(ctx, args...)
}

// in runs the statements inside tx, prepared on its connection once.
func (c *statements) in(tx *sql.Tx) queryer { return txStatements{tx: tx, c: c} }

type txStatements struct {
	tx *sql.Tx
	c  *statements
}

func (t txStatements) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
}

func (t txStatements) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := t.c.stmt(ctx, query)
	if err != nil {
		return t.tx.QueryRowContext(ctx, query, args...) // which reports the error
	}
	return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
}

func (c *statements) close() {
	c.cache.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
}

// HasMunicipality reports whether the database has been set up.
func (s *Store) HasMunicipality(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM municipality`).Scan(&n)
	return n > 0, err
}

// Seed writes a whole dataset in one transaction: either all of it lands or
// nothing does. A dataset of version 2 or later records its version, so
// that UpgradeDemo knows what a later server must add.
func (s *Store) Seed(ctx context.Context, d demo.Dataset) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	w := &writer{ctx: ctx, tx: tx}

	m := d.Municipality
	w.exec(`INSERT INTO municipality (id, name, istat, belfiore, province, region, fiscal_code, demo,
		address, phone, email, pec, website, logo, logo_type)
		VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.Name, m.ISTAT, m.Belfiore, m.Province, m.Region, m.FiscalCode, m.Demo,
		m.Contacts.Address, m.Contacts.Phone, m.Contacts.Email, m.Contacts.PEC, m.Contacts.Website,
		d.Logo, "image/svg+xml")
	for i, sv := range d.Services {
		w.exec(`INSERT INTO services (id, position, name_it, name_en, description_it, description_en, online)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, sv.ID, i, sv.NameIT, sv.NameEN, sv.DescriptionIT, sv.DescriptionEN, sv.Online)
	}
	for i, o := range m.Offices {
		w.exec(`INSERT INTO offices (id, position, name, address, phone, email) VALUES (?, ?, ?, ?, ?, ?)`,
			o.ID, i, o.Name, o.Address, o.Phone, o.Email)
		for _, h := range o.Hours {
			w.exec(`INSERT INTO office_hours (office_id, weekday, opens, closes) VALUES (?, ?, ?, ?)`,
				o.ID, h.Weekday, h.Opens, h.Closes)
		}
	}
	w.registry(d)
	w.records(d)
	w.appointments(d)
	if d.Version > 1 {
		w.exec(`INSERT INTO demo_seed (id, version) VALUES (1, ?)`, d.Version)
	}
	if w.err != nil {
		return w.err
	}
	return tx.Commit()
}

// writer runs the statements of a seed in one transaction until the first
// error, which it keeps. Each statement is prepared once: a seed runs the
// same few hundreds of times.
type writer struct {
	ctx   context.Context
	tx    *sql.Tx
	err   error
	stmts map[string]*sql.Stmt // closed with the transaction
}

func (w *writer) exec(query string, args ...any) {
	if w.err != nil {
		return
	}
	st, ok := w.stmts[query]
	if !ok {
		var err error
		if st, err = w.tx.PrepareContext(w.ctx, query); err != nil {
			w.err = fmt.Errorf("seed: %w", err)
			return
		}
		if w.stmts == nil {
			w.stmts = map[string]*sql.Stmt{}
		}
		w.stmts[query] = st
	}
	if _, err := st.ExecContext(w.ctx, args...); err != nil {
		w.err = fmt.Errorf("seed: %w", err)
	}
}

// registry writes d's families, citizens with their marriages and identity
// cards, vehicles and TARI.
func (w *writer) registry(d demo.Dataset) {
	for _, f := range d.Families {
		a := f.Address
		w.exec(`INSERT INTO families (id, street, number, postal_code, town, province, resident_since)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, f.ID, a.Street, a.Number, a.PostalCode, a.Town, a.Province, f.ResidentSince.String())
	}
	for _, c := range d.Citizens {
		w.exec(`INSERT INTO citizens (fiscal_code, surname, name, sex, birth_date, birth_place_name,
			birth_place_province, birth_place_belfiore, citizenship, family_id, relationship,
			marital_status, email, phone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.FiscalCode, c.Surname, c.Name, string(c.Sex), c.BirthDate.String(), c.BirthPlace.Name,
			c.BirthPlace.Province, c.BirthPlace.Belfiore, c.Citizenship, c.FamilyID, string(c.Relationship),
			string(c.MaritalStatus), c.Email, c.Phone)
	}
	// Marriages reference both spouses, so they go in once every citizen is there.
	for _, c := range d.Citizens {
		if mr := c.Marriage; mr != nil {
			w.exec(`INSERT INTO marriages (fiscal_code, spouse_fiscal_code, date, place_name, place_province,
				place_belfiore, civil_union) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				c.FiscalCode, mr.SpouseFiscalCode, mr.Date.String(), mr.Place.Name, mr.Place.Province,
				mr.Place.Belfiore, mr.CivilUnion)
		}
		if id := c.IDCard; id != nil {
			w.exec(`INSERT INTO id_cards (number, fiscal_code, issue_date, expiry) VALUES (?, ?, ?, ?)`,
				id.Number, c.FiscalCode, id.IssueDate.String(), id.Expiry.String())
		}
	}
	for _, v := range d.Vehicles {
		w.exec(`INSERT INTO vehicles (plate, type, make, model, owner_fiscal_code) VALUES (?, ?, ?, ?, ?)`,
			v.Plate, string(v.Type), v.Make, v.Model, v.OwnerFiscalCode)
	}
	for _, p := range d.TARI {
		a := p.Address
		w.exec(`INSERT INTO tari_positions (id, year, holder_fiscal_code, street, number, postal_code, town,
			province, square_metres, occupants, amount_cents) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.Year, p.HolderFiscalCode, a.Street, a.Number, a.PostalCode, a.Town, a.Province,
			p.SquareMetres, p.Occupants, p.AmountCents)
		for _, in := range p.Instalments {
			w.exec(`INSERT INTO tari_instalments (position_id, number, due_date, amount_cents, notice_number, paid_on)
				VALUES (?, ?, ?, ?, ?, ?)`, p.ID, in.Number, in.DueDate.String(), in.AmountCents, in.NoticeNumber, nullDate(in.PaidOn))
		}
	}
}

// records writes d's dossier records: messages, payments and fines.
func (w *writer) records(d demo.Dataset) {
	for _, m := range d.Messages {
		var read any
		if m.Read {
			read = m.ReadAt.Unix()
		}
		w.exec(`INSERT INTO messages (id, fiscal_code, subject, body, sent_at, read_at) VALUES (?, ?, ?, ?, ?, ?)`,
			m.ID, m.FiscalCode, m.Subject, m.Body, m.SentAt.Unix(), read)
	}
	for _, f := range d.Fines {
		w.exec(`INSERT INTO fines (notice_number, plate, committed_at, notified_on, place, article, description,
			reduced_cents, minimum_cents, late_cents, paid_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			f.NoticeNumber, f.Plate, f.CommittedAt.Unix(), f.NotifiedOn.String(), f.Place, f.Article, f.Description,
			f.ReducedCents, f.MinimumCents, f.LateCents, nullDate(f.PaidOn))
	}
	for _, p := range d.Payments {
		w.exec(`INSERT INTO payments (id, fiscal_code, notice_number, creditor_fiscal_code, description,
			amount_cents, paid_at, receipt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.Payer, p.NoticeNumber, p.CreditorFiscalCode, p.Description, p.AmountCents, p.PaidAt.Unix(), p.Receipt)
	}
}

// appointments writes d's bookable services, the offices offering them,
// closures, the re-confirmation window and bookings.
func (w *writer) appointments(d demo.Dataset) {
	for i, sv := range d.AppointmentServices {
		w.exec(`INSERT INTO appointment_services (id, position, topic, name_it, name_en, description_it, description_en,
			bring_it, bring_en, slot_minutes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, sv.ID, i, sv.Topic, sv.NameIT, sv.NameEN,
			sv.DescriptionIT, sv.DescriptionEN, strings.Join(sv.BringIT, "\n"), strings.Join(sv.BringEN, "\n"), sv.SlotMinutes)
	}
	for _, os := range d.OfficeServices {
		w.exec(`INSERT INTO office_services (office_id, service_id, capacity) VALUES (?, ?, ?)`, os.Office, os.Service, os.Capacity)
		for _, h := range os.Hours {
			w.exec(`INSERT INTO office_service_hours (office_id, service_id, weekday, opens, closes) VALUES (?, ?, ?, ?, ?)`,
				os.Office, os.Service, h.Weekday, h.Opens, h.Closes)
		}
	}
	for _, c := range d.Closures {
		var office any
		if c.Office != "" {
			office = c.Office
		}
		w.exec(`INSERT INTO closures (office_id, day, reason_it, reason_en) VALUES (?, ?, ?, ?)`, office, c.Day.String(), c.ReasonIT, c.ReasonEN)
	}
	if d.ReconfirmDays != 0 {
		w.exec(`UPDATE appointment_settings SET reconfirm_days = ? WHERE id = 1`, d.ReconfirmDays)
	}
	for _, a := range d.Appointments {
		w.exec(`INSERT INTO appointments (code, fiscal_code, service_id, office_id, start_at, end_at, status, details,
			name, surname, email, phone, booked_at, confirm_by, confirmed_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.Code, a.Applicant.FiscalCode, a.ServiceID, a.OfficeID,
			a.Start.Unix(), a.End.Unix(), string(a.Status), a.Details, a.Applicant.Name, a.Applicant.Surname, a.Applicant.Email,
			a.Applicant.Phone, a.BookedAt.Unix(), nullTime(a.ConfirmBy), nullTime(a.ConfirmedAt), a.BookedAt.Unix())
	}
}

// nullTime is *t as Unix seconds, or NULL.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.Unix()
}

// nullDate is d as ISO 8601 text, or NULL.
func nullDate(d *core.Date) any {
	if d == nil {
		return nil
	}
	return d.String()
}

// Municipality returns the municipality with its services in lang ("it" or
// "en"; anything else falls back to Italian, the registry's own language) and
// its offices. LogoURL is left for the HTTP layer, which knows the route.
func (s *Store) Municipality(ctx context.Context, lang string) (core.Municipality, error) {
	var m core.Municipality
	err := s.db.QueryRowContext(ctx, `SELECT name, istat, belfiore, province, region, fiscal_code, demo,
		address, phone, email, pec, website, (SELECT count(*) FROM citizens)
		FROM municipality WHERE id = 1`).Scan(&m.Name, &m.ISTAT, &m.Belfiore, &m.Province, &m.Region,
		&m.FiscalCode, &m.Demo, &m.Contacts.Address, &m.Contacts.Phone, &m.Contacts.Email, &m.Contacts.PEC,
		&m.Contacts.Website, &m.Population)
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNoMunicipality
	}
	if err != nil {
		return m, err
	}
	if m.Services, err = s.services(ctx, lang); err != nil {
		return m, err
	}
	m.Offices, err = s.offices(ctx)
	return m, err
}

func (s *Store) services(ctx context.Context, lang string) ([]core.Service, error) {
	cols := "name_it, description_it"
	if lang == "en" {
		cols = "name_en, description_en"
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, `+cols+`, online FROM services ORDER BY position`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []core.Service{}
	for rows.Next() {
		var sv core.Service
		if err := rows.Scan(&sv.ID, &sv.Name, &sv.Description, &sv.Online); err != nil {
			return nil, err
		}
		out = append(out, sv)
	}
	return out, rows.Err()
}

func (s *Store) offices(ctx context.Context) ([]core.Office, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT o.id, o.name, o.address, o.phone, o.email,
		h.weekday, h.opens, h.closes
		FROM offices o LEFT JOIN office_hours h ON h.office_id = o.id
		ORDER BY o.position, h.weekday, h.opens`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []core.Office{}
	for rows.Next() {
		var o core.Office
		var wd sql.NullInt64
		var opens, closes sql.NullString
		if err := rows.Scan(&o.ID, &o.Name, &o.Address, &o.Phone, &o.Email, &wd, &opens, &closes); err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].ID != o.ID {
			o.Hours = []core.OpeningHours{}
			out = append(out, o)
		}
		if wd.Valid {
			last := &out[len(out)-1]
			last.Hours = append(last.Hours, core.OpeningHours{Weekday: int(wd.Int64), Opens: opens.String, Closes: closes.String})
		}
	}
	return out, rows.Err()
}

// Logo returns the municipality's logo and its media type.
func (s *Store) Logo(ctx context.Context) ([]byte, string, error) {
	var data []byte
	var typ sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT logo, logo_type FROM municipality WHERE id = 1`).Scan(&data, &typ)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", ErrNoMunicipality
	}
	return data, typ.String, err
}

// Citizens lists the population registry, family by family, the head first.
func (s *Store) Citizens(ctx context.Context) ([]core.Citizen, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT fiscal_code, surname, name, sex, birth_date,
		birth_place_name, birth_place_province, birth_place_belfiore, citizenship, family_id,
		relationship, marital_status, email, phone
		FROM citizens ORDER BY family_id, relationship != 'head', birth_date, fiscal_code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []core.Citizen
	for rows.Next() {
		var c core.Citizen
		var birth string
		if err := rows.Scan(&c.FiscalCode, &c.Surname, &c.Name, &c.Sex, &birth, &c.BirthPlace.Name,
			&c.BirthPlace.Province, &c.BirthPlace.Belfiore, &c.Citizenship, &c.FamilyID, &c.Relationship,
			&c.MaritalStatus, &c.Email, &c.Phone); err != nil {
			return nil, err
		}
		if c.BirthDate, err = core.ParseDate(birth); err != nil {
			return nil, fmt.Errorf("citizen %s: birth date: %w", c.FiscalCode, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
