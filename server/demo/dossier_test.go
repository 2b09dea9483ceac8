package demo

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/pagopa"
)

func TestVersions(t *testing.T) {
	v1 := GenerateVersion(testNow, 1)
	if v1.Version != 1 || len(v1.Families) != 27 || len(v1.Citizens) != 74 {
		t.Errorf("version 1: version %d, %d families, %d citizens; want 1, 27, 74", v1.Version, len(v1.Families), len(v1.Citizens))
	}
	if v1.Messages != nil || v1.Payments != nil || v1.Fines != nil {
		t.Error("version 1 has dossier records")
	}
	if ds := Generate(testNow); ds.Version != Version || Version != 3 {
		t.Errorf("Generate is version %d, Version %d", ds.Version, Version)
	}
	if add, err := Upgrade(testNow, Generate(testNow)); err != nil || !reflect.DeepEqual(add, Dataset{Version: Version}) {
		t.Errorf("Upgrade of the current version: %+v, %v; want nothing", add, err)
	}
	if _, err := Upgrade(testNow, Dataset{}); err == nil {
		t.Error("Upgrade of a dataset of no version succeeded")
	}
}

// TestUpgradeMatchesGenerate reads version 1 back as a database would give
// it (other order, no phone numbers nobody stored) and upgrades it: the
// result is what Generate gives, at any instant, also when the old database
// was seeded months before.
func TestUpgradeMatchesGenerate(t *testing.T) {
	for _, now := range []time.Time{testNow, testNow.AddDate(0, 4, 9), testNow.AddDate(1, 7, 0)} {
		v1 := GenerateVersion(now, 1)
		have := Dataset{Version: 1}
		for _, rows := range []struct{ in, out any }{
			{v1.Families, &have.Families}, {v1.Citizens, &have.Citizens}, {v1.Vehicles, &have.Vehicles}, {v1.TARI, &have.TARI},
		} {
			in := reflect.ValueOf(rows.in)
			out := reflect.MakeSlice(in.Type(), 0, in.Len())
			for i := in.Len() - 1; i >= 0; i-- {
				out = reflect.Append(out, in.Index(i))
			}
			reflect.ValueOf(rows.out).Elem().Set(out)
		}
		add, err := Upgrade(now, have)
		if err != nil {
			t.Fatal(err)
		}
		if add.Version != Version || len(add.Families) != 1 || len(add.Citizens) != 6 || len(add.Messages) == 0 || len(add.Fines) == 0 {
			t.Errorf("%v: added version %d, %d families, %d citizens, %d messages, %d fines", now, add.Version,
				len(add.Families), len(add.Citizens), len(add.Messages), len(add.Fines))
		}
		v1.Add(add)
		if want := Generate(now); !reflect.DeepEqual(v1, want) {
			t.Errorf("%v: version 1 upgraded differs from Generate", now)
		}
		// An old database seeded on an earlier day (other card and TARI
		// dates) still upgrades.
		old := GenerateVersion(now.AddDate(0, -5, 0), 1)
		if add, err := Upgrade(now, old); err != nil || len(add.Citizens) != 6 {
			t.Errorf("upgrade of a database seeded 5 months before: %d citizens, %v", len(add.Citizens), err)
		}
	}
}

// TestBigFamily: the benchmark's family has six members, two parents, an
// adult child and minors; its head a year of payments and six messages.
func TestBigFamily(t *testing.T) {
	ds := Generate(testNow)
	members := map[string][]core.Citizen{}
	for _, c := range ds.Citizens {
		members[c.FamilyID] = append(members[c.FamilyID], c)
	}
	var head core.Citizen
	for _, list := range members {
		if len(list) < 6 {
			continue
		}
		rels := map[core.Relationship]int{}
		minors := 0
		for _, c := range list {
			rels[c.Relationship]++
			if c.Relationship == core.Head {
				head = c
			}
			if !isAdult(c, testToday) {
				minors++
			}
		}
		if len(list) != 6 || rels[core.Head] != 1 || rels[core.Spouse] != 1 || rels[core.Child] != 4 || minors < 2 || minors > 3 {
			t.Errorf("family %s: %v, %d minors", list[0].FamilyID, rels, minors)
		}
	}
	if head.FiscalCode == "" {
		t.Fatal("no family of six")
	}
	var paid []time.Time
	for _, p := range ds.Payments {
		if p.Payer == head.FiscalCode {
			paid = append(paid, p.PaidAt)
		}
	}
	yearAgo := testNow.AddDate(-1, 0, 0)
	if len(paid) < 6 || !slices.ContainsFunc(paid, func(t time.Time) bool { return t.Before(yearAgo) }) ||
		!slices.ContainsFunc(paid, func(t time.Time) bool { return t.After(testNow.AddDate(0, -3, 0)) }) {
		t.Errorf("the head %s has payments %v", head.FiscalCode, paid)
	}
	n := 0
	for _, m := range ds.Messages {
		if m.FiscalCode == head.FiscalCode {
			n++
		}
	}
	if n != 6 {
		t.Errorf("the head has %d messages, want 6", n)
	}
}

func TestFines(t *testing.T) {
	ds := Generate(testNow)
	if n := len(ds.Fines); n < 10 || n > 14 {
		t.Fatalf("%d fines", n)
	}
	vehicles := map[string]core.Vehicle{}
	for _, v := range ds.Vehicles {
		vehicles[v.Plate] = v
	}
	tariNotices := map[string]bool{}
	for _, p := range ds.TARI {
		for _, in := range p.Instalments {
			tariNotices[in.NoticeNumber] = true
		}
	}
	payments := map[string]Payment{}
	for _, p := range ds.Payments {
		payments[p.NoticeNumber] = p
	}
	notices, plates := map[string]bool{}, map[string]bool{}
	var justNotified, late, paid, toPay int
	for _, f := range ds.Fines {
		if err := pagopa.ValidateNoticeNumber(f.NoticeNumber); err != nil || f.NoticeNumber[:3] != "347" || f.NoticeNumber[7:9] != "02" {
			t.Errorf("%s: notice number: %v", f.NoticeNumber, err)
		}
		if notices[f.NoticeNumber] || tariNotices[f.NoticeNumber] {
			t.Errorf("%s: notice number used twice", f.NoticeNumber)
		}
		notices[f.NoticeNumber] = true
		v, ok := vehicles[f.Plate]
		if !ok || v.Type != f.VehicleType {
			t.Errorf("%s: plate %s (%s) is no vehicle of the town", f.NoticeNumber, f.Plate, f.VehicleType)
		}
		plates[f.Plate] = true
		if f.CommittedAt.Before(testNow.AddDate(0, -14, 0)) || !f.CommittedAt.Before(f.NotifiedOn.Add(24*time.Hour)) ||
			f.NotifiedOn.After(testNow) || f.NotifiedOn.Sub(f.CommittedAt) > 90*24*time.Hour {
			t.Errorf("%s: committed %v, notified %v", f.NoticeNumber, f.CommittedAt, f.NotifiedOn)
		}
		if !strings.HasPrefix(f.Article, "art. ") || !strings.HasSuffix(f.Article, " CdS") || f.Description == "" ||
			!strings.HasSuffix(f.Place, ", Valdoria") {
			t.Errorf("%s: %q %q %q", f.NoticeNumber, f.Article, f.Description, f.Place)
		}
		if f.ReducedCents != f.MinimumCents*70/100 || f.LateCents <= f.MinimumCents || f.LateCents%50 != 0 {
			t.Errorf("%s: amounts %d %d %d", f.NoticeNumber, f.ReducedCents, f.MinimumCents, f.LateCents)
		}
		days := int(testToday.Sub(f.NotifiedOn.Time).Hours() / 24)
		p, hasPayment := payments[f.NoticeNumber]
		switch f.Status {
		case core.FinePaid:
			paid++
			if f.PaidOn == nil || f.PaidOn.Before(f.NotifiedOn.Time) || !f.PaidOn.Before(testToday.Time) {
				t.Errorf("%s: paid on %v", f.NoticeNumber, f.PaidOn)
				continue
			}
			if !hasPayment || p.Payer != v.OwnerFiscalCode || core.DateOf(p.PaidAt) != *f.PaidOn || p.AmountCents != fineAmount(f, *f.PaidOn) {
				t.Errorf("%s: payment %+v", f.NoticeNumber, p)
			}
		case core.FineToPay:
			toPay++
			if f.PaidOn != nil || hasPayment {
				t.Errorf("%s: to pay, but paid", f.NoticeNumber)
			}
			if days <= 5 {
				justNotified++
			}
			if days > 60 {
				late++
			}
		default:
			t.Errorf("%s: status %q", f.NoticeNumber, f.Status)
		}
	}
	if len(plates) < 8 || paid < 3 || toPay < 3 || justNotified < 1 || late < 1 {
		t.Errorf("%d plates, %d paid, %d to pay, %d notified in the last 5 days, %d unpaid after 60 days",
			len(plates), paid, toPay, justNotified, late)
	}
	// Reduced, minimum and late: art. 202.
	f := core.Fine{NotifiedOn: core.NewDate(2026, time.March, 1), ReducedCents: 1, MinimumCents: 2, LateCents: 3}
	for paidOn, want := range map[core.Date]int64{
		core.NewDate(2026, time.March, 6): 1, core.NewDate(2026, time.March, 7): 2,
		core.NewDate(2026, time.April, 30): 2, core.NewDate(2026, time.May, 1): 3,
	} {
		if got := fineAmount(f, paidOn); got != want {
			t.Errorf("paid on %v: amount %d, want %d", paidOn, got, want)
		}
	}
}

func TestPayments(t *testing.T) {
	ds := Generate(testNow)
	byNotice := map[string]Payment{}
	ids, receipts := map[string]bool{}, map[string]bool{}
	for i, p := range ds.Payments {
		if ids[p.ID] || receipts[p.Receipt] || byNotice[p.NoticeNumber].ID != "" {
			t.Errorf("payment %+v repeats an ID, receipt or notice", p)
		}
		ids[p.ID], receipts[p.Receipt], byNotice[p.NoticeNumber] = true, true, p
		if p.CreditorFiscalCode != FiscalCode || p.AmountCents <= 0 || !p.PaidAt.Before(testNow) || p.Description == "" ||
			!strings.HasPrefix(p.Receipt, p.PaidAt.Format("20060102")) || len(p.Receipt) > 35 {
			t.Errorf("payment %+v", p)
		}
		if i > 0 && p.PaidAt.Before(ds.Payments[i-1].PaidAt) {
			t.Errorf("payment %s out of order", p.ID)
		}
	}
	tari := 0
	for _, pos := range ds.TARI {
		for _, in := range pos.Instalments {
			p, ok := byNotice[in.NoticeNumber]
			if (in.PaidOn != nil) != ok {
				t.Errorf("%s instalment %d: paid on %v, payment %v", pos.ID, in.Number, in.PaidOn, ok)
				continue
			}
			if !ok {
				continue
			}
			tari++
			if p.Payer != pos.HolderFiscalCode || p.AmountCents != in.AmountCents || core.DateOf(p.PaidAt) != *in.PaidOn ||
				!strings.HasPrefix(p.Description, "TARI ") {
				t.Errorf("%s instalment %d: payment %+v", pos.ID, in.Number, p)
			}
		}
	}
	fines := 0
	for _, f := range ds.Fines {
		if f.PaidOn != nil {
			fines++
		}
	}
	if len(ds.Payments) != tari+fines {
		t.Errorf("%d payments: %d TARI instalments and %d fines paid", len(ds.Payments), tari, fines)
	}
}

func TestMessages(t *testing.T) {
	ds := Generate(testNow)
	checkMessages(t, ds, testNow)
	per := map[string][]Message{}
	for _, m := range ds.Messages {
		per[m.FiscalCode] = append(per[m.FiscalCode], m)
	}
	kinds := map[string]int{}
	for _, m := range ds.Messages {
		for _, k := range []string{"TARI", "carta d'identità", "Verbale", "Lavori"} {
			if strings.Contains(m.Subject, k) {
				kinds[k]++
			}
		}
	}
	for _, k := range []string{"TARI", "carta d'identità", "Verbale", "Lavori"} {
		if kinds[k] == 0 {
			t.Errorf("no message about %s", k)
		}
	}
}

// checkMessages checks the messages of ds as of now.
func checkMessages(t *testing.T, ds Dataset, now time.Time) {
	t.Helper()
	today := core.DateOf(now)
	per := map[string][]Message{}
	ids := map[string]bool{}
	read := 0
	for _, m := range ds.Messages {
		per[m.FiscalCode] = append(per[m.FiscalCode], m)
		if ids[m.ID] || len(m.ID) != 16 {
			t.Fatalf("%v: message ID %q", today, m.ID)
		}
		ids[m.ID] = true
		if !m.SentAt.Before(now) || m.SentAt.Before(now.AddDate(-1, 0, 0)) || m.Subject == "" || !strings.HasSuffix(m.Body, ".") {
			t.Fatalf("%v: message %+v", today, m)
		}
		if m.Read != !m.ReadAt.IsZero() || (m.Read && (!m.ReadAt.After(m.SentAt) || !m.ReadAt.Before(now))) {
			t.Fatalf("%v: message %s sent %v, read %v at %v", today, m.ID, m.SentAt, m.Read, m.ReadAt)
		}
		if m.Read {
			read++
		}
	}
	if read == 0 || read == len(ds.Messages) {
		t.Fatalf("%v: %d of %d messages read", today, read, len(ds.Messages))
	}
	for _, c := range ds.Citizens {
		list := per[c.FiscalCode]
		if !isAdult(c, today) {
			if len(list) > 0 {
				t.Fatalf("%v: minor %s has %d messages", today, c.FiscalCode, len(list))
			}
			continue
		}
		if len(list) < 2 || len(list) > 6 {
			t.Fatalf("%v: %s has %d messages", today, c.FiscalCode, len(list))
		}
		if card := c.IDCard; card != nil && !card.Expiry.After(today.AddDate(0, 0, 180)) &&
			!slices.ContainsFunc(list, func(m Message) bool { return strings.Contains(m.Body, card.Number) }) {
			t.Fatalf("%v: %s's card expires %v, and no message says so", today, c.FiscalCode, card.Expiry)
		}
	}
}
