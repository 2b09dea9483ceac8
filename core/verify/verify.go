// Package verify decides whether a glyph (the timbro digitale of a
// Sportello certificate) is genuine, offline, against trust data synced
// earlier from the issuing municipalities (core/trust): VerificaC19's rules
// applied to registry certificates (reference.md §5).
//
// Verify gives exactly one Status per glyph. The Verdict carries the
// certificate's claims only when their signature verified with a key the
// issuing municipality publishes (valid, expired, revoked): a verifier shows
// them for a person to compare with the paper, since a valid glyph can be
// copied onto a forged page. Nothing here stores or sends what was scanned.
//
// The package does no I/O and keeps no state: trust data comes in as a
// TrustData value and the clock as an argument.
package verify

import (
	"errors"
	"fmt"
	"time"

	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/core/glyph"
)

// Status is the outcome of verifying one glyph. The values are stable: the
// command line prints them and scripts read them.
type Status string

const (
	Valid            Status = "valid"              // signed by a key the issuer publishes, in force, not revoked
	InvalidSignature Status = "invalid_signature"  // the signature does not verify, or the key did not sign then
	UnknownIssuer    Status = "unknown_issuer"     // no trusted municipality publishes the signing key
	Expired          Status = "expired"            // genuine, past its validity
	Revoked          Status = "revoked"            // genuine, withdrawn by the municipality
	NotSportello     Status = "not_sportello"      // some other code: a link, a pagoPA notice, a COVID pass
	Malformed        Status = "malformed"          // looks like a glyph but is damaged or of an unknown format
	TrustDataMissing Status = "trust_data_missing" // nothing synced yet
	TrustDataStale   Status = "trust_data_stale"   // the issuer's trust data is older than the policy allows
)

// Statuses lists every Status, in the order above.
var Statuses = []Status{Valid, InvalidSignature, UnknownIssuer, Expired, Revoked, NotSportello, Malformed,
	TrustDataMissing, TrustDataStale}

// Reason says why, more precisely than the Status; stable like it, for the
// app to translate and scripts to read.
type Reason string

const (
	ReasonNone             Reason = ""
	ReasonNotAGlyph        Reason = "not_a_glyph"          // NotSportello
	ReasonNewerFormat      Reason = "newer_format"         // Malformed: "TD2:" and later; update the verifier
	ReasonDamaged          Reason = "damaged"              // Malformed: encoding broken (a misread, a tampered character)
	ReasonIssuedInFuture   Reason = "issued_in_future"     // Malformed: issue time after now (beyond the clock skew)
	ReasonNoTrustData      Reason = "no_trust_data"        // TrustDataMissing
	ReasonIssuerNotTrusted Reason = "issuer_not_trusted"   // UnknownIssuer: no trust data for this municipality
	ReasonUnknownKey       Reason = "unknown_key"          // UnknownIssuer: the municipality publishes no key with this kid
	ReasonBadSignature     Reason = "signature_mismatch"   // InvalidSignature: altered after signing, or forged
	ReasonKeyNotInForce    Reason = "key_not_in_force"     // InvalidSignature: the key did not sign at the claimed issue time
	ReasonValidityEnded    Reason = "validity_ended"       // Expired
	ReasonRevokedByIssuer  Reason = "revoked_by_issuer"    // Revoked
	ReasonTrustDataTooOld  Reason = "trust_data_too_old"   // TrustDataStale
	ReasonIssuerMismatch   Reason = "issuer_claim_differs" // InvalidSignature: signed by one municipality's key, claiming another
)

// Policy holds the limits a verifier applies.
type Policy struct {
	// WarnAfter: trust data older than this still verifies, with a warning.
	WarnAfter time.Duration
	// RefuseAfter: trust data older than this makes no certificate valid.
	RefuseAfter time.Duration
	// ClockSkew tolerated between the issuing server and this device.
	ClockSkew time.Duration
}

// DefaultPolicy is VerificaC19's: refresh daily, refuse after a week.
func DefaultPolicy() Policy {
	return Policy{WarnAfter: 24 * time.Hour, RefuseAfter: 7 * 24 * time.Hour, ClockSkew: 10 * time.Minute}
}

// Issuer is the trust data of one municipality, as synced and checked
// against its pinned trust anchor.
type Issuer struct {
	ISTAT string // the municipality's ISTAT code, as its signed lists state
	// Name and Source are the verifier's own record of where it synced
	// from: not signed data, shown as such.
	Name   string
	Source string
	// Signers and Revocations are the signed lists. A nil Revocations is
	// trust data missing for this municipality.
	Signers     *certificates.TrustList
	Revocations *certificates.RevocationList
	SyncedAt    time.Time
}

// IssuedAt is when the older of the two lists was signed: the age of this
// trust data is measured from it, so a replayed old list cannot pass for
// fresh.
func (i *Issuer) IssuedAt() time.Time {
	if i.Signers == nil || i.Revocations == nil {
		return time.Time{}
	}
	if i.Revocations.IssuedAt.Before(i.Signers.IssuedAt) {
		return i.Revocations.IssuedAt
	}
	return i.Signers.IssuedAt
}

// Age is how old the trust data is at now; never negative.
func (i *Issuer) Age(now time.Time) time.Duration {
	return max(0, now.Sub(i.IssuedAt()))
}

// TrustData is everything a verifier trusts, by ISTAT code.
type TrustData struct {
	Issuers map[string]*Issuer
}

// Add records an issuer's trust data, replacing what was there for it.
func (td *TrustData) Add(i *Issuer) {
	if td.Issuers == nil {
		td.Issuers = map[string]*Issuer{}
	}
	td.Issuers[i.ISTAT] = i
}

// Verdict is the outcome for one glyph.
type Verdict struct {
	Status Status
	Reason Reason
	// Detail is a technical explanation in English for logs and the
	// command line; the app shows a translation of Reason instead.
	Detail string
	// Claims are the certificate's signed claims: set only when the
	// signature verified (Valid, Expired, Revoked).
	Claims *glyph.Claims
	// Issuer is the trust data the glyph was checked against; nil when
	// there was none for it.
	Issuer *Issuer
	// TrustAge is the age of that trust data; TrustWarning is set when it
	// is past the policy's WarnAfter.
	TrustAge     time.Duration
	TrustWarning bool
}

// Genuine reports whether the signature verified, so the claims may be
// shown as what the municipality signed.
func (v Verdict) Genuine() bool { return v.Claims != nil }

// Verify checks a glyph's text (the QR code's content, exactly) against
// td at now.
func Verify(text string, td *TrustData, now time.Time, p Policy) Verdict {
	parsed, err := glyph.Decode(text)
	switch {
	case errors.Is(err, glyph.ErrNotSportello):
		return Verdict{Status: NotSportello, Reason: ReasonNotAGlyph, Detail: "the code is not a Sportello timbro digitale"}
	case errors.Is(err, glyph.ErrUnsupportedVersion):
		return Verdict{Status: Malformed, Reason: ReasonNewerFormat, Detail: "the glyph has a format this verifier does not know; update it"}
	case err != nil:
		return Verdict{Status: Malformed, Reason: ReasonDamaged, Detail: err.Error()}
	}
	if td == nil || len(td.Issuers) == 0 {
		return Verdict{Status: TrustDataMissing, Reason: ReasonNoTrustData, Detail: "no trust data: sync with a municipality first"}
	}
	c := parsed.Claims
	issuer := td.Issuers[c.Issuer]
	if issuer == nil || issuer.Signers == nil || issuer.Revocations == nil {
		return Verdict{Status: UnknownIssuer, Reason: ReasonIssuerNotTrusted,
			Detail: fmt.Sprintf("no trust data for the municipality with ISTAT code %s", c.Issuer)}
	}
	v := Verdict{Issuer: issuer, TrustAge: issuer.Age(now)}
	v.TrustWarning = v.TrustAge > p.WarnAfter
	if v.TrustAge > p.RefuseAfter {
		v.Status, v.Reason = TrustDataStale, ReasonTrustDataTooOld
		v.Detail = fmt.Sprintf("the trust data of %s is %s old; the limit is %s: sync again", c.Issuer,
			v.TrustAge.Round(time.Minute), p.RefuseAfter)
		return v
	}
	key, err := parsed.Verify(issuer.Signers)
	switch {
	case errors.Is(err, glyph.ErrUnknownKey):
		v.Status, v.Reason = UnknownIssuer, ReasonUnknownKey
		v.Detail = fmt.Sprintf("municipality %s publishes no key with kid %x", c.Issuer, parsed.KeyID)
		return v
	case err != nil:
		v.Status, v.Reason, v.Detail = InvalidSignature, ReasonBadSignature, "the signature does not match the content"
		return v
	}
	if issuer.Signers.Issuer != c.Issuer {
		v.Status, v.Reason = InvalidSignature, ReasonIssuerMismatch
		v.Detail = fmt.Sprintf("signed with a key of %s, claims to be issued by %s", issuer.Signers.Issuer, c.Issuer)
		return v
	}
	signer, _ := issuer.Signers.Signer(key)
	if c.IssuedAt.Before(signer.NotBefore) || (signer.NotAfter != nil && c.IssuedAt.After(*signer.NotAfter)) {
		v.Status, v.Reason = InvalidSignature, ReasonKeyNotInForce
		v.Detail = fmt.Sprintf("the key %x did not sign certificates on %s", parsed.KeyID, c.IssuedAt.Format(time.RFC3339))
		return v
	}
	if c.IssuedAt.After(now.Add(p.ClockSkew)) {
		v.Status, v.Reason = Malformed, ReasonIssuedInFuture
		v.Detail = fmt.Sprintf("issued at %s, after now", c.IssuedAt.Format(time.RFC3339))
		return v
	}
	claims := c
	v.Claims = &claims
	switch {
	case issuer.Revocations.Revoked(c.Serial):
		v.Status, v.Reason = Revoked, ReasonRevokedByIssuer
		v.Detail = "the municipality revoked certificate " + c.Serial
	case c.Expires != nil && !now.Before(*c.Expires):
		v.Status, v.Reason = Expired, ReasonValidityEnded
		v.Detail = "valid until " + c.Expires.Format(time.RFC3339)
	default:
		v.Status = Valid
	}
	return v
}
