// Package dossier is the Fascicolo del Cittadino: what the municipality knows
// about the signed-in citizen, kept on the device encrypted (core/vault) so it
// shows at once and offline, and refreshed with conditional requests.
package dossier

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/core/signin"
	"github.com/sportello/sportello/core/store"
	"github.com/sportello/sportello/core/vault"
)

// Identity is the citizen's registry identity as last known.
type Identity struct {
	Citizen   core.Citizen
	FetchedAt time.Time
	// Stale is why the server could not confirm this copy; nil when current.
	Stale error
}

func identityKey(site string) string { return "me|" + site }

// CachedIdentity returns the device's copy for site, and false when there is
// none (or it cannot be decrypted: a copy sealed with a destroyed key is as
// good as none).
func CachedIdentity(ctx context.Context, st *store.Store, v *vault.Vault, site string) (Identity, bool, error) {
	key := identityKey(site)
	sealed, _, fetched, ok, err := st.PersonalGet(ctx, key)
	if err != nil || !ok {
		return Identity{}, false, err
	}
	plain, err := v.Open(sealed, []byte(key))
	if err != nil {
		return Identity{}, false, nil
	}
	var id Identity
	if err := json.Unmarshal(plain, &id.Citizen); err != nil {
		return Identity{}, false, nil
	}
	id.FetchedAt = fetched
	return id, true, nil
}

// RefreshIdentity asks the server, sending the cached copy's ETag, and
// updates the encrypted cache. A server that cannot be reached is not an
// error when a copy exists: the copy comes back with Stale set. An ended
// session is always an error (signin.ErrSessionEnded).
func RefreshIdentity(ctx context.Context, c *api.Client, auth api.Authorizer, st *store.Store, v *vault.Vault, site string, now time.Time) (Identity, error) {
	key := identityKey(site)
	cached, have, err := CachedIdentity(ctx, st, v, site)
	if err != nil {
		return Identity{}, err
	}
	etag := ""
	if have {
		_, etag, _, _, _ = st.PersonalGet(ctx, key)
	}
	me, newETag, notModified, err := c.Me(ctx, auth, etag)
	switch {
	case err != nil && have && !errors.Is(err, signin.ErrSessionEnded) && !errors.Is(err, signin.ErrNotSignedIn) && !isAuthProblem(err):
		cached.Stale = err
		return cached, nil
	case err != nil:
		return Identity{}, err
	case notModified:
		me = cached.Citizen
		newETag = etag
	}
	plain, err := json.Marshal(me)
	if err != nil {
		return Identity{}, err
	}
	sealed, err := v.Seal(plain, []byte(key))
	if err != nil {
		return Identity{}, err
	}
	if err := st.PersonalPut(ctx, key, sealed, newETag, now); err != nil {
		return Identity{}, err
	}
	return Identity{Citizen: me, FetchedAt: now}, nil
}

// isAuthProblem reports a 401 or 403 from the server: the session is not
// valid there, which a cached copy must not hide.
func isAuthProblem(err error) bool {
	var p *core.Problem
	return errors.As(err, &p) && (p.Status == 401 || p.Status == 403)
}
