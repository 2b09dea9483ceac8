package demo

import (
	"time"

	"github.com/sportello/sportello/core"
)

// Places of birth and marriage, with their real Belfiore codes, except
// Valdoria's, which is invented.
var (
	valdoria = core.Place{Name: "Valdoria", Province: Province, Belfiore: Belfiore}
	milano   = core.Place{Name: "Milano", Province: "MI", Belfiore: "F205"}
	roma     = core.Place{Name: "Roma", Province: "RM", Belfiore: "H501"}
	torino   = core.Place{Name: "Torino", Province: "TO", Belfiore: "L219"}
	napoli   = core.Place{Name: "Napoli", Province: "NA", Belfiore: "F839"}
	bologna  = core.Place{Name: "Bologna", Province: "BO", Belfiore: "A944"}
	firenze  = core.Place{Name: "Firenze", Province: "FI", Belfiore: "D612"}
	palermo  = core.Place{Name: "Palermo", Province: "PA", Belfiore: "G273"}
	bari     = core.Place{Name: "Bari", Province: "BA", Belfiore: "A662"}
	monza    = core.Place{Name: "Monza", Province: "MB", Belfiore: "F704"}
	bergamo  = core.Place{Name: "Bergamo", Province: "BG", Belfiore: "A794"}
	brescia  = core.Place{Name: "Brescia", Province: "BS", Belfiore: "B157"}
	como     = core.Place{Name: "Como", Province: "CO", Belfiore: "C933"}
	pavia    = core.Place{Name: "Pavia", Province: "PV", Belfiore: "G388"}

	francia = core.Place{Name: "Francia", Province: "EE", Belfiore: "Z110"}
	romania = core.Place{Name: "Romania", Province: "EE", Belfiore: "Z129"}
	marocco = core.Place{Name: "Marocco", Province: "EE", Belfiore: "Z330"}
	albania = core.Place{Name: "Albania", Province: "EE", Belfiore: "Z100"}
)

// person is one member of a family as written in the table below.
type person struct {
	surname, name string
	sex           core.Sex
	born          core.Date
	place         core.Place
	citizenship   string // "" is "italiana"
	rel           core.Relationship
	status        core.MaritalStatus
}

// union is a marriage or civil union between the first two members of a
// family (the head and the spouse or partner).
type union struct {
	date  core.Date
	place core.Place
	civil bool
}

// familySpec is one household of the table.
type familySpec struct {
	street, number string
	since          core.Date
	union          *union
	members        []person
}

func d(y int, m time.Month, day int) core.Date { return core.NewDate(y, m, day) }

func m(surname, name string, born core.Date, place core.Place, rel core.Relationship, st core.MaritalStatus) person {
	return person{surname: surname, name: name, sex: core.Male, born: born, place: place, rel: rel, status: st}
}

func f(surname, name string, born core.Date, place core.Place, rel core.Relationship, st core.MaritalStatus) person {
	return person{surname: surname, name: name, sex: core.Female, born: born, place: place, rel: rel, status: st}
}

// foreign sets the citizenship of a person born abroad or to foreign parents.
func (p person) foreign(citizenship string) person {
	p.citizenship = citizenship
	return p
}

const (
	head    = core.Head
	spouse  = core.Spouse
	partner = core.CivilPartner
	child   = core.Child
	parent  = core.Parent
	sibling = core.Sibling
	grand   = core.Grandchild
	cohab   = core.Cohabitant

	single   = core.Single
	married  = core.Married
	widowed  = core.Widowed
	divorced = core.Divorced
	civilU   = core.CivilUnion
)

// families is the population of Valdoria. Everything here is invented; any
// resemblance to real people is coincidental. The i-th family (1-based)
// gets the ID fmt.Sprintf("F%04d", i); its first member is the head.
var families = []familySpec{
	{"Via Roma", "12", d(2003, time.September, 1), &union{d(2003, time.June, 14), valdoria, false}, []person{
		m("Colombo", "Marco", d(1974, time.March, 15), milano, head, married),
		f("Brambilla", "Elena", d(1977, time.September, 2), monza, spouse, married),
		f("Colombo", "Giulia", d(2006, time.November, 30), milano, child, single),
		m("Colombo", "Tommaso", d(2011, time.May, 8), milano, child, single),
	}},
	{"Piazza della Libertà", "3", d(1949, time.January, 20), nil, []person{
		m("Ferrari", "Giuseppe", d(1949, time.January, 20), valdoria, head, widowed),
	}},
	{"Via Giuseppe Garibaldi", "27", d(1999, time.March, 12), &union{d(1994, time.September, 10), napoli, false}, []person{
		m("D'Amico", "Antonio", d(1968, time.July, 4), napoli, head, married),
		f("Esposito", "Rosaria", d(1970, time.February, 11), napoli, spouse, married),
		m("D'Amico", "Nicolò", d(2003, time.December, 22), milano, child, single),
		f("D'Amico", "Chiara", d(2009, time.April, 17), milano, child, single),
	}},
	{"Via dei Mulini", "8", d(2012, time.October, 15), &union{d(2010, time.July, 3), romania, false}, []person{
		m("Popescu", "Andrei", d(1986, time.August, 9), romania, head, married).foreign("rumena"),
		f("Dumitru", "Ioana", d(1988, time.October, 25), romania, spouse, married).foreign("rumena"),
		f("Popescu", "Daria", d(2013, time.February, 14), monza, child, single).foreign("rumena"),
		m("Popescu", "Matei", d(2017, time.June, 21), monza, child, single).foreign("rumena"),
	}},
	{"Via Alessandro Manzoni", "5", d(2022, time.February, 1), nil, []person{
		f("Galbiati", "Sara", d(1996, time.May, 3), bergamo, head, single),
	}},
	{"Via Camillo Benso di Cavour", "14", d(2017, time.April, 3), &union{d(2018, time.May, 26), valdoria, true}, []person{
		m("Sala", "Luca", d(1982, time.December, 1), bologna, head, civilU),
		m("Moretti", "Davide", d(1985, time.April, 19), firenze, partner, civilU),
	}},
	{"Via Dante Alighieri", "9", d(2019, time.July, 8), nil, []person{
		f("Riva", "Francesca", d(1980, time.January, 28), como, head, divorced),
		m("Fumagalli", "Alessandro", d(2010, time.September, 12), como, child, single),
	}},
	{"Via Giuseppe Mazzini", "21", d(1999, time.June, 1), &union{d(1999, time.May, 15), valdoria, false}, []person{
		m("Cattaneo", "Stefano", d(1971, time.June, 6), milano, head, married),
		f("Villa", "Paola", d(1973, time.March, 23), pavia, spouse, married),
		f("Cattaneo", "Martina", d(2001, time.August, 19), milano, child, single),
		m("Cattaneo", "Edoardo", d(2005, time.February, 27), milano, child, single),
		f("Longoni", "Angela", d(1944, time.November, 5), valdoria, parent, widowed),
	}},
	{"Via XXV Aprile", "4", d(2013, time.January, 14), &union{d(2011, time.August, 20), marocco, false}, []person{
		m("El Amrani", "Youssef", d(1984, time.March, 12), marocco, head, married).foreign("marocchina"),
		f("Benali", "Fatima Zahra", d(1989, time.July, 30), marocco, spouse, married).foreign("marocchina"),
		f("El Amrani", "Amina", d(2014, time.October, 2), monza, child, single).foreign("marocchina"),
		m("El Amrani", "Karim", d(2019, time.January, 15), monza, child, single).foreign("marocchina"),
		f("El Amrani", "Nour", d(2023, time.May, 9), monza, child, single).foreign("marocchina"),
	}},
	{"Via Vittorio Veneto", "33", d(1970, time.April, 18), nil, []person{
		f("Mauri", "Carla", d(1946, time.April, 14), valdoria, head, widowed),
	}},
	{"Via Trento", "2", d(2021, time.November, 2), &union{d(2021, time.September, 18), torino, false}, []person{
		m("Galli", "Matteo", d(1993, time.October, 10), torino, head, married),
		f("Conti", "Alice", d(1994, time.December, 5), torino, spouse, married),
	}},
	{"Via della Roggia", "7", d(2008, time.January, 21), &union{d(2007, time.June, 2), bergamo, false}, []person{
		m("Crippa", "Roberto", d(1979, time.February, 8), monza, head, married),
		f("Mariani", "Silvia", d(1981, time.June, 30), bergamo, spouse, married),
		f("Crippa", "Anna", d(2008, time.March, 11), monza, child, single),
		m("Crippa", "Pietro", d(2012, time.July, 25), monza, child, single),
		f("Crippa", "Sofia", d(2016, time.November, 3), monza, child, single),
	}},
	{"Via Sant'Ambrogio", "16", d(1997, time.September, 29), &union{d(1986, time.April, 26), palermo, false}, []person{
		m("Spanò", "Salvatore", d(1960, time.September, 19), palermo, head, married),
		f("Lo Cascio", "Giovanna", d(1963, time.January, 7), palermo, spouse, married),
		f("Spanò", "Giorgia", d(1998, time.May, 20), milano, child, single),
	}},
	{"Via Brianza", "45", d(2020, time.September, 14), nil, []person{
		m("Bianchi", "Lorenzo", d(1990, time.March, 2), milano, head, single),
	}},
	{"Piazza della Chiesa", "1", d(1967, time.October, 2), &union{d(1967, time.September, 9), valdoria, false}, []person{
		m("Sironi", "Giovanni", d(1942, time.July, 18), valdoria, head, married),
		f("Perego", "Luigia", d(1945, time.February, 25), valdoria, spouse, married),
		m("Sironi", "Riccardo", d(2004, time.June, 30), milano, grand, single),
	}},
	{"Via Giacomo Matteotti", "10", d(2006, time.May, 22), &union{d(2004, time.July, 17), bari, false}, []person{
		m("De Luca", "Vincenzo", d(1976, time.November, 11), bari, head, married),
		f("Greco", "Annalisa", d(1979, time.August, 8), bari, spouse, married),
		m("De Luca", "Francesco", d(2007, time.January, 29), milano, child, single),
		f("De Luca", "Noemi", d(2013, time.September, 14), milano, child, single),
	}},
	{"Via dei Gelsi", "3", d(2016, time.March, 7), &union{d(2015, time.June, 20), francia, false}, []person{
		f("Durand", "Camille", d(1987, time.February, 17), francia, head, married).foreign("francese"),
		m("Mauri", "Federico", d(1983, time.May, 27), valdoria, spouse, married),
		f("Mauri", "Léa", d(2017, time.March, 8), milano, child, single),
	}},
	{"Via Cascina Nuova", "12", d(2015, time.December, 1), nil, []person{
		m("Pozzi", "Massimo", d(1970, time.October, 30), brescia, head, divorced),
	}},
	{"Via Adda", "18", d(1994, time.February, 28), &union{d(1990, time.October, 6), como, false}, []person{
		m("Redaelli", "Alberto", d(1965, time.April, 2), como, head, married),
		f("Fossati", "Cristina", d(1967, time.December, 19), milano, spouse, married),
		m("Redaelli", "Simone", d(1995, time.June, 12), milano, child, single),
		f("Redaelli", "Valentina", d(1999, time.January, 3), milano, child, single),
	}},
	{"Via Don Luigi Sturzo", "6", d(2023, time.June, 19), nil, []person{
		m("Hoxha", "Erion", d(1988, time.May, 5), albania, head, single).foreign("albanese"),
		f("Ronchi", "Elisa", d(1991, time.September, 29), milano, cohab, single),
	}},
	{"Via Milano", "52", d(2018, time.October, 22), nil, []person{
		f("Caruso", "Ilaria", d(1985, time.July, 7), roma, head, single),
		m("Caruso", "Michele", d(1988, time.January, 16), roma, sibling, single),
	}},
	{"Via Alessandro Volta", "11", d(2010, time.June, 30), &union{d(2010, time.May, 22), valdoria, false}, []person{
		m("Russo", "Gennaro", d(1981, time.April, 23), napoli, head, married),
		f("Colombo", "Valeria", d(1983, time.October, 14), milano, spouse, married),
		m("Russo", "Mattia", d(2015, time.December, 4), milano, child, single),
	}},
	{"Vicolo del Forno", "2", d(1952, time.August, 15), nil, []person{
		f("Dell'Orto", "Rosa", d(1952, time.August, 15), valdoria, head, single),
	}},
	{"Via Trieste", "19", d(2009, time.November, 9), nil, []person{
		f("Pirovano", "Marta", d(1975, time.May, 18), monza, head, divorced),
		m("Teruzzi", "Gabriele", d(2002, time.February, 22), monza, child, single),
	}},
	{"Via Vittorio Veneto", "8", d(2020, time.January, 13), &union{d(2019, time.September, 7), pavia, false}, []person{
		m("Beretta", "Andrea", d(1990, time.November, 27), brescia, head, married),
		f("Sala", "Federica", d(1992, time.June, 9), pavia, spouse, married),
		m("Beretta", "Leonardo", d(2024, time.August, 1), monza, child, single),
	}},
	{"Via Roma", "40", d(1980, time.May, 5), nil, []person{
		f("Gatti", "Teresa", d(1950, time.March, 31), bologna, head, widowed),
		m("Viganò", "Claudio", d(1978, time.August, 26), milano, child, single),
	}},
	{"Viale delle Rimembranze", "4", d(2014, time.September, 1), &union{d(2014, time.June, 28), valdoria, false}, []person{
		m("Sangalli", "Emanuele", d(1986, time.January, 9), milano, head, married),
		f("Nava", "Beatrice", d(1988, time.April, 4), bergamo, spouse, married),
		m("Sangalli", "Nicolò", d(2015, time.March, 17), monza, child, single),
		f("Sangalli", "Aurora", d(2018, time.October, 21), monza, child, single),
	}},
}

// vehicleSpec is a vehicle of the table; era is the first letter of its
// plate, which in the current series tells roughly when it was registered
// (C about 2003, D 2006, E 2011, F 2016, G 2021).
type vehicleSpec struct {
	owner       string // "Name Surname"
	kind        core.VehicleType
	make, model string
	era         byte
}

const (
	car  = core.Car
	moto = core.Motorcycle
)

var vehicles = []vehicleSpec{
	{"Marco Colombo", car, "Volkswagen", "Golf", 'F'},
	{"Elena Brambilla", car, "Fiat", "500", 'G'},
	{"Giulia Colombo", moto, "Honda", "SH 125", 'G'},
	{"Giuseppe Ferrari", car, "Fiat", "Panda", 'D'},
	{"Antonio D'Amico", car, "Alfa Romeo", "Giulietta", 'E'},
	{"Rosaria Esposito", car, "Lancia", "Ypsilon", 'F'},
	{"Nicolò D'Amico", moto, "Piaggio", "Vespa Primavera 125", 'G'},
	{"Andrei Popescu", car, "Dacia", "Sandero", 'G'},
	{"Sara Galbiati", car, "Toyota", "Yaris", 'G'},
	{"Luca Sala", car, "Tesla", "Model 3", 'G'},
	{"Davide Moretti", moto, "Ducati", "Monster", 'F'},
	{"Francesca Riva", car, "Renault", "Clio", 'E'},
	{"Stefano Cattaneo", car, "Škoda", "Octavia Wagon", 'F'},
	{"Paola Villa", car, "Peugeot", "208", 'G'},
	{"Martina Cattaneo", car, "Fiat", "Panda", 'G'},
	{"Youssef El Amrani", car, "Fiat", "Doblò", 'F'},
	{"Matteo Galli", car, "Jeep", "Renegade", 'G'},
	{"Roberto Crippa", car, "Volkswagen", "Tiguan", 'G'},
	{"Roberto Crippa", moto, "Yamaha", "TMAX 560", 'F'},
	{"Silvia Mariani", car, "Citroën", "C3", 'F'},
	{"Salvatore Spanò", car, "Mercedes-Benz", "Classe C", 'E'},
	{"Lorenzo Bianchi", car, "BMW", "Serie 1", 'G'},
	{"Lorenzo Bianchi", moto, "Kawasaki", "Z650", 'F'},
	{"Giovanni Sironi", car, "Fiat", "Punto", 'C'},
	{"Vincenzo De Luca", car, "Hyundai", "Tucson", 'G'},
	{"Camille Durand", car, "Renault", "Captur", 'G'},
	{"Federico Mauri", car, "Audi", "A4 Avant", 'F'},
	{"Massimo Pozzi", car, "Opel", "Astra", 'E'},
	{"Alberto Redaelli", car, "Toyota", "C-HR", 'G'},
	{"Simone Redaelli", moto, "Honda", "CB500F", 'F'},
	{"Elisa Ronchi", car, "Fiat", "500", 'F'},
	{"Gennaro Russo", car, "Ford", "Focus", 'F'},
	{"Andrea Beretta", car, "Kia", "Sportage", 'G'},
	{"Emanuele Sangalli", car, "Volkswagen", "T-Roc", 'G'},
	{"Marta Pirovano", car, "Dacia", "Duster", 'G'},
	{"Claudio Viganò", moto, "Piaggio", "Beverly 300", 'E'},
}

// idCardExpiry gives the people whose identity card expires at a fixed
// distance from now, in days, so the demo always has cards that have just
// expired (negative) or are about to. Everyone else's card expires more than
// 200 days after now.
var idCardExpiry = map[string]int{
	"Giuseppe Ferrari":  -75,
	"Rosaria Esposito":  -210,
	"Massimo Pozzi":     -20,
	"Marco Colombo":     9,
	"Carla Mauri":       33,
	"Salvatore Spanò":   58,
	"Ilaria Caruso":     96,
	"Youssef El Amrani": 127,
	"Alberto Redaelli":  164,
}

// tariArrears are the families (1-based) that have not paid the last TARI
// instalment already due this year; the first of them has paid none.
var tariArrears = []int{18, 7, 14, 21}

// tariSinglePayment are the families that paid the whole year's TARI on the
// first due date.
var tariSinglePayment = []int{15, 19}

// familiesV2 are the families version 2 of the demo seed added: the Brivio
// household, two parents and four children, an adult and three minors, the
// largest of the town. They follow the families above (F0028, ...) and are
// generated after them from random streams of their own, so that adding
// them changed nothing of the first families, and an old demo database can
// be topped up with exactly the rows a fresh one gets.
var familiesV2 = []familySpec{
	{"Via dei Tigli", "15", d(2011, time.March, 1), &union{d(2002, time.September, 21), monza, false}, []person{
		m("Brivio", "Paolo", d(1975, time.January, 24), monza, head, married),
		f("Fumagalli", "Laura", d(1977, time.July, 3), milano, spouse, married),
		m("Brivio", "Giacomo", d(2003, time.May, 12), monza, child, single),
		f("Brivio", "Marta", d(2010, time.October, 5), monza, child, single),
		m("Brivio", "Luca", d(2014, time.February, 19), milano, child, single),
		f("Brivio", "Irene", d(2019, time.June, 7), milano, child, single),
	}},
}

// vehiclesV2 are the vehicles of familiesV2.
var vehiclesV2 = []vehicleSpec{
	{"Paolo Brivio", car, "Volvo", "XC40", 'G'},
	{"Laura Fumagalli", car, "Fiat", "Tipo", 'F'},
	{"Giacomo Brivio", moto, "Yamaha", "MT-07", 'G'},
}
