package scan

import (
	"fmt"
	"io"
	"os"
)

// File reads a code from the PNG, JPEG or PDF file at path, whose kind is
// sniffed from its content (not its name): see Image and PDF. A file above
// MaxFileBytes is refused with ErrTooLarge without being read whole;
// content of another kind with ErrUnsupportedFile. Errors opening or
// reading the file are returned as they are.
func File(path string) (Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxFileBytes {
		return Result{}, fmt.Errorf("%w: %s is %d bytes", ErrTooLarge, path, fi.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return Result{}, err
	}
	return Bytes(data)
}

// Bytes reads a code from the content of a PNG, JPEG or PDF file already
// in memory, as File does.
func Bytes(data []byte) (Result, error) {
	if len(data) > MaxFileBytes {
		return Result{}, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(data))
	}
	switch sniff(data) {
	case formatPNG, formatJPEG:
		return Image(data)
	case formatPDF:
		return PDF(data)
	}
	return Result{}, ErrUnsupportedFile
}
