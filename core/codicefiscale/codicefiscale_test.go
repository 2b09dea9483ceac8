package codicefiscale

import (
	"errors"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
)

func TestCompute(t *testing.T) {
	tests := []struct {
		surname, name string
		sex           core.Sex
		birth         core.Date
		belfiore      string
		want          string
	}{
		{"Rossi", "Mario", core.Male, core.NewDate(1980, time.January, 1), "H501", "RSSMRA80A01H501U"},
		// The two examples of the Italian Wikipedia article on the codice fiscale.
		{"Moretti", "Matteo", core.Male, core.NewDate(1925, time.April, 9), "F205", "MRTMTT25D09F205Z"},
		{"Miller", "Samantha", core.Female, core.NewDate(1982, time.September, 25), "Z404", "MLLSNT82P65Z404U"},
		// Apostrophe and accent; check character verified by hand.
		{"D'Angelo", "Nicolò", core.Male, core.NewDate(1990, time.May, 15), "F205", "DNGNCL90E15F205B"},
		// Short names padded with X, a woman born on the 1st of January 2000, lower-case Belfiore.
		{"Al", "Ugo", core.Female, core.NewDate(2000, time.January, 1), "f839", "LAXGUO00A41F839P"},
	}
	for _, tc := range tests {
		got, err := Compute(tc.surname, tc.name, tc.sex, tc.birth, tc.belfiore)
		if err != nil {
			t.Errorf("Compute(%q, %q): %v", tc.surname, tc.name, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Compute(%q, %q) = %s, want %s", tc.surname, tc.name, got, tc.want)
		}
		if err := Validate(got); err != nil {
			t.Errorf("Validate(%s): %v", got, err)
		}
	}
}

func TestSurnameAndNameCodes(t *testing.T) {
	tests := []struct {
		in       string
		surname  string
		nameCode string
	}{
		{"D'Angelo", "DNG", "DGL"},
		{"Nicolò", "NCL", "NCL"},
		{"Gianfranco", "GNF", "GFR"}, // name: 1st, 3rd and 4th consonant
		{"Francesco", "FRN", "FNC"},
		{"Cristina", "CRS", "CST"},
		{"Maria", "MRA", "MRA"},
		{"Luca", "LCU", "LCU"},
		{"Ugo", "GUO", "GUO"},
		{"Fo", "FOX", "FOX"},
		{"De Luca", "DLC", "DLC"},
		{"Dell'Orto", "DLL", "DLR"},
		{"Viganò", "VGN", "VGN"},
		{"Léa", "LEA", "LEA"},
		{"Ionuț", "NTI", "NTI"},
	}
	for _, tc := range tests {
		l := letters(tc.in)
		if got := surnameCode(l); got != tc.surname {
			t.Errorf("surname %q = %s, want %s", tc.in, got, tc.surname)
		}
		if got := nameCode(l); got != tc.nameCode {
			t.Errorf("name %q = %s, want %s", tc.in, got, tc.nameCode)
		}
	}
}

func TestComputeMonthsAndDays(t *testing.T) {
	for m := time.January; m <= time.December; m++ {
		cf, err := Compute("Bianchi", "Anna", core.Female, core.NewDate(1975, m, 2*int(m)), "F205")
		if err != nil {
			t.Fatal(err)
		}
		if cf[8] != monthLetters[m-1] {
			t.Errorf("%v: month letter %c", m, cf[8])
		}
		if want := 2*int(m) + 40; int(cf[9]-'0')*10+int(cf[10]-'0') != want {
			t.Errorf("%v: day %s, want %d", m, cf[9:11], want)
		}
		if err := Validate(cf); err != nil {
			t.Errorf("%s: %v", cf, err)
		}
	}
}

func TestComputeErrors(t *testing.T) {
	d := core.NewDate(1980, time.January, 1)
	tests := []struct {
		name                  string
		surname, given, place string
		sex                   core.Sex
		birth                 core.Date
		want                  error
	}{
		{"empty surname", "", "Mario", "H501", core.Male, d, ErrSurname},
		{"surname without letters", "' -", "Mario", "H501", core.Male, d, ErrSurname},
		{"empty name", "Rossi", " ", "H501", core.Male, d, ErrName},
		{"bad sex", "Rossi", "Mario", "H501", core.Sex("X"), d, ErrSex},
		{"zero date", "Rossi", "Mario", "H501", core.Male, core.Date{}, ErrBirthDate},
		{"short belfiore", "Rossi", "Mario", "H50", core.Male, d, ErrBelfiore},
		{"digit first", "Rossi", "Mario", "1501", core.Male, d, ErrBelfiore},
		{"letter in digits", "Rossi", "Mario", "H5O1", core.Male, d, ErrBelfiore},
		{"empty belfiore", "Rossi", "Mario", "", core.Male, d, ErrBelfiore},
	}
	for _, tc := range tests {
		_, err := Compute(tc.surname, tc.given, tc.sex, tc.birth, tc.place)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestCheckChar(t *testing.T) {
	c, err := CheckChar("RSSMRA80A01H501")
	if err != nil || c != 'U' {
		t.Errorf("CheckChar = %c, %v; want U", c, err)
	}
	if _, err := CheckChar("RSSMRA80A01H50"); !errors.Is(err, ErrLength) {
		t.Errorf("short input: %v", err)
	}
	if _, err := CheckChar("rssmra80a01h501"); !errors.Is(err, ErrFormat) {
		t.Errorf("lower case input: %v", err)
	}
}

func TestValidate(t *testing.T) {
	valid := []string{
		"RSSMRA80A01H501U",
		"rssmra80a01h501u",
		" RSS MRA 80A01 H501U ",
		"MLLSNT82P65Z404U",
		"RSSMRA80A01H5LMX", // omocodic: the last two digits replaced
	}
	for _, cf := range valid {
		if err := Validate(cf); err != nil {
			t.Errorf("Validate(%q): %v", cf, err)
		}
	}

	invalid := []struct {
		cf   string
		want error
	}{
		{"", ErrLength},
		{"RSSMRA80A01H501", ErrLength},
		{"RSSMRA80A01H501UX", ErrLength},
		{"RSSMRÀ80A01H501U", ErrFormat},
		{"RSSMR480A01H501U", ErrFormat}, // digit in the name part
		{"RSSMRA8AA01H501U", ErrFormat}, // A is not an omocodia letter
		{"RSSMRA80101H501U", ErrFormat}, // digit as month
		{"RSSMRA80A01150AU", ErrFormat}, // digit as the place letter
		{"RSSMRA80A01H5011", ErrFormat}, // digit as check character
		{"RSSMRA80F01H501U", ErrMonth},
		{"RSSMRA80Z01H501U", ErrMonth},
		{"RSSMRA80A00H501U", ErrDay},
		{"RSSMRA80A32H501U", ErrDay},
		{"RSSMRA80A40H501U", ErrDay},
		{"RSSMRA80A72H501U", ErrDay},
		{"RSSMRA80A99H501U", ErrDay},
		{"RSSMRA80A01H501A", ErrCheckChar},
		{"RSSMRA80A01H5LMU", ErrCheckChar},
	}
	for _, tc := range invalid {
		if err := Validate(tc.cf); !errors.Is(err, tc.want) {
			t.Errorf("Validate(%q) = %v, want %v", tc.cf, err, tc.want)
		}
	}
}

// TestOmocodia replaces the digits one by one from the right, as the
// Agenzia delle Entrate does, and checks every variant validates.
func TestOmocodia(t *testing.T) {
	cf, err := Compute("Verdi", "Giuseppina", core.Female, core.NewDate(1963, time.October, 13), "B157")
	if err != nil {
		t.Fatal(err)
	}
	b := []byte(cf[:15])
	for i := len(omocodiaPositions) - 1; i >= 0; i-- {
		p := omocodiaPositions[i]
		b[p] = omocodiaLetters[b[p]-'0']
		c, err := CheckChar(string(b))
		if err != nil {
			t.Fatal(err)
		}
		code := string(b) + string(c)
		if err := Validate(code); err != nil {
			t.Errorf("Validate(%s): %v", code, err)
		}
	}
}

func TestNormalize(t *testing.T) {
	if got := Normalize(" rss mra\t80a01h501u\n"); got != "RSSMRA80A01H501U" {
		t.Errorf("Normalize = %q", got)
	}
}
