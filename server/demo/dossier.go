package demo

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/pagopa"
)

// The records of the citizen's dossier: traffic fines, pagoPA payments and
// the municipality's messages. They are derived from a registry (families,
// citizens, vehicles, TARI) and now, never from the order of its rows, so a
// registry read back from a database gives the same records as the one
// Generate built.

// violation is a rule of the Codice della Strada with its amounts in cents:
// the minimum and maximum of the sanction (art. 202: paid within 60 days
// of notification, the minimum; within 5 days, 30% off the minimum; after 60
// days, half the maximum).
type violation struct {
	article, description string
	minimum, maximum     int64
}

var (
	noParking = violation{"art. 7 c. 1 e 15 CdS", "Sosta in zona con divieto di sosta", 4200, 17300}
	ztl       = violation{"art. 7 c. 9 e 14 CdS", "Transito nella zona a traffico limitato senza autorizzazione", 8300, 33200}
	speed10   = violation{"art. 142 c. 7 CdS", "Superamento del limite di velocità di non oltre 10 km/h", 4200, 17300}
	speed40   = violation{"art. 142 c. 8 CdS", "Superamento del limite di velocità di oltre 10 e non oltre 40 km/h", 17300, 69400}
	redLight  = violation{"art. 146 c. 3 CdS", "Prosecuzione della marcia nonostante la luce rossa del semaforo", 16700, 66500}
	noDisc    = violation{"art. 157 c. 6 e 8 CdS", "Sosta in zona a tempo senza esporre il disco orario", 4200, 17300}
	pavement  = violation{"art. 158 c. 2 CdS", "Sosta sul marciapiede", 8700, 34400}
)

// fineSpec is a traffic fine of the table below, placed relative to today.
type fineSpec struct {
	owner, model string // the vehicle: its owner ("Name Surname") and model
	daysAgo      int    // the violation, days before today
	at           string // its time of day, "08:40" (UTC)
	notifyAfter  int    // days from the violation to the notification
	paidAfter    int    // days from the notification to the payment; -1: not paid
	place        string
	rule         violation
	detail       string // appended to the rule's description
}

// fineSpecs are the Polizia Locale's fines of the last 14 months: some paid
// at the reduced amount, at the minimum, some to pay, one notified in the
// last days (still at the reduced amount) and two past 60 days unpaid.
var fineSpecs = []fineSpec{
	{"Marco Colombo", "Golf", 410, "08:40", 35, 3, "Via Roma 31", noParking, ""},
	{"Elena Brambilla", "500", 380, "17:15", 40, 20, "Piazza della Libertà, varco ZTL", ztl, ""},
	{"Antonio D'Amico", "Giulietta", 330, "07:52", 50, 4, "Viale delle Rimembranze, direzione Milano", speed40, " (rilevati 74 km/h, limite 50 km/h)"},
	{"Roberto Crippa", "Tiguan", 270, "19:03", 45, -1, "Incrocio tra Via Milano e Via Trieste", redLight, ""},
	{"Lorenzo Bianchi", "Z650", 220, "13:20", 30, 50, "Via Brianza 80", speed10, " (rilevati 58 km/h, limite 50 km/h)"},
	{"Sara Galbiati", "Yaris", 160, "10:05", 25, 2, "Piazza della Chiesa", noDisc, ""},
	{"Paola Villa", "208", 120, "21:40", 30, -1, "Via Dante Alighieri 4", pavement, ""},
	{"Paolo Brivio", "XC40", 95, "09:12", 28, 3, "Via Giuseppe Mazzini, varco ZTL", ztl, ""},
	{"Emanuele Sangalli", "T-Roc", 70, "18:30", 21, -1, "Via Giacomo Matteotti 2", noParking, ""},
	{"Gennaro Russo", "Focus", 40, "06:58", 33, -1, "Via Milano, direzione centro", speed40, " (rilevati 68 km/h, limite 50 km/h)"},
	{"Marco Colombo", "Golf", 12, "08:05", 9, -1, "Incrocio tra Via Roma e Via Giuseppe Garibaldi", redLight, ""},
	{"Matteo Galli", "Renegade", 18, "11:45", 16, -1, "Piazza della Libertà 9", noDisc, ""},
}

// fineAmount is what paying a fine on paid costs (Codice della Strada art.
// 202): the reduced amount within 5 days of notification, the minimum
// within 60, then half the maximum.
func fineAmount(f core.Fine, paid core.Date) int64 {
	days := int(paid.Sub(f.NotifiedOn.Time).Hours() / 24)
	switch {
	case days <= 5:
		return f.ReducedCents
	case days <= 60:
		return f.MinimumCents
	}
	return f.LateCents
}

// dossierRecords derives the messages, payments and fines of registry ds as
// of now.
func dossierRecords(now time.Time, ds Dataset) ([]Message, []Payment, []core.Fine) {
	today := core.DateOf(now)
	w := newWorld(ds)
	fines, finePayments := makeFines(today, w)
	w.fines = fines
	payments := append(tariPayments(w), finePayments...)
	slices.SortFunc(payments, func(a, b Payment) int {
		return cmp.Or(a.PaidAt.Compare(b.PaidAt), cmp.Compare(a.ID, b.ID))
	})
	var messages []Message
	for _, c := range w.citizens {
		messages = append(messages, messagesFor(now, today, c, w)...)
	}
	return messages, payments, fines
}

// world is a registry indexed for the records, in a canonical order.
type world struct {
	citizens []core.Citizen // by fiscal code
	vehicles []core.Vehicle // by plate
	tari     []core.TARIPosition
	byName   map[string]string // "Name Surname" to fiscal code
	families map[string]core.Family
	members  map[string][]core.Citizen // family ID to members
	fines    []core.Fine
}

func newWorld(ds Dataset) *world {
	w := &world{
		citizens: slices.Clone(ds.Citizens),
		vehicles: slices.Clone(ds.Vehicles),
		tari:     slices.Clone(ds.TARI),
		byName:   map[string]string{},
		families: map[string]core.Family{},
		members:  map[string][]core.Citizen{},
	}
	slices.SortFunc(w.citizens, func(a, b core.Citizen) int { return strings.Compare(a.FiscalCode, b.FiscalCode) })
	slices.SortFunc(w.vehicles, func(a, b core.Vehicle) int { return strings.Compare(a.Plate, b.Plate) })
	slices.SortFunc(w.tari, func(a, b core.TARIPosition) int { return strings.Compare(a.ID, b.ID) })
	for _, c := range w.citizens {
		w.byName[c.Name+" "+c.Surname] = c.FiscalCode
		w.members[c.FamilyID] = append(w.members[c.FamilyID], c)
	}
	for _, f := range ds.Families {
		w.families[f.ID] = f
	}
	return w
}

func (w *world) vehicle(owner, model string) (core.Vehicle, bool) {
	cf := w.byName[owner]
	for _, v := range w.vehicles {
		if v.OwnerFiscalCode == cf && v.Model == model {
			return v, true
		}
	}
	return core.Vehicle{}, false
}

// at is the instant of hh:mm (UTC) on day.
func at(day core.Date, hhmm string) time.Time {
	h, _ := strconv.Atoi(hhmm[:2])
	m, _ := strconv.Atoi(hhmm[3:])
	return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

func makeFines(today core.Date, w *world) ([]core.Fine, []Payment) {
	var fines []core.Fine
	var payments []Payment
	for i, s := range fineSpecs {
		v, ok := w.vehicle(s.owner, s.model)
		if !ok {
			continue // not in this registry (an operator's change): no fine
		}
		day := addDays(today, -s.daysAgo)
		iuv := fmt.Sprintf("%04d02%07d", day.Year()%10000, i+1) // TARI's have 01 where fines have 02
		notice, err := pagopa.NewNoticeNumber(SegregationCode, iuv)
		if err != nil {
			panic("demo: " + err.Error())
		}
		f := core.Fine{
			NoticeNumber: notice, Plate: v.Plate, VehicleType: v.Type,
			CommittedAt: at(day, s.at), NotifiedOn: addDays(day, s.notifyAfter),
			Place: s.place + ", " + Town, Article: s.rule.article, Description: s.rule.description + s.detail,
			ReducedCents: s.rule.minimum * 70 / 100, MinimumCents: s.rule.minimum, LateCents: s.rule.maximum / 2,
			Status: core.FineToPay,
		}
		if paid := addDays(f.NotifiedOn, s.paidAfter); s.paidAfter >= 0 && paid.Before(today.Time) {
			f.PaidOn, f.Status = &paid, core.FinePaid
			payments = append(payments, payment(v.OwnerFiscalCode, notice, fineAmount(f, paid), paid,
				fmt.Sprintf("Sanzione al Codice della Strada, %s: verbale del %s, targa %s",
					f.Article, italianDate(day), f.Plate)))
		}
		if f.NotifiedOn.Before(today.Time) || f.NotifiedOn == today {
			fines = append(fines, f)
		}
	}
	return fines, payments
}

// tariPayments are the payments of the paid TARI instalments, one each, by
// the position's holder.
func tariPayments(w *world) []Payment {
	var out []Payment
	for _, p := range w.tari {
		for _, in := range p.Instalments {
			if in.PaidOn == nil {
				continue
			}
			desc := fmt.Sprintf("TARI %d, rata %d di %d: %s %s", p.Year, in.Number, len(p.Instalments), p.Address.Street, p.Address.Number)
			out = append(out, payment(p.HolderFiscalCode, in.NoticeNumber, in.AmountCents, *in.PaidOn, desc))
		}
	}
	return out
}

// payment is a payment of a notice on day, at a time of day and with a
// receipt (IUR) derived from the notice number.
func payment(payer, notice string, cents int64, day core.Date, description string) Payment {
	h := hash(notice)
	paidAt := day.Add(8*time.Hour + time.Duration(h%(11*60))*time.Minute + time.Duration(h>>20%60)*time.Second)
	sum := sha256.Sum256([]byte("iur|" + notice))
	return Payment{Payer: payer, Payment: core.Payment{
		ID:                 "PAY-" + hex.EncodeToString(sum[:6]),
		NoticeNumber:       notice,
		CreditorFiscalCode: FiscalCode,
		Description:        description,
		AmountCents:        cents,
		PaidAt:             paidAt,
		Receipt:            paidAt.Format("20060102") + strings.ToUpper(hex.EncodeToString(sum[6:11])),
	}}
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// italianDate formats a day as Italians write it, "02/01/2006".
func italianDate(d core.Date) string { return d.Format("02/01/2006") }

// draft is a message before it has an addressee and an ID.
type draft struct {
	key           string // unique per addressee, the seed of its ID
	sentAt        time.Time
	subject, body string
}

// news are the municipality's messages to every adult (parents: to those
// living with a minor only), sent the given days before today at 09:00.
var news = []struct {
	key           string
	daysAgo       int
	parents       bool
	subject, body func(sent core.Date) string
}{
	{"welcome", 345, false,
		func(core.Date) string { return "Nasce il Fascicolo del Cittadino" },
		func(core.Date) string {
			return "Da oggi trovi in un unico posto i tuoi dati anagrafici, la tua famiglia, la TARI, i veicoli, le multe e i pagamenti fatti al Comune di Valdoria. " +
				"Entra con SPID o CIE dall'app Sportello: i dati sono quelli dell'Anagrafe e degli uffici comunali, sempre aggiornati."
		}},
	{"waste-calendar", 300, false,
		func(core.Date) string { return "Raccolta differenziata: nuovo calendario" },
		func(d core.Date) string {
			return "Dal " + italianDate(addDays(d, 14)) + " cambia il calendario della raccolta porta a porta: l'umido si raccoglie il lunedì e il giovedì, " +
				"la carta il mercoledì, plastica e metalli il venerdì, il vetro ogni due martedì. Esponi i contenitori entro le 6:00 del giorno di raccolta. " +
				"Il calendario completo è sul sito del Comune."
		}},
	{"roadworks-garibaldi", 250, false,
		func(core.Date) string { return "Lavori stradali in Via Giuseppe Garibaldi" },
		func(d core.Date) string {
			return "Dal " + italianDate(addDays(d, 7)) + " al " + italianDate(addDays(d, 28)) + " Via Giuseppe Garibaldi sarà chiusa al traffico nel tratto " +
				"tra Via Roma e Via Trento per il rifacimento della pavimentazione. I residenti possono raggiungere i passi carrai dalle 18:00 alle 7:00; " +
				"gli autobus sono deviati su Via Milano. Ci scusiamo per il disagio."
		}},
	{"certificates-online", 190, false,
		func(core.Date) string { return "Certificati anagrafici online con timbro digitale" },
		func(core.Date) string {
			return "Puoi scaricare dall'app i certificati di residenza, di stato di famiglia e gli altri certificati anagrafici, " +
				"con il timbro digitale che ne garantisce l'autenticità, senza andare allo sportello. Sono gratuiti quando l'uso è esente dall'imposta di bollo."
		}},
	{"school-services", 140, true,
		func(core.Date) string { return "Iscrizioni ai servizi scolastici" },
		func(d core.Date) string {
			return "Fino al " + italianDate(addDays(d, 30)) + " sono aperte le iscrizioni a mensa, pre-scuola e trasporto scolastico per il prossimo anno. " +
				"Le tariffe dipendono dall'ISEE; chi non lo presenta paga la tariffa massima. Per informazioni: Ufficio Relazioni con il Pubblico, 02 9099 1100."
		}},
	{"registry-hours", 95, false,
		func(core.Date) string { return "Nuovi orari dell'Ufficio Anagrafe" },
		func(d core.Date) string {
			return "Dal " + italianDate(addDays(d, 10)) + " l'Ufficio Anagrafe e Stato Civile è aperto anche il martedì dalle 14:30 alle 17:30 " +
				"e il giovedì dalle 14:30 alle 18:00, oltre alle mattine dal lunedì al sabato. Per la carta d'identità serve l'appuntamento."
		}},
	{"water-works-roma", 45, false,
		func(core.Date) string { return "Lavori alla rete idrica in Via Roma" },
		func(d core.Date) string {
			return "Il " + italianDate(addDays(d, 6)) + " dalle 8:30 alle 16:00 l'acqua potrà mancare in Via Roma, Via Trieste e Via Milano " +
				"per la sostituzione di un tratto della condotta. Alla riapertura l'acqua potrà essere torbida per qualche minuto."
		}},
	{"appointments-online", 12, false,
		func(core.Date) string { return "Prenota gli appuntamenti dall'app" },
		func(core.Date) string {
			return "Puoi prenotare dall'app un appuntamento all'Anagrafe, all'Ufficio Tributi o alla Polizia Locale scegliendo giorno e ora, " +
				"e disdirlo se non ti serve più. Riceverai un promemoria il giorno prima."
		}},
}

func isAdultOn(c core.Citizen, day core.Date) bool {
	return !addYears(c.BirthDate, 18).After(day.Time)
}

// messagesFor are the messages adult c received in the year before now:
// their own notices first (identity card, fines, TARI), then the news, 2 to
// 6 in all. Heads of family get more: the household's notices are theirs.
// Minors get none.
func messagesFor(now time.Time, today core.Date, c core.Citizen, w *world) []Message {
	if !isAdultOn(c, today) {
		return nil
	}
	yearAgo := now.AddDate(-1, 0, 0)
	recent := func(t time.Time) bool { return t.Before(now) && t.After(yearAgo) }
	var own []draft

	// The identity card, when it expires within 180 days (or has expired).
	if card := c.IDCard; card != nil && !card.Expiry.After(addDays(today, 180).Time) {
		sent := at(addDays(card.Expiry, -180), "08:00")
		if limit := at(addDays(today, -360), "08:00"); sent.Before(limit) {
			sent = limit
		}
		if !sent.Before(now) { // 180 days ahead exactly, and earlier than 8:00
			sent = now.Add(-time.Minute).Truncate(time.Minute)
		}
		subject := "La tua carta d'identità scade il " + italianDate(card.Expiry)
		if !sent.Before(card.Expiry.Time) {
			subject = "La tua carta d'identità è scaduta il " + italianDate(card.Expiry)
		}
		if recent(sent) {
			own = append(own, draft{"id-card-" + card.Number, sent, subject,
				fmt.Sprintf("La carta d'identità elettronica n. %s vale fino al %s. Per rinnovarla prenota un appuntamento all'Ufficio Anagrafe "+
					"(Piazza della Libertà 1) e porta una fototessera recente e la carta attuale. Il rilascio costa 22,21 €, da pagare con pagoPA.",
					card.Number, italianDate(card.Expiry))})
		}
	}

	// Fines notified for the citizen's vehicles, the latest two.
	var fines []core.Fine
	for _, f := range w.fines {
		for _, v := range w.vehicles {
			if v.Plate == f.Plate && v.OwnerFiscalCode == c.FiscalCode {
				fines = append(fines, f)
			}
		}
	}
	slices.SortFunc(fines, func(a, b core.Fine) int { return b.CommittedAt.Compare(a.CommittedAt) })
	for _, f := range fines[:min(2, len(fines))] {
		sent := at(f.NotifiedOn, "10:00")
		if !recent(sent) {
			continue
		}
		own = append(own, draft{"fine-" + f.NoticeNumber, sent, "Verbale per il veicolo targato " + f.Plate,
			fmt.Sprintf("La Polizia Locale ti ha notificato il verbale per la violazione dell'%s commessa il %s alle %s (%s): %s. "+
				"Puoi pagarlo con pagoPA, avviso n. %s: %s entro 5 giorni dalla notifica, %s entro 60 giorni, %s dopo.",
				f.Article, italianDate(core.DateOf(f.CommittedAt)), f.CommittedAt.Format("15:04"), f.Place, f.Description,
				f.NoticeNumber, pagopa.FormatEuro(f.ReducedCents), pagopa.FormatEuro(f.MinimumCents), pagopa.FormatEuro(f.LateCents))})
	}

	// TARI: a reminder of what is unpaid and due, of what falls due soon, and
	// the year's notice.
	var positions []core.TARIPosition
	for _, p := range w.tari {
		if p.HolderFiscalCode == c.FiscalCode {
			positions = append(positions, p)
		}
	}
	slices.SortFunc(positions, func(a, b core.TARIPosition) int { return b.Year - a.Year })
	var overdue, dueSoon, notice *draft
	for _, p := range positions {
		for _, in := range p.Instalments {
			if in.PaidOn != nil {
				continue
			}
			if sent := at(addDays(in.DueDate, 15), "09:30"); in.DueDate.Before(today.Time) && recent(sent) &&
				(overdue == nil || sent.After(overdue.sentAt)) {
				overdue = &draft{fmt.Sprintf("tari-overdue-%s", in.NoticeNumber), sent,
					fmt.Sprintf("Sollecito: rata TARI %d non pagata", p.Year),
					fmt.Sprintf("Non risulta ancora pagata la rata %d della TARI %d (%s), scaduta il %s. Puoi pagarla con pagoPA, avviso n. %s. "+
						"Se l'hai già pagata, non considerare questo messaggio; per informazioni rivolgiti all'Ufficio Tributi.",
						in.Number, p.Year, pagopa.FormatEuro(in.AmountCents), italianDate(in.DueDate), in.NoticeNumber)}
			}
			if sent := at(addDays(in.DueDate, -10), "09:30"); !in.DueDate.Before(today.Time) && recent(sent) && dueSoon == nil {
				dueSoon = &draft{fmt.Sprintf("tari-due-%s", in.NoticeNumber), sent,
					"Promemoria: rata TARI in scadenza il " + italianDate(in.DueDate),
					fmt.Sprintf("Il %s scade la rata %d della TARI %d, %s. Puoi pagarla con pagoPA, avviso n. %s, dall'app o presso "+
						"banche, uffici postali e tabaccherie aderenti.", italianDate(in.DueDate), in.Number, p.Year, pagopa.FormatEuro(in.AmountCents), in.NoticeNumber)}
			}
		}
		if len(p.Instalments) == 0 || notice != nil {
			continue
		}
		first := p.Instalments[0]
		if sent := at(addDays(first.DueDate, -25), "08:30"); recent(sent) {
			notice = &draft{fmt.Sprintf("tari-notice-%d", p.Year), sent,
				fmt.Sprintf("TARI %d: è disponibile l'avviso di pagamento", p.Year),
				fmt.Sprintf("È disponibile l'avviso TARI %d per %s %s: %d m², %d occupanti, %s in %d rate; la prima scade il %s. "+
					"Trovi importi, scadenze e avvisi pagoPA nella sezione TARI dell'app.",
					p.Year, p.Address.Street, p.Address.Number, p.SquareMetres, p.Occupants, pagopa.FormatEuro(p.AmountCents),
					len(p.Instalments), italianDate(first.DueDate))}
		}
	}
	for _, d := range []*draft{overdue, dueSoon} {
		if d != nil {
			own = append(own, *d)
		}
	}

	if notice != nil {
		own = append(own, *notice)
	}

	// How many, and which news.
	h := hash(c.FiscalCode)
	family := w.members[c.FamilyID]
	n := 2 + int(h%3)
	if c.Relationship == core.Head {
		n = 3 + min(len(family), 3)
	}
	parent := false
	for _, m := range family {
		if !isAdultOn(m, today) {
			parent = true
		}
	}
	drafts := own[:min(n, len(own))]
	start := int(h>>8) % len(news)
	for i := 0; i < len(news) && len(drafts) < n; i++ {
		item := news[(start+i)%len(news)]
		day := addDays(today, -item.daysAgo)
		if item.parents && !parent {
			continue
		}
		drafts = append(drafts, draft{item.key, at(day, "09:00"), item.subject(day), item.body(day)})
	}

	out := make([]Message, 0, len(drafts))
	for i, d := range drafts {
		sum := sha256.Sum256([]byte(c.FiscalCode + "|" + d.key))
		m := Message{FiscalCode: c.FiscalCode, Message: core.Message{
			ID: hex.EncodeToString(sum[:8]), Subject: d.subject, Body: d.body, SentAt: d.sentAt}}
		// Read: most of those older than a week, an hour to three days
		// after they came.
		r := hash(m.ID)
		readAt := d.sentAt.Add(time.Duration(1+r%72)*time.Hour + time.Duration(r>>10%60)*time.Minute)
		if now.Sub(d.sentAt) > 7*24*time.Hour && (r>>20+uint64(i))%4 != 0 && readAt.Before(now) {
			m.Read, m.ReadAt = true, readAt
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Message) int { return cmp.Or(a.SentAt.Compare(b.SentAt), strings.Compare(a.ID, b.ID)) })
	return out
}
