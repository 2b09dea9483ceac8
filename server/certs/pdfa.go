package certs

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
)

// PDF/A-2b. fpdf (v0.9.0) embeds the fonts (subsets of the Go fonts, as
// TrueType CID fonts with a ToUnicode map), but has no output intent, does
// not link its XMP metadata from the catalog, writes no file identifier and
// no binary comment after the header. toPDFA adds what is missing by
// rewriting the end of the file fpdf wrote: a header "%PDF-1.7" with a
// binary comment, a new document information dictionary, a catalog that
// links an XMP packet declaring PDF/A-2B and an sRGB output intent (the
// ICC profile is built by iccSRGB), a cross-reference table and a trailer
// with /ID. The page contents use DeviceGray only, which an output intent
// makes device-independent. The result has not been checked with veraPDF
// (not available where this was written); qpdf --check accepts it.

// pdfaInfo is the document information, written both in the information
// dictionary and in XMP, as PDF/A requires them to agree.
type pdfaInfo struct {
	Title, Author, Creator, Producer string
	Date                             time.Time
}

var (
	trailerRE   = regexp.MustCompile(`trailer\s*<<\s*/Size (\d+)\s*/Root (\d+) 0 R\s*/Info (\d+) 0 R\s*>>\s*startxref\s*(\d+)\s*%%EOF\s*$`)
	xrefEntryRE = regexp.MustCompile(`^(\d{10}) (\d{5}) ([nf]) ?$`)
)

// toPDFA turns fpdf's output into a PDF/A-2b file.
func toPDFA(in []byte, info pdfaInfo) ([]byte, error) {
	m := trailerRE.FindSubmatch(in)
	if m == nil {
		return nil, errors.New("pdf/a: the trailer is not fpdf's")
	}
	size, _ := strconv.Atoi(string(m[1]))
	root, _ := strconv.Atoi(string(m[2]))
	infoObj, _ := strconv.Atoi(string(m[3]))
	xrefAt, _ := strconv.Atoi(string(m[4]))
	if xrefAt >= len(in) || !bytes.HasPrefix(in[xrefAt:], []byte("xref\n")) {
		return nil, errors.New("pdf/a: no cross-reference table at startxref")
	}
	lines := strings.Split(string(in[xrefAt:]), "\n")
	if len(lines) < size+2 || lines[1] != fmt.Sprintf("0 %d", size) {
		return nil, errors.New("pdf/a: unexpected cross-reference table")
	}
	offsets := make([]int, size)
	for i := 1; i < size; i++ {
		e := xrefEntryRE.FindStringSubmatch(lines[2+i])
		if e == nil || e[3] != "n" {
			return nil, fmt.Errorf("pdf/a: cross-reference entry %d: %q", i, lines[2+i])
		}
		offsets[i], _ = strconv.Atoi(e[1])
	}
	// fpdf writes the information dictionary and the catalog last.
	for i := 1; i < size; i++ {
		if i != infoObj && i != root && offsets[i] >= offsets[infoObj] {
			return nil, errors.New("pdf/a: the information dictionary is not near the end")
		}
	}
	if offsets[root] < offsets[infoObj] {
		return nil, errors.New("pdf/a: the catalog is not last")
	}
	catalog := string(in[offsets[root]:xrefAt])
	open, end := strings.Index(catalog, "<<"), strings.LastIndex(catalog, ">>")
	if open < 0 || end < open {
		return nil, errors.New("pdf/a: cannot read the catalog")
	}
	catalogBody := catalog[open+2 : end]

	nl := bytes.IndexByte(in, '\n')
	if nl < 0 || !bytes.HasPrefix(in, []byte("%PDF-1.")) {
		return nil, errors.New("pdf/a: no PDF header")
	}
	var out bytes.Buffer
	out.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	shift := out.Len() - (nl + 1)
	out.Write(in[nl+1 : offsets[infoObj]])
	for i := 1; i < size; i++ {
		if i != infoObj && i != root {
			offsets[i] += shift
		}
	}
	metadata, icc, intent := size, size+1, size+2
	offsets = append(offsets, 0, 0, 0)

	offsets[infoObj] = out.Len()
	date := pdfDate(info.Date)
	fmt.Fprintf(&out, "%d 0 obj\n<< /Title %s /Author %s /Creator %s /Producer %s /CreationDate %s /ModDate %s >>\nendobj\n",
		infoObj, pdfText(info.Title), pdfText(info.Author), pdfText(info.Creator), pdfText(info.Producer), date, date)

	offsets[root] = out.Len()
	fmt.Fprintf(&out, "%d 0 obj\n<<%s/Metadata %d 0 R\n/OutputIntents [%d 0 R]\n>>\nendobj\n", root, catalogBody, metadata, intent)

	xmp := xmpPacket(info)
	offsets[metadata] = out.Len()
	fmt.Fprintf(&out, "%d 0 obj\n<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n", metadata, len(xmp))
	out.Write(xmp)
	out.WriteString("\nendstream\nendobj\n")

	profile := iccSRGBDeflated()
	offsets[icc] = out.Len()
	fmt.Fprintf(&out, "%d 0 obj\n<< /N 3 /Filter /FlateDecode /Length %d >>\nstream\n", icc, len(profile))
	out.Write(profile)
	out.WriteString("\nendstream\nendobj\n")

	offsets[intent] = out.Len()
	fmt.Fprintf(&out, "%d 0 obj\n<< /Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB IEC61966-2.1) "+
		"/RegistryName (http://www.color.org) /Info (sRGB IEC61966-2.1) /DestOutputProfile %d 0 R >>\nendobj\n", intent, icc)

	sum := sha256.Sum256(out.Bytes())
	id := strings.ToUpper(hex.EncodeToString(sum[:16]))
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(offsets))
	for i := 1; i < len(offsets); i++ {
		fmt.Fprintf(&out, "%010d 00000 n \n", offsets[i])
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n",
		len(offsets), root, infoObj, id, id, xref)
	return out.Bytes(), nil
}

// pdfDate is a PDF date string in UTC.
func pdfDate(t time.Time) string { return "(D:" + t.UTC().Format("20060102150405") + "Z)" }

// pdfText is s as a PDF text string: literal for printable ASCII, UTF-16BE
// with a byte order mark otherwise.
func pdfText(s string) string {
	ascii := true
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
		return "(" + r.Replace(s) + ")"
	}
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}

func xmlText(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	return r.Replace(s)
}

// xmpPacket is the document's XMP metadata: PDF/A-2B identification and
// the same title, author, tool, producer and dates as the information
// dictionary.
func xmpPacket(info pdfaInfo) []byte {
	date := info.Date.UTC().Format("2006-01-02T15:04:05Z")
	return []byte(`<?xpacket begin="` + "\ufeff" + `" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
<pdfaid:part>2</pdfaid:part>
<pdfaid:conformance>B</pdfaid:conformance>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:format>application/pdf</dc:format>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">` + xmlText(info.Title) + `</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>` + xmlText(info.Author) + `</rdf:li></rdf:Seq></dc:creator>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
<xmp:CreatorTool>` + xmlText(info.Creator) + `</xmp:CreatorTool>
<xmp:CreateDate>` + date + `</xmp:CreateDate>
<xmp:ModifyDate>` + date + `</xmp:ModifyDate>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<pdf:Producer>` + xmlText(info.Producer) + `</pdf:Producer>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`)
}

var (
	iccOnce     sync.Once
	iccDeflated []byte
)

// iccSRGBDeflated is iccSRGB compressed, built once.
func iccSRGBDeflated() []byte {
	iccOnce.Do(func() {
		var b bytes.Buffer
		w, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
		w.Write(iccSRGB())
		w.Close()
		iccDeflated = b.Bytes()
	})
	return iccDeflated
}
