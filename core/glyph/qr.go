package glyph

import (
	"fmt"

	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"
)

// ECLevel is a QR code's error correction level.
type ECLevel int

// Error correction levels: L recovers about 7% of the symbol, M 15%, Q 25%
// and H 30%. Q is recommended for printed glyphs.
const (
	ECLevelL ECLevel = iota
	ECLevelM
	ECLevelQ
	ECLevelH
)

func (l ECLevel) String() string {
	if l < ECLevelL || l > ECLevelH {
		return fmt.Sprintf("ECLevel(%d)", int(l))
	}
	return "LMQH"[l : l+1]
}

// QRVersion returns the version (1 to 40: 21 to 177 modules a side) of the
// smallest QR code that holds text at the given error correction level, as
// gozxing's encoder builds it; a glyph's text is encoded in alphanumeric mode.
func QRVersion(text string, level ECLevel) (int, error) {
	levels := [...]decoder.ErrorCorrectionLevel{
		decoder.ErrorCorrectionLevel_L,
		decoder.ErrorCorrectionLevel_M,
		decoder.ErrorCorrectionLevel_Q,
		decoder.ErrorCorrectionLevel_H,
	}
	if level < ECLevelL || level > ECLevelH {
		return 0, fmt.Errorf("glyph: unknown QR error correction level %d", int(level))
	}
	code, err := encoder.Encoder_encode(text, levels[level], nil)
	if err != nil {
		return 0, fmt.Errorf("glyph: QR code: %w", err)
	}
	return code.GetVersion().GetVersionNumber(), nil
}
