package glyph

import (
	"bytes"
	"compress/zlib"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strings"
	"sync"

	"github.com/veraison/go-cose"
)

// Prefix starts the text of every format v1 glyph.
const Prefix = "TD1:"

// Limits Decode enforces before and while unpacking a glyph.
const (
	// MaxText is the longest text Decode reads: what a version 40 QR code
	// holds in alphanumeric mode at ECC level L.
	MaxText = 4296
	// MaxDecompressed caps the zlib output, against decompression bombs.
	MaxDecompressed = 16 << 10
	// KeyIDSize is the length of a kid.
	KeyIDSize = 8
)

// Errors from Decode and Verify. Each failure wraps exactly one of them,
// with details; test with errors.Is.
var (
	// ErrNotSportello: the text is not a Sportello glyph (no "TD" prefix).
	ErrNotSportello = errors.New("glyph: not a Sportello timbro digitale")
	// ErrUnsupportedVersion: a Sportello glyph of a format version this
	// code does not know ("TD2:", ...): the verifier needs an update.
	ErrUnsupportedVersion = errors.New("glyph: unsupported format version")
	// ErrMalformed: the glyph is damaged or forged: Base45, zlib, COSE or
	// CBOR broken or not canonical, too large, trailing data, an unknown
	// claim key or a claim that breaks the format's rules.
	ErrMalformed = errors.New("glyph: malformed")
	// ErrUnknownKey: no key with the glyph's kid is known.
	ErrUnknownKey = errors.New("glyph: unknown signing key")
	// ErrBadSignature: keys with the glyph's kid are known, but none
	// verifies the signature.
	ErrBadSignature = errors.New("glyph: invalid signature")
)

// KeySet gives the public keys a verifier trusts for a kid. Kids are 8 bytes
// of a hash, so different keys can share one: return them all.
type KeySet interface {
	Keys(kid []byte) []*ecdsa.PublicKey
}

// KeyID is the kid of pub: the first 8 bytes of the SHA-256 of its
// SubjectPublicKeyInfo DER encoding. It is nil for a key that cannot be
// encoded.
func KeyID(pub *ecdsa.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(der)
	return sum[:KeyIDSize]
}

// Encode signs c with key, a P-256 private key, and returns the glyph's text,
// ready for a QR code. It fails when c breaks the format's rules (see
// docs/glyph.md), which Decode would reject.
func Encode(c Claims, key *ecdsa.PrivateKey) (string, error) {
	if key == nil || key.Curve != elliptic.P256() {
		return "", errors.New("glyph: the signing key must be an ECDSA P-256 key")
	}
	payload, err := marshalClaims(&c)
	if err != nil {
		return "", fmt.Errorf("glyph: invalid claims: %w", err)
	}
	msg, err := sign1(payload, key, KeyID(&key.PublicKey))
	if err != nil {
		return "", err
	}
	return pack(msg)
}

// sign1 returns the tagged COSE_Sign1 of payload, signed with ES256 by key
// and carrying kid in the protected header.
func sign1(payload []byte, key *ecdsa.PrivateKey, kid []byte) ([]byte, error) {
	signer, err := cose.NewSigner(cose.AlgorithmES256, key)
	if err != nil {
		return nil, fmt.Errorf("glyph: %w", err)
	}
	msg := cose.Sign1Message{
		Headers: cose.Headers{
			Protected: cose.ProtectedHeader{
				cose.HeaderLabelAlgorithm: cose.AlgorithmES256,
				cose.HeaderLabelKeyID:     kid,
			},
			Unprotected: cose.UnprotectedHeader{},
		},
		Payload: payload,
	}
	if err := msg.Sign(rand.Reader, nil, signer); err != nil {
		return nil, fmt.Errorf("glyph: signing: %w", err)
	}
	return msg.MarshalCBOR()
}

// pack compresses a COSE message and returns the glyph's text.
func pack(msg []byte) (string, error) {
	var z bytes.Buffer
	w := zlibWriters.Get().(*zlib.Writer)
	defer zlibWriters.Put(w)
	w.Reset(&z)
	if _, err := w.Write(msg); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return Prefix + base45Encode(z.Bytes()), nil
}

// zlibWriters keeps best-compression writers, which take most of a
// megabyte each to set up.
var zlibWriters = sync.Pool{New: func() any {
	w, err := zlib.NewWriterLevel(nil, zlib.BestCompression)
	if err != nil {
		panic(err)
	}
	return w
}}

// Parsed is a glyph that Decode found well formed. Its Claims are not to be
// trusted, nor shown as the certificate's, until Verify succeeds.
type Parsed struct {
	KeyID  []byte // the kid of the key that claims to have signed it
	Claims Claims

	msg     cose.Sign1Message
	payload []byte // the claims' CBOR, as signed
}

// Decode parses a glyph's text strictly, without checking its signature:
// call Verify on the result. text is the QR code's content exactly, with no
// surrounding spaces or line breaks.
func Decode(text string) (*Parsed, error) {
	if !strings.HasPrefix(text, Prefix) {
		if isOtherVersion(text) {
			return nil, ErrUnsupportedVersion
		}
		return nil, ErrNotSportello
	}
	if len(text) > MaxText {
		return nil, fmt.Errorf("%w: longer than %d characters", ErrMalformed, MaxText)
	}
	z, err := base45Decode(text[len(Prefix):])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	raw, err := inflate(z)
	if err != nil {
		return nil, fmt.Errorf("%w: zlib: %v", ErrMalformed, err)
	}
	p, err := parseCOSE(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: COSE: %v", ErrMalformed, err)
	}
	if p.Claims, err = unmarshalClaims(p.payload); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", ErrMalformed, err)
	}
	return p, nil
}

// isOtherVersion reports whether text starts like "TD2:", "TD10:".
func isOtherVersion(text string) bool {
	rest, ok := strings.CutPrefix(text, "TD")
	if !ok {
		return false
	}
	n := 0
	for n < len(rest) && n < 4 && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	return n > 0 && n < len(rest) && rest[n] == ':'
}

// inflate decompresses a zlib stream of at most MaxDecompressed bytes. The
// stream must end exactly after its checksum, and the bits that deflate
// skips (RFC 1951 §3.2.4: after a stored block's header and after the last
// block) must be zero, so that no two streams that differ only there are
// both accepted.
func inflate(z []byte) ([]byte, error) {
	out, padded, err := inflateOnce(z)
	if err != nil {
		return nil, err
	}
	// Skipped bits are the high bits of the byte read last before a byte
	// aligned read. If the highest set bit of such a byte can be cleared
	// with no change to the output, that bit was skipped.
	for _, i := range padded {
		if z[i] == 0 {
			continue
		}
		cleared := bytes.Clone(z)
		cleared[i] &^= 0x80 >> bits.LeadingZeros8(z[i])
		if again, _, err := inflateOnce(cleared); err == nil && bytes.Equal(again, out) {
			return nil, errors.New("padding bits set")
		}
	}
	return out, nil
}

// inflateOnce decompresses z and also returns the index of every byte that
// may end with skipped bits.
func inflateOnce(z []byte) (out []byte, padded []int, err error) {
	in := &byteTracker{data: z}
	var r io.ReadCloser
	if pooled, ok := zlibReaders.Get().(io.ReadCloser); ok {
		r, err = pooled, pooled.(zlib.Resetter).Reset(in, nil)
	} else {
		r, err = zlib.NewReader(in)
	}
	if err != nil {
		return nil, nil, err
	}
	defer zlibReaders.Put(r)
	out, err = io.ReadAll(io.LimitReader(r, MaxDecompressed+1))
	if err != nil {
		return nil, nil, err
	}
	if len(out) > MaxDecompressed {
		return nil, nil, fmt.Errorf("more than %d bytes", MaxDecompressed)
	}
	if in.pos != len(z) {
		return nil, nil, errors.New("trailing data")
	}
	return out, in.padded, nil
}

// zlibReaders keeps decompressors, each with its 32 KiB window.
var zlibReaders sync.Pool

// byteTracker feeds compress/flate, which reads Huffman-coded bits a byte at
// a time (ReadByte) and byte-aligned data, a stored block's length or the
// zlib checksum, with Read, after dropping the bits left in the byte it read
// last. byteTracker notes the index of that byte.
type byteTracker struct {
	data     []byte
	pos      int
	lastByte bool
	padded   []int
}

func (t *byteTracker) ReadByte() (byte, error) {
	if t.pos >= len(t.data) {
		return 0, io.EOF
	}
	t.pos++
	t.lastByte = true
	return t.data[t.pos-1], nil
}

func (t *byteTracker) Read(p []byte) (int, error) {
	if t.lastByte {
		t.padded = append(t.padded, t.pos-1)
		t.lastByte = false
	}
	if t.pos >= len(t.data) {
		return 0, io.EOF
	}
	n := copy(p, t.data[t.pos:])
	t.pos += n
	return n, nil
}

// parseCOSE reads a tagged COSE_Sign1 and insists on the one encoding
// Encode gives: protected header exactly {alg: ES256, kid: 8 bytes},
// unprotected header empty, an attached payload and a 64-byte signature, all
// in deterministic CBOR with nothing after it.
func parseCOSE(raw []byte) (*Parsed, error) {
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(raw); err != nil {
		return nil, err
	}
	kid, ok := msg.Headers.Protected[cose.HeaderLabelKeyID].([]byte)
	if !ok || len(kid) != KeyIDSize {
		return nil, errors.New("no 8-byte kid in the protected header")
	}
	if !bytes.Equal(msg.Headers.RawProtected, protectedHeader(kid)) {
		return nil, errors.New("protected header is not exactly alg ES256 and kid")
	}
	if !bytes.Equal(msg.Headers.RawUnprotected, []byte{0xa0}) {
		return nil, errors.New("unprotected header is not empty")
	}
	if msg.Payload == nil {
		return nil, errors.New("no payload")
	}
	if len(msg.Signature) != 64 {
		return nil, errors.New("an ES256 signature has 64 bytes")
	}
	again, err := msg.MarshalCBOR()
	if err != nil || !bytes.Equal(again, raw) {
		return nil, errors.New("not in deterministic encoding")
	}
	return &Parsed{KeyID: bytes.Clone(kid), msg: msg, payload: msg.Payload}, nil
}

// protectedHeader is the serialized protected header, as a CBOR byte
// string: bstr .cbor {1: -7, 4: h'kid'}.
func protectedHeader(kid []byte) []byte {
	h := []byte{0x40 | byte(5+len(kid)), 0xa2, 0x01, 0x26, 0x04, 0x40 | byte(len(kid))}
	return append(h, kid...)
}

// Verify checks the signature with every key keys holds for the glyph's kid
// and returns the one that verifies. It fails with ErrUnknownKey when keys
// has none for the kid, and ErrBadSignature when none verifies.
func (p *Parsed) Verify(keys KeySet) (*ecdsa.PublicKey, error) {
	var candidates []*ecdsa.PublicKey
	if keys != nil {
		candidates = keys.Keys(p.KeyID)
	}
	if len(candidates) == 0 {
		return nil, ErrUnknownKey
	}
	for _, k := range candidates {
		if k == nil || k.Curve != elliptic.P256() {
			continue
		}
		v, err := cose.NewVerifier(cose.AlgorithmES256, k)
		if err != nil {
			continue
		}
		if p.msg.Verify(nil, v) == nil {
			return k, nil
		}
	}
	return nil, ErrBadSignature
}
