// Command sportello-server runs Sportello's reference municipal backend and
// the operator commands of a registry desk.
//
//	sportello-server serve --addr 127.0.0.1:8080 --db sportello.db [--demo]
//	sportello-server citizens --db sportello.db
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
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sportello/sportello/server"
	"github.com/sportello/sportello/server/store"
)

const usage = `usage: sportello-server <command> [flags]

commands:
  serve      serve the API (serve --addr 127.0.0.1:8080 --db sportello.db [--demo])
  citizens   print the population registry as CSV (citizens --db sportello.db)

Run "sportello-server <command> -h" for a command's flags.
`

func main() {
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

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	db := fs.String("db", "sportello.db", "SQLite database file (created if missing)")
	seedDemo := fs.Bool("demo", false, "seed the demo municipality when the database is empty")
	jsonLogs := fs.Bool("json-logs", false, "log as JSON lines instead of text")
	if err := parse(fs, args); err != nil {
		return err
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if *jsonLogs {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(handler)

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
	srv := server.New(st, log)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
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
