//go:build !linux || android

package camera

// platformBackend: no camera support here yet (see the package doc for how an
// Android or iOS backend plugs in).
func platformBackend() Backend { return noBackend{} }
