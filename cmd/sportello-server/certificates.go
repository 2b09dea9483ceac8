package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/server/certs"
	"github.com/sportello/sportello/server/store"
)

// The operator commands of registry certificates. Keys are next to the
// database (server/certs): the first command or server start that needs
// them creates them.

// issue issues one certificate at the registry desk, writes its PDF and
// prints its serial.
func issue(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("issue", stderr)
	db := fs.String("db", "sportello.db", "SQLite database file")
	holder := fs.String("holder", "", "the fiscal code of whom the certificate is issued to")
	typ := fs.String("type", "", "the certificate type: "+strings.Join(typeIDs(), ", "))
	subject := fs.String("subject", "", "the fiscal code of whom it is about, if not the holder (a member of the holder's registry family)")
	exemption := fs.String("exemption", "", "the exempt use, for no stamp duty (see GET /api/v1/stamp-duty-exemptions)")
	marca := fs.String("marca", "", "the 14-digit identifier of the marca da bollo")
	marcaDate := fs.String("marca-date", "", "the marca da bollo's issue date, YYYY-MM-DD")
	out := fs.String("out", "", "where to write the PDF")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *holder == "" || *typ == "" || *out == "":
		return usageError{errors.New("--holder, --type and --out are required")}
	case *exemption != "" && (*marca != "" || *marcaDate != ""):
		return usageError{errors.New("give either --exemption or --marca with --marca-date, not both")}
	case (*marca == "") != (*marcaDate == ""):
		return usageError{errors.New("--marca and --marca-date go together")}
	}
	req := certificates.Request{Type: *typ, Subject: *subject, StampDuty: certificates.StampDutyReq{Exemption: *exemption}}
	if *marca != "" {
		req.StampDuty.Marcas = []certificates.MarcaReq{{ID: *marca, Date: *marcaDate}}
	}
	st, err := openExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := certs.New(st, *db, nil)
	if err != nil {
		return err
	}
	cf := strings.ToUpper(strings.TrimSpace(*holder))
	res, err := svc.Issue(ctx, certs.IssueInput{Caller: cf, Holder: cf, Request: req})
	var bad certificates.Invalids
	switch {
	case errors.As(err, &bad):
		return fmt.Errorf("refused: %s", strings.TrimPrefix(bad.Error(), "invalid certificate request: "))
	case errors.Is(err, certs.ErrHolderNotFound):
		return fmt.Errorf("%s is not in the population registry", cf)
	case err != nil:
		return err
	}
	serial := res.Certificates[0].Serial
	_, pdf, err := st.CertificatePDF(ctx, serial)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, pdf, 0o600); err != nil {
		return fmt.Errorf("certificate %s was issued, but: %w", serial, err)
	}
	_, err = fmt.Fprintln(stdout, serial)
	return err
}

func typeIDs() []string {
	var out []string
	for _, t := range certificates.Types() {
		out = append(out, t.ID)
	}
	return out
}

// revoke revokes a certificate: it enters the revocation list at once.
func revoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("revoke", stderr)
	db := fs.String("db", "sportello.db", "SQLite database file")
	serial := fs.String("serial", "", "the certificate's serial")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *serial == "" {
		return usageError{errors.New("--serial is required")}
	}
	st, err := openExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	err = st.Revoke(ctx, strings.TrimSpace(*serial), time.Now())
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no certificate has serial %q", *serial)
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "revoked %s\n", *serial)
	return err
}

// trustAnchor prints the trust anchor's public key as PEM, for verifiers
// to pin; it creates the keys if the database has none yet.
func trustAnchor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("trust-anchor", stderr)
	db := fs.String("db", "sportello.db", "SQLite database file (the keys are next to it)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if _, err := os.Stat(*db); err != nil {
		return fmt.Errorf("database %s: %w", *db, err)
	}
	keys, err := certs.LoadKeys(*db, time.Now(), true)
	if err != nil {
		return err
	}
	pem, err := certificates.PublicKeyPEM(&keys.Anchor.PublicKey)
	if err != nil {
		return err
	}
	_, err = stdout.Write(pem)
	return err
}

// rotateSigner adds a signer key that signs from now on.
func rotateSigner(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rotate-signer", stderr)
	db := fs.String("db", "sportello.db", "SQLite database file (the keys are next to it)")
	overlap := days(30 * 24 * time.Hour)
	fs.Var(&overlap, "overlap", "how long the old signer keys stay in the trust list (a Go duration, or days: 30d)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if overlap < 0 {
		return usageError{errors.New("--overlap cannot be negative")}
	}
	if _, err := os.Stat(*db); err != nil {
		return fmt.Errorf("database %s: %w", *db, err)
	}
	now := time.Now()
	if _, err := certs.LoadKeys(*db, now, true); err != nil { // a first key, if none
		return err
	}
	s, err := certs.RotateSigner(*db, now, time.Duration(overlap))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "new signer %s in %s; the previous ones leave the trust list at %s\n", s.KIDHex(), s.File,
		now.Add(time.Duration(overlap)).UTC().Format(time.RFC3339))
	return err
}

// glyphSizes prints docs/glyph-sizes.md for the database's registry.
func glyphSizes(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("glyph-sizes", stderr)
	db := fs.String("db", "sportello.db", "SQLite database file (the demo's, with a family of five)")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := certs.New(st, *db, nil)
	if err != nil {
		return err
	}
	rows, err := svc.GlyphSizes(ctx)
	if err != nil {
		return err
	}
	return certs.WriteGlyphSizes(stdout, rows)
}
