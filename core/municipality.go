package core

// Municipality is the public description of a comune: what the home screen
// shows before anyone signs in.
type Municipality struct {
	Name       string    `json:"name"`        // "Comune di Valdoria"
	ISTAT      string    `json:"istat"`       // 6 digits
	Belfiore   string    `json:"belfiore"`    // 1 letter + 3 digits
	Province   string    `json:"province"`    // two-letter code, "MI"
	Region     string    `json:"region"`      // "Lombardia"
	FiscalCode string    `json:"fiscal_code"` // 11 digits, the pagoPA creditor
	LogoURL    string    `json:"logo_url"`    // path of the logo on the same server
	Demo       bool      `json:"demo"`        // a demonstration municipality with invented data
	Contacts   Contacts  `json:"contacts"`    // how to reach the town hall
	Services   []Service `json:"services"`    // what it offers, in the caller's language
	Offices    []Office  `json:"offices"`     // public offices with their opening hours
	Population int       `json:"population"`  // resident citizens
}

// Contacts are the town hall's public contacts.
type Contacts struct {
	Address string `json:"address"`
	Phone   string `json:"phone"`
	Email   string `json:"email"`
	PEC     string `json:"pec"` // certified e-mail, the legal channel
	Website string `json:"website"`
}

// Service is one service the municipality offers, localised by the server
// from the request's Accept-Language.
type Service struct {
	ID          string `json:"id"` // stable: "certificates", "fines", ...
	Name        string `json:"name"`
	Description string `json:"description"`
	Online      bool   `json:"online"` // can be completed without a counter visit
}

// Office is a municipal office open to the public.
type Office struct {
	ID      string         `json:"id"`
	Name    string         `json:"name"`
	Address string         `json:"address"`
	Phone   string         `json:"phone"`
	Email   string         `json:"email"`
	Hours   []OpeningHours `json:"hours"`
}

// OpeningHours is one opening interval on a weekday (1 = Monday ... 7 = Sunday),
// times as "HH:MM" in the municipality's local time.
type OpeningHours struct {
	Weekday int    `json:"weekday"`
	Opens   string `json:"opens"`
	Closes  string `json:"closes"`
}
