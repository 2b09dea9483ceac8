// Package glyph encodes, decodes and verifies the timbro digitale: the signed
// 2D code printed on a Sportello registry certificate, which anyone can check
// offline, with free software, against the municipality's published keys (CAD
// art. 23-ter c.5, AgID Circolare 62/2013).
//
// A glyph is signed, not encrypted: whoever photographs the paper reads its
// data. It therefore carries only what the certificate states, and never the
// codice fiscale of anyone but the holder. A valid glyph can be copied onto a
// forged page, so a verifier must show the signed data for a person to compare
// with the paper, never just "valid".
//
// # Format v1
//
// The text in the QR code is
//
//	"TD1:" + Base45( zlib( COSE_Sign1( CBOR claims ) ) )
//
// the pipeline of the EU Digital COVID Certificate, with Sportello's own
// prefix and claims:
//
//  1. Claims are a CWT-style CBOR map (RFC 8392: iss 1, exp 4, iat 6) whose
//     certificate content sits under one private-use claim key, -65537, as a
//     map with small integer keys. Encoding is Core Deterministic (RFC 8949
//     §4.2.1); dates are days since 1970-01-01.
//  2. COSE_Sign1 (RFC 9052, tag 18) with ES256 on P-256. The protected header
//     holds exactly alg (-7) and kid, the first 8 bytes of the SHA-256 of the
//     signer's public key as SubjectPublicKeyInfo DER (see KeyID); the
//     unprotected header is empty.
//  3. zlib (RFC 1950) at best compression.
//  4. Base45 (RFC 9285), whose alphabet is exactly the QR alphanumeric set, so
//     a QR encoder uses alphanumeric mode (5.5 bits a character).
//
// docs/glyph.md specifies every byte, every key and the versioning rules.
//
// # Decoding is strict
//
// Decode accepts exactly one byte sequence for given claims, kid and
// signature: a non-canonical Base45, zlib stream with trailing data or set
// padding bits, a non-canonical COSE or CBOR encoding, an unknown claim key or
// a claim outside its rules is ErrMalformed. Decompressed data is capped at
// MaxDecompressed bytes and CBOR nesting, array and map sizes are bounded, so
// a hostile code cannot exhaust a phone. Each failure maps to one sentinel
// error (ErrNotSportello, ErrUnsupportedVersion, ErrMalformed, ErrUnknownKey,
// ErrBadSignature), so a verifier gives one outcome per glyph.
//
// Decode does not check the signature: Parsed.Verify does, trying every key
// the KeySet holds for the kid, since 8-byte kids can collide. Neither checks
// dates against a clock nor a revocation list: that is the verifier's policy.
//
// # Libraries and hand-written parts
//
// COSE_Sign1 signing and ES256 verification come from
// github.com/veraison/go-cose, CBOR from github.com/fxamacker/cbor/v2 (the
// library go-cose itself uses), zlib from the standard compress/zlib, and the
// QR version estimate from github.com/makiuchi-d/gozxing's QR encoder. Base45
// is hand-written (base45.go, about 40 lines, checked against every 2- and
// 3-character group): of the Go modules that claim it, one is written against
// a pre-RFC draft, one (as published when checked) accepts characters outside
// the alphabet in a trailing pair, and one is a big-integer variant that is
// not RFC 9285's encoding at all; none is worth a dependency for 40 lines.
//
// The package has no cgo and no Fyne: it builds for android/arm64 and
// ios/arm64 with CGO_ENABLED=0.
package glyph
