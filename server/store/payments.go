package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/pagopa"
)

// Fines by registered plate and the pagoPA sandbox (docs/payments.md).

// Errors of plates and notices.
var (
	// ErrPlateLimit: the citizen registered core.MaxPlates plates already.
	ErrPlateLimit = errors.New("the most plates a citizen may register are registered")
	// The states of a notice that cannot be paid, as pagoPA's verify
	// reports them.
	ErrNoticeUnknown   = errors.New("the creditor has no such notice")
	ErrNoticePaid      = errors.New("the notice is already paid")
	ErrNoticeOngoing   = errors.New("another checkout holds the notice")
	ErrNoticeExpired   = errors.New("the notice is past its statute of limitations")
	ErrNoticeCancelled = errors.New("the creditor cancelled the notice")
)

// NoticeError says which notice of a cart cannot be paid, and why (one of
// the ErrNotice* errors).
type NoticeError struct {
	Index int
	Err   error
}

func (e *NoticeError) Error() string { return fmt.Sprintf("notices[%d]: %v", e.Index, e.Err) }
func (e *NoticeError) Unwrap() error { return e.Err }

// Limitation is the statute of limitations of fines (art. 209 CdS, from the
// violation) and of local taxes (from the due date): past it the notice is
// expired and can no longer be paid through pagoPA.
const Limitation = 5 // years

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported systems
	}
	return hex.EncodeToString(b)
}

// Plates.

func plateExpired(p core.RegisteredPlate, now time.Time) bool {
	return p.ExpiresAt != nil && !now.Before(*p.ExpiresAt)
}

func scanPlate(sc interface{ Scan(...any) error }, now time.Time) (core.RegisteredPlate, error) {
	var p core.RegisteredPlate
	var reg, conf int64
	var exp sql.NullInt64
	if err := sc.Scan(&p.Plate, &p.VehicleType, &p.Relation, &reg, &conf, &exp); err != nil {
		return p, err
	}
	p.RegisteredAt, p.ConfirmedAt = fromSeconds(reg), fromSeconds(conf)
	if exp.Valid {
		t := fromSeconds(exp.Int64)
		p.ExpiresAt = &t
	}
	p.Expired = plateExpired(p, now)
	return p, nil
}

const plateColumns = `plate, vehicle_type, relation, registered_at, confirmed_at, expires_at`

// Plates lists the plates the citizen registered, by plate.
func (s *Store) Plates(ctx context.Context, fiscalCode string, now time.Time) ([]core.RegisteredPlate, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+plateColumns+` FROM registered_plates
		WHERE fiscal_code = ? ORDER BY plate`, fiscalCode)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []core.RegisteredPlate{}
	for rows.Next() {
		p, err := scanPlate(rows, now)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// declarationExpiry is when a declaration of relation made at now lapses.
func declarationExpiry(rel core.PlateRelation, now time.Time) any {
	if rel == core.PlateOwner {
		return nil
	}
	return now.AddDate(0, core.DeclarationMonths, 0).Unix()
}

// RegisterPlate registers a plate (normalized) for the citizen. Registering
// a plate they registered before renews it with the new relation and
// declaration (created is false): the call is naturally idempotent. A new
// plate beyond core.MaxPlates is ErrPlateLimit.
func (s *Store) RegisterPlate(ctx context.Context, fiscalCode, plate string, typ core.VehicleType, rel core.PlateRelation, now time.Time) (p core.RegisteredPlate, created bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return p, false, err
	}
	defer tx.Rollback()
	var have, same int
	if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(plate = ?), 0) FROM registered_plates
		WHERE fiscal_code = ?`, plate, fiscalCode).Scan(&have, &same); err != nil {
		return p, false, err
	}
	if same == 0 && have >= core.MaxPlates {
		return p, false, ErrPlateLimit
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO registered_plates (fiscal_code, plate, vehicle_type, relation,
		registered_at, confirmed_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (fiscal_code, plate) DO UPDATE SET relation = excluded.relation,
		confirmed_at = excluded.confirmed_at, expires_at = excluded.expires_at`,
		fiscalCode, plate, string(typ), string(rel), now.Unix(), now.Unix(), declarationExpiry(rel, now)); err != nil {
		return p, false, err
	}
	p, err = scanPlate(tx.QueryRowContext(ctx, `SELECT `+plateColumns+` FROM registered_plates
		WHERE fiscal_code = ? AND plate = ?`, fiscalCode, plate), now)
	if err != nil {
		return p, false, err
	}
	return p, same == 0, tx.Commit()
}

// ConfirmPlate renews the citizen's declaration for a registered plate as
// of now; ErrNotFound when they have not registered it.
func (s *Store) ConfirmPlate(ctx context.Context, fiscalCode, plate string, now time.Time) (core.RegisteredPlate, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE registered_plates SET confirmed_at = ?,
		expires_at = CASE WHEN relation = 'owner' THEN NULL ELSE ? END
		WHERE fiscal_code = ? AND plate = ?`, now.Unix(), now.AddDate(0, core.DeclarationMonths, 0).Unix(), fiscalCode, plate)
	if err := oneRow(res, err); err != nil {
		return core.RegisteredPlate{}, err
	}
	return scanPlate(s.db.QueryRowContext(ctx, `SELECT `+plateColumns+` FROM registered_plates
		WHERE fiscal_code = ? AND plate = ?`, fiscalCode, plate), now)
}

// RemovePlate removes a registered plate; removing one that is not there
// does nothing (removed false).
func (s *Store) RemovePlate(ctx context.Context, fiscalCode, plate string) (removed bool, err error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM registered_plates WHERE fiscal_code = ? AND plate = ?`, fiscalCode, plate)
	if err = oneRow(res, err); errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Fines.

// fineSelect reads the fines the citizen may see: those of the vehicles the
// registry says they own, and those of the plates they registered notified
// from the day of registration to the end of the declaration.
const fineSelect = `SELECT f.notice_number, f.plate, coalesce(f.vehicle_type, v.type, 'car'), f.committed_at,
	f.notified_on, f.place, f.article, f.description, f.reduced_cents, f.minimum_cents, f.late_cents,
	f.paid_on, f.cancelled_on, coalesce(v.owner_fiscal_code = ?, 0)
	FROM fines f LEFT JOIN vehicles v ON v.plate = f.plate
	WHERE v.owner_fiscal_code = ? OR EXISTS (SELECT 1 FROM registered_plates r
		WHERE r.fiscal_code = ? AND r.plate = f.plate
		AND f.notified_on >= date(r.registered_at, 'unixepoch')
		AND (r.expires_at IS NULL OR f.notified_on < date(r.expires_at, 'unixepoch')))
	ORDER BY f.committed_at DESC, f.notice_number`

type fineRow struct {
	core.Fine
	cancelled *core.Date
	owned     bool
}

func visibleFines(ctx context.Context, q queryer, fiscalCode string) ([]fineRow, error) {
	rows, err := q.QueryContext(ctx, fineSelect, fiscalCode, fiscalCode, fiscalCode)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []fineRow
	for rows.Next() {
		var f fineRow
		var committed int64
		var notified string
		var paid, cancelled sql.NullString
		if err := rows.Scan(&f.NoticeNumber, &f.Plate, &f.VehicleType, &committed, &notified, &f.Place, &f.Article,
			&f.Description, &f.ReducedCents, &f.MinimumCents, &f.LateCents, &paid, &cancelled, &f.owned); err != nil {
			return nil, err
		}
		f.CommittedAt = fromSeconds(committed)
		if f.NotifiedOn, err = parseDate(notified); err == nil {
			if f.PaidOn, err = parseNullDate(paid); err == nil {
				f.cancelled, err = parseNullDate(cancelled)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("fine %s: %w", f.NoticeNumber, err)
		}
		f.Status = core.FineToPay
		if f.PaidOn != nil {
			f.Status = core.FinePaid
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// fineExpired: past the statute of limitations on today.
func fineExpired(f core.Fine, today core.Date) bool {
	return !core.DateOf(f.CommittedAt).AddDate(Limitation, 0, 0).After(today.Time)
}

// FineNotices lists, the latest violation first, the fines the citizen may
// see with what paying them costs on today, and the registered plates whose
// declaration lapsed.
func (s *Store) FineNotices(ctx context.Context, fiscalCode string, now time.Time) (core.FineList, error) {
	list := core.FineList{Fines: []core.FineNotice{}, ExpiredPlates: []string{}}
	today := core.DateOf(now)
	creditor, _, err := s.creditor(ctx, s.read)
	if err != nil {
		return list, err
	}
	rows, err := visibleFines(ctx, s.read, fiscalCode)
	if err != nil {
		return list, err
	}
	for _, f := range rows {
		n := core.FineNotice{Fine: f.Fine, CreditorFiscalCode: creditor, Source: "registered"}
		if f.owned {
			n.Source = "owned"
		}
		amount, tier := f.AmountDue(today)
		n.Tier = tier
		switch {
		case f.PaidOn != nil:
			n.Status = core.FinePaid
			n.Tier = ""
		case f.cancelled != nil:
			n.Status = core.FineCancelled
			n.Tier = ""
		case fineExpired(f.Fine, today):
			n.Status = core.FineExpired
			n.Tier = ""
		case tier == core.FineLate:
			n.Status, n.AmountDueCents = core.FineOverdue, amount
		default:
			n.Status, n.AmountDueCents = core.FineToPay, amount
		}
		list.Fines = append(list.Fines, n)
	}
	plates, err := s.Plates(ctx, fiscalCode, now)
	if err != nil {
		return list, err
	}
	for _, p := range plates {
		if p.Expired {
			list.ExpiredPlates = append(list.ExpiredPlates, p.Plate)
		}
	}
	return list, nil
}

// creditor is the municipality's fiscal code and name: the creditor of its
// notices.
func (s *Store) creditor(ctx context.Context, q queryer) (fiscalCode, name string, err error) {
	err = q.QueryRowContext(ctx, `SELECT fiscal_code, name FROM municipality WHERE id = 1`).Scan(&fiscalCode, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", ErrNoMunicipality
	}
	return fiscalCode, name, err
}

// NewFine is a fine as a traffic warden records it.
type NewFine struct {
	Plate        string // normalized
	VehicleType  core.VehicleType
	CommittedAt  time.Time
	NotifiedOn   core.Date
	Place        string
	Article      string
	Description  string
	ReducedCents int64
	MinimumCents int64
	LateCents    int64
}

// RecordFine records a fine with a new notice number on the segregation
// code: aux digit 3, the code, an IUV base of the violation's year, "03"
// (fines recorded by the Polizia Locale; the demo's have 02, TARI 01) and a
// sequence of 7 digits, and the check digits.
func (s *Store) RecordFine(ctx context.Context, f NewFine, segregationCode string) (core.Fine, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return core.Fine{}, err
	}
	defer tx.Rollback()
	prefix := fmt.Sprintf("3%s%04d03", segregationCode, f.CommittedAt.UTC().Year()%10000)
	var last sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT max(notice_number) FROM fines WHERE substr(notice_number, 1, 9) = ?`,
		prefix).Scan(&last); err != nil {
		return core.Fine{}, err
	}
	seq := 1
	if last.Valid {
		n, err := strconv.Atoi(last.String[9:16])
		if err != nil {
			return core.Fine{}, fmt.Errorf("notice %s: %w", last.String, err)
		}
		seq = n + 1
	}
	if seq > 9_999_999 {
		return core.Fine{}, errors.New("no notice numbers left this year")
	}
	notice, err := pagopa.NewNoticeNumber(segregationCode, prefix[3:]+fmt.Sprintf("%07d", seq))
	if err != nil {
		return core.Fine{}, err
	}
	out := core.Fine{NoticeNumber: notice, Plate: f.Plate, VehicleType: f.VehicleType, CommittedAt: f.CommittedAt.UTC().Truncate(time.Second),
		NotifiedOn: f.NotifiedOn, Place: f.Place, Article: f.Article, Description: f.Description,
		ReducedCents: f.ReducedCents, MinimumCents: f.MinimumCents, LateCents: f.LateCents, Status: core.FineToPay}
	if _, err := tx.ExecContext(ctx, `INSERT INTO fines (notice_number, plate, vehicle_type, committed_at, notified_on,
		place, article, description, reduced_cents, minimum_cents, late_cents) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		notice, f.Plate, string(f.VehicleType), out.CommittedAt.Unix(), f.NotifiedOn.String(), f.Place, f.Article,
		f.Description, f.ReducedCents, f.MinimumCents, f.LateCents); err != nil {
		return core.Fine{}, err
	}
	return out, tx.Commit()
}

// CancelFine cancels an unpaid fine on day; ErrNotFound for an unknown
// notice, ErrNoticePaid for a paid one. Cancelling again changes nothing.
func (s *Store) CancelFine(ctx context.Context, notice string, day core.Date) error {
	var paid sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT paid_on FROM fines WHERE notice_number = ?`, notice).Scan(&paid)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ErrNotFound
	case err != nil:
		return err
	case paid.Valid:
		return ErrNoticePaid
	}
	_, err = s.db.ExecContext(ctx, `UPDATE fines SET cancelled_on = coalesce(cancelled_on, ?)
		WHERE notice_number = ? AND paid_on IS NULL`, day.String(), notice)
	return err
}

// Notices.

// lookupNotice says what paying the notice costs at now, or why it cannot
// be paid; a pending checkout other than except holds it as ongoing.
func (s *Store) lookupNotice(ctx context.Context, q queryer, ref core.NoticeRef, now time.Time) (core.NoticeVerification, error) {
	v := core.NoticeVerification{NoticeRef: ref}
	today := core.DateOf(now)
	creditor, name, err := s.creditor(ctx, q)
	if err != nil {
		return v, err
	}
	if ref.CreditorFiscalCode != creditor {
		return v, ErrNoticeUnknown
	}
	v.CreditorName = name
	var paid int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM payments WHERE creditor_fiscal_code = ? AND notice_number = ?`,
		ref.CreditorFiscalCode, ref.NoticeNumber).Scan(&paid); err != nil {
		return v, err
	}
	found := false
	// A fine?
	var f core.Fine
	var committed int64
	var notified string
	var paidOn, cancelled sql.NullString
	err = q.QueryRowContext(ctx, `SELECT plate, committed_at, notified_on, article, description, reduced_cents,
		minimum_cents, late_cents, paid_on, cancelled_on FROM fines WHERE notice_number = ?`, ref.NoticeNumber).
		Scan(&f.Plate, &committed, &notified, &f.Article, &f.Description, &f.ReducedCents, &f.MinimumCents, &f.LateCents,
			&paidOn, &cancelled)
	switch {
	case err == nil:
		found = true
		f.CommittedAt = fromSeconds(committed)
		if f.NotifiedOn, err = parseDate(notified); err != nil {
			return v, fmt.Errorf("fine %s: %w", ref.NoticeNumber, err)
		}
		v.Kind = core.NoticeFine
		v.Description = fmt.Sprintf("Sanzione al Codice della Strada, %s: verbale del %s, targa %s",
			f.Article, core.DateOf(f.CommittedAt).Format("02/01/2006"), f.Plate)
		v.AmountCents, _ = f.AmountDue(today)
		switch {
		case paidOn.Valid || paid > 0:
			return v, ErrNoticePaid
		case cancelled.Valid:
			return v, ErrNoticeCancelled
		case fineExpired(f, today):
			return v, ErrNoticeExpired
		}
	case !errors.Is(err, sql.ErrNoRows):
		return v, err
	}
	if !found { // a TARI instalment?
		var year, number, count int
		var due, street, num string
		var tariPaid sql.NullString
		err = q.QueryRowContext(ctx, `SELECT p.year, i.number, (SELECT count(*) FROM tari_instalments o WHERE o.position_id = p.id),
			i.due_date, i.amount_cents, i.paid_on, p.street, p.number
			FROM tari_instalments i JOIN tari_positions p ON p.id = i.position_id WHERE i.notice_number = ?`,
			ref.NoticeNumber).Scan(&year, &number, &count, &due, &v.AmountCents, &tariPaid, &street, &num)
		switch {
		case err == nil:
			found = true
			d, err := parseDate(due)
			if err != nil {
				return v, fmt.Errorf("TARI notice %s: %w", ref.NoticeNumber, err)
			}
			v.Kind, v.DueDate = core.NoticeTARI, &d
			v.Description = fmt.Sprintf("TARI %d, rata %d di %d: %s %s", year, number, count, street, num)
			switch {
			case tariPaid.Valid || paid > 0:
				return v, ErrNoticePaid
			case !d.AddDate(Limitation, 0, 0).After(today.Time):
				return v, ErrNoticeExpired
			}
		case !errors.Is(err, sql.ErrNoRows):
			return v, err
		}
	}
	switch {
	case !found && paid > 0:
		return v, ErrNoticePaid
	case !found:
		return v, ErrNoticeUnknown
	}
	var held int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM checkout_notices n JOIN checkouts c ON c.id = n.checkout_id
		WHERE n.creditor_fiscal_code = ? AND n.notice_number = ? AND c.status = 'pending' AND c.expires_at > ?`,
		ref.CreditorFiscalCode, ref.NoticeNumber, now.Unix()).Scan(&held); err != nil {
		return v, err
	}
	if held > 0 {
		return v, ErrNoticeOngoing
	}
	return v, nil
}

// VerifyNotice says what paying the notice costs at now: one of the
// ErrNotice* errors when it cannot be paid.
func (s *Store) VerifyNotice(ctx context.Context, ref core.NoticeRef, now time.Time) (core.NoticeVerification, error) {
	return s.lookupNotice(ctx, s.db, ref, now)
}

// Checkouts.

// NewCheckout is a checkout to create.
type NewCheckout struct {
	ID          string
	Caller      string // the signed-in citizen
	Key         string // the Idempotency-Key
	RequestHash []byte
	Response    []byte // the answer to record with the key
	CSRF        string
	Return      core.ReturnURLs
	Notices     []core.NoticeRef
	Now         time.Time
}

// CreateCheckout verifies every notice and records the checkout holding
// them until Now+core.CheckoutTTL, in one transaction. A key used before by
// the caller for the same request gives the earlier answer (replayed true),
// for another ErrIdempotencyConflict; a notice that cannot be paid is a
// *NoticeError.
func (s *Store) CreateCheckout(ctx context.Context, c NewCheckout) (earlier []byte, replayed bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: one checkout at a time, so no notice is held twice
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	var hash, response []byte
	err = tx.QueryRowContext(ctx, `SELECT request_hash, response FROM checkouts WHERE fiscal_code = ? AND idempotency_key = ?`,
		c.Caller, c.Key).Scan(&hash, &response)
	switch {
	case err == nil && !bytes.Equal(hash, c.RequestHash):
		return nil, true, ErrIdempotencyConflict
	case err == nil:
		return response, true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return nil, false, err
	}
	items := make([]core.NoticeVerification, len(c.Notices))
	for i, ref := range c.Notices {
		v, err := s.lookupNotice(ctx, tx, ref, c.Now)
		if err != nil {
			if errors.Is(err, ErrNoticeUnknown) || errors.Is(err, ErrNoticePaid) || errors.Is(err, ErrNoticeOngoing) ||
				errors.Is(err, ErrNoticeExpired) || errors.Is(err, ErrNoticeCancelled) {
				return nil, false, &NoticeError{Index: i, Err: err}
			}
			return nil, false, err
		}
		items[i] = v
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO checkouts (id, fiscal_code, idempotency_key, request_hash, response,
		csrf_token, return_ok, return_cancel, return_error, status, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`, c.ID, c.Caller, c.Key, c.RequestHash, c.Response, c.CSRF,
		c.Return.OK, c.Return.Cancel, c.Return.Error, c.Now.Unix(), c.Now.Add(core.CheckoutTTL).Unix()); err != nil {
		return nil, false, err
	}
	for i, v := range items {
		if _, err := tx.ExecContext(ctx, `INSERT INTO checkout_notices (checkout_id, position, notice_number,
			creditor_fiscal_code, description, amount_cents) VALUES (?, ?, ?, ?, ?, ?)`,
			c.ID, i, v.NoticeNumber, v.CreditorFiscalCode, v.Description, v.AmountCents); err != nil {
			return nil, false, err
		}
	}
	return nil, false, tx.Commit()
}

// CheckoutRecord is a checkout with what only the server sees.
type CheckoutRecord struct {
	core.Checkout
	Caller string
	CSRF   string
	Return core.ReturnURLs
}

// Checkout reads a checkout as of now (a pending one past its expiry is
// expired); ErrNotFound for an unknown id.
func (s *Store) Checkout(ctx context.Context, id string, now time.Time) (CheckoutRecord, error) {
	return readCheckout(ctx, s.db, id, now)
}

func readCheckout(ctx context.Context, q queryer, id string, now time.Time) (CheckoutRecord, error) {
	var c CheckoutRecord
	var created, expires int64
	err := q.QueryRowContext(ctx, `SELECT id, fiscal_code, csrf_token, return_ok, return_cancel, return_error, status,
		created_at, expires_at FROM checkouts WHERE id = ?`, id).Scan(&c.ID, &c.Caller, &c.CSRF, &c.Return.OK,
		&c.Return.Cancel, &c.Return.Error, &c.Status, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, err
	}
	c.CreatedAt, c.ExpiresAt = fromSeconds(created), fromSeconds(expires)
	if c.Status == core.CheckoutPending && !now.Before(c.ExpiresAt) {
		c.Status = core.CheckoutExpired
	}
	rows, err := q.QueryContext(ctx, `SELECT notice_number, creditor_fiscal_code, description, amount_cents
		FROM checkout_notices WHERE checkout_id = ? ORDER BY position`, id)
	if err != nil {
		return c, err
	}
	c.Notices = []core.CheckoutItem{}
	for rows.Next() {
		var it core.CheckoutItem
		if err = rows.Scan(&it.NoticeNumber, &it.CreditorFiscalCode, &it.Description, &it.AmountCents); err != nil {
			break
		}
		c.TotalCents += it.AmountCents
		c.Notices = append(c.Notices, it)
	}
	if err = errors.Join(err, rows.Err(), rows.Close()); err != nil {
		return c, err
	}
	rows, err = q.QueryContext(ctx, `SELECT id, notice_number, creditor_fiscal_code, description, amount_cents,
		paid_at, receipt FROM payments WHERE checkout_id = ? ORDER BY notice_number`, id)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	c.Payments = []core.Payment{}
	for rows.Next() {
		var p core.Payment
		var paid int64
		if err := rows.Scan(&p.ID, &p.NoticeNumber, &p.CreditorFiscalCode, &p.Description, &p.AmountCents, &paid, &p.Receipt); err != nil {
			return c, err
		}
		p.PaidAt = fromSeconds(paid)
		c.Payments = append(c.Payments, p)
	}
	return c, rows.Err()
}

// PayCheckout pays every notice of a pending checkout in one transaction:
// a payment row each (the payer is the checkout's creator), the fines and
// TARI instalments marked paid, the checkout paid. A checkout no longer
// pending is returned as it is, unchanged: paying again pays nothing.
func (s *Store) PayCheckout(ctx context.Context, id string, now time.Time) (CheckoutRecord, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return CheckoutRecord{}, err
	}
	defer tx.Rollback()
	c, err := readCheckout(ctx, tx, id, now)
	if err != nil || c.Status != core.CheckoutPending {
		return c, err
	}
	today := core.DateOf(now).String()
	for _, it := range c.Notices {
		pid := "PAY-" + randomHex(6)
		iur := now.UTC().Format("20060102") + strings.ToUpper(randomHex(5))
		if _, err := tx.ExecContext(ctx, `INSERT INTO payments (id, fiscal_code, notice_number, creditor_fiscal_code,
			description, amount_cents, paid_at, receipt, checkout_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			pid, c.Caller, it.NoticeNumber, it.CreditorFiscalCode, it.Description, it.AmountCents, now.Unix(), iur, id); err != nil {
			return c, fmt.Errorf("pay notice %s: %w", it.NoticeNumber, err) // the unique index: never twice
		}
		if _, err := tx.ExecContext(ctx, `UPDATE fines SET paid_on = ? WHERE notice_number = ? AND paid_on IS NULL`,
			today, it.NoticeNumber); err != nil {
			return c, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tari_instalments SET paid_on = ? WHERE notice_number = ? AND paid_on IS NULL`,
			today, it.NoticeNumber); err != nil {
			return c, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE checkouts SET status = 'paid', closed_at = ? WHERE id = ?`, now.Unix(), id); err != nil {
		return c, err
	}
	if c, err = readCheckout(ctx, tx, id, now); err != nil {
		return c, err
	}
	return c, tx.Commit()
}

// CloseCheckout ends a pending checkout with status (cancelled or
// declined), which releases its notices. A checkout no longer pending is
// returned unchanged.
func (s *Store) CloseCheckout(ctx context.Context, id string, status core.CheckoutStatus, now time.Time) (CheckoutRecord, error) {
	if status != core.CheckoutCancelled && status != core.CheckoutDeclined {
		return CheckoutRecord{}, fmt.Errorf("close a checkout as %q", status)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return CheckoutRecord{}, err
	}
	defer tx.Rollback()
	c, err := readCheckout(ctx, tx, id, now)
	if err != nil || c.Status != core.CheckoutPending {
		return c, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE checkouts SET status = ?, closed_at = ? WHERE id = ?`, string(status), now.Unix(), id); err != nil {
		return c, err
	}
	c.Status = status
	return c, tx.Commit()
}

// Payment is one payment and its payer's fiscal code; ErrNotFound for an
// unknown id.
func (s *Store) Payment(ctx context.Context, id string) (payer string, p core.Payment, err error) {
	var paid int64
	err = s.read.QueryRowContext(ctx, `SELECT fiscal_code, id, notice_number, creditor_fiscal_code, description,
		amount_cents, paid_at, receipt FROM payments WHERE id = ?`, id).Scan(&payer, &p.ID, &p.NoticeNumber,
		&p.CreditorFiscalCode, &p.Description, &p.AmountCents, &paid, &p.Receipt)
	if errors.Is(err, sql.ErrNoRows) {
		return "", p, ErrNotFound
	}
	p.PaidAt = fromSeconds(paid)
	return payer, p, err
}

// NoticePayments counts the payment rows of each notice paid through a
// checkout: for tests and operators, every one must be 1.
func (s *Store) NoticePayments(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT creditor_fiscal_code || '-' || notice_number, count(*) FROM payments
		WHERE checkout_id IS NOT NULL GROUP BY creditor_fiscal_code, notice_number`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

// PaperNotice is what the paper pagoPA notice of a fine or a TARI
// instalment prints: what it costs at the printing day, and its debtor
// (the vehicle's owner, the TARI holder; empty when unknown).
type PaperNotice struct {
	core.NoticeVerification
	DebtorFiscalCode string
	DebtorName       string
}

// PaperNotice gives the paper notice of an unpaid notice of the
// municipality; one of the ErrNotice* errors when it cannot be paid (a
// checkout under way does not prevent printing).
func (s *Store) PaperNotice(ctx context.Context, notice string, now time.Time) (PaperNotice, error) {
	creditor, _, err := s.creditor(ctx, s.db)
	if err != nil {
		return PaperNotice{}, err
	}
	v, err := s.lookupNotice(ctx, s.db, core.NoticeRef{NoticeNumber: notice, CreditorFiscalCode: creditor}, now)
	if err != nil && !errors.Is(err, ErrNoticeOngoing) {
		return PaperNotice{}, err
	}
	p := PaperNotice{NoticeVerification: v}
	err = s.db.QueryRowContext(ctx, `SELECT c.fiscal_code, c.name || ' ' || c.surname FROM fines f
		JOIN vehicles v ON v.plate = f.plate JOIN citizens c ON c.fiscal_code = v.owner_fiscal_code WHERE f.notice_number = ?
		UNION ALL SELECT c.fiscal_code, c.name || ' ' || c.surname FROM tari_instalments i
		JOIN tari_positions t ON t.id = i.position_id JOIN citizens c ON c.fiscal_code = t.holder_fiscal_code WHERE i.notice_number = ?
		LIMIT 1`, notice, notice).Scan(&p.DebtorFiscalCode, &p.DebtorName)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	return p, err
}
