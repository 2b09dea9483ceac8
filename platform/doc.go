// Package platform holds the per-OS integrations behind small interfaces that
// the core defines (core.SecretStore, ...). The core stays free of them, so it
// builds for every target; the app picks an implementation at start-up. Each
// integration is a sub-package, e.g. platform/secrets for the OS secret store,
// platform/camera for live camera frames (luminance) to scan QR codes from.
package platform
