package demo

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/server/schedule"
)

// Appointments at Valdoria's offices (version 3): the services citizens
// book, which office offers which, the patron saint's day and a training
// day, and the bookings other citizens already made, so that a few days
// are full and most half full. The bookings are placed relative to now and
// derived from the registry sorted by fiscal code, never from its rows'
// order.

// AppointmentService is a service booked at an office counter, in both
// languages.
type AppointmentService struct {
	ID, Topic                    string
	NameIT, NameEN               string
	DescriptionIT, DescriptionEN string
	BringIT, BringEN             []string // what to take to the counter
	SlotMinutes                  int
}

// OfficeService is a service at an office: the places of each slot and,
// when not the office's, its own hours.
type OfficeService struct {
	Office, Service string
	Capacity        int
	Hours           []core.OpeningHours // nil: the office's opening hours
}

// Closure is a day the offices (Office "") or one office are closed.
type Closure struct {
	Office             string
	Day                core.Date
	ReasonIT, ReasonEN string
}

// ReconfirmDays is the demo's re-confirmation window: a booking more than
// three days ahead is confirmed again in the app at least three days
// before, or released (Agenda CIE style).
const ReconfirmDays = 3

// The test identities of the sign-in tests, Marco Colombo and Fatima Zahra
// Benali (by fiscal code), and Teresa Gatti, whose empty dossier the tests
// show, book nothing in the demo: a new user's booking always works.
var noBookings = map[string]bool{"CLMMRC74C15F205P": true, "BNLFMZ89L70Z330L": true, "Teresa Gatti": true}

func appointmentServices() []AppointmentService {
	photoIT := "Una fototessera recente a colori, su sfondo chiaro (35×45 mm)"
	photoEN := "A recent colour passport photo on a light background (35×45 mm)"
	healthIT := "La tessera sanitaria (codice fiscale)"
	healthEN := "Your health insurance card (fiscal code)"
	feeIT := "Il pagamento di 22,21 €, con pagoPA prima o con carta allo sportello"
	feeEN := "The fee of €22.21, paid with pagoPA beforehand or by card at the counter"
	return []AppointmentService{
		{
			ID: "id_card_first", Topic: "id_card", SlotMinutes: 20,
			NameIT: "Carta d'identità: primo rilascio", NameEN: "Identity card: first issue",
			DescriptionIT: "La prima carta d'identità elettronica (CIE), anche per un minore: allo sportello si raccolgono foto, firma e impronte; la carta arriva a casa in 6 giorni lavorativi.",
			DescriptionEN: "Your first electronic identity card (CIE), also for a minor: the counter takes the photo, signature and fingerprints; the card is posted to you within 6 working days.",
			BringIT:       []string{photoIT, healthIT, "Per un minore: entrambi i genitori, o l'assenso scritto di chi non viene con la copia del suo documento", feeIT},
			BringEN:       []string{photoEN, healthEN, "For a minor: both parents, or the absent parent's written consent with a copy of their ID", feeEN},
		},
		{
			ID: "id_card_renewal", Topic: "id_card", SlotMinutes: 20,
			NameIT: "Carta d'identità: rinnovo", NameEN: "Identity card: renewal",
			DescriptionIT: "Il rinnovo della carta d'identità scaduta o in scadenza nei prossimi 180 giorni.",
			DescriptionEN: "Renewal of an identity card that has expired or expires within 180 days.",
			BringIT:       []string{"La carta d'identità da rinnovare", photoIT, healthIT, feeIT},
			BringEN:       []string{"The identity card to renew", photoEN, healthEN, feeEN},
		},
		{
			ID: "id_card_theft_loss", Topic: "id_card", SlotMinutes: 20,
			NameIT: "Carta d'identità: furto o smarrimento", NameEN: "Identity card: theft or loss",
			DescriptionIT: "Una nuova carta d'identità al posto di quella rubata, smarrita o deteriorata.",
			DescriptionEN: "A new identity card in place of one stolen, lost or damaged.",
			BringIT:       []string{"La denuncia di furto o smarrimento presentata ai Carabinieri o alla Polizia", "Un altro documento di riconoscimento, se ne hai uno", photoIT, healthIT, feeIT},
			BringEN:       []string{"The police report of the theft or loss (Carabinieri or Polizia)", "Another identity document, if you have one", photoEN, healthEN, feeEN},
		},
		{
			ID: "change_of_residence", Topic: "change_of_residence", SlotMinutes: 30,
			NameIT: "Cambio di residenza", NameEN: "Change of residence",
			DescriptionIT: "La dichiarazione di residenza a Valdoria o di cambio di indirizzo, con l'aiuto dell'ufficio.",
			DescriptionEN: "Declaring your residence in Valdoria or a change of address, with the office's help.",
			BringIT:       []string{"Un documento d'identità valido di ogni persona che si trasferisce", "Il contratto d'affitto, l'atto di proprietà o di comodato dell'abitazione", "La patente e i libretti dei veicoli intestati", "Per i cittadini di un Paese fuori dall'UE: il permesso di soggiorno"},
			BringEN:       []string{"A valid identity document of everyone moving", "The lease, deed of ownership or loan agreement of the home", "Driving licence and registration documents of your vehicles", "For citizens of a country outside the EU: the residence permit"},
		},
		{
			ID: "marriage_publications", Topic: "", SlotMinutes: 45,
			NameIT: "Pubblicazioni di matrimonio", NameEN: "Marriage banns",
			DescriptionIT: "La richiesta delle pubblicazioni di matrimonio all'Ufficio di Stato Civile, alla presenza di entrambi i futuri sposi.",
			DescriptionEN: "Requesting the marriage banns at the Civil Status Office, with both future spouses present.",
			BringIT:       []string{"I documenti d'identità validi di entrambi i futuri sposi", "Una marca da bollo da 16 €", "Per chi è nato o risiede in un altro Comune: il nome del Comune e l'indirizzo"},
			BringEN:       []string{"Valid identity documents of both future spouses", "A €16 revenue stamp (marca da bollo)", "For whoever was born or lives in another municipality: its name and the address"},
		},
		{
			ID: "registry_certificates", Topic: "certificates", SlotMinutes: 15,
			NameIT: "Certificati anagrafici allo sportello", NameEN: "Registry certificates at the counter",
			DescriptionIT: "Certificati anagrafici stampati allo sportello; nell'app li scarichi subito, senza appuntamento.",
			DescriptionEN: "Registry certificates printed at the counter; in the app you download them at once, with no appointment.",
			BringIT:       []string{"Un documento d'identità", "Una marca da bollo da 16 € per certificato, se l'uso non è esente"},
			BringEN:       []string{"An identity document", "A €16 revenue stamp per certificate, unless its use is exempt"},
		},
		{
			ID: "tari_desk", Topic: "tari", SlotMinutes: 20,
			NameIT: "TARI allo sportello", NameEN: "TARI at the counter",
			DescriptionIT: "Iscrizione, variazione o cessazione della TARI, rateizzazioni e chiarimenti sugli avvisi.",
			DescriptionEN: "Registering, changing or closing a TARI position, instalment plans and questions about notices.",
			BringIT:       []string{"L'ultimo avviso TARI ricevuto", "Per un'iscrizione o una variazione: il contratto d'affitto o l'atto di proprietà e la planimetria"},
			BringEN:       []string{"The latest TARI notice you received", "To register or change a position: the lease or deed of ownership and the floor plan"},
		},
		{
			ID: "fines_desk", Topic: "fines", SlotMinutes: 15,
			NameIT: "Multe: informazioni e ricorsi", NameEN: "Fines: information and appeals",
			DescriptionIT: "Chiarimenti su un verbale, comunicazione dei dati del conducente, ricorso al Prefetto.",
			DescriptionEN: "Questions about a fine, naming the driver, an appeal to the Prefect.",
			BringIT:       []string{"Il verbale ricevuto", "Un documento d'identità", "Per comunicare il conducente: la sua patente"},
			BringEN:       []string{"The fine you received", "An identity document", "To name the driver: their driving licence"},
		},
	}
}

func officeServices() []OfficeService {
	return []OfficeService{
		{Office: "anagrafe", Service: "id_card_first", Capacity: 2},
		{Office: "anagrafe", Service: "id_card_renewal", Capacity: 2},
		{Office: "anagrafe", Service: "id_card_theft_loss", Capacity: 2},
		{Office: "anagrafe", Service: "change_of_residence", Capacity: 1},
		// Stato Civile takes marriage banns in the afternoons only.
		{Office: "anagrafe", Service: "marriage_publications", Capacity: 1, Hours: []core.OpeningHours{
			{Weekday: 2, Opens: "14:30", Closes: "17:30"},
			{Weekday: 4, Opens: "14:30", Closes: "18:00"},
		}},
		{Office: "anagrafe", Service: "registry_certificates", Capacity: 1},
		{Office: "urp", Service: "registry_certificates", Capacity: 2},
		{Office: "tributi", Service: "tari_desk", Capacity: 2},
		{Office: "polizia_locale", Service: "fines_desk", Capacity: 1},
	}
}

// closures are the patron saint's day, Sant'Ambrogio (7 December), of this
// year and the next, and a training day of the registry office: the first
// Wednesday at least two weeks from today that is no holiday.
func closures(today core.Date) []Closure {
	var out []Closure
	for _, y := range []int{today.Year(), today.Year() + 1} {
		out = append(out, Closure{Day: core.NewDate(y, time.December, 7),
			ReasonIT: "Festa del patrono, Sant'Ambrogio", ReasonEN: "Patron saint's day (St Ambrose)"})
	}
	day := addDays(today, 14)
	for schedule.Weekday(day) != 3 || schedule.IsHoliday(day) || day.Month() == time.December && day.Day() == 7 {
		day = addDays(day, 1)
	}
	out = append(out, Closure{Office: "anagrafe", Day: day,
		ReasonIT: "Chiuso per formazione del personale", ReasonEN: "Closed for staff training"})
	return out
}

// bookingDetails are what some citizens write when they book.
var bookingDetails = map[string][]string{
	"id_card_first":         {"Per mia figlia, 12 anni", "Non ho mai avuto la carta elettronica"},
	"id_card_renewal":       {"La carta scade il mese prossimo", "Mi serve per un viaggio all'estero"},
	"id_card_theft_loss":    {"Rubata sul treno, ho la denuncia dei Carabinieri", "Smarrita durante un trasloco"},
	"change_of_residence":   {"Trasferimento da Milano con la famiglia", "Cambio di via all'interno del Comune"},
	"marriage_publications": {"Matrimonio civile previsto in primavera"},
	"registry_certificates": {"Certificato storico di residenza", "Serve per una pratica di successione"},
	"tari_desk":             {"Nuova iscrizione dopo il trasloco", "Chiedo la rateizzazione"},
	"fines_desk":            {"Comunicazione dei dati del conducente", "Chiarimenti su un verbale ZTL"},
}

// appointmentsOf is version 3 of the demo over registry ds as of now.
func appointmentsOf(now time.Time, ds Dataset) Dataset {
	today := core.DateOf(now.In(schedule.Rome))
	out := Dataset{
		Version:             3,
		AppointmentServices: appointmentServices(),
		OfficeServices:      officeServices(),
		Closures:            closures(today),
		ReconfirmDays:       ReconfirmDays,
	}
	out.Appointments = bookings(now, ds, out)
	return out
}

// bookings places the other citizens' bookings as of now.
func bookings(now time.Time, ds Dataset, appt Dataset) []core.Appointment {
	r := rand.New(rand.NewPCG(seed, 5))
	today := core.DateOf(now.In(schedule.Rome))
	var pool []core.Citizen
	for _, c := range slices.SortedFunc(slices.Values(ds.Citizens), func(a, b core.Citizen) int {
		return cmp.Compare(a.FiscalCode, b.FiscalCode)
	}) {
		if isAdultOn(c, today) && c.Email != "" && !noBookings[c.FiscalCode] && !noBookings[c.Name+" "+c.Surname] {
			pool = append(pool, c)
		}
	}
	closed := map[core.Date]string{} // day to office ("" all)
	for _, c := range appt.Closures {
		closed[c.Day] = c.Office
	}
	isClosed := func(office string, day core.Date) bool {
		o, ok := closed[day]
		return schedule.IsHoliday(day) || ok && (o == "" || o == office)
	}
	minutes := map[string]int{}
	for _, s := range appt.AppointmentServices {
		minutes[s.ID] = s.SlotMinutes
	}
	hours := map[string][]core.OpeningHours{}
	for _, o := range municipality().Offices {
		hours[o.ID] = o.Hours
	}
	codes := map[string]bool{}
	code := func() string {
		for {
			b := make([]byte, 8)
			for i := range b {
				b[i] = codeAlphabet[r.IntN(len(codeAlphabet))]
			}
			c := "VLD-" + string(b[:4]) + "-" + string(b[4:])
			if !codes[c] {
				codes[c] = true
				return c
			}
		}
	}

	var out []core.Appointment
	book := func(c core.Citizen, os OfficeService, start time.Time, status core.AppointmentStatus) {
		slot := time.Duration(minutes[os.Service]) * time.Minute
		a := core.Appointment{Code: code(), ServiceID: os.Service, OfficeID: os.Office,
			Start: start.UTC(), End: start.Add(slot).UTC(), Status: status,
			Applicant: core.Applicant{FiscalCode: c.FiscalCode, Name: c.Name, Surname: c.Surname, Email: c.Email, Phone: c.Phone}}
		ago := time.Duration(1+r.IntN(12))*24*time.Hour + time.Duration(r.IntN(600))*time.Minute
		booked := start // a past booking was made some days before its day, a future one some days before now
		if status == core.AppointmentBooked {
			booked = now
		}
		a.BookedAt = booked.Add(-ago).UTC().Truncate(time.Minute)
		if d := bookingDetails[os.Service]; r.IntN(4) == 0 && len(d) > 0 {
			a.Details = d[r.IntN(len(d))]
		}
		confirmAlready := r.IntN(3) == 0
		window := ReconfirmDays * 24 * time.Hour
		if status == core.AppointmentBooked {
			switch by := a.Start.Add(-window); {
			case a.Start.Sub(a.BookedAt) <= window: // booked inside the window: confirmed then
				at := a.BookedAt
				a.ConfirmedAt = &at
			case !by.After(now), confirmAlready: // past the deadline they did confirm, or early
				a.ConfirmBy = &by
				at := a.BookedAt.Add(time.Duration(1+r.IntN(20)) * time.Hour)
				if at.After(now) {
					at = now.Add(-time.Minute).UTC().Truncate(time.Minute)
				}
				a.ConfirmedAt = &at
			default: // still to confirm
				a.ConfirmBy = &by
			}
		}
		out = append(out, a)
	}

	var starts []time.Time
	queues := map[string][]core.Citizen{} // by service: one active booking each
	for _, os := range appt.OfficeServices {
		h := os.Hours
		if h == nil {
			h = hours[os.Office]
		}
		week, err := schedule.WeekOf(h)
		if err != nil {
			panic("demo: " + err.Error())
		}
		slot := time.Duration(minutes[os.Service]) * time.Minute
		queue, ok := queues[os.Service]
		if !ok {
			queue = slices.Clone(pool)
			r.Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })
		}

		// A few bookings of the past weeks, done or cancelled.
		for k := 0; k < 2 && len(queue) > 0; k++ {
			day := addDays(today, -7-r.IntN(50))
			if starts = week.Starts(day, slot, starts); len(starts) == 0 || isClosed(os.Office, day) {
				continue
			}
			status := core.AppointmentDone
			if k == 1 {
				status = core.AppointmentCancelled
			}
			book(queue[0], os, starts[r.IntN(len(starts))], status)
			queue = queue[1:]
		}
		// The days ahead: from the second day open, the first with at most
		// 24 places is full, the others about half, until the citizens run
		// out (one active booking each).
		open, full := 0, false
		for day := addDays(today, 1); day.Before(addDays(today, 29).Time) && len(queue) > 0; day = addDays(day, 1) {
			if starts = week.Starts(day, slot, starts); len(starts) == 0 || isClosed(os.Office, day) {
				continue
			}
			open++
			places := len(starts) * os.Capacity
			want := places * (30 + r.IntN(31)) / 100
			if open >= 2 && !full && places <= 24 {
				want, full = places, true
			}
			order := r.Perm(places)[:want]
			slices.Sort(order)
			for _, p := range order {
				if len(queue) == 0 {
					break
				}
				book(queue[0], os, starts[p/os.Capacity], core.AppointmentBooked)
				queue = queue[1:]
			}
		}
		queues[os.Service] = queue
	}
	slices.SortFunc(out, func(a, b core.Appointment) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Code, b.Code))
	})
	return out
}

// codeAlphabet is the server's alphabet of confirmation codes: no 0, O, 1
// or I.
const codeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
