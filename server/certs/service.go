// Package certs issues Sportello's registry certificates on the reference
// server: it checks a request against the catalogue's rules
// (core/certificates) and the registry, signs each copy's glyph
// (core/glyph), renders its PDF and records it, and publishes the signed
// trust and revocation lists. It keeps the trust anchor and signer keys in
// files next to the database (keys.go).
//
// The PDF is A4, drawn with fpdf, and made PDF/A-2b by a rewrite of fpdf's
// output (pdfa.go); that conformance has not been checked with veraPDF.
package certs

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/server/store"
)

// listTTL is how long a signed list is served before it is signed again
// with a fresh issue time, so that verifiers that refresh daily always get
// a recent one, while caches keep one ETag meanwhile.
const listTTL = time.Hour

// keyReload is how often the keys are read again from their files, to
// pick up a rotate-signer run while the server runs.
const keyReload = time.Minute

// Service issues certificates from one database.
type Service struct {
	st  *store.Store
	db  string // the database file, whose key files are next to it
	now func() time.Time

	mu       sync.Mutex
	keys     *Keys
	keysAt   time.Time
	muni     *core.Municipality
	trust    signedList
	revs     signedList
	revsSeq  uint64
	trustKey string // the signer set trust was signed for
}

type signedList struct {
	body []byte
	at   time.Time
}

// New returns the service over st, whose database file is db, with its
// keys loaded (and created, the first time) at now(). now nil is
// time.Now.
func New(st *store.Store, db string, now func() time.Time) (*Service, error) {
	if now == nil {
		now = time.Now
	}
	keys, err := LoadKeys(db, now(), true)
	if err != nil {
		return nil, err
	}
	return &Service{st: st, db: db, now: now, keys: keys, keysAt: now()}, nil
}

// NewWithKeys returns the service with keys given, never read again.
func NewWithKeys(st *store.Store, keys *Keys, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, now: now, keys: keys, keysAt: now()}
}

// Keys are the service's keys as of now, read again from their files every
// minute.
func (s *Service) Keys() (*Keys, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keysLocked()
}

func (s *Service) keysLocked() (*Keys, error) {
	now := s.now()
	if s.db != "" && !s.keys.FromEnv && now.Sub(s.keysAt) >= keyReload {
		k, err := LoadKeys(s.db, now, false)
		if err != nil {
			return nil, err
		}
		s.keys, s.keysAt = k, now
	}
	return s.keys, nil
}

// Municipality is the issuing municipality, read once.
func (s *Service) Municipality(ctx context.Context) (core.Municipality, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.muni != nil {
		return *s.muni, nil
	}
	m, err := s.st.Municipality(ctx, "it")
	if err != nil {
		return m, err
	}
	s.muni = &m
	return m, nil
}

// IssueInput is one request for certificates.
type IssueInput struct {
	// Caller is the signed-in citizen, the scope of IdempotencyKey.
	Caller string
	// Holder is whom the certificates are issued to: the caller or the
	// minor they act for.
	Holder  string
	Request certificates.Request
	// IdempotencyKey, if set, makes the request safe to repeat.
	IdempotencyKey string
}

// Issued is the answer to a request: the certificates, one per copy, and
// the JSON body of the API's answer, {"certificates": [...]}.
type Issued struct {
	Certificates []core.Certificate `json:"certificates"`
	// Contents are the certificates as issued now; nil for a replay.
	Contents []*Content `json:"-"`
	Body     []byte     `json:"-"`
	Replayed bool       `json:"-"` // an earlier answer to the same request and key
}

// ErrHolderNotFound: the holder is not in the registry.
var ErrHolderNotFound = errors.New("certificates: the holder is not in the population registry")

// ErrIdempotencyConflict: the key was used for a different request.
var ErrIdempotencyConflict = store.ErrIdempotencyConflict

// Issue checks and issues the request: every copy, signed, rendered and
// recorded in one transaction, or none. A request that breaks a rule is
// certificates.Invalids.
func (s *Service) Issue(ctx context.Context, in IssueInput) (*Issued, error) {
	now := s.now().UTC().Truncate(time.Second)
	order, err := in.Request.Check(core.DateOf(now))
	if err != nil {
		return nil, err
	}
	var idem *store.Idempotency
	if in.IdempotencyKey != "" {
		idem = &store.Idempotency{Caller: in.Caller, Key: in.IdempotencyKey, RequestHash: requestHash(in.Holder, order)}
		body, found, err := s.st.IdempotentResponse(ctx, *idem)
		if err != nil {
			return nil, err
		}
		if found {
			return replay(body)
		}
	}
	contents, signer, err := s.prepare(ctx, in.Holder, order, now)
	if err != nil {
		return nil, err
	}
	out := &Issued{Contents: contents}
	var batch []store.Issued
	for _, c := range contents {
		row := store.Issued{Holder: in.Holder, IssuedAt: now, SignerKID: signer.KIDHex()}
		if c.Marca != nil {
			row.MarcaID, row.MarcaDate = c.Marca.ID, c.Marca.Date
		}
		if c.Exemption != nil {
			row.Exemption = c.Exemption.Code
		}
		if row.PDF, err = RenderPDF(c, RenderOptions{}); err != nil {
			return nil, err
		}
		row.Certificate = c.Certificate()
		batch = append(batch, row)
		out.Certificates = append(out.Certificates, row.Certificate)
	}
	if out.Body, err = json.Marshal(out); err != nil {
		return nil, err
	}
	earlier, replayed, err := s.st.IssueCertificates(ctx, batch, idem, out.Body, now)
	var reused *store.MarcaReusedError
	switch {
	case errors.As(err, &reused):
		var bad certificates.Invalids
		for i, m := range order.Marcas {
			if slices.Contains(reused.IDs, m.ID) {
				bad = append(bad, certificates.Invalid{Field: fmt.Sprintf("stamp_duty.marcas[%d].id", i),
					Reason: certificates.ReasonMarcaReused})
			}
		}
		return nil, bad
	case err != nil:
		return nil, err
	case replayed:
		return replay(earlier)
	}
	return out, nil
}

// DryRun checks the request and returns the certificates it would issue,
// signed but neither rendered nor recorded: to measure glyphs. A marca
// used before is not noticed.
func (s *Service) DryRun(ctx context.Context, holder string, req certificates.Request) ([]*Content, error) {
	now := s.now().UTC().Truncate(time.Second)
	order, err := req.Check(core.DateOf(now))
	if err != nil {
		return nil, err
	}
	contents, _, err := s.prepare(ctx, holder, order, now)
	return contents, err
}

// prepare applies the rules that need the registry to the order, and
// returns each copy's content, signed, with the signer.
func (s *Service) prepare(ctx context.Context, holderCF string, order certificates.Order, now time.Time) ([]*Content, *Signer, error) {
	holder, err := s.st.CitizenRecord(ctx, holderCF)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrHolderNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	subject := holder
	if order.Subject != "" && order.Subject != holder.FiscalCode {
		subject, err = s.st.CitizenRecord(ctx, order.Subject)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, certificates.Invalids{{Field: "subject", Reason: certificates.ReasonSubjectNotInFamily}}
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if err := certificates.CheckSubject(order.Type, holder, subject); err != nil {
		var inv *certificates.Invalid
		if errors.As(err, &inv) {
			return nil, nil, certificates.Invalids{*inv}
		}
		return nil, nil, err
	}
	base, err := s.content(ctx, order, subject, now)
	if err != nil {
		return nil, nil, err
	}
	keys, err := s.Keys()
	if err != nil {
		return nil, nil, err
	}
	signer, err := keys.Current(now)
	if err != nil {
		return nil, nil, err
	}
	var out []*Content
	for i := 0; i < order.Copies; i++ {
		c := *base
		c.Serial, c.Copy = NewSerial(now), i+1
		if len(order.Marcas) > 0 {
			c.Marca = &order.Marcas[i]
		}
		if err := c.Sign(signer); err != nil {
			return nil, nil, err
		}
		out = append(out, &c)
	}
	return out, signer, nil
}

// content gathers what a certificate of the order about subject states.
func (s *Service) content(ctx context.Context, o certificates.Order, subject core.Citizen, now time.Time) (*Content, error) {
	m, err := s.Municipality(ctx)
	if err != nil {
		return nil, err
	}
	c := &Content{Municipality: m, Type: o.Type, Copies: o.Copies, IssuedAt: now, Subject: subject,
		ValidUntil: o.Type.ValidUntil(core.DateOf(now)), Exemption: o.Exemption}
	if o.Type.Has(certificates.ContentAddress) {
		r, err := s.st.Residence(ctx, subject.FiscalCode)
		if err != nil {
			return nil, err
		}
		c.Residence = &r
	}
	if o.Type.Has(certificates.ContentFamily) {
		if c.Family, err = s.st.FamilyRecords(ctx, subject.FiscalCode); err != nil {
			return nil, err
		}
	}
	if o.Type.Has(certificates.ContentMarriage) && subject.Marriage != nil {
		sp, err := s.st.Citizen(ctx, subject.Marriage.SpouseFiscalCode)
		switch {
		case err == nil:
			c.Spouse = &sp
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	return c, nil
}

func replay(body []byte) (*Issued, error) {
	out := &Issued{Body: body, Replayed: true}
	if err := json.Unmarshal(body, out); err != nil {
		return nil, fmt.Errorf("recorded answer: %w", err)
	}
	return out, nil
}

// requestHash identifies what was asked: the holder and the order as
// checked, so that two spellings of one request are the same request.
func requestHash(holder string, o certificates.Order) []byte {
	v := struct {
		Holder, Type, Subject string
		Copies                int
		Marcas                []certificates.Marca
		Exemption             string
	}{Holder: holder, Type: o.Type.ID, Subject: o.Subject, Copies: o.Copies, Marcas: o.Marcas}
	if v.Subject == "" {
		v.Subject = holder
	}
	if o.Exemption != nil {
		v.Exemption = o.Exemption.Code
	}
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return sum[:]
}

// Revoke revokes a certificate; the revocation list changes at once.
// store.ErrNotFound for an unknown serial.
func (s *Service) Revoke(ctx context.Context, serial string) error {
	return s.st.Revoke(ctx, serial, s.now())
}

// TrustList is the trust list, signed by the trust anchor: the signer keys
// published now with their windows.
func (s *Service) TrustList(ctx context.Context) ([]byte, error) {
	m, err := s.Municipality(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	keys, err := s.keysLocked()
	if err != nil {
		return nil, err
	}
	now := s.now()
	tl := certificates.TrustList{Issuer: m.ISTAT, IssuedAt: now.UTC().Truncate(time.Second)}
	setKey := ""
	for _, k := range keys.Published(now) {
		tl.Signers = append(tl.Signers, certificates.SignerKey{KeyID: k.KID, Public: &k.Key.PublicKey,
			NotBefore: k.NotBefore, NotAfter: k.NotAfter})
		setKey += k.KIDHex() + k.NotBefore.String() + fmt.Sprint(k.NotAfter) + ";"
	}
	if s.trust.body != nil && s.trustKey == setKey && now.Sub(s.trust.at) < listTTL && !now.Before(s.trust.at) {
		return s.trust.body, nil
	}
	body, err := tl.Sign(keys.Anchor)
	if err != nil {
		return nil, err
	}
	s.trust, s.trustKey = signedList{body: body, at: now}, setKey
	return body, nil
}

// Revocations is the revocation list, signed by the trust anchor.
func (s *Service) Revocations(ctx context.Context) ([]byte, error) {
	m, err := s.Municipality(ctx)
	if err != nil {
		return nil, err
	}
	seq, err := s.st.RevocationSequence(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.revs.body != nil && s.revsSeq == seq && now.Sub(s.revs.at) < listTTL && !now.Before(s.revs.at) {
		return s.revs.body, nil
	}
	serials, seq, err := s.st.Revoked(ctx)
	if err != nil {
		return nil, err
	}
	rl := certificates.RevocationList{Issuer: m.ISTAT, IssuedAt: now.UTC().Truncate(time.Second), Sequence: seq}
	for _, serial := range serials {
		rl.Hashes = append(rl.Hashes, certificates.RevocationHash(serial))
	}
	keys, err := s.keysLocked()
	if err != nil {
		return nil, err
	}
	body, err := rl.Sign(keys.Anchor)
	if err != nil {
		return nil, err
	}
	s.revs, s.revsSeq = signedList{body: body, at: now}, seq
	return body, nil
}

// RevocationChunk is how many revocations one chunk of an incremental sync
// holds at most: 5,000 entries are about 85 KB of CBOR.
const RevocationChunk = 5000

// RevocationsSince is one chunk of an incremental sync, signed by the
// trust anchor: the revocations after sequence since, at most
// RevocationChunk of them, with the latest sequence so that a verifier
// knows whether to ask again. A since beyond the latest sequence (a
// verifier that synced a database since restored from a backup) gets the
// full list as from 0, which a verifier takes as a new snapshot.
func (s *Service) RevocationsSince(ctx context.Context, since uint64) ([]byte, error) {
	m, err := s.Municipality(ctx)
	if err != nil {
		return nil, err
	}
	serials, last, latest, err := s.st.RevokedSince(ctx, since, RevocationChunk)
	if err != nil {
		return nil, err
	}
	if since > latest {
		if serials, last, latest, err = s.st.RevokedSince(ctx, 0, RevocationChunk); err != nil {
			return nil, err
		}
		since = 0
	}
	rl := certificates.RevocationList{Issuer: m.ISTAT, IssuedAt: s.now().UTC().Truncate(time.Second),
		Sequence: last, Since: since, Latest: latest}
	for _, serial := range serials {
		rl.Hashes = append(rl.Hashes, certificates.RevocationHash(serial))
	}
	keys, err := s.Keys()
	if err != nil {
		return nil, err
	}
	return rl.Sign(keys.Anchor)
}

// TrustAnchorPEM is the trust anchor's public key as PEM, which verifiers
// pin on their first sync when the operator has not handed it to them.
func (s *Service) TrustAnchorPEM() ([]byte, error) {
	keys, err := s.Keys()
	if err != nil {
		return nil, err
	}
	return certificates.PublicKeyPEM(&keys.Anchor.PublicKey)
}
