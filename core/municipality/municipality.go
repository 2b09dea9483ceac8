// Package municipality is the home screen's feature: the municipality's public
// description (names, codes, contacts, services, offices) and its logo, shown
// at once from the device cache and refreshed from the server with
// conditional requests.
package municipality

import (
	"context"
	"encoding/json"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/core/store"
)

// Info is what the home screen shows.
type Info struct {
	Municipality core.Municipality
	Logo         []byte // nil when the server has none or it could not be fetched
	LogoType     string // media type of Logo
	FetchedAt    time.Time
	// Stale is the reason the server could not confirm this copy (unreachable,
	// timeout, ...); nil when it is current.
	Stale error
}

// Cached returns the copy kept on the device for site (see
// connection.Current.Site) in language, and false when there is none.
func Cached(ctx context.Context, st *store.Store, site, language string) (Info, bool, error) {
	c, ok, err := st.CacheGet(ctx, cacheKey(site, language))
	if err != nil || !ok {
		return Info{}, false, err
	}
	var info Info
	if err := json.Unmarshal(c.Data, &info.Municipality); err != nil {
		return Info{}, false, nil // an unreadable copy is as good as none
	}
	info.FetchedAt = c.FetchedAt
	if logo, ok, err := st.CacheGet(ctx, logoKey(site)); err == nil && ok {
		info.Logo, info.LogoType = logo.Data, logo.MediaType
	}
	return info, true, nil
}

// Refresh asks the server for the municipality, sending the cached copy's
// ETag, and updates the cache. When the server cannot be reached and a cached
// copy exists, it returns that copy with Stale set and no error; with no copy
// it returns the error.
func Refresh(ctx context.Context, c *api.Client, st *store.Store, site, language string, now time.Time) (Info, error) {
	key := cacheKey(site, language)
	cached, haveCache, err := Cached(ctx, st, site, language)
	if err != nil {
		return Info{}, err
	}
	etag := ""
	if haveCache {
		if e, ok, _ := st.CacheGet(ctx, key); ok {
			etag = e.ETag
		}
	}
	m, newETag, notModified, err := c.Municipality(ctx, etag)
	if err != nil {
		if haveCache {
			cached.Stale = err
			return cached, nil
		}
		return Info{}, err
	}
	if notModified {
		if err := st.CacheTouch(ctx, key, now); err != nil {
			return Info{}, err
		}
		cached.FetchedAt = now
		if cached.Logo == nil {
			cached.Logo, cached.LogoType = refreshLogo(ctx, c, st, site, cached.Municipality.LogoURL, now)
		}
		return cached, nil
	}
	data, err := json.Marshal(m)
	if err != nil {
		return Info{}, err
	}
	if err := st.CachePut(ctx, key, store.Cached{Data: data, ETag: newETag, MediaType: "application/json", FetchedAt: now}); err != nil {
		return Info{}, err
	}
	info := Info{Municipality: m, FetchedAt: now}
	info.Logo, info.LogoType = refreshLogo(ctx, c, st, site, m.LogoURL, now)
	return info, nil
}

// refreshLogo fetches the logo and caches it. A logo that cannot be fetched
// is not worth an error on the home screen: it falls back to the cached one,
// then to none.
func refreshLogo(ctx context.Context, c *api.Client, st *store.Store, site, path string, now time.Time) ([]byte, string) {
	key := logoKey(site)
	data, typ, err := c.Logo(ctx, path)
	if err == nil && len(data) > 0 {
		_ = st.CachePut(ctx, key, store.Cached{Data: data, MediaType: typ, FetchedAt: now})
		return data, typ
	}
	if old, ok, _ := st.CacheGet(ctx, key); ok {
		return old.Data, old.MediaType
	}
	return nil, ""
}

func cacheKey(site, language string) string { return "municipality|" + site + "|" + language }
func logoKey(site string) string            { return "municipality-logo|" + site }
