package app

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/platform/secrets"
	"github.com/sportello/sportello/server"
)

var sections = []string{"personal", "residence", "family", "id_card", "tari", "vehicles", "fines", "payments", "certificates", "appointments", "messages"}

func TestDossierOverviewAndEverySection(t *testing.T) {
	u := startTestUI(t, false, "it", t.TempDir(), secrets.Memory())
	signInAs(t, u, marcoColombo)
	u.showDossier()
	golden(t, u, "dossier_desktop_it")
	d := u.dossier
	if got := d.snap.Dossier.Person.FiscalCode; got != marcoColombo {
		t.Fatalf("dossier of %q", got)
	}
	for _, s := range sections {
		d.open(s)
		text := labels(d.root)
		if strings.TrimSpace(text) == "" {
			t.Errorf("section %s shows nothing", s)
		}
		golden(t, u, "dossier_"+s+"_desktop_it")
		d.back()
	}
	d.open("family")
	if text := labels(d.root); !strings.Contains(text, tommasoMinor) || !strings.Contains(text, giuliaGrownUp) {
		t.Errorf("family lacks the children:\n%s", text)
	}
}

func TestDossierOnAPhoneInEnglish(t *testing.T) {
	u := startTestUI(t, true, "en", t.TempDir(), secrets.Memory())
	signInAs(t, u, marcoColombo)
	u.showDossier()
	golden(t, u, "dossier_phone_en")
	u.dossier.open("tari")
	golden(t, u, "dossier_tari_phone_en")
}

// A parent switches to their minor son's dossier and back; it is always
// clear whose data is on screen, and an adult child is not offered.
func TestActingForAMinorChild(t *testing.T) {
	u := startTestUI(t, true, "it", t.TempDir(), secrets.Memory())
	signInAs(t, u, marcoColombo)
	d := u.dossier
	var offered []string
	for _, p := range d.snap.Dossier.Delegations {
		offered = append(offered, p.FiscalCode)
	}
	if len(offered) != 1 || offered[0] != tommasoMinor {
		t.Fatalf("delegations %v, want only the minor son", offered)
	}
	tapButton(t, d.root, "Agisci per Tommaso Colombo")
	if got := d.snap.Dossier.Person.FiscalCode; got != tommasoMinor || d.actingFor != tommasoMinor {
		t.Fatalf("acting for: dossier of %q", got)
	}
	if !strings.Contains(labels(d.root), "Stai agendo per Tommaso Colombo") {
		t.Fatal("no banner says whose dossier this is")
	}
	u.showDossier()
	golden(t, u, "dossier_acting_for_phone_it")
	d.open("personal")
	if !strings.Contains(labels(d.root), "Tommaso Colombo") {
		t.Fatal("a section does not say whose data it shows")
	}
	d.back()
	tapButton(t, d.root, "Torna al mio fascicolo")
	if d.snap.Dossier.Person.FiscalCode != marcoColombo || d.actingFor != "" {
		t.Fatal("could not go back to the parent's own dossier")
	}
}

// tapButton taps the button labelled text under o.
func tapButton(t *testing.T, o fyne.CanvasObject, text string) {
	t.Helper()
	for _, c := range test.LaidOutObjects(o) {
		if b, ok := c.(*widget.Button); ok && b.Text == text {
			test.Tap(b)
			return
		}
	}
	t.Fatalf("no button %q", text)
}

// With the server down the dossier still shows, from the encrypted copy,
// with a banner; the next successful sync clears it.
func TestDossierOffline(t *testing.T) {
	ctx := context.Background()
	keyring, dataDir := secrets.Memory(), t.TempDir()
	dbFile := filepath.Join(t.TempDir(), "municipality.db")
	srv, err := server.StartSeededAt(ctx, dbFile, "127.0.0.1:0", true, fixedNow, discardLog)
	if err != nil {
		t.Fatal(err)
	}
	u := startTestUI(t, false, "it", dataDir, keyring)
	if err := u.conn.UseURL(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	u.showMain()
	signInAs(t, u, marcoColombo)
	u.close()
	srv.Close(ctx)

	u2 := startTestUI(t, false, "it", dataDir, keyring)
	d := u2.dossier
	if d == nil || !d.have || d.snap.Stale == nil || d.snap.Dossier.Person.FiscalCode != marcoColombo {
		t.Fatalf("offline start: dossier %v", d != nil && d.have)
	}
	u2.showDossier()
	golden(t, u2, "dossier_offline_desktop_it")
	// My appointments too, from its own copy, with the same banner.
	d.open("appointments")
	if text := labels(d.root); !d.appts.have || d.appts.snap.Stale == nil || !strings.Contains(text, "Sei offline") {
		t.Fatalf("My appointments offline: have %v, stale %v:\n%s", d.appts.have, d.appts.snap.Stale, text)
	}
	d.back()

	// The server comes back (same database, same address is not needed: the
	// app keeps its URL, so restart it there).
	srv2, err := server.StartSeededAt(ctx, dbFile, strings.TrimPrefix(srv.URL, "http://"), true, fixedNow, discardLog)
	if err != nil {
		t.Skipf("could not listen on %s again: %v", srv.URL, err)
	}
	defer srv2.Close(ctx)
	d.loadNow(ctx)
	if d.snap.Stale != nil {
		t.Fatalf("still offline after the server came back: %v", d.snap.Stale)
	}
}

func TestMarkAMessageRead(t *testing.T) {
	u := startTestUI(t, false, "it", t.TempDir(), secrets.Memory())
	signInAs(t, u, marcoColombo)
	d := u.dossier
	before := 0
	for _, m := range d.snap.Dossier.Messages {
		if !m.Read {
			before++
		}
	}
	if before == 0 {
		t.Skip("the demo citizen has no unread message")
	}
	if !strings.Contains(u.tabs.Items[1].Text, "(") {
		t.Errorf("the tab shows no unread count: %q", u.tabs.Items[1].Text)
	}
	d.open("messages")
	tapButton(t, d.root, "Segna come letto")
	after := 0
	for _, m := range d.snap.Dossier.Messages {
		if !m.Read {
			after++
		}
	}
	if after != before-1 {
		t.Fatalf("unread %d → %d", before, after)
	}
	// The server knows too: a fresh sync keeps it read.
	d.loadNow(context.Background())
	again := 0
	for _, m := range d.snap.Dossier.Messages {
		if !m.Read {
			again++
		}
	}
	if again != after {
		t.Fatalf("after a sync unread is %d, want %d", again, after)
	}
}

// A sync that brings a message the device had not seen raises a local
// notification.
func TestNewMessageNotifies(t *testing.T) {
	ctx := context.Background()
	u := startTestUI(t, false, "it", t.TempDir(), secrets.Memory())
	signInAs(t, u, marcoColombo)
	d := u.dossier
	var newest string
	for _, m := range d.snap.Dossier.Messages {
		if !m.Read {
			newest = m.Subject
			break
		}
	}
	if newest == "" {
		t.Skip("the demo citizen has no unread message")
	}
	// Make the device's copy one message short, as before the municipality sent it.
	src, err := d.source()
	if err != nil {
		t.Fatal(err)
	}
	old := d.snap.Dossier
	for i, m := range old.Messages {
		if m.Subject == newest {
			old.Messages = append(old.Messages[:i:i], old.Messages[i+1:]...)
			break
		}
	}
	plain, _ := json.Marshal(old)
	key := "dossier|" + src.Site + "|self"
	sealed, err := src.Vault.Seal(plain, []byte(key))
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Store.PersonalPut(ctx, key, sealed, "", fixedNow); err != nil {
		t.Fatal(err)
	}
	test.AssertNotificationSent(t, fyne.NewNotification("Nuovo messaggio dal Comune", newest), func() { d.loadNow(ctx) })
}
