// Command sportello-verify checks the timbro digitale of Sportello
// certificates in bulk, offline: photos or scans of the paper (PNG, JPEG),
// the certificates' PDFs, or text files holding a glyph's text.
//
//	sportello-verify [--json] [--trust DIR] [--server URL [--anchor FILE]]... FILE...
//
// --server syncs the trust data of a municipality first (into DIR when
// --trust is given, otherwise into a temporary directory removed at exit);
// --trust alone reads a directory a previous sync wrote, with no network.
// One line per file: the outcome and, for genuine certificates, what they
// state; with --json one JSON object per line with file, status, reason,
// detail and data. Exit status: 0 when every file holds a valid
// certificate, 1 when any does not, 2 on usage or trust-data errors.
//
// Nothing read is stored or sent anywhere.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/core/glyph"
	"github.com/sportello/sportello/core/scan"
	"github.com/sportello/sportello/core/trust"
	"github.com/sportello/sportello/core/verifier"
	"github.com/sportello/sportello/core/verify"
)

const usage = `usage: sportello-verify [--json] [--trust DIR] [--server URL [--anchor FILE]]... FILE...

Checks the timbro digitale of Sportello certificates offline: PNG or JPEG
photos and scans of the paper, the certificates' PDFs, or text files holding
a glyph's text ("-" reads standard input).

  --server URL    sync this municipality's trust data first (repeatable)
  --anchor FILE   the trust anchor's PEM its operator handed over, for the
                  --server before it; without it the anchor is pinned on
                  first use
  --trust DIR     where trust data is kept; alone, read it without network
  --json          one JSON object per line: file, status, reason, detail, data
  --warn-after D  warn when the trust data is older (default 24h)
  --refuse-after D  call nothing valid when it is older (default 168h)

Exit status: 0 all valid, 1 any not valid, 2 usage or trust-data error.
`

// Statuses of a file beyond the verifier's outcomes: the file held no
// readable code, or could not be read at all.
const (
	statusNoCode     = "no_code"
	statusUnreadable = "unreadable_file"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

type serverFlag struct{ urls, anchors []string }

func (s *serverFlag) String() string { return strings.Join(s.urls, ",") }
func (s *serverFlag) Set(v string) error {
	s.urls = append(s.urls, v)
	s.anchors = append(s.anchors, "")
	return nil
}

type anchorFlag struct{ s *serverFlag }

func (a anchorFlag) String() string { return "" }
func (a anchorFlag) Set(v string) error {
	if len(a.s.urls) == 0 || a.s.anchors[len(a.s.urls)-1] != "" {
		return errors.New("--anchor goes after the --server it is for, once")
	}
	a.s.anchors[len(a.s.urls)-1] = v
	return nil
}

// run is the command; it returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sportello-verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "")
	trustDir := fs.String("trust", "", "")
	var servers serverFlag
	fs.Var(&servers, "server", "")
	fs.Var(anchorFlag{&servers}, "anchor", "")
	policy := verify.DefaultPolicy()
	fs.DurationVar(&policy.WarnAfter, "warn-after", policy.WarnAfter, "")
	fs.DurationVar(&policy.RefuseAfter, "refuse-after", policy.RefuseAfter, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "sportello-verify: %v\n\n%s", err, usage)
		return 2
	}
	files := fs.Args()
	switch {
	case len(files) == 0:
		fmt.Fprintf(stderr, "sportello-verify: no files to check\n\n%s", usage)
		return 2
	case *trustDir == "" && len(servers.urls) == 0:
		fmt.Fprintf(stderr, "sportello-verify: no trust data: give --trust DIR (synced before) or --server URL\n\n%s", usage)
		return 2
	case policy.WarnAfter <= 0 || policy.RefuseAfter < policy.WarnAfter:
		fmt.Fprintln(stderr, "sportello-verify: --warn-after must be positive and not longer than --refuse-after")
		return 2
	}

	dir := *trustDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "sportello-verify-")
		if err != nil {
			fmt.Fprintln(stderr, "sportello-verify:", err)
			return 2
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if len(servers.urls) == 0 {
		if _, err := os.Stat(filepath.Join(dir, trust.FileName)); err != nil {
			fmt.Fprintf(stderr, "sportello-verify: no trust data in %s: sync first with --trust %s --server URL\n", dir, dir)
			return 2
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(stderr, "sportello-verify:", err)
		return 2
	}
	st, err := trust.Open(ctx, filepath.Join(dir, trust.FileName))
	if err != nil {
		fmt.Fprintln(stderr, "sportello-verify: trust data:", err)
		return 2
	}
	defer st.Close()
	v := verifier.New(st, policy, nil)
	for i, u := range servers.urls {
		if err := syncServer(ctx, v, u, servers.anchors[i], stderr); err != nil {
			fmt.Fprintf(stderr, "sportello-verify: sync %s: %v\n", u, err)
			return 2
		}
	}
	if err := v.Reload(ctx); err != nil {
		fmt.Fprintln(stderr, "sportello-verify: trust data:", err)
		return 2
	}
	if code := warnAboutTrust(ctx, v, stderr); code != 0 {
		return code
	}

	allValid := true
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for _, file := range files {
		r := check(v, file, stdin)
		if r.Status != string(verify.Valid) {
			allValid = false
		}
		if *asJSON {
			if err := enc.Encode(r); err != nil {
				fmt.Fprintln(stderr, "sportello-verify:", err)
				return 2
			}
		} else {
			fmt.Fprintln(stdout, r.line())
		}
	}
	if !allValid {
		return 1
	}
	return 0
}

func syncServer(ctx context.Context, v *verifier.Verifier, rawURL, anchorFile string, stderr io.Writer) error {
	client, err := api.New(rawURL, api.Options{Timeout: 30 * time.Second})
	if err != nil {
		return err
	}
	var anchorPEM []byte
	if anchorFile != "" {
		if anchorPEM, err = os.ReadFile(anchorFile); err != nil {
			return err
		}
	}
	res, err := v.Sync(ctx, client.BaseURL(), client, anchorPEM)
	if err != nil {
		return err
	}
	if res.PinnedNow && anchorPEM == nil {
		fmt.Fprintf(stderr, "sportello-verify: pinned the trust anchor %s published now (trust on first use); "+
			"compare it with the one its operator hands out (sportello-server trust-anchor)\n", client.BaseURL())
	}
	fmt.Fprintf(stderr, "sportello-verify: %s (%s): %d signer keys, %d revocations (+%d)\n", res.Source.Name,
		res.Source.ISTAT, len(trustSigners(v, res.Source.ISTAT)), res.Source.Revocations, res.Added)
	return nil
}

func trustSigners(v *verifier.Verifier, istat string) []string {
	td, err := v.Store().Load(context.Background())
	if err != nil || td.Issuers[istat] == nil {
		return nil
	}
	var out []string
	for _, s := range td.Issuers[istat].Signers.Signers {
		out = append(out, fmt.Sprintf("%x", s.KeyID))
	}
	return out
}

// warnAboutTrust says on stderr how old each municipality's trust data is
// when past the warning age; no trust data at all is exit status 2.
func warnAboutTrust(ctx context.Context, v *verifier.Verifier, stderr io.Writer) int {
	srcs, err := v.Store().Sources(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "sportello-verify: trust data:", err)
		return 2
	}
	if len(srcs) == 0 {
		fmt.Fprintln(stderr, "sportello-verify: the trust directory holds no municipality: sync with --server URL")
		return 2
	}
	for _, s := range srcs {
		age := max(0, v.Now().Sub(s.IssuedAt))
		switch {
		case age > v.Policy().RefuseAfter:
			fmt.Fprintf(stderr, "sportello-verify: the trust data of %s (%s) is %s old: no certificate of it can be valid until you sync again\n",
				s.Name, s.ISTAT, age.Round(time.Minute))
		case age > v.Policy().WarnAfter:
			fmt.Fprintf(stderr, "sportello-verify: warning: the trust data of %s (%s) is %s old: sync again\n",
				s.Name, s.ISTAT, age.Round(time.Minute))
		}
	}
	return 0
}

// result is one file's line of output.
type result struct {
	File   string `json:"file"`
	Status string `json:"status"`
	Reason string `json:"reason"`
	Detail string `json:"detail"`
	Data   *data  `json:"data"`
}

func check(v *verifier.Verifier, file string, stdin io.Reader) result {
	r := result{File: file}
	var verdict verify.Verdict
	var err error
	if file == "-" {
		var in []byte
		if in, err = io.ReadAll(io.LimitReader(stdin, 64<<20)); err == nil {
			verdict, err = v.Bytes(in)
		}
	} else {
		verdict, err = v.File(file)
	}
	switch {
	case errors.Is(err, scan.ErrNotFound):
		r.Status, r.Reason, r.Detail = statusNoCode, "no_code_found", "no readable 2D code in the file"
		return r
	case errors.Is(err, scan.ErrUnsupportedFile):
		r.Status, r.Reason, r.Detail = statusUnreadable, "unsupported_file", "not a PNG, JPEG, PDF or glyph text"
		return r
	case errors.Is(err, scan.ErrTooLarge):
		r.Status, r.Reason, r.Detail = statusUnreadable, "too_large", err.Error()
		return r
	case err != nil:
		r.Status, r.Reason, r.Detail = statusUnreadable, "unreadable", err.Error()
		return r
	}
	r.Status, r.Reason, r.Detail = string(verdict.Status), string(verdict.Reason), verdict.Detail
	if verdict.Claims != nil {
		r.Data = dataOf(verdict)
	}
	return r
}

func (r result) line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", r.File, strings.ToUpper(strings.ReplaceAll(r.Status, "_", " ")))
	if r.Detail != "" && r.Status != string(verify.Valid) {
		fmt.Fprintf(&b, " (%s)", r.Detail)
	}
	if d := r.Data; d != nil {
		fmt.Fprintf(&b, "\n  %s %s, issued %s by %s (%s)", d.Type, d.Serial, d.IssuedAt.Format("2006-01-02"), d.IssuerName, d.Issuer)
		if d.Expires != nil {
			fmt.Fprintf(&b, ", valid until %s", d.Expires.Format("2006-01-02"))
		} else {
			b.WriteString(", unlimited validity")
		}
		fmt.Fprintf(&b, "\n  holder: %s %s, born %s", d.Holder.Surname, d.Holder.Name, d.Holder.BirthDate)
		if d.Holder.BirthPlace != nil {
			fmt.Fprintf(&b, " in %s", d.Holder.BirthPlace.Name)
		}
		if d.Holder.FiscalCode != "" {
			fmt.Fprintf(&b, ", %s", d.Holder.FiscalCode)
		}
		if a := d.Address; a != nil {
			fmt.Fprintf(&b, "\n  address: %s %s, %s %s (%s)", a.Street, a.Number, a.PostalCode, a.Town, a.Province)
		}
		for _, m := range d.Family {
			fmt.Fprintf(&b, "\n  family: %s %s, born %s", m.Surname, m.Name, m.BirthDate)
			if m.Relationship != "" {
				fmt.Fprintf(&b, " (%s)", m.Relationship)
			}
		}
		if d.TrustWarning {
			fmt.Fprintf(&b, "\n  warning: trust data %s old", time.Duration(d.TrustAgeSeconds*int64(time.Second)))
		}
	}
	return b.String()
}

// data is what a genuine certificate's glyph states, as the JSON output
// spells it: only signed claims, plus the verifier's own name for the
// issuer and the age of its trust data.
type data struct {
	Issuer          string        `json:"issuer"`
	IssuerName      string        `json:"issuer_name"`
	IssuedAt        time.Time     `json:"issued_at"`
	Expires         *time.Time    `json:"expires"`
	Serial          string        `json:"serial"`
	Type            string        `json:"type"`
	Holder          person        `json:"holder"`
	Address         *core.Address `json:"address,omitempty"`
	Family          []person      `json:"family,omitempty"`
	Citizenship     string        `json:"citizenship,omitempty"`
	MaritalStatus   string        `json:"marital_status,omitempty"`
	StampDuty       stampDuty     `json:"stamp_duty"`
	TrustAgeSeconds int64         `json:"trust_age_seconds"`
	TrustWarning    bool          `json:"trust_warning"`
}

type person struct {
	Surname      string      `json:"surname"`
	Name         string      `json:"name"`
	BirthDate    core.Date   `json:"birth_date"`
	BirthPlace   *core.Place `json:"birth_place,omitempty"`
	FiscalCode   string      `json:"fiscal_code,omitempty"`
	Relationship string      `json:"relationship,omitempty"`
}

type stampDuty struct {
	MarcaID       string     `json:"marca_id,omitempty"`
	MarcaDate     *core.Date `json:"marca_date,omitempty"`
	ExemptionCode string     `json:"exemption_code,omitempty"`
	ExemptionLaw  string     `json:"exemption_law,omitempty"`
	ExemptByType  bool       `json:"exempt_by_type,omitempty"`
}

func personOf(p glyph.Person) person {
	out := person{Surname: p.Surname, Name: p.Name, BirthDate: p.BirthDate, FiscalCode: p.FiscalCode,
		Relationship: string(p.Relationship)}
	if p.BirthPlace != (core.Place{}) {
		place := p.BirthPlace
		out.BirthPlace = &place
	}
	return out
}

func dataOf(v verify.Verdict) *data {
	c := v.Claims
	d := &data{Issuer: c.Issuer, IssuedAt: c.IssuedAt, Expires: c.Expires, Serial: c.Serial, Type: c.Type,
		Holder: personOf(c.Holder), Address: c.Address, Citizenship: c.Citizenship, MaritalStatus: string(c.MaritalStatus),
		StampDuty: stampDuty{MarcaID: c.StampDuty.MarcaID, ExemptionCode: c.StampDuty.ExemptionCode,
			ExemptionLaw: c.StampDuty.ExemptionLaw, ExemptByType: c.StampDuty.ExemptByType},
		TrustAgeSeconds: int64(v.TrustAge / time.Second), TrustWarning: v.TrustWarning}
	if v.Issuer != nil {
		d.IssuerName = v.Issuer.Name
	}
	if c.StampDuty.MarcaID != "" {
		md := c.StampDuty.MarcaDate
		d.StampDuty.MarcaDate = &md
	}
	for _, m := range c.Family {
		d.Family = append(d.Family, personOf(m))
	}
	return d
}
