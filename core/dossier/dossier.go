// Package dossier is the Fascicolo del Cittadino on the device: what the
// municipality knows about the signed-in citizen (or a minor child they act
// for), kept encrypted (core/vault) so it shows at once and offline, refreshed
// with conditional requests, with the deadlines worth a prompt.
package dossier

import (
	"context"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/core/signin"
	"github.com/sportello/sportello/core/store"
	"github.com/sportello/sportello/core/vault"
)

// Snapshot is a dossier as the device knows it.
type Snapshot struct {
	Dossier   core.Dossier
	FetchedAt time.Time
	// Stale is why the server could not confirm this copy; nil when current.
	Stale error
	// NewMessages are the unread messages this refresh brought that the
	// previous copy did not have: what deserves a notification.
	NewMessages []core.Message
}

// Source is where a dossier comes from and is kept: the API, the device
// store and the vault that seals it, for one municipality (site).
type Source struct {
	Client *api.Client
	Auth   api.Authorizer
	Store  *store.Store
	Vault  *vault.Vault
	Site   string
}

// key names the cached dossier of subject ("" for the signed-in citizen,
// else the fiscal code of the minor they act for). It is also the associated
// data of the seal, so rows cannot be swapped.
func (s Source) key(actingFor string) string {
	if actingFor == "" {
		actingFor = "self"
	}
	return "dossier|" + s.Site + "|" + actingFor
}

// Cached returns the device's copy, and false when there is none or it
// cannot be opened (sealed with a key destroyed at sign-out).
func (s Source) Cached(ctx context.Context, actingFor string) (Snapshot, bool, error) {
	var snap Snapshot
	_, fetched, ok, err := s.Store.GetSealed(ctx, s.Vault, s.key(actingFor), &snap.Dossier)
	if err != nil || !ok {
		return Snapshot{}, false, err
	}
	snap.FetchedAt = fetched
	return snap, true, nil
}

// Refresh asks the server with the cached copy's ETag and keeps the answer,
// sealed. A server that cannot be reached is no error when a copy exists: it
// comes back with Stale set. An ended or refused session always is.
func (s Source) Refresh(ctx context.Context, actingFor string, now time.Time) (Snapshot, error) {
	key := s.key(actingFor)
	cached, have, err := s.Cached(ctx, actingFor)
	if err != nil {
		return Snapshot{}, err
	}
	etag := ""
	if have {
		_, etag, _, _, _ = s.Store.PersonalGet(ctx, key)
	}
	d, newETag, notModified, err := s.Client.Dossier(ctx, s.Auth, actingFor, etag)
	switch {
	case err != nil && have && !signin.SessionProblem(err):
		cached.Stale = err
		return cached, nil
	case err != nil:
		return Snapshot{}, err
	case notModified:
		d, newETag = cached.Dossier, etag
	}
	if err := s.Store.PutSealed(ctx, s.Vault, key, d, newETag, now); err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{Dossier: d, FetchedAt: now}
	if have {
		snap.NewMessages = newUnread(cached.Dossier.Messages, d.Messages)
	}
	return snap, nil
}

// MarkRead marks a message read at the server and in the device's copy.
func (s Source) MarkRead(ctx context.Context, actingFor, id string) error {
	if err := s.Client.MarkMessageRead(ctx, s.Auth, actingFor, id); err != nil {
		return err
	}
	key := s.key(actingFor)
	snap, ok, err := s.Cached(ctx, actingFor)
	if err != nil || !ok {
		return err
	}
	for i := range snap.Dossier.Messages {
		if snap.Dossier.Messages[i].ID == id {
			snap.Dossier.Messages[i].Read = true
		}
	}
	// The server's version changed: drop the ETag so the next refresh fetches it.
	return s.Store.PutSealed(ctx, s.Vault, key, snap.Dossier, "", snap.FetchedAt)
}

// newUnread lists the unread messages of next that before did not have.
func newUnread(before, next []core.Message) []core.Message {
	seen := make(map[string]bool, len(before))
	for _, m := range before {
		seen[m.ID] = true
	}
	var out []core.Message
	for _, m := range next {
		if !m.Read && !seen[m.ID] {
			out = append(out, m)
		}
	}
	return out
}

// Unread counts the unread messages.
func Unread(d core.Dossier) int {
	n := 0
	for _, m := range d.Messages {
		if !m.Read {
			n++
		}
	}
	return n
}
