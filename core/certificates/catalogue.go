// Package certificates is the catalogue of the registry certificates
// (certificati anagrafici) a Sportello municipality issues, and the rules of
// a request for one: who may ask for whom, validity, stamp duty (imposta di
// bollo) and its exemptions. The server enforces the rules and the app
// checks a request before sending it, from this one package. It also holds
// the signed trust list and revocation list formats verifiers read
// (trust.go). It has no Fyne, no SQL and no cgo.
//
// # Who may ask
//
// A citizen asks for a certificate as its holder: for themself, or as a
// parent acting for a minor child (the server's acting_for rule), in which
// case the child is the holder. The certificate is about a subject: the
// holder or, for the types that allow it, a member of the holder's
// registry family (famiglia anagrafica, the people who live together at
// one address):
//
//   - residenza, stato di famiglia, cittadinanza, esistenza in vita,
//     nascita, stato civile, matrimonio and the cumulative residenza +
//     cittadinanza + stato di famiglia: the holder or any member of the
//     holder's registry family (ANPR lets a citizen request them for the
//     members of their family);
//   - stato libero: the holder only. It is asked to marry, a personal act,
//     so nobody asks for it on someone else's behalf; a parent acting for a
//     minor asks as the minor.
//
// Some types also need the subject's record to fit: matrimonio needs a
// current marriage (a civil union has its own ANPR type, not issued here),
// stato libero a subject who is not married nor in a civil union.
//
// # Validity and stamp duty
//
// Certificates of facts that cannot change (nascita) have unlimited
// validity; the others are valid six months from issue (DPR 445/2000 art.
// 41). Stamp duty is 16.00 EUR a copy (DPR 642/1972), paid with a marca da
// bollo whose 14-digit identifier and issue date the citizen enters, one
// marca a copy, unless the certificate is for an exempt use (Exemptions).
// Civil-status certificates (nascita, matrimonio, cittadinanza) are exempt
// whatever their use, so they take neither.
package certificates

import "slices"

// The certificate types, by their stable ids.
const (
	Residenza                            = "residenza"
	StatoDiFamiglia                      = "stato_di_famiglia"
	Cittadinanza                         = "cittadinanza"
	EsistenzaInVita                      = "esistenza_in_vita"
	StatoCivile                          = "stato_civile"
	StatoLibero                          = "stato_libero"
	Nascita                              = "nascita"
	Matrimonio                           = "matrimonio"
	ResidenzaCittadinanzaStatoDiFamiglia = "residenza_cittadinanza_stato_di_famiglia"
)

// StampDutyCents is the imposta di bollo on one copy of a certificate,
// 16.00 EUR (DPR 642/1972, Tariffa art. 4).
const StampDutyCents = 1600

// MaxCopies is how many copies one request may ask for.
const MaxCopies = 3

// ValidityMonths is how long a certificate of a fact that may change is
// valid (DPR 445/2000 art. 41).
const ValidityMonths = 6

// Requesters says about whom a holder may ask for a type.
type Requesters string

const (
	// SelfOnly: only about the holder.
	SelfOnly Requesters = "self"
	// SelfOrFamily: about the holder or a member of the holder's registry
	// family.
	SelfOrFamily Requesters = "self_or_family"
)

// Content is one thing a certificate states about its subject, beyond who
// they are.
type Content string

const (
	ContentBirth         Content = "birth"          // place and date of birth
	ContentAddress       Content = "address"        // residence
	ContentFamily        Content = "family"         // the registry family
	ContentCitizenship   Content = "citizenship"    // cittadinanza
	ContentMaritalStatus Content = "marital_status" // stato civile
	ContentFreeStatus    Content = "free_status"    // stato libero
	ContentMarriage      Content = "marriage"       // date and place of the marriage, the spouse
	ContentAlive         Content = "alive"          // esistenza in vita
)

// Eligibility is what a subject's record must show for a type.
type Eligibility string

const (
	AnySubject Eligibility = ""            // everyone in the registry
	Married    Eligibility = "married"     // a current marriage
	NotMarried Eligibility = "not_married" // not married nor in a civil union
)

// Type is one kind of certificate of the catalogue.
type Type struct {
	ID            string
	NameIT        string // "Certificato di residenza"
	NameEN        string
	TitleIT       string // the heading printed on the certificate
	DescriptionIT string
	DescriptionEN string
	Requesters    Requesters
	Eligibility   Eligibility
	// Unlimited: a certificate of facts that cannot change, valid with no
	// end; otherwise ValidityMonths from issue.
	Unlimited bool
	// AlwaysExempt: no stamp duty whatever the use (civil-status
	// certificates); ExemptionLaw says why.
	AlwaysExempt bool
	ExemptionLaw string
	Contents     []Content
}

// Has reports whether the certificate states c.
func (t Type) Has(c Content) bool { return slices.Contains(t.Contents, c) }

// Name is the type's name in lang ("en" or else Italian).
func (t Type) Name(lang string) string {
	if lang == "en" {
		return t.NameEN
	}
	return t.NameIT
}

// Description is the type's description in lang ("en" or else Italian).
func (t Type) Description(lang string) string {
	if lang == "en" {
		return t.DescriptionEN
	}
	return t.DescriptionIT
}

// civilStatusLaw is why civil-status certificates bear no stamp duty.
const civilStatusLaw = "L. 405/1990 art. 7 c. 5 (atti di stato civile)"

var catalogue = []Type{
	{
		ID: Residenza, NameIT: "Certificato di residenza", NameEN: "Certificate of residence",
		TitleIT:       "CERTIFICATO DI RESIDENZA",
		DescriptionIT: "Attesta l'indirizzo al quale la persona risiede nel Comune.",
		DescriptionEN: "States the address at which the person lives in the municipality.",
		Requesters:    SelfOrFamily, Contents: []Content{ContentBirth, ContentAddress},
	},
	{
		ID: StatoDiFamiglia, NameIT: "Certificato di stato di famiglia", NameEN: "Certificate of family status",
		TitleIT:       "CERTIFICATO DI STATO DI FAMIGLIA",
		DescriptionIT: "Attesta la composizione della famiglia anagrafica: chi vive allo stesso indirizzo e con quale rapporto.",
		DescriptionEN: "States who makes up the registry family: the people who live at the same address, and how they are related.",
		Requesters:    SelfOrFamily, Contents: []Content{ContentBirth, ContentAddress, ContentFamily},
	},
	{
		ID: Cittadinanza, NameIT: "Certificato di cittadinanza", NameEN: "Certificate of citizenship",
		TitleIT:       "CERTIFICATO DI CITTADINANZA",
		DescriptionIT: "Attesta la cittadinanza della persona. Esente da imposta di bollo.",
		DescriptionEN: "States the person's citizenship. Free of stamp duty.",
		Requesters:    SelfOrFamily, AlwaysExempt: true, ExemptionLaw: civilStatusLaw,
		Contents: []Content{ContentBirth, ContentCitizenship},
	},
	{
		ID: EsistenzaInVita, NameIT: "Certificato di esistenza in vita", NameEN: "Certificate of being alive",
		TitleIT:       "CERTIFICATO DI ESISTENZA IN VITA",
		DescriptionIT: "Attesta che la persona è in vita, ad esempio per una pensione pagata all'estero.",
		DescriptionEN: "States that the person is alive, for instance for a pension paid abroad.",
		Requesters:    SelfOrFamily, Contents: []Content{ContentBirth, ContentAlive},
	},
	{
		ID: StatoCivile, NameIT: "Certificato di stato civile", NameEN: "Certificate of marital status",
		TitleIT:       "CERTIFICATO DI STATO CIVILE",
		DescriptionIT: "Attesta lo stato civile della persona: celibe o nubile, coniugato, vedovo, divorziato, unito civilmente.",
		DescriptionEN: "States the person's marital status: single, married, widowed, divorced or in a civil union.",
		Requesters:    SelfOrFamily, Contents: []Content{ContentBirth, ContentMaritalStatus},
	},
	{
		ID: StatoLibero, NameIT: "Certificato di stato libero", NameEN: "Certificate of free status",
		TitleIT:       "CERTIFICATO DI STATO LIBERO",
		DescriptionIT: "Attesta che la persona non è sposata né unita civilmente, ad esempio per sposarsi. Solo per sé.",
		DescriptionEN: "States that the person is neither married nor in a civil union, for instance to get married. For oneself only.",
		Requesters:    SelfOnly, Eligibility: NotMarried, Contents: []Content{ContentBirth, ContentFreeStatus},
	},
	{
		ID: Nascita, NameIT: "Certificato di nascita", NameEN: "Birth certificate",
		TitleIT:       "CERTIFICATO DI NASCITA",
		DescriptionIT: "Attesta luogo e data di nascita. Validità illimitata, esente da imposta di bollo.",
		DescriptionEN: "States the place and date of birth. Valid with no end, free of stamp duty.",
		Requesters:    SelfOrFamily, Unlimited: true, AlwaysExempt: true, ExemptionLaw: civilStatusLaw,
		Contents: []Content{ContentBirth},
	},
	{
		ID: Matrimonio, NameIT: "Certificato di matrimonio", NameEN: "Marriage certificate",
		TitleIT:       "CERTIFICATO DI MATRIMONIO",
		DescriptionIT: "Attesta data e luogo del matrimonio e il coniuge. Esente da imposta di bollo.",
		DescriptionEN: "States the date and place of the marriage and the spouse. Free of stamp duty.",
		Requesters:    SelfOrFamily, Eligibility: Married, AlwaysExempt: true, ExemptionLaw: civilStatusLaw,
		Contents: []Content{ContentBirth, ContentMarriage},
	},
	{
		ID:            ResidenzaCittadinanzaStatoDiFamiglia,
		NameIT:        "Certificato contestuale di residenza, cittadinanza e stato di famiglia",
		NameEN:        "Combined certificate of residence, citizenship and family status",
		TitleIT:       "CERTIFICATO CONTESTUALE DI RESIDENZA, CITTADINANZA E STATO DI FAMIGLIA",
		DescriptionIT: "Residenza, cittadinanza e composizione della famiglia anagrafica in un solo certificato.",
		DescriptionEN: "Residence, citizenship and the registry family in a single certificate.",
		Requesters:    SelfOrFamily,
		Contents:      []Content{ContentBirth, ContentAddress, ContentCitizenship, ContentFamily},
	},
}

// Types lists the catalogue in the order the app offers it.
func Types() []Type { return slices.Clone(catalogue) }

// Lookup finds a type by id.
func Lookup(id string) (Type, bool) {
	for _, t := range catalogue {
		if t.ID == id {
			return t, true
		}
	}
	return Type{}, false
}

// TypeInfo is a type as the API lists it (GET /api/v1/certificate-types),
// in one language.
type TypeInfo struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Requesters  Requesters `json:"requesters"` // "self" or "self_or_family"
	// ValidityMonths is 0 for unlimited validity.
	ValidityMonths int `json:"validity_months"`
	// StampDutyCents is the stamp duty on each copy unless exempt; 0 for a
	// type exempt whatever its use.
	StampDutyCents int    `json:"stamp_duty_cents"`
	AlwaysExempt   bool   `json:"always_exempt"`
	ExemptionLaw   string `json:"exemption_law,omitempty"` // why it is always exempt
	MaxCopies      int    `json:"max_copies"`
}

// Info is t as the API lists it, in lang.
func (t Type) Info(lang string) TypeInfo {
	i := TypeInfo{ID: t.ID, Name: t.Name(lang), Description: t.Description(lang), Requesters: t.Requesters,
		ValidityMonths: ValidityMonths, StampDutyCents: StampDutyCents, AlwaysExempt: t.AlwaysExempt,
		ExemptionLaw: t.ExemptionLaw, MaxCopies: MaxCopies}
	if t.Unlimited {
		i.ValidityMonths = 0
	}
	if t.AlwaysExempt {
		i.StampDutyCents = 0
	}
	return i
}

// TypeInfos is the catalogue in lang.
func TypeInfos(lang string) []TypeInfo {
	out := make([]TypeInfo, len(catalogue))
	for i, t := range catalogue {
		out[i] = t.Info(lang)
	}
	return out
}
