package core

import (
	"encoding/json"
	"time"
)

// Sex as recorded in the civil registry (and encoded in the codice fiscale).
type Sex string

const (
	Male   Sex = "M"
	Female Sex = "F"
)

// Relationship of a family member to the head of the registry family
// ("intestatario della scheda di famiglia").
type Relationship string

const (
	Head         Relationship = "head"       // intestatario
	Spouse       Relationship = "spouse"     // coniuge
	CivilPartner Relationship = "partner"    // unito civilmente
	Child        Relationship = "child"      // figlio/figlia
	Parent       Relationship = "parent"     // genitore dell'intestatario
	Sibling      Relationship = "sibling"    // fratello/sorella
	Grandchild   Relationship = "grandchild" // nipote
	Cohabitant   Relationship = "cohabitant" // convivente
)

// MaritalStatus as recorded in the civil registry.
type MaritalStatus string

const (
	Single     MaritalStatus = "single"      // celibe/nubile
	Married    MaritalStatus = "married"     // coniugato/a
	Widowed    MaritalStatus = "widowed"     // vedovo/a
	Divorced   MaritalStatus = "divorced"    // divorziato/a
	CivilUnion MaritalStatus = "civil_union" // unito/a civilmente
)

// Date is a calendar day with no time of day, as the registry records births
// and deadlines. It marshals as "2006-01-02".
type Date struct{ time.Time }

// NewDate returns the calendar day y-m-d.
func NewDate(y int, m time.Month, d int) Date {
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// DateOf returns the calendar day of t in t's location.
func DateOf(t time.Time) Date { return NewDate(t.Date()) }

// String formats the day as ISO 8601, "2006-01-02"; the zero Date is "".
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(time.DateOnly)
}

// ParseDate reads an ISO 8601 day, "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	return Date{t}, err
}

// MarshalJSON writes "2006-01-02". It must be declared: the embedded
// time.Time's MarshalJSON would otherwise win over MarshalText.
func (d Date) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// UnmarshalJSON reads "2006-01-02"; "" and null are the zero Date.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	return d.UnmarshalText([]byte(s))
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; "" is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	p, err := ParseDate(string(b))
	*d = p
	return err
}

// Place is a municipality or foreign state, as used for births and marriages.
type Place struct {
	Name     string `json:"name"`     // "Milano", "Francia"
	Province string `json:"province"` // "MI"; "EE" for a foreign state
	Belfiore string `json:"belfiore"` // "F205"; "Z110" for France
}

// Address is a street address in the municipality.
type Address struct {
	Street     string `json:"street"`      // "Via Roma"
	Number     string `json:"number"`      // "12/A"
	PostalCode string `json:"postal_code"` // "20100"
	Town       string `json:"town"`        // "Valdoria"
	Province   string `json:"province"`    // "MI"
}

// Citizen is a person in the municipality's population registry (anagrafe).
type Citizen struct {
	FiscalCode    string        `json:"fiscal_code"` // codice fiscale, 16 characters
	Surname       string        `json:"surname"`
	Name          string        `json:"name"`
	Sex           Sex           `json:"sex"`
	BirthDate     Date          `json:"birth_date"`
	BirthPlace    Place         `json:"birth_place"`
	Citizenship   string        `json:"citizenship"` // "italiana", "francese", ...
	FamilyID      string        `json:"family_id"`
	Relationship  Relationship  `json:"relationship"`
	MaritalStatus MaritalStatus `json:"marital_status"`
	Email         string        `json:"email,omitempty"`
	Phone         string        `json:"phone,omitempty"`
	Marriage      *Marriage     `json:"marriage,omitempty"` // the current marriage or civil union
	IDCard        *IDCard       `json:"id_card,omitempty"`
}

// Marriage is a marriage or civil union recorded in the civil registry.
type Marriage struct {
	SpouseFiscalCode string `json:"spouse_fiscal_code"`
	Date             Date   `json:"date"`
	Place            Place  `json:"place"`
	CivilUnion       bool   `json:"civil_union"`
}

// IDCard is an electronic identity card (CIE).
type IDCard struct {
	Number    string `json:"number"` // "CA12345AB"
	IssueDate Date   `json:"issue_date"`
	Expiry    Date   `json:"expiry"`
}

// Family is a registry family (famiglia anagrafica): the people who live
// together at one address.
type Family struct {
	ID            string  `json:"id"`
	Address       Address `json:"address"`
	ResidentSince Date    `json:"resident_since"`
}

// VehicleType distinguishes the plate formats.
type VehicleType string

const (
	Car        VehicleType = "car"
	Motorcycle VehicleType = "motorcycle"
)

// Vehicle is a vehicle owned by a citizen.
type Vehicle struct {
	Plate           string      `json:"plate"` // "AB123CD", no spaces
	Type            VehicleType `json:"type"`
	Make            string      `json:"make"`
	Model           string      `json:"model"`
	OwnerFiscalCode string      `json:"owner_fiscal_code"`
}

// TARIPosition is a household's yearly waste tax (TARI) assessment.
type TARIPosition struct {
	ID               string           `json:"id"`
	Year             int              `json:"year"`
	HolderFiscalCode string           `json:"holder_fiscal_code"`
	Address          Address          `json:"address"`
	SquareMetres     int              `json:"square_metres"`
	Occupants        int              `json:"occupants"`
	AmountCents      int64            `json:"amount_cents"`
	Instalments      []TARIInstalment `json:"instalments"`
}

// TARIInstalment is one instalment of a TARI position, payable through pagoPA.
type TARIInstalment struct {
	Number       int    `json:"number"` // 1-based
	DueDate      Date   `json:"due_date"`
	AmountCents  int64  `json:"amount_cents"`
	NoticeNumber string `json:"notice_number"` // pagoPA, 18 digits
	PaidOn       *Date  `json:"paid_on,omitempty"`
}

// SessionInfo describes the signed-in session as the server sees it: when it
// began and when it will end if nothing happens (the earlier of its maximum
// length and the end of the inactivity window).
type SessionInfo struct {
	StartedAt          time.Time `json:"started_at"`
	ExpiresAt          time.Time `json:"expires_at"`
	IdleTimeoutSeconds int       `json:"idle_timeout_seconds"`
}
