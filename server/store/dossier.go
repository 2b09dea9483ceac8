package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/server/demo"
)

// The citizen's dossier: each query answers for one citizen, the subject,
// and never lists anything of anyone else. Lists are never nil: an empty
// one is an empty slice, so it marshals as [].

// queryer is a database or a transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// reader runs the dossier's queries on a database or in a transaction.
type reader struct{ q queryer }

// The parts of the dossier, each on its own.

// CitizenRecord is the citizen's whole registry record: the entry, the
// current marriage or civil union and the identity card that expires last.
func (s *Store) CitizenRecord(ctx context.Context, fiscalCode string) (core.Citizen, error) {
	return reader{s.read}.citizenRecord(ctx, fiscalCode)
}

// IDCard is the citizen's identity card that expires last; ErrNotFound when
// they have none.
func (s *Store) IDCard(ctx context.Context, fiscalCode string) (core.IDCard, error) {
	return reader{s.read}.idCard(ctx, fiscalCode)
}

// Residence is where the citizen's registry family lives; ErrNotFound for
// someone not in the registry.
func (s *Store) Residence(ctx context.Context, fiscalCode string) (core.Residence, error) {
	return reader{s.read}.residence(ctx, fiscalCode)
}

// Family lists the other members of the citizen's registry family, the head
// first, then by birth.
func (s *Store) Family(ctx context.Context, fiscalCode string) ([]core.FamilyMember, error) {
	return reader{s.read}.family(ctx, fiscalCode)
}

// TARI lists the waste-tax positions the citizen holds, the latest year
// first, each with its instalments in order.
func (s *Store) TARI(ctx context.Context, fiscalCode string) ([]core.TARIPosition, error) {
	return reader{s.read}.tari(ctx, fiscalCode)
}

// Vehicles lists the vehicles the citizen owns, by plate.
func (s *Store) Vehicles(ctx context.Context, fiscalCode string) ([]core.Vehicle, error) {
	return reader{s.read}.vehicles(ctx, fiscalCode)
}

// Fines lists the traffic fines for the citizen's vehicles, the latest
// violation first.
func (s *Store) Fines(ctx context.Context, fiscalCode string) ([]core.Fine, error) {
	return reader{s.read}.fines(ctx, fiscalCode)
}

// Payments lists the payments the citizen made, the latest first.
func (s *Store) Payments(ctx context.Context, fiscalCode string) ([]core.Payment, error) {
	return reader{s.read}.payments(ctx, fiscalCode)
}

// Certificates lists the certificates issued to the citizen, the latest
// first.
func (s *Store) Certificates(ctx context.Context, fiscalCode string) ([]core.Certificate, error) {
	return reader{s.read}.certificates(ctx, fiscalCode)
}

// Messages lists the municipality's messages to the citizen, the latest
// first.
func (s *Store) Messages(ctx context.Context, fiscalCode string) ([]core.Message, error) {
	return reader{s.read}.messages(ctx, fiscalCode)
}

func parseDate(s string) (core.Date, error) { return core.ParseDate(s) }

func parseNullDate(s sql.NullString) (*core.Date, error) {
	if !s.Valid {
		return nil, nil
	}
	d, err := core.ParseDate(s.String)
	return &d, err
}

func fromSeconds(v int64) time.Time { return time.Unix(v, 0).UTC() }

func (r reader) citizenRecord(ctx context.Context, fiscalCode string) (core.Citizen, error) {
	var c core.Citizen
	var birth string
	var spouse, mDate, mName, mProv, mBelf, card, issue, expiry sql.NullString
	var civil sql.NullBool
	err := r.q.QueryRowContext(ctx, `SELECT c.fiscal_code, c.surname, c.name, c.sex, c.birth_date,
		c.birth_place_name, c.birth_place_province, c.birth_place_belfiore, c.citizenship, c.family_id,
		c.relationship, c.marital_status, c.email, c.phone,
		m.spouse_fiscal_code, m.date, m.place_name, m.place_province, m.place_belfiore, m.civil_union,
		i.number, i.issue_date, i.expiry
		FROM citizens c
		LEFT JOIN marriages m ON m.fiscal_code = c.fiscal_code
		LEFT JOIN id_cards i ON i.number = (SELECT number FROM id_cards WHERE fiscal_code = c.fiscal_code
			ORDER BY expiry DESC, number LIMIT 1)
		WHERE c.fiscal_code = ?`, fiscalCode).Scan(&c.FiscalCode, &c.Surname, &c.Name, &c.Sex, &birth,
		&c.BirthPlace.Name, &c.BirthPlace.Province, &c.BirthPlace.Belfiore, &c.Citizenship, &c.FamilyID,
		&c.Relationship, &c.MaritalStatus, &c.Email, &c.Phone,
		&spouse, &mDate, &mName, &mProv, &mBelf, &civil, &card, &issue, &expiry)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, err
	}
	if c.BirthDate, err = parseDate(birth); err != nil {
		return c, fmt.Errorf("citizen %s: birth date: %w", c.FiscalCode, err)
	}
	if spouse.Valid {
		mr := &core.Marriage{SpouseFiscalCode: spouse.String, CivilUnion: civil.Bool,
			Place: core.Place{Name: mName.String, Province: mProv.String, Belfiore: mBelf.String}}
		if mr.Date, err = parseDate(mDate.String); err != nil {
			return c, fmt.Errorf("citizen %s: marriage date: %w", c.FiscalCode, err)
		}
		c.Marriage = mr
	}
	if card.Valid {
		id := &core.IDCard{Number: card.String}
		if id.IssueDate, err = parseDate(issue.String); err == nil {
			id.Expiry, err = parseDate(expiry.String)
		}
		if err != nil {
			return c, fmt.Errorf("citizen %s: identity card: %w", c.FiscalCode, err)
		}
		c.IDCard = id
	}
	return c, nil
}

func (r reader) idCard(ctx context.Context, fiscalCode string) (core.IDCard, error) {
	var id core.IDCard
	var issue, expiry string
	err := r.q.QueryRowContext(ctx, `SELECT number, issue_date, expiry FROM id_cards WHERE fiscal_code = ?
		ORDER BY expiry DESC, number LIMIT 1`, fiscalCode).Scan(&id.Number, &issue, &expiry)
	if errors.Is(err, sql.ErrNoRows) {
		return id, ErrNotFound
	}
	if err != nil {
		return id, err
	}
	if id.IssueDate, err = parseDate(issue); err == nil {
		id.Expiry, err = parseDate(expiry)
	}
	return id, err
}

func (r reader) residence(ctx context.Context, fiscalCode string) (core.Residence, error) {
	var res core.Residence
	var since string
	a := &res.Address
	err := r.q.QueryRowContext(ctx, `SELECT f.street, f.number, f.postal_code, f.town, f.province, f.resident_since
		FROM citizens c JOIN families f ON f.id = c.family_id WHERE c.fiscal_code = ?`, fiscalCode).
		Scan(&a.Street, &a.Number, &a.PostalCode, &a.Town, &a.Province, &since)
	if errors.Is(err, sql.ErrNoRows) {
		return res, ErrNotFound
	}
	if err != nil {
		return res, err
	}
	res.Since, err = parseDate(since)
	return res, err
}

func (r reader) family(ctx context.Context, fiscalCode string) ([]core.FamilyMember, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT o.fiscal_code, o.surname, o.name, o.birth_date, o.relationship
		FROM citizens c JOIN citizens o ON o.family_id = c.family_id AND o.fiscal_code != c.fiscal_code
		WHERE c.fiscal_code = ?
		ORDER BY o.relationship != 'head', o.birth_date, o.fiscal_code`, fiscalCode)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []core.FamilyMember{}
	for rows.Next() {
		var m core.FamilyMember
		var birth string
		if err := rows.Scan(&m.FiscalCode, &m.Surname, &m.Name, &birth, &m.Relationship); err != nil {
			return nil, err
		}
		if m.BirthDate, err = parseDate(birth); err != nil {
			return nil, fmt.Errorf("citizen %s: birth date: %w", m.FiscalCode, err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (r reader) tari(ctx context.Context, fiscalCode string) ([]core.TARIPosition, error) {
	return tariPositions(ctx, r.q, `WHERE p.holder_fiscal_code = ?`, fiscalCode)
}

func tariPositions(ctx context.Context, q queryer, where string, args ...any) ([]core.TARIPosition, error) {
	rows, err := q.QueryContext(ctx, `SELECT p.id, p.year, p.holder_fiscal_code, p.street, p.number,
		p.postal_code, p.town, p.province, p.square_metres, p.occupants, p.amount_cents,
		i.number, i.due_date, i.amount_cents, i.notice_number, i.paid_on
		FROM tari_positions p LEFT JOIN tari_instalments i ON i.position_id = p.id `+where+`
		ORDER BY p.year DESC, p.id, i.number`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []core.TARIPosition{}
	for rows.Next() {
		var p core.TARIPosition
		var num sql.NullInt64
		var due, notice, paid sql.NullString
		var amount sql.NullInt64
		a := &p.Address
		if err := rows.Scan(&p.ID, &p.Year, &p.HolderFiscalCode, &a.Street, &a.Number, &a.PostalCode, &a.Town,
			&a.Province, &p.SquareMetres, &p.Occupants, &p.AmountCents, &num, &due, &amount, &notice, &paid); err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].ID != p.ID {
			p.Instalments = []core.TARIInstalment{}
			out = append(out, p)
		}
		if !num.Valid {
			continue
		}
		in := core.TARIInstalment{Number: int(num.Int64), AmountCents: amount.Int64, NoticeNumber: notice.String}
		if in.DueDate, err = parseDate(due.String); err == nil {
			in.PaidOn, err = parseNullDate(paid)
		}
		if err != nil {
			return nil, fmt.Errorf("TARI %s instalment %d: %w", p.ID, in.Number, err)
		}
		last := &out[len(out)-1]
		last.Instalments = append(last.Instalments, in)
	}
	return out, rows.Err()
}

func (r reader) vehicles(ctx context.Context, fiscalCode string) ([]core.Vehicle, error) {
	return vehicles(ctx, r.q, `WHERE owner_fiscal_code = ?`, fiscalCode)
}

func vehicles(ctx context.Context, q queryer, where string, args ...any) ([]core.Vehicle, error) {
	rows, err := q.QueryContext(ctx, `SELECT plate, type, make, model, owner_fiscal_code FROM vehicles `+where+`
		ORDER BY plate`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []core.Vehicle{}
	for rows.Next() {
		var v core.Vehicle
		if err := rows.Scan(&v.Plate, &v.Type, &v.Make, &v.Model, &v.OwnerFiscalCode); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (r reader) fines(ctx context.Context, fiscalCode string) ([]core.Fine, error) {
	// The same fines as the detailed list (FineNotices): the registry's
	// vehicles of the citizen and the plates they registered; cancelled
	// fines are not in the dossier.
	rows, err := visibleFines(ctx, r.q, fiscalCode)
	if err != nil {
		return nil, err
	}
	out := []core.Fine{}
	for _, f := range rows {
		if f.cancelled == nil {
			out = append(out, f.Fine)
		}
	}
	return out, nil
}

func (r reader) payments(ctx context.Context, fiscalCode string) ([]core.Payment, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT id, notice_number, creditor_fiscal_code, description,
		amount_cents, paid_at, receipt FROM payments WHERE fiscal_code = ?
		ORDER BY paid_at DESC, id DESC`, fiscalCode)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []core.Payment{}
	for rows.Next() {
		var p core.Payment
		var paid int64
		if err := rows.Scan(&p.ID, &p.NoticeNumber, &p.CreditorFiscalCode, &p.Description, &p.AmountCents,
			&paid, &p.Receipt); err != nil {
			return nil, err
		}
		p.PaidAt = fromSeconds(paid)
		out = append(out, p)
	}
	return out, rows.Err()
}

func (r reader) certificates(ctx context.Context, fiscalCode string) ([]core.Certificate, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT serial, type, subject_fiscal_code, subject_surname, subject_name,
		subject_birth_date, issued_on, valid_until, revoked, copy, coalesce(glyph, '')
		FROM certificates WHERE fiscal_code = ?
		ORDER BY issued_on DESC, issued_at DESC, rowid DESC`, fiscalCode)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []core.Certificate{}
	for rows.Next() {
		var c core.Certificate
		var birth, issued string
		var until sql.NullString
		if err := rows.Scan(&c.Serial, &c.Type, &c.Subject.FiscalCode, &c.Subject.Surname, &c.Subject.Name,
			&birth, &issued, &until, &c.Revoked, &c.Copy, &c.Glyph); err != nil {
			return nil, err
		}
		if c.Subject.BirthDate, err = parseDate(birth); err == nil {
			if c.IssuedOn, err = parseDate(issued); err == nil {
				c.ValidUntil, err = parseNullDate(until)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("certificate %s: %w", c.Serial, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (r reader) messages(ctx context.Context, fiscalCode string) ([]core.Message, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT id, subject, body, sent_at, read_at IS NOT NULL
		FROM messages WHERE fiscal_code = ? ORDER BY sent_at DESC, id DESC`, fiscalCode)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []core.Message{}
	for rows.Next() {
		var m core.Message
		var sent int64
		if err := rows.Scan(&m.ID, &m.Subject, &m.Body, &sent, &m.Read); err != nil {
			return nil, err
		}
		m.SentAt = fromSeconds(sent)
		out = append(out, m)
	}
	return out, rows.Err()
}

// MarkMessageRead records that the citizen read their message id at now;
// a message read before keeps its first reading. ErrNotFound when the
// citizen has no message id (whether or not someone else does).
func (s *Store) MarkMessageRead(ctx context.Context, fiscalCode, id string, now time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE messages SET read_at = coalesce(read_at, ?)
		WHERE id = ? AND fiscal_code = ?`, now.Unix(), id, fiscalCode)
	return oneRow(res, err)
}

// Dossier is DossierAt in Italian as of the system clock.
func (s *Store) Dossier(ctx context.Context, fiscalCode string) (core.Dossier, error) {
	return s.DossierAt(ctx, fiscalCode, "it", time.Now())
}

// DossierAt is everything the municipality holds about the citizen as of
// now (the bookings' status), the appointments' services named in lang,
// but the Delegations, which are the caller's policy (they are left
// empty). It reads in one read transaction, so the parts agree with each
// other (and the database locks once, not once per part). ErrNotFound for
// someone not in the registry.
func (s *Store) DossierAt(ctx context.Context, fiscalCode, lang string, now time.Time) (core.Dossier, error) {
	d := core.Dossier{Delegations: []core.Person{}}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}) // a deferred BEGIN: no write lock
	if err != nil {
		return d, err
	}
	defer tx.Rollback()
	r := reader{s.read.in(tx)}
	if d.Person, err = r.citizenRecord(ctx, fiscalCode); err != nil {
		return d, err
	}
	steps := []func() error{
		func() (err error) { d.Residence, err = r.residence(ctx, fiscalCode); return },
		func() (err error) { d.Family, err = r.family(ctx, fiscalCode); return },
		func() (err error) { d.TARI, err = r.tari(ctx, fiscalCode); return },
		func() (err error) { d.Vehicles, err = r.vehicles(ctx, fiscalCode); return },
		func() (err error) { d.Fines, err = r.fines(ctx, fiscalCode); return },
		func() (err error) { d.Payments, err = r.payments(ctx, fiscalCode); return },
		func() (err error) { d.Certificates, err = r.certificates(ctx, fiscalCode); return },
		func() (err error) { d.Appointments, err = r.appointmentsAt(ctx, fiscalCode, lang, now); return },
		func() (err error) { d.Messages, err = r.messages(ctx, fiscalCode); return },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return d, err
		}
	}
	return d, nil
}

// DemoVersion is the version of the demo seed the database holds: 0 when it
// holds no demo municipality (an empty database, or a real one).
func (s *Store) DemoVersion(ctx context.Context) (int, error) { return demoVersion(ctx, s.db) }

func demoVersion(ctx context.Context, q queryer) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT coalesce(
		(SELECT version FROM demo_seed WHERE id = 1),
		(SELECT 1 FROM municipality WHERE id = 1 AND demo = 1),
		0)`).Scan(&v)
	return v, err
}

// UpgradeDemo tops up a demo database seeded by an older version of the demo
// seed with the rows later versions added (demo.Upgrade), as of now, in one
// transaction, and records the new version. It does nothing to a database
// that holds no demo or the current version, and reports whether it added
// anything.
func (s *Store) UpgradeDemo(ctx context.Context, now time.Time) (bool, error) {
	if v, err := s.DemoVersion(ctx); err != nil || v == 0 || v >= demo.Version {
		return false, err
	}
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: one upgrade at a time
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	have, err := demoRegistry(ctx, tx)
	if err != nil {
		return false, fmt.Errorf("upgrade the demo: %w", err)
	}
	if have.Version == 0 || have.Version >= demo.Version { // another process did it
		return false, nil
	}
	add, err := demo.Upgrade(now, have)
	if err != nil {
		return false, fmt.Errorf("upgrade the demo: %w", err)
	}
	w := &writer{ctx: ctx, tx: tx}
	w.registry(add)
	w.records(add)
	w.appointments(add)
	w.exec(`INSERT INTO demo_seed (id, version) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET version = excluded.version`, add.Version)
	if w.err != nil {
		return false, fmt.Errorf("upgrade the demo: %w", w.err)
	}
	return true, tx.Commit()
}

// demoRegistry reads what demo.Upgrade needs of a database: its demo
// version, families, citizens with their identity cards, vehicles and TARI.
func demoRegistry(ctx context.Context, q queryer) (demo.Dataset, error) {
	var d demo.Dataset
	var err error
	if d.Version, err = demoVersion(ctx, q); err != nil {
		return d, err
	}
	rows, err := q.QueryContext(ctx, `SELECT id, street, number, postal_code, town, province, resident_since
		FROM families ORDER BY id`)
	if err != nil {
		return d, err
	}
	for rows.Next() {
		var f core.Family
		var since string
		a := &f.Address
		if err = rows.Scan(&f.ID, &a.Street, &a.Number, &a.PostalCode, &a.Town, &a.Province, &since); err != nil {
			break
		}
		if f.ResidentSince, err = parseDate(since); err != nil {
			break
		}
		d.Families = append(d.Families, f)
	}
	if err = errors.Join(err, rows.Err(), rows.Close()); err != nil {
		return d, err
	}

	rows, err = q.QueryContext(ctx, `SELECT c.fiscal_code, c.surname, c.name, c.sex, c.birth_date,
		c.birth_place_name, c.birth_place_province, c.birth_place_belfiore, c.citizenship, c.family_id,
		c.relationship, c.marital_status, c.email, c.phone, i.number, i.issue_date, i.expiry
		FROM citizens c LEFT JOIN id_cards i ON i.number = (SELECT number FROM id_cards
			WHERE fiscal_code = c.fiscal_code ORDER BY expiry DESC, number LIMIT 1)
		ORDER BY c.fiscal_code`)
	if err != nil {
		return d, err
	}
	for rows.Next() {
		var c core.Citizen
		var birth string
		var card, issue, expiry sql.NullString
		if err = rows.Scan(&c.FiscalCode, &c.Surname, &c.Name, &c.Sex, &birth, &c.BirthPlace.Name,
			&c.BirthPlace.Province, &c.BirthPlace.Belfiore, &c.Citizenship, &c.FamilyID, &c.Relationship,
			&c.MaritalStatus, &c.Email, &c.Phone, &card, &issue, &expiry); err != nil {
			break
		}
		if c.BirthDate, err = parseDate(birth); err != nil {
			break
		}
		if card.Valid {
			id := &core.IDCard{Number: card.String}
			if id.IssueDate, err = parseDate(issue.String); err != nil {
				break
			}
			if id.Expiry, err = parseDate(expiry.String); err != nil {
				break
			}
			c.IDCard = id
		}
		d.Citizens = append(d.Citizens, c)
	}
	if err = errors.Join(err, rows.Err(), rows.Close()); err != nil {
		return d, err
	}
	if d.Vehicles, err = vehicles(ctx, q, ``); err != nil {
		return d, err
	}
	d.TARI, err = tariPositions(ctx, q, ``)
	return d, err
}
