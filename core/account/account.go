// Package account is the signed-in citizen on this device: signing in and
// out, the access tokens the API needs, the key that encrypts their cached
// data, and the optional unlock code. Signing out leaves nothing of theirs
// behind: tokens, keys, cached rows and downloaded documents all go.
package account

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/core/connection"
	"github.com/sportello/sportello/core/signin"
	"github.com/sportello/sportello/core/unlock"
	"github.com/sportello/sportello/core/vault"
)

// Account ties sign-in to the municipality the app is connected to.
type Account struct {
	conn       *connection.Manager
	secrets    core.SecretStore
	persistent bool
	dataDir    string
	signin     *signin.Service
	lock       *unlock.Lock
}

// New returns the account over the connection and the secret store.
// persistent says whether the secret store survives the app (an OS secret
// store) or is memory only.
func New(conn *connection.Manager, secrets core.SecretStore, persistent bool, dataDir string) *Account {
	return &Account{conn: conn, secrets: secrets, persistent: persistent, dataDir: dataDir,
		signin: signin.New(secrets), lock: unlock.New(secrets)}
}

// Persistent reports whether the session survives closing the app.
func (a *Account) Persistent() bool { return a.persistent }

// Session returns the signed-in session for the current municipality, or
// signin.ErrNotSignedIn.
func (a *Account) Session() (signin.Session, error) {
	return a.signin.Current(a.conn.Current().Site())
}

// Begin starts a sign-in to the current municipality.
func (a *Account) Begin(ctx context.Context) (*signin.Attempt, error) {
	cur := a.conn.Current()
	return a.signin.Begin(ctx, cur.Site(), cur.URL)
}

// TestIdentities lists the current municipality's test identities (the demo
// has them; a real municipality has none).
func (a *Account) TestIdentities(ctx context.Context) ([]signin.Identity, error) {
	return a.signin.TestIdentities(ctx, a.conn.Current().URL)
}

// Authorizer gives the API client the citizen's tokens.
func (a *Account) Authorizer() api.Authorizer { return authorizer{a} }

type authorizer struct{ a *Account }

func (z authorizer) Token(ctx context.Context, force bool) (string, error) {
	cur := z.a.conn.Current()
	return z.a.signin.Token(ctx, cur.Site(), cur.URL, force)
}

// SessionInfo asks the server when the session ends.
func (a *Account) SessionInfo(ctx context.Context) (core.SessionInfo, error) {
	return a.conn.Client().Session(ctx, a.Authorizer())
}

// Vault is the encryption of the citizen's cached data; its key lives in the
// secret store and is destroyed at sign-out.
func (a *Account) Vault() (*vault.Vault, error) { return vault.Open(a.secrets) }

// Lock is the optional unlock code.
func (a *Account) Lock() *unlock.Lock { return a.lock }

// DocumentsDir is where downloaded documents (certificates, receipts) are
// kept, encrypted; it is removed at sign-out.
func (a *Account) DocumentsDir() string { return filepath.Join(a.dataDir, "documents") }

// SignOut ends the session at the server when it can be reached, and on this
// device always: tokens, the data key, the unlock code, every cached personal
// row and every downloaded document. The returned error reports only what
// could not be done on the device, or, joined, that the server was not told.
func (a *Account) SignOut(ctx context.Context) error {
	cur := a.conn.Current()
	serverErr := a.signin.SignOut(ctx, cur.Site(), cur.URL)
	local := errors.Join(
		a.signin.Forget(),
		vault.Destroy(a.secrets),
		a.lock.Disable(),
		a.conn.Store().WipePersonal(ctx),
		os.RemoveAll(a.DocumentsDir()),
	)
	if local != nil {
		return local
	}
	if serverErr != nil {
		return &ServerNotToldError{Err: serverErr}
	}
	return nil
}

// ServerNotToldError says the device forgot everything but the server could
// not be told to end the session (it ends there by itself when idle).
type ServerNotToldError struct{ Err error }

func (e *ServerNotToldError) Error() string {
	return "signed out on this device; the server was not reached: " + e.Err.Error()
}
func (e *ServerNotToldError) Unwrap() error { return e.Err }
