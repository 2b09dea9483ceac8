package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sportello/sportello/server/store"
)

func TestCitizen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, ds := seeded(t)
	want := ds.Citizens[5]
	c, err := st.Citizen(ctx, want.FiscalCode)
	if err != nil {
		t.Fatal(err)
	}
	if c.FiscalCode != want.FiscalCode || c.Surname != want.Surname || c.BirthDate != want.BirthDate ||
		c.BirthPlace != want.BirthPlace || c.Email != want.Email || c.FamilyID != want.FamilyID {
		t.Errorf("Citizen = %+v, want %+v", c, want)
	}
	if _, err := st.Citizen(ctx, "RSSMRA80A01H501U"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown citizen: %v, want ErrNotFound", err)
	}
}

// signedInRequest stores an auth request and signs citizen cf in for it.
func signedInRequest(t *testing.T, st *store.Store, id, cf string, now time.Time) {
	t.Helper()
	ctx := context.Background()
	err := st.CreateAuthRequest(ctx, store.AuthRequest{ID: id, ClientID: "sportello-app", RedirectURI: "http://127.0.0.1/callback",
		Scopes: []string{"openid", "offline_access"}, ResponseType: "code", CodeChallenge: "c", CodeChallengeMethod: "S256",
		CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CompleteAuthRequest(ctx, id, cf, now, "acr", []string{"pwd"}, now); err != nil {
		t.Fatal(err)
	}
}

func TestAuthRequestLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, ds := seeded(t)
	cf := ds.Citizens[0].FiscalCode
	now := testNow

	err := st.CreateAuthRequest(ctx, store.AuthRequest{ID: "r1", ClientID: "sportello-app", RedirectURI: "http://127.0.0.1/callback",
		Scopes: []string{"openid"}, ResponseType: "code", State: "s", Nonce: "n", CodeChallenge: "c", CodeChallengeMethod: "S256",
		CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	// Only S256 can be stored.
	if err := st.CreateAuthRequest(ctx, store.AuthRequest{ID: "r2", CodeChallengeMethod: "plain", CreatedAt: now, ExpiresAt: now}); err == nil {
		t.Error("a plain PKCE request was stored")
	}
	// A code only once signed in; signing in only while pending and in time.
	if err := st.SaveAuthCode(ctx, "r1", "h1", now.Add(time.Minute), now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("code before sign-in: %v", err)
	}
	if err := st.CompleteAuthRequest(ctx, "r1", cf, now, "", nil, now.Add(15*time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("sign-in after expiry: %v", err)
	}
	if err := st.CompleteAuthRequest(ctx, "r1", cf, now, "", nil, now); err != nil {
		t.Fatal(err)
	}
	if err := st.CompleteAuthRequest(ctx, "r1", ds.Citizens[1].FiscalCode, now, "", nil, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second sign-in: %v", err)
	}
	if err := st.SaveAuthCode(ctx, "r1", "h1", now.Add(time.Minute), now); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveAuthCode(ctx, "r1", "h2", now.Add(time.Minute), now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second code: %v", err)
	}
	r, err := st.AuthRequest(ctx, "r1")
	if err != nil || r.FiscalCode != cf || !r.CodeIssued || r.CodeRedeemed || r.State != "s" || len(r.Scopes) != 1 {
		t.Fatalf("AuthRequest = %+v, %v", r, err)
	}

	// Redeemed once; expired codes are unknown.
	if _, err := st.RedeemAuthCode(ctx, "h1", now.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired code: %v", err)
	}
	r, err = st.RedeemAuthCode(ctx, "h1", now)
	if err != nil || r.ID != "r1" || !r.CodeRedeemed {
		t.Fatalf("redeem: %+v, %v", r, err)
	}
	sess := store.Session{ID: "s1", FiscalCode: cf, ClientID: "sportello-app", Scopes: r.Scopes, AuthTime: now, StartedAt: now, LastUsedAt: now}
	if err := st.CreateSession(ctx, sess, "r1", store.AccessToken{ID: "a1", SessionID: "s1", ExpiresAt: now.Add(time.Minute)}, "rt1"); err != nil {
		t.Fatal(err)
	}
	// A replay revokes the session the code opened.
	if _, err := st.RedeemAuthCode(ctx, "h1", now); !errors.Is(err, store.ErrCodeReused) {
		t.Errorf("replayed code: %v, want ErrCodeReused", err)
	}
	got, err := st.Session(ctx, "s1")
	if err != nil || !got.Revoked() || got.RevokedReason != store.RevokedCodeReused {
		t.Errorf("session after the replay: %+v, %v", got, err)
	}
	if _, err := st.RedeemAuthCode(ctx, "unknown", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown code: %v", err)
	}
}

func TestRefreshTokenRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, ds := seeded(t)
	cf := ds.Citizens[0].FiscalCode
	now := testNow
	signedInRequest(t, st, "r1", cf, now)
	sess := store.Session{ID: "s1", FiscalCode: cf, ClientID: "sportello-app", Scopes: []string{"openid"}, AuthTime: now,
		ACR: "acr", AMR: []string{"pwd"}, StartedAt: now, LastUsedAt: now}
	if err := st.CreateSession(ctx, sess, "r1", store.AccessToken{ID: "a1", SessionID: "s1", ExpiresAt: now.Add(time.Minute)}, "rt1"); err != nil {
		t.Fatal(err)
	}
	rt, got, err := st.RefreshToken(ctx, "rt1")
	if err != nil || rt.SessionID != "s1" || !rt.UsedAt.IsZero() || got.ACR != "acr" || got.AMR[0] != "pwd" || !got.StartedAt.Equal(now) {
		t.Fatalf("RefreshToken = %+v %+v, %v", rt, got, err)
	}
	if at, err := st.AccessToken(ctx, "a1"); err != nil || at.SessionID != "s1" {
		t.Errorf("AccessToken = %+v, %v", at, err)
	}

	// valid can refuse: nothing changes.
	refuse := errors.New("no")
	later := now.Add(time.Hour)
	if _, err := st.RotateRefreshToken(ctx, "rt1", "rt2", store.AccessToken{ID: "a2", ExpiresAt: later}, later,
		func(store.Session) error { return refuse }); !errors.Is(err, refuse) {
		t.Fatalf("refused rotation: %v", err)
	}
	if rt, _, _ := st.RefreshToken(ctx, "rt1"); !rt.UsedAt.IsZero() {
		t.Error("a refused rotation spent the token")
	}

	ok := func(store.Session) error { return nil }
	got, err = st.RotateRefreshToken(ctx, "rt1", "rt2", store.AccessToken{ID: "a2", ExpiresAt: later}, later, ok)
	if err != nil || !got.LastUsedAt.Equal(later) {
		t.Fatalf("rotate: %+v, %v", got, err)
	}
	if at, err := st.AccessToken(ctx, "a2"); err != nil || at.SessionID != "s1" {
		t.Errorf("the new access token: %+v, %v", at, err)
	}
	if _, err := st.RotateRefreshToken(ctx, "nope", "rt9", store.AccessToken{ID: "a9"}, later, ok); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown token: %v", err)
	}
	// The spent token again: the family ends.
	if _, err := st.RotateRefreshToken(ctx, "rt1", "rt3", store.AccessToken{ID: "a3"}, later, ok); !errors.Is(err, store.ErrRefreshTokenReused) {
		t.Fatalf("reuse: %v, want ErrRefreshTokenReused", err)
	}
	if s, _ := st.Session(ctx, "s1"); s.RevokedReason != store.RevokedRefreshReused || !s.RevokedAt.Equal(later) {
		t.Errorf("session after reuse: %+v", s)
	}

	// Purge: the ended session's refresh tokens and old records go; the session stays.
	if err := st.PurgeAuth(ctx, later.Add(time.Hour), later.Add(time.Hour), now, now); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"rt1", "rt2"} {
		if _, _, err := st.RefreshToken(ctx, h); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("refresh token %s after purge: %v", h, err)
		}
	}
	if _, err := st.AuthRequest(ctx, "r1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("auth request after purge: %v", err)
	}
	if _, err := st.AccessToken(ctx, "a2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("access token after purge: %v", err)
	}
	if _, err := st.Session(ctx, "s1"); err != nil {
		t.Errorf("session after purge: %v", err)
	}
}

func TestRevokeCitizenSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, ds := seeded(t)
	a, b := ds.Citizens[0].FiscalCode, ds.Citizens[1].FiscalCode
	now := testNow
	for i, cf := range []string{a, a, b} {
		id := string(rune('x' + i))
		sess := store.Session{ID: id, FiscalCode: cf, ClientID: "sportello-app", AuthTime: now, StartedAt: now, LastUsedAt: now}
		if err := st.CreateSession(ctx, sess, "", store.AccessToken{ID: "at" + id, SessionID: id, ExpiresAt: now}, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.RevokeCitizenSessions(ctx, a, "sportello-app", store.RevokedSignOut, now); err != nil {
		t.Fatal(err)
	}
	for id, revoked := range map[string]bool{"x": true, "y": true, "z": false} {
		if s, _ := st.Session(ctx, id); s.Revoked() != revoked {
			t.Errorf("session %s revoked %v, want %v", id, s.Revoked(), revoked)
		}
	}
	// Revoking again keeps the first reason.
	if err := st.RevokeSession(ctx, "x", "other", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if s, _ := st.Session(ctx, "x"); s.RevokedReason != store.RevokedSignOut || !s.RevokedAt.Equal(now) {
		t.Errorf("session x %+v", s)
	}
}
