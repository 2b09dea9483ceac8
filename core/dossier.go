package core

import "time"

// Dossier is the Fascicolo del Cittadino: everything the municipality holds
// about one citizen (the subject), as the signed-in citizen may see it: their
// own, or a minor child's they act for.
type Dossier struct {
	Person       Citizen        `json:"person"` // with IDCard and Marriage
	Residence    Residence      `json:"residence"`
	Family       []FamilyMember `json:"family"` // the others in the registry family
	TARI         []TARIPosition `json:"tari"`
	Vehicles     []Vehicle      `json:"vehicles"`
	Fines        []Fine         `json:"fines"`
	Payments     []Payment      `json:"payments"`
	Certificates []Certificate  `json:"certificates"`
	Appointments []Appointment  `json:"appointments"`
	Messages     []Message      `json:"messages"`
	// Delegations are the people the signed-in citizen may act for (their
	// minor children); empty in a dossier seen while acting for someone.
	Delegations []Person `json:"delegations"`
}

// Person names someone without the rest of their record.
type Person struct {
	FiscalCode string `json:"fiscal_code"`
	Surname    string `json:"surname"`
	Name       string `json:"name"`
	BirthDate  Date   `json:"birth_date"`
}

// Residence is where the registry family lives and since when.
type Residence struct {
	Address Address `json:"address"`
	Since   Date    `json:"since"`
}

// FamilyMember is another member of the subject's registry family.
type FamilyMember struct {
	Person
	Relationship Relationship `json:"relationship"` // to the head of the family
}

// FineStatus is where a traffic fine stands.
type FineStatus string

const (
	FineToPay FineStatus = "to_pay"
	FinePaid  FineStatus = "paid"
)

// Fine is a traffic fine (avviso di infrazione) for one of the citizen's
// vehicles, payable through pagoPA.
type Fine struct {
	NoticeNumber string      `json:"notice_number"` // pagoPA, 18 digits
	Plate        string      `json:"plate"`
	VehicleType  VehicleType `json:"vehicle_type"`
	CommittedAt  time.Time   `json:"committed_at"`
	NotifiedOn   Date        `json:"notified_on"`
	Place        string      `json:"place"`
	Article      string      `json:"article"` // "art. 7 c. 1 CdS"
	Description  string      `json:"description"`
	// The Codice della Strada art. 202 amounts: within 5 days of notification
	// (30% off), within 60 days (the minimum), after (half the maximum).
	ReducedCents int64      `json:"reduced_cents"`
	MinimumCents int64      `json:"minimum_cents"`
	LateCents    int64      `json:"late_cents"`
	Status       FineStatus `json:"status"`
	PaidOn       *Date      `json:"paid_on,omitempty"`
}

// Payment is a payment made to the municipality through pagoPA.
type Payment struct {
	ID                 string    `json:"id"`
	NoticeNumber       string    `json:"notice_number"`
	CreditorFiscalCode string    `json:"creditor_fiscal_code"`
	Description        string    `json:"description"`
	AmountCents        int64     `json:"amount_cents"`
	PaidAt             time.Time `json:"paid_at"`
	Receipt            string    `json:"receipt"` // IUR, the receipt identifier
}

// Certificate is a registry certificate issued to the citizen.
type Certificate struct {
	Serial     string `json:"serial"`
	Type       string `json:"type"` // "residenza", "stato_di_famiglia", ...
	Subject    Person `json:"subject"`
	IssuedOn   Date   `json:"issued_on"`
	ValidUntil *Date  `json:"valid_until,omitempty"` // nil: unlimited validity
	Revoked    bool   `json:"revoked"`
	// Copy is which copy of one request this is (1-based), when it was
	// issued in several.
	Copy int `json:"copy,omitempty"`
	// Glyph is the signed timbro digitale printed on the certificate as a
	// QR code (core/glyph); empty for certificates issued without one.
	Glyph string `json:"glyph,omitempty"`
}

// Message is a message from the municipality to the citizen.
type Message struct {
	ID      string    `json:"id"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	SentAt  time.Time `json:"sent_at"`
	Read    bool      `json:"read"`
}

// FineTier names which amount of a fine applies on a given day.
type FineTier string

const (
	FineReduced FineTier = "reduced" // within 5 days of notification: 30% off
	FineMinimum FineTier = "minimum" // within 60 days
	FineLate    FineTier = "late"    // after 60 days: half the maximum
)

// AmountDue is what paying the fine costs on day today (Codice della Strada
// art. 202), counting from the notification.
func (f Fine) AmountDue(today Date) (int64, FineTier) {
	days := int(today.Sub(f.NotifiedOn.Time).Hours() / 24)
	switch {
	case days <= 5:
		return f.ReducedCents, FineReduced
	case days <= 60:
		return f.MinimumCents, FineMinimum
	}
	return f.LateCents, FineLate
}
