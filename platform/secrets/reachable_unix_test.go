//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package secrets

import (
	"errors"
	"slices"

	dbus "github.com/godbus/dbus/v5"
)

// secretStoreReachable reports whether the D-Bus session bus answers and a
// Secret Service (org.freedesktop.secrets) runs on it or can be started.
func secretStoreReachable() error {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return err
	}
	defer conn.Close()
	const name = "org.freedesktop.secrets"
	var owned bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&owned); err != nil {
		return err
	}
	if owned {
		return nil
	}
	var activatable []string
	if err := conn.BusObject().Call("org.freedesktop.DBus.ListActivatableNames", 0).Store(&activatable); err != nil {
		return err
	}
	if slices.Contains(activatable, name) {
		return nil
	}
	return errors.New("the session bus has no " + name)
}
