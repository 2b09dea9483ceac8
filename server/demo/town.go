package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/pagopa"
)

const townHall = "Piazza della Libertà 1, " + PostalCode + " " + Town + " (" + Province + ")"

func municipality() core.Municipality {
	return core.Municipality{
		Name:       Name,
		ISTAT:      ISTAT,
		Belfiore:   Belfiore,
		Province:   Province,
		Region:     Region,
		FiscalCode: FiscalCode,
		Demo:       true,
		Contacts: core.Contacts{
			Address: townHall,
			Phone:   "+39 02 9099 1100",
			Email:   "protocollo@comune.valdoria.example",
			PEC:     "protocollo@pec.comune.valdoria.example",
			Website: "https://www.comune.valdoria.example",
		},
		Offices: []core.Office{
			{
				ID:      "anagrafe",
				Name:    "Anagrafe e Stato Civile",
				Address: "Piazza della Libertà 1, piano terra, " + PostalCode + " " + Town + " (" + Province + ")",
				Phone:   "+39 02 9099 1120",
				Email:   "anagrafe@comune.valdoria.example",
				Hours: []core.OpeningHours{
					{Weekday: 1, Opens: "08:45", Closes: "12:30"},
					{Weekday: 2, Opens: "08:45", Closes: "12:30"},
					{Weekday: 2, Opens: "14:30", Closes: "17:30"},
					{Weekday: 3, Opens: "08:45", Closes: "12:30"},
					{Weekday: 4, Opens: "08:45", Closes: "12:30"},
					{Weekday: 4, Opens: "14:30", Closes: "18:00"},
					{Weekday: 5, Opens: "08:45", Closes: "12:30"},
					{Weekday: 6, Opens: "09:00", Closes: "12:00"},
				},
			},
			{
				ID:      "tributi",
				Name:    "Ufficio Tributi",
				Address: "Piazza della Libertà 1, primo piano, " + PostalCode + " " + Town + " (" + Province + ")",
				Phone:   "+39 02 9099 1140",
				Email:   "tributi@comune.valdoria.example",
				Hours: []core.OpeningHours{
					{Weekday: 1, Opens: "09:00", Closes: "12:30"},
					{Weekday: 3, Opens: "09:00", Closes: "12:30"},
					{Weekday: 3, Opens: "14:30", Closes: "17:00"},
					{Weekday: 5, Opens: "09:00", Closes: "12:30"},
				},
			},
			{
				ID:      "polizia_locale",
				Name:    "Polizia Locale",
				Address: "Via dei Mulini 2, " + PostalCode + " " + Town + " (" + Province + ")",
				Phone:   "+39 02 9099 1160",
				Email:   "polizialocale@comune.valdoria.example",
				Hours: []core.OpeningHours{
					{Weekday: 1, Opens: "09:00", Closes: "12:00"},
					{Weekday: 2, Opens: "09:00", Closes: "12:00"},
					{Weekday: 3, Opens: "09:00", Closes: "12:00"},
					{Weekday: 3, Opens: "15:00", Closes: "17:00"},
					{Weekday: 4, Opens: "09:00", Closes: "12:00"},
					{Weekday: 5, Opens: "09:00", Closes: "12:00"},
					{Weekday: 6, Opens: "09:00", Closes: "11:30"},
				},
			},
			{
				ID:      "urp",
				Name:    "Ufficio Relazioni con il Pubblico",
				Address: "Piazza della Libertà 1, piano terra, " + PostalCode + " " + Town + " (" + Province + ")",
				Phone:   "+39 02 9099 1100",
				Email:   "urp@comune.valdoria.example",
				Hours: []core.OpeningHours{
					{Weekday: 1, Opens: "08:30", Closes: "13:00"},
					{Weekday: 1, Opens: "14:00", Closes: "17:30"},
					{Weekday: 2, Opens: "08:30", Closes: "13:00"},
					{Weekday: 3, Opens: "08:30", Closes: "13:00"},
					{Weekday: 4, Opens: "08:30", Closes: "13:00"},
					{Weekday: 4, Opens: "14:00", Closes: "17:30"},
					{Weekday: 5, Opens: "08:30", Closes: "13:00"},
					{Weekday: 6, Opens: "09:00", Closes: "12:00"},
				},
			},
			{
				ID:      "ufficio_tecnico",
				Name:    "Ufficio Tecnico – Edilizia Privata",
				Address: "Piazza della Libertà 1, secondo piano, " + PostalCode + " " + Town + " (" + Province + ")",
				Phone:   "+39 02 9099 1180",
				Email:   "ufficiotecnico@comune.valdoria.example",
				Hours: []core.OpeningHours{
					{Weekday: 2, Opens: "09:00", Closes: "12:30"},
					{Weekday: 4, Opens: "14:30", Closes: "17:30"},
				},
			},
		},
	}
}

func services() []ServiceInfo {
	return []ServiceInfo{
		{
			ID: "dossier", Online: true,
			NameIT:        "Fascicolo del cittadino",
			NameEN:        "Citizen's dossier",
			DescriptionIT: "Consulta in un unico posto i tuoi dati anagrafici, la tua famiglia, i tuoi documenti e le scadenze.",
			DescriptionEN: "See your registry data, your household, your documents and your deadlines in one place.",
		},
		{
			ID: "certificates", Online: true,
			NameIT:        "Certificati anagrafici",
			NameEN:        "Registry certificates",
			DescriptionIT: "Scarica subito, con valore legale, i certificati di residenza, di stato di famiglia e gli altri certificati anagrafici.",
			DescriptionEN: "Download residence, household and other registry certificates with full legal value, straight away.",
		},
		{
			ID: "fines", Online: true,
			NameIT:        "Multe e sanzioni",
			NameEN:        "Traffic fines",
			DescriptionIT: "Verifica le multe intestate a te o ai tuoi veicoli e pagale con pagoPA.",
			DescriptionEN: "Check the fines issued to you or to your vehicles and pay them with pagoPA.",
		},
		{
			ID: "tari", Online: true,
			NameIT:        "TARI – Tassa sui rifiuti",
			NameEN:        "TARI – Waste tax",
			DescriptionIT: "Controlla importi e scadenze della tassa sui rifiuti e paga le rate con pagoPA.",
			DescriptionEN: "Check the amounts and due dates of your waste tax and pay the instalments with pagoPA.",
		},
		{
			ID: "appointments", Online: true,
			NameIT:        "Prenotazione appuntamenti",
			NameEN:        "Appointments",
			DescriptionIT: "Prenota un appuntamento allo sportello degli uffici comunali, senza fare la coda.",
			DescriptionEN: "Book a time at the counter of a municipal office instead of queueing.",
		},
		{
			ID: "id_card", Online: false,
			NameIT:        "Carta d'identità elettronica",
			NameEN:        "Electronic identity card",
			DescriptionIT: "Richiedi all'Anagrafe il rilascio o il rinnovo della carta d'identità elettronica (CIE).",
			DescriptionEN: "Apply at the registry office for a new or renewed electronic identity card (CIE).",
		},
		{
			ID: "change_of_residence", Online: false,
			NameIT:        "Cambio di residenza",
			NameEN:        "Change of residence",
			DescriptionIT: "Dichiara il trasferimento della residenza a Valdoria o un cambio di indirizzo all'interno del Comune.",
			DescriptionEN: "Declare your move to Valdoria or a change of address within the town.",
		},
	}
}

// TARI tariff of the current year, in cents: a fixed part per square metre
// and a variable part by the number of occupants, plus the 5% provincial
// environmental tax (TEFA). The previous year's tariff was 3% lower.
const tariPerSquareMetre = 118

var tariPerOccupants = [...]int64{0, 8500, 14000, 17000, 19500, 22000, 24500}

// tariPosition assesses family fi for year; today decides which instalments
// are already paid.
func tariPosition(fi, year int, holder string, addr core.Address, sqm, occupants int, today core.Date, r *rand.Rand) core.TARIPosition {
	variable := tariPerOccupants[min(occupants, len(tariPerOccupants)-1)]
	cents := (int64(sqm)*tariPerSquareMetre + variable) * 105 / 100
	if year < today.Year() {
		cents = cents * 97 / 100
	}
	total := (cents + 50) / 100 * 100 // whole euros, as tax bills are rounded

	dues := []core.Date{d(year, time.April, 16), d(year, time.July, 16), d(year, time.December, 2)}
	if total > 30000 {
		dues = []core.Date{d(year, time.April, 16), d(year, time.June, 16), d(year, time.September, 16), d(year, time.December, 2)}
	}
	n := int64(len(dues))
	pos := core.TARIPosition{
		ID:               fmt.Sprintf("TARI-%d-%s", year, familyID(fi)),
		Year:             year,
		HolderFiscalCode: holder,
		Address:          addr,
		SquareMetres:     sqm,
		Occupants:        occupants,
		AmountCents:      total,
	}

	family := fi + 1
	arrears := slices.Contains(tariArrears, family)
	payNothing := arrears && tariArrears[0] == family
	lastPastDue := -1
	for k, due := range dues {
		if due.Before(today.Time) {
			lastPastDue = k
		}
	}
	var single *core.Date // the day of a single payment for the whole year
	singleEarly := r.IntN(15)
	if year == today.Year() && slices.Contains(tariSinglePayment, family) && lastPastDue >= 0 {
		p := addDays(dues[0], -singleEarly)
		single = &p
	}

	for k, due := range dues {
		amount := total / n
		if k == 0 {
			amount += total % n
		}
		iuv := fmt.Sprintf("%04d01%04d%03d", year%10000, family, k+1)
		notice, err := pagopa.NewNoticeNumber(SegregationCode, iuv)
		if err != nil {
			panic("demo: " + err.Error())
		}
		inst := core.TARIInstalment{Number: k + 1, DueDate: due, AmountCents: amount, NoticeNumber: notice}

		// Three draws for each instalment, whatever happens to them.
		early, late, lateDays := r.IntN(21), r.IntN(8) == 0, 1+r.IntN(14)
		paid := addDays(due, -early)
		if late {
			paid = addDays(due, lateDays)
		}
		if !paid.Before(today.Time) {
			paid = addDays(today, -1)
		}
		switch {
		case year < today.Year():
			inst.PaidOn = &paid
		case single != nil:
			p := *single
			inst.PaidOn = &p
		case k > lastPastDue, payNothing, arrears && k == lastPastDue:
			// Not due yet, or not paid.
		default:
			inst.PaidOn = &paid
		}
		pos.Instalments = append(pos.Instalments, inst)
	}
	return pos
}
