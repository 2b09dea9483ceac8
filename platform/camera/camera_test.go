package camera

import (
	"errors"
	"image"
	"runtime"
	"testing"
)

func TestNoBackend(t *testing.T) {
	var b Backend = noBackend{}
	if d, err := b.Devices(); !errors.Is(err, ErrNoBackend) || d != nil {
		t.Errorf("Devices() = %v, %v; want nil, ErrNoBackend", d, err)
	}
	if s, err := b.Open("", image.Point{}); !errors.Is(err, ErrNoBackend) || s != nil {
		t.Errorf("Open() = %v, %v; want nil, ErrNoBackend", s, err)
	}
}

func TestDefault(t *testing.T) {
	b := Default()
	if b == nil {
		t.Fatal("Default() = nil")
	}
	if runtime.GOOS != "linux" {
		if _, ok := b.(noBackend); !ok {
			t.Errorf("Default() on %s = %T, want noBackend", runtime.GOOS, b)
		}
	}
}
