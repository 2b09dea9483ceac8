package app

import (
	"context"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/sportello/sportello/server"
)

// Only working sections are listed.
func TestNavigationListsWorkingSections(t *testing.T) {
	u := newTestUI(t, false, "it")
	var names []string
	for _, item := range u.tabs.Items {
		names = append(names, item.Text)
	}
	if len(names) != 2 || names[0] != "Comune" || names[1] != "Impostazioni" {
		t.Fatalf("sections %v", names)
	}
}

func TestBadAddressIsExplainedAndKept(t *testing.T) {
	u := newTestUI(t, false, "it")
	s := u.settings
	test.Type(s.address, "non è un indirizzo")
	test.Tap(s.connect)
	if s.feedback.Hidden || s.feedback.Text != bundle(t, "it")["error.bad_url"] {
		t.Fatalf("feedback %q hidden=%v", s.feedback.Text, s.feedback.Hidden)
	}
	if s.address.Text != "non è un indirizzo" {
		t.Fatalf("the typed address was lost: %q", s.address.Text)
	}
	if !u.conn.Current().Demo {
		t.Fatal("a bad address changed the municipality")
	}
}

func TestConnectToAnotherServerAndBack(t *testing.T) {
	u := newTestUI(t, false, "it")
	ctx := context.Background()
	srv, err := server.Start(ctx, filepath.Join(t.TempDir(), "other.db"), "127.0.0.1:0", true, u.log)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(ctx)
	s := u.settings
	s.address.SetText(srv.URL)
	test.Tap(s.connect)
	s = u.settings // every screen is rebuilt for the new municipality
	if u.conn.Current().URL != srv.URL || s.address.Text != "" || s.useDemo.Disabled() {
		t.Fatalf("after connecting: %+v address=%q", u.conn.Current(), s.address.Text)
	}
	if want := "Sei collegato a " + srv.URL + "."; s.current.Text != want {
		t.Fatalf("current %q, want %q", s.current.Text, want)
	}
	test.Tap(s.useDemo)
	s = u.settings
	if !u.conn.Current().Demo || !s.useDemo.Disabled() {
		t.Fatal("could not switch back to the demo")
	}
}

func TestLanguageSwitchRebuildsEveryScreen(t *testing.T) {
	u := newTestUI(t, false, "it")
	t.Cleanup(func() { applyLanguage("it") })
	u.app.Preferences().SetString(prefLanguage, "en")
	u.setLanguage("en")
	if got := u.tabs.Items[0].Text; got != "Municipality" {
		t.Fatalf("home tab %q after switching to English", got)
	}
	if u.tabs.SelectedIndex() != len(u.tabs.Items)-1 {
		t.Fatal("the user was moved away from Settings")
	}
	u.home.loadNow(context.Background())
	if got := u.conn.Client(); got == nil {
		t.Fatal("no client")
	}
}

func TestThemeChoiceIsApplied(t *testing.T) {
	u := newTestUI(t, false, "it")
	applyTheme(u.app, "light")
	if th, ok := u.app.Settings().Theme().(sportelloTheme); !ok || th.forced == nil {
		t.Fatal("light theme not forced")
	}
	applyTheme(u.app, "")
	if th := u.app.Settings().Theme().(sportelloTheme); th.forced != nil {
		t.Fatal("system theme still forced")
	}
}
