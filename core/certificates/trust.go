package certificates

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"
)

// The trust list and the revocation list are what an offline verifier of
// glyphs downloads from a municipality (GET /api/v1/trust-list and GET
// /api/v1/revocations) and refreshes at least every 24 hours. Each is a
// tagged COSE_Sign1 (RFC 9052) signed with ES256 by the municipality's
// trust anchor, whose public key verifiers pin (sportello-server
// trust-anchor prints it). docs/trust.md specifies the bytes.

// Content types in the protected header (label 3), so that neither list can
// pass for the other.
const (
	TrustListContentType   = "application/vnd.sportello.trust-list+cbor"
	RevocationsContentType = "application/vnd.sportello.revocations+cbor"
	// MediaType is the HTTP media type of both lists.
	MediaType = `application/cose; cose-type="cose-sign1"`
)

// ListFormat is the version of the lists' payloads.
const ListFormat = 1

// RevocationHashSize is the length of a revocation entry.
const RevocationHashSize = 16

// ErrListSignature: the list is not signed by the trust anchor.
var ErrListSignature = errors.New("certificates: the list's signature does not verify with the trust anchor")

// ErrListMalformed: the bytes are no list of this kind and format.
var ErrListMalformed = errors.New("certificates: malformed list")

// SignerKey is a key that signs glyphs, as the trust list publishes it.
type SignerKey struct {
	KeyID  []byte // glyph.KeyID of Public: 8 bytes of SHA-256 of its SubjectPublicKeyInfo
	Public *ecdsa.PublicKey
	// NotBefore is when the key began to sign; NotAfter, if set, when it
	// leaves the trust list. A glyph signed by it is trusted when issued
	// from NotBefore on, and only while the key is in the list.
	NotBefore time.Time
	NotAfter  *time.Time
}

// TrustList is the set of signer keys of a municipality.
type TrustList struct {
	Issuer   string // the municipality's ISTAT code
	IssuedAt time.Time
	Signers  []SignerKey
}

// Keys gives the signer keys with the kid: TrustList is a glyph.KeySet.
func (tl *TrustList) Keys(kid []byte) []*ecdsa.PublicKey {
	var out []*ecdsa.PublicKey
	for _, s := range tl.Signers {
		if bytes.Equal(s.KeyID, kid) {
			out = append(out, s.Public)
		}
	}
	return out
}

// Signer finds the entry of a public key.
func (tl *TrustList) Signer(pub *ecdsa.PublicKey) (SignerKey, bool) {
	for _, s := range tl.Signers {
		if s.Public.Equal(pub) {
			return s, true
		}
	}
	return SignerKey{}, false
}

// RevocationList lists the certificates a municipality revoked, by the
// truncated hash of their serial (RevocationHash).
type RevocationList struct {
	Issuer   string
	IssuedAt time.Time
	// Sequence grows with every revocation: a verifier never replaces a list
	// with one of a lower sequence. In a chunk it is the sequence of the
	// last revocation the chunk holds.
	Sequence uint64
	// Since is 0 for a full snapshot; for a chunk of an incremental sync
	// (GET /api/v1/revocations?since=N) it is N, and Hashes holds only the
	// revocations after N up to Sequence.
	Since uint64
	// Latest is the sequence of the newest revocation when the list was
	// signed: a verifier asks for more chunks while Sequence < Latest.
	Latest uint64
	Hashes [][RevocationHashSize]byte // sorted, no duplicates
}

// RevocationHash is the entry of a serial in a revocation list: the first
// 16 bytes of the SHA-256 of the serial's UTF-8 bytes.
func RevocationHash(serial string) [RevocationHashSize]byte {
	sum := sha256.Sum256([]byte(serial))
	var h [RevocationHashSize]byte
	copy(h[:], sum[:])
	return h
}

// Revoked reports whether the list holds serial.
func (rl *RevocationList) Revoked(serial string) bool {
	h := RevocationHash(serial)
	_, found := slices.BinarySearchFunc(rl.Hashes, h, func(a, b [RevocationHashSize]byte) int { return bytes.Compare(a[:], b[:]) })
	return found
}

// The wire forms, with the integer keys docs/trust.md lists.

type wireTrustList struct {
	Format   int          `cbor:"1,keyasint"`
	Issuer   string       `cbor:"2,keyasint"`
	IssuedAt int64        `cbor:"3,keyasint"`
	Signers  []wireSigner `cbor:"4,keyasint"`
}

type wireSigner struct {
	KeyID     []byte `cbor:"1,keyasint"`
	Public    []byte `cbor:"2,keyasint"` // SubjectPublicKeyInfo, DER
	NotBefore int64  `cbor:"3,keyasint"`
	NotAfter  *int64 `cbor:"4,keyasint,omitempty"`
}

type wireRevocations struct {
	Format   int      `cbor:"1,keyasint"`
	Issuer   string   `cbor:"2,keyasint"`
	IssuedAt int64    `cbor:"3,keyasint"`
	Sequence uint64   `cbor:"4,keyasint"`
	Hashes   [][]byte `cbor:"5,keyasint"`
	Since    uint64   `cbor:"6,keyasint,omitempty"`
	Latest   uint64   `cbor:"7,keyasint,omitempty"` // omitted when equal to Sequence
}

var (
	listEnc cbor.EncMode
	listDec cbor.DecMode
)

func init() {
	var err error
	if listEnc, err = (cbor.EncOptions{Sort: cbor.SortCoreDeterministic}).EncMode(); err != nil {
		panic(err)
	}
	if listDec, err = (cbor.DecOptions{DupMapKey: cbor.DupMapKeyEnforcedAPF, MaxArrayElements: 1 << 20,
		IndefLength: cbor.IndefLengthForbidden}).DecMode(); err != nil {
		panic(err)
	}
}

// keyID is glyph.KeyID, repeated here so that the lists do not depend on
// the glyph's package.
func keyID(pub *ecdsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return sum[:8], nil
}

// Sign encodes the trust list and signs it with the trust anchor.
func (tl *TrustList) Sign(anchor *ecdsa.PrivateKey) ([]byte, error) {
	w := wireTrustList{Format: ListFormat, Issuer: tl.Issuer, IssuedAt: tl.IssuedAt.Unix(), Signers: []wireSigner{}}
	for _, s := range tl.Signers {
		der, err := x509.MarshalPKIXPublicKey(s.Public)
		if err != nil {
			return nil, err
		}
		kid, _ := keyID(s.Public)
		ws := wireSigner{KeyID: kid, Public: der, NotBefore: s.NotBefore.Unix()}
		if s.NotAfter != nil {
			na := s.NotAfter.Unix()
			ws.NotAfter = &na
		}
		w.Signers = append(w.Signers, ws)
	}
	payload, err := listEnc.Marshal(&w)
	if err != nil {
		return nil, err
	}
	return signList(payload, TrustListContentType, anchor)
}

// Sign encodes the revocation list and signs it with the trust anchor.
func (rl *RevocationList) Sign(anchor *ecdsa.PrivateKey) ([]byte, error) {
	hashes := slices.Clone(rl.Hashes)
	slices.SortFunc(hashes, func(a, b [RevocationHashSize]byte) int { return bytes.Compare(a[:], b[:]) })
	hashes = slices.Compact(hashes)
	if rl.Since > rl.Sequence || (rl.Latest != 0 && rl.Latest < rl.Sequence) {
		return nil, fmt.Errorf("certificates: revocation chunk with since %d, sequence %d, latest %d", rl.Since, rl.Sequence, rl.Latest)
	}
	w := wireRevocations{Format: ListFormat, Issuer: rl.Issuer, IssuedAt: rl.IssuedAt.Unix(), Sequence: rl.Sequence,
		Since: rl.Since, Hashes: make([][]byte, len(hashes))}
	if rl.Latest > rl.Sequence {
		w.Latest = rl.Latest
	}
	for i := range hashes {
		w.Hashes[i] = hashes[i][:]
	}
	payload, err := listEnc.Marshal(&w)
	if err != nil {
		return nil, err
	}
	return signList(payload, RevocationsContentType, anchor)
}

func signList(payload []byte, contentType string, anchor *ecdsa.PrivateKey) ([]byte, error) {
	if anchor == nil || anchor.Curve != elliptic.P256() {
		return nil, errors.New("certificates: the trust anchor must be an ECDSA P-256 key")
	}
	kid, err := keyID(&anchor.PublicKey)
	if err != nil {
		return nil, err
	}
	signer, err := cose.NewSigner(cose.AlgorithmES256, anchor)
	if err != nil {
		return nil, err
	}
	msg := cose.Sign1Message{
		Headers: cose.Headers{Protected: cose.ProtectedHeader{
			cose.HeaderLabelAlgorithm:   cose.AlgorithmES256,
			cose.HeaderLabelContentType: contentType,
			cose.HeaderLabelKeyID:       kid,
		}},
		Payload: payload,
	}
	if err := msg.Sign(rand.Reader, nil, signer); err != nil {
		return nil, err
	}
	return msg.MarshalCBOR()
}

// openList checks a list's COSE_Sign1 against the anchor and its content
// type, and returns the payload.
func openList(data []byte, contentType string, anchor *ecdsa.PublicKey) ([]byte, error) {
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrListMalformed, err)
	}
	if alg, err := msg.Headers.Protected.Algorithm(); err != nil || alg != cose.AlgorithmES256 {
		return nil, fmt.Errorf("%w: not ES256", ErrListMalformed)
	}
	if ct, _ := msg.Headers.Protected[cose.HeaderLabelContentType].(string); ct != contentType {
		return nil, fmt.Errorf("%w: content type %q, want %q", ErrListMalformed, ct, contentType)
	}
	v, err := cose.NewVerifier(cose.AlgorithmES256, anchor)
	if err != nil {
		return nil, err
	}
	if err := msg.Verify(nil, v); err != nil {
		return nil, ErrListSignature
	}
	return msg.Payload, nil
}

// ParseTrustList verifies data with the pinned trust anchor and decodes it.
func ParseTrustList(data []byte, anchor *ecdsa.PublicKey) (*TrustList, error) {
	payload, err := openList(data, TrustListContentType, anchor)
	if err != nil {
		return nil, err
	}
	var w wireTrustList
	if err := listDec.Unmarshal(payload, &w); err != nil || w.Format != ListFormat {
		return nil, fmt.Errorf("%w: trust list payload (format %d): %v", ErrListMalformed, w.Format, err)
	}
	tl := &TrustList{Issuer: w.Issuer, IssuedAt: time.Unix(w.IssuedAt, 0).UTC()}
	for i, ws := range w.Signers {
		parsed, err := x509.ParsePKIXPublicKey(ws.Public)
		pub, ok := parsed.(*ecdsa.PublicKey)
		if err != nil || !ok || pub.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%w: signer %d is no P-256 key", ErrListMalformed, i)
		}
		if kid, _ := keyID(pub); !bytes.Equal(kid, ws.KeyID) {
			return nil, fmt.Errorf("%w: signer %d: kid does not match the key", ErrListMalformed, i)
		}
		s := SignerKey{KeyID: ws.KeyID, Public: pub, NotBefore: time.Unix(ws.NotBefore, 0).UTC()}
		if ws.NotAfter != nil {
			na := time.Unix(*ws.NotAfter, 0).UTC()
			s.NotAfter = &na
		}
		tl.Signers = append(tl.Signers, s)
	}
	return tl, nil
}

// ParseRevocationList verifies data with the pinned trust anchor and
// decodes it.
func ParseRevocationList(data []byte, anchor *ecdsa.PublicKey) (*RevocationList, error) {
	payload, err := openList(data, RevocationsContentType, anchor)
	if err != nil {
		return nil, err
	}
	var w wireRevocations
	if err := listDec.Unmarshal(payload, &w); err != nil || w.Format != ListFormat {
		return nil, fmt.Errorf("%w: revocation list payload (format %d): %v", ErrListMalformed, w.Format, err)
	}
	rl := &RevocationList{Issuer: w.Issuer, IssuedAt: time.Unix(w.IssuedAt, 0).UTC(), Sequence: w.Sequence,
		Since: w.Since, Latest: max(w.Latest, w.Sequence)}
	if w.Since > w.Sequence || (w.Latest != 0 && w.Latest <= w.Sequence) {
		return nil, fmt.Errorf("%w: since %d, sequence %d, latest %d", ErrListMalformed, w.Since, w.Sequence, w.Latest)
	}
	for i, h := range w.Hashes {
		if len(h) != RevocationHashSize {
			return nil, fmt.Errorf("%w: entry %d has %d bytes", ErrListMalformed, i, len(h))
		}
		rl.Hashes = append(rl.Hashes, [RevocationHashSize]byte(h))
		if i > 0 && bytes.Compare(rl.Hashes[i-1][:], h) >= 0 {
			return nil, fmt.Errorf("%w: entries not sorted", ErrListMalformed)
		}
	}
	return rl, nil
}

// PublicKeyPEM is pub as a PEM "PUBLIC KEY" (SubjectPublicKeyInfo): how a
// trust anchor is handed to verifiers to pin.
func PublicKeyPEM(pub *ecdsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePublicKeyPEM reads a pinned trust anchor: a PEM "PUBLIC KEY" of a
// P-256 key.
func ParsePublicKeyPEM(data []byte) (*ecdsa.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("certificates: no PEM PUBLIC KEY block")
	}
	parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	pub, ok := parsed.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, errors.New("certificates: not an ECDSA P-256 public key")
	}
	return pub, nil
}
