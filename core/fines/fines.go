// Package fines is the citizen's traffic fines by registered plate
// (Milan's model, docs/payments.md): the plates they register (their own
// vehicles, or vehicles they use with a self-declaration that lapses), and
// the fines of those plates with the amount due today, kept on the device
// sealed with the vault like the dossier, with the new fines a sync brought
// for a notification.
package fines

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/core/plate"
	"github.com/sportello/sportello/core/signin"
	"github.com/sportello/sportello/core/store"
	"github.com/sportello/sportello/core/vault"
)

var (
	// ErrDeclarationRequired: a vehicle used but not owned needs the
	// citizen's self-declaration.
	ErrDeclarationRequired = errors.New("fines: a vehicle you do not own needs your self-declaration")
	// ErrPlateLimit: core.MaxPlates plates are registered already.
	ErrPlateLimit = errors.New("fines: at most 5 plates")
)

// Snapshot is what the device knows of the citizen's plates and fines.
type Snapshot struct {
	Plates    []core.RegisteredPlate `json:"plates"`
	List      core.FineList          `json:"list"`
	FetchedAt time.Time              `json:"-"`
	// Stale is why the server could not confirm this copy; nil when current.
	Stale error `json:"-"`
	// NewFines are the payable fines this refresh brought that the
	// previous copy did not have: what deserves a notification.
	NewFines []core.FineNotice `json:"-"`
}

// Source is where fines come from and are kept, for one municipality.
type Source struct {
	Client *api.Client
	Auth   api.Authorizer
	Store  *store.Store
	Vault  *vault.Vault
	Site   string
}

func (s Source) key() string { return "fines|" + s.Site }

// Cached returns the device's copy, and false when there is none or it
// cannot be opened.
func (s Source) Cached(ctx context.Context) (Snapshot, bool, error) {
	var snap Snapshot
	_, fetched, ok, err := s.Store.GetSealed(ctx, s.Vault, s.key(), &snap)
	if err != nil || !ok {
		return Snapshot{}, false, err
	}
	snap.FetchedAt = fetched
	return snap, true, nil
}

// Refresh asks the server for the plates and the fines and keeps them,
// sealed. A server that cannot be reached is no error when a copy exists:
// it comes back with Stale set. An ended or refused session always is.
func (s Source) Refresh(ctx context.Context, now time.Time) (Snapshot, error) {
	cached, have, err := s.Cached(ctx)
	if err != nil {
		return Snapshot{}, err
	}
	plates, err := s.Client.Plates(ctx, s.Auth)
	var list core.FineList
	if err == nil {
		list, err = s.Client.Fines(ctx, s.Auth)
	}
	switch {
	case err != nil && have && !signin.SessionProblem(err):
		cached.Stale = err
		return cached, nil
	case err != nil:
		return Snapshot{}, err
	}
	snap := Snapshot{Plates: plates, List: list, FetchedAt: now}
	if err := s.put(ctx, snap, now); err != nil {
		return Snapshot{}, err
	}
	if have {
		snap.NewFines = newFines(cached.List.Fines, list.Fines)
	}
	return snap, nil
}

func (s Source) put(ctx context.Context, snap Snapshot, now time.Time) error {
	return s.Store.PutSealed(ctx, s.Vault, s.key(), snap, "", now)
}

// newFines lists the payable fines of next that before did not have.
func newFines(before, next []core.FineNotice) []core.FineNotice {
	seen := make(map[string]bool, len(before))
	for _, f := range before {
		seen[f.NoticeNumber] = true
	}
	var out []core.FineNotice
	for _, f := range next {
		if Payable(f) && !seen[f.NoticeNumber] {
			out = append(out, f)
		}
	}
	return out
}

// Payable reports a fine that can be paid now.
func Payable(f core.FineNotice) bool {
	return (f.Status == core.FineToPay || f.Status == core.FineOverdue) && f.AmountDueCents > 0
}

// Register registers a plate, typed as the citizen typed it: checked with
// core/plate first (plate.ErrEmpty, ErrFormat, ErrLetters), a vehicle not
// owned needs declared (ErrDeclarationRequired), a sixth plate is
// ErrPlateLimit. Registering a registered plate renews it.
func (s Source) Register(ctx context.Context, typed string, relation core.PlateRelation, declared bool, now time.Time) (core.RegisteredPlate, error) {
	p, _, err := plate.Parse(typed)
	if err != nil {
		return core.RegisteredPlate{}, err
	}
	if relation == core.PlateUser && !declared {
		return core.RegisteredPlate{}, ErrDeclarationRequired
	}
	reg := core.PlateRegistration{Plate: p, Relation: relation, Declaration: relation == core.PlateUser && declared}
	out, err := s.Client.RegisterPlate(ctx, s.Auth, reg)
	if err != nil {
		return out, plateProblem(err)
	}
	_, err = s.Refresh(ctx, now)
	return out, err
}

// Confirm renews the self-declaration of a registered plate.
func (s Source) Confirm(ctx context.Context, p string, now time.Time) (core.RegisteredPlate, error) {
	out, err := s.Client.ConfirmPlate(ctx, s.Auth, plate.Normalize(p))
	if err != nil {
		return out, plateProblem(err)
	}
	_, err = s.Refresh(ctx, now)
	return out, err
}

// Remove removes a registered plate.
func (s Source) Remove(ctx context.Context, p string, now time.Time) error {
	if err := s.Client.RemovePlate(ctx, s.Auth, plate.Normalize(p)); err != nil {
		return err
	}
	_, err := s.Refresh(ctx, now)
	return err
}

// plateProblem turns the server's refusals into the errors the app
// translates as for the checks made here.
func plateProblem(err error) error {
	var p *core.Problem
	if !errors.As(err, &p) {
		return err
	}
	if p.Type == core.ProblemPlateLimit {
		return fmt.Errorf("%w: %w", ErrPlateLimit, err)
	}
	if p.Type == core.ProblemInvalid {
		for _, ip := range p.InvalidParams {
			switch ip.Reason {
			case core.ReasonRequired:
				if ip.Name == "plate" {
					return fmt.Errorf("%w: %w", plate.ErrEmpty, err)
				}
			case core.ReasonPlateFormat:
				return fmt.Errorf("%w: %w", plate.ErrFormat, err)
			case core.ReasonPlateLetters:
				return fmt.Errorf("%w: %w", plate.ErrLetters, err)
			case core.ReasonDeclarationRequired:
				return fmt.Errorf("%w: %w", ErrDeclarationRequired, err)
			}
		}
	}
	return err
}

// ByPlate groups fines by plate, in the order plates first appear.
func ByPlate(list []core.FineNotice) (plates []string, fines map[string][]core.FineNotice) {
	fines = map[string][]core.FineNotice{}
	for _, f := range list {
		if _, ok := fines[f.Plate]; !ok {
			plates = append(plates, f.Plate)
		}
		fines[f.Plate] = append(fines[f.Plate], f)
	}
	return plates, fines
}

// Tier is one of the three amounts of a fine and the last day it applies.
type Tier struct {
	Tier        core.FineTier
	AmountCents int64
	// Until is the last day of the tier (zero for the late amount, which
	// has no end); Current marks the tier that applies today.
	Until   core.Date
	Current bool
}

// Tiers lists a fine's three amounts (art. 202 CdS) with their deadlines:
// 30% off within 5 days of notification, the minimum within 60 days, then
// half the maximum.
func Tiers(f core.Fine, today core.Date) []Tier {
	_, now := f.AmountDue(today)
	day := func(n int) core.Date { return core.DateOf(f.NotifiedOn.AddDate(0, 0, n)) }
	return []Tier{
		{Tier: core.FineReduced, AmountCents: f.ReducedCents, Until: day(5), Current: now == core.FineReduced},
		{Tier: core.FineMinimum, AmountCents: f.MinimumCents, Until: day(60), Current: now == core.FineMinimum},
		{Tier: core.FineLate, AmountCents: f.LateCents, Current: now == core.FineLate},
	}
}
