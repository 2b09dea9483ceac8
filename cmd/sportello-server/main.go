// Command sportello-server runs Sportello's reference municipal backend and
// the operator commands of a registry desk.
//
//	sportello-server serve --addr 127.0.0.1:8080 --db sportello.db [--demo] [--issuer URL] [--test-idp]
//	sportello-server citizens --db sportello.db
//	sportello-server token --db sportello.db --holder CF [--issuer URL] [--ttl 10m]
//	sportello-server issue --db sportello.db --holder CF --type TYPE [--subject CF] [--exemption CODE | --marca ID --marca-date YYYY-MM-DD] --out FILE.pdf
//	sportello-server revoke --db sportello.db --serial SERIAL
//	sportello-server fine --db sportello.db --plate PLATE --article ART --amount CENTS [--when TIME] [--place TEXT]
//	sportello-server notice --db sportello.db --notice NUMBER --out FILE.pdf|FILE.png
//	sportello-server appointments --db sportello.db [--reconfirm-days N] [--close YYYY-MM-DD --reason TEXT [--reason-en TEXT] [--office ID]]
//	sportello-server outbox --db sportello.db [--to ADDRESS] [--save DIR]
//	sportello-server trust-anchor --db sportello.db
//	sportello-server rotate-signer --db sportello.db [--overlap 30d]
//	sportello-server glyph-sizes --db sportello.db
package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sportello/sportello/server"
	"github.com/sportello/sportello/server/auth"
	"github.com/sportello/sportello/server/certs"
	"github.com/sportello/sportello/server/store"
)

const usage = `usage: sportello-server <command> [flags]

commands:
  serve          serve the API (serve --addr 127.0.0.1:8080 --db sportello.db [--demo])
  citizens       print the population registry as CSV (citizens --db sportello.db)
  token          print an access token for a citizen (token --db sportello.db --holder CF)
  issue          issue a registry certificate as a PDF and print its serial
                 (issue --db sportello.db --holder CF --type TYPE [--subject CF]
                 [--exemption CODE | --marca ID --marca-date YYYY-MM-DD] --out FILE.pdf)
  revoke         revoke a certificate (revoke --db sportello.db --serial SERIAL)
  fine           record a traffic fine and print its pagoPA notice number
                 (fine --db sportello.db --plate PLATE --article ART --amount CENTS
                 [--maximum CENTS] [--when TIME] [--place TEXT] [--notified YYYY-MM-DD]);
                 fine --db sportello.db --cancel NOTICE cancels one
  notice         render the paper pagoPA notice of an unpaid fine or TARI instalment,
                 with its QR code and Poste Data Matrix
                 (notice --db sportello.db --notice NUMBER --out FILE.pdf|FILE.png)
  appointments   print or change the appointments' settings: the re-confirmation window
                 and the closures (appointments --db sportello.db [--reconfirm-days N]
                 [--close YYYY-MM-DD --reason TEXT [--reason-en TEXT] [--office ID]])
  outbox         print the e-mails the server wrote about bookings
                 (outbox --db sportello.db [--to ADDRESS] [--save DIR])
  trust-anchor   print the trust anchor's public key (PEM), which verifiers pin
  rotate-signer  add a new glyph-signing key; the old ones stay in the trust list
                 for the overlap (rotate-signer --db sportello.db [--overlap 30d])
  glyph-sizes    print the glyph size of every certificate type as Markdown

Run "sportello-server <command> -h" for a command's flags.
`

func main() {
	setDefaultLogger = true
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit code: 0 done, 1
// failed, 2 usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stderr)
	case "citizens":
		err = citizens(ctx, args[1:], stdout, stderr)
	case "token":
		err = token(ctx, args[1:], stdout, stderr)
	case "issue":
		err = issue(ctx, args[1:], stdout, stderr)
	case "revoke":
		err = revoke(ctx, args[1:], stdout, stderr)
	case "fine":
		err = fine(ctx, args[1:], stdout, stderr)
	case "notice":
		err = paperNotice(ctx, args[1:], stdout, stderr)
	case "appointments":
		err = appointments(ctx, args[1:], stdout, stderr)
	case "outbox":
		err = outbox(ctx, args[1:], stdout, stderr)
	case "trust-anchor":
		err = trustAnchor(ctx, args[1:], stdout, stderr)
	case "rotate-signer":
		err = rotateSigner(ctx, args[1:], stdout, stderr)
	case "glyph-sizes":
		err = glyphSizes(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "sportello-server: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "sportello-server %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(stderr, "sportello-server %s: %v\n", args[0], err)
		return 1
	}
}

type usageError struct{ error }

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("sportello-server "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments: %v", fs.Args())}
	}
	return nil
}

// defaultAddr is where serve listens, and so the default issuer of both serve
// and token.
const defaultAddr = "127.0.0.1:8080"

// setDefaultLogger makes serve's logger the process's default one, which the
// OpenID Connect library logs to. main sets it; tests, which run several
// servers at once in one process, do not.
var setDefaultLogger = false

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	addr := fs.String("addr", defaultAddr, "address to listen on")
	db := fs.String("db", "sportello.db", "SQLite database file (created if missing); the token-signing key is kept next to it, in <db>.oidc-key.pem")
	seedDemo := fs.Bool("demo", false, "seed the demo municipality when the database is empty (implies --test-idp)")
	jsonLogs := fs.Bool("json-logs", false, "log as JSON lines instead of text")
	issuer := fs.String("issuer", "", `the server's public base URL, the issuer of its tokens (default "http://" + addr)`)
	testIdP := fs.Bool("test-idp", false, "turn on the test identity provider: anyone may sign in as any adult of the registry (demo and tests only)")
	sessionMax := days(auth.DefaultSessionMax)
	fs.Var(&sessionMax, "session-max", "how long a sign-in lasts at most (a Go duration, or days: 365d)")
	sessionIdle := days(auth.DefaultSessionIdle)
	fs.Var(&sessionIdle, "session-idle", "how long a session survives without being used (a Go duration, or days: 90d)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *issuer == "" {
		*issuer = "http://" + *addr
	}
	if err := checkIssuer(*issuer); err != nil {
		return usageError{err}
	}
	if sessionMax <= 0 || sessionIdle <= 0 || sessionIdle > sessionMax {
		return usageError{errors.New("--session-max and --session-idle must be positive, and the idle timeout no longer than the maximum")}
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if *jsonLogs {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(handler)
	if setDefaultLogger {
		slog.SetDefault(log.With("component", "oidc"))
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := server.OpenStore(ctx, *db, *seedDemo, time.Now())
	if err != nil {
		return err
	}
	defer st.Close()
	if has, err := st.HasMunicipality(ctx); err != nil {
		return err
	} else if !has {
		log.Warn("the database holds no municipality: the API answers 503 until one is set up (use --demo for the demo municipality)")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	withTestIdP := *testIdP || *seedDemo
	p, err := server.NewAuth(st, server.SignIn{Issuer: *issuer, KeyFile: auth.KeyFile(*db), TestIdP: withTestIdP,
		SessionMax: time.Duration(sessionMax), SessionIdle: time.Duration(sessionIdle)}, log)
	if err != nil {
		ln.Close()
		return err
	}
	log.Info("sign-in", "issuer", p.Issuer(), "test_idp", withTestIdP,
		"session_max", time.Duration(sessionMax).String(), "session_idle", time.Duration(sessionIdle).String())
	if withTestIdP {
		log.Warn("the test identity provider is on: anyone can sign in as any adult of the registry")
	}
	cs, err := certs.New(st, *db, nil)
	if err != nil {
		ln.Close()
		return err
	}
	if keys, err := cs.Keys(); err == nil {
		if signer, err := keys.Current(time.Now()); err == nil {
			log.Info("certificates", "signer_kid", signer.KIDHex(), "trust_anchor", certs.AnchorFile(*db))
		}
	}
	srv := server.New(st, log, server.WithAuth(p), server.WithCertificates(cs))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	sweepCtx, stopSweep := context.WithCancel(ctx)
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		srv.SweepAppointments(sweepCtx, server.SweepInterval) // releases unconfirmed bookings on time
	}()
	defer func() { stopSweep(); <-swept }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	return <-done
}

func citizens(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("citizens", stderr)
	db := fs.String("db", "sportello.db", "SQLite database file")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.Citizens(ctx)
	if err != nil {
		return err
	}
	w := csv.NewWriter(stdout)
	_ = w.Write([]string{"fiscal_code", "surname", "name", "family_id"})
	for _, c := range list {
		_ = w.Write([]string{c.FiscalCode, c.Surname, c.Name, c.FamilyID})
	}
	w.Flush()
	return w.Error()
}

// token prints a fresh access token for a citizen of the registry, in a new
// session of its own: for operators and scripted tests. The database and its
// signing key must exist (serve creates both); the issuer must be the one of
// the server that will check the token.
func token(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("token", stderr)
	db := fs.String("db", "sportello.db", "SQLite database file (its key is <db>.oidc-key.pem)")
	holder := fs.String("holder", "", "the citizen's fiscal code (codice fiscale)")
	issuer := fs.String("issuer", "http://"+defaultAddr, "the issuer of the server that will check the token (its --issuer)")
	ttl := fs.Duration("ttl", auth.DefaultAccessTokenTTL, "how long the token is valid (at most 24h)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *holder == "" {
		return usageError{errors.New("--holder is required")}
	}
	if *ttl <= 0 || *ttl > 24*time.Hour {
		return usageError{errors.New("--ttl must be positive and at most 24h")}
	}
	if err := checkIssuer(*issuer); err != nil {
		return usageError{err}
	}
	st, err := openExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	key, err := auth.LoadKey(auth.KeyFile(*db))
	if err != nil {
		return fmt.Errorf("%w (serve creates it on its first start)", err)
	}
	p, err := auth.New(st, auth.Config{Issuer: *issuer, Key: key})
	if err != nil {
		return err
	}
	tok, err := p.IssueAccessToken(ctx, strings.ToUpper(strings.TrimSpace(*holder)), *ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}

// checkIssuer accepts an http(s) base URL with no query or fragment.
func checkIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("--issuer %q: want the server's public base URL, https://host[/path]", issuer)
	}
	return nil
}

// days is a flag.Value for durations that also takes whole days, "90d".
type days time.Duration

func (d *days) String() string {
	if *d%days(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(*d)/int64(24*time.Hour), 10) + "d"
	}
	return time.Duration(*d).String()
}

func (d *days) Set(s string) error {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		v, err := strconv.ParseInt(n, 10, 32)
		if err != nil {
			return err
		}
		*d = days(time.Duration(v) * 24 * time.Hour)
		return nil
	}
	v, err := time.ParseDuration(s)
	*d = days(v)
	return err
}

// openExisting opens a database that must already exist: an operator command
// with a mistyped path must not create an empty database.
func openExisting(ctx context.Context, file string) (*store.Store, error) {
	if _, err := os.Stat(file); err != nil {
		return nil, fmt.Errorf("database %s: %w", file, err)
	}
	st, err := store.Open(ctx, file)
	if err != nil {
		return nil, err
	}
	if has, err := st.HasMunicipality(ctx); err != nil || !has {
		st.Close()
		if err == nil {
			err = store.ErrNoMunicipality
		}
		return nil, err
	}
	return st, nil
}
