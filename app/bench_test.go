package app

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/platform/secrets"
)

// BenchmarkStartToDossierFromCache is a signed-in citizen opening the app:
// the device store opened, the demo municipality's server started in
// process, the sections built and the dossier drawn from the encrypted copy
// on the device, before any answer from the server. The citizen is the head
// of a family of six with a year of payments and messages.
func BenchmarkStartToDossierFromCache(b *testing.B) {
	keyring, dataDir := secrets.Memory(), b.TempDir()
	first := startTestUI(b, false, "it", dataDir, keyring)
	signInAs(b, first, familyOfSixHead)
	if first.dossier == nil || !first.dossier.have {
		b.Fatal("could not sign in and load the dossier once")
	}
	first.close()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := test.NewTempApp(b)
		u := newUI(a, test.NewTempWindow(b, nil), false, dataDir)
		u.openSecrets = func() (core.SecretStore, bool) { return keyring, true }
		u.log, u.now, u.loc, u.demoSeedTime = discardLog, func() time.Time { return fixedNow }, time.UTC, fixedNow
		u.async = func(func()) {} // no server round trip: only what the cache shows
		if err := u.startCore(ctx); err != nil {
			b.Fatal(err)
		}
		u.build()
		u.dossier.showCached(ctx)
		if !u.dossier.have || len(u.dossier.snap.Dossier.Payments) == 0 {
			b.Fatal("the dossier was not drawn from the cache")
		}
		b.StopTimer()
		u.close()
		b.StartTimer()
	}
}
