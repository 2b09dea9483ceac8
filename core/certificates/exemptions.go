package certificates

// Exemption is a use of a certificate for which the law waives the stamp
// duty (DPR 642/1972, Tabella B, and other laws). The citizen declares the
// use; the certificate states it with its legal reference.
type Exemption struct {
	Code          string // stable: "sport_dilettantistico"
	DescriptionIT string
	DescriptionEN string
	Law           string // "DPR 642/1972 Tab. B art. 8-bis"
}

// Description is the exemption's description in lang ("en" or else Italian).
func (e Exemption) Description(lang string) string {
	if lang == "en" {
		return e.DescriptionEN
	}
	return e.DescriptionIT
}

const tabB = "DPR 642/1972 Tab. B art. "

var exemptions = []Exemption{
	{"elettorale", "Esercizio dei diritti elettorali", "Exercise of electoral rights", tabB + "1"},
	{"leva_giudice_popolare", "Leva militare, servizio civile, giudice popolare", "Military or civil service, popular judge", tabB + "2"},
	{"procedimento_penale", "Procedimenti penali e di polizia", "Criminal proceedings", tabB + "3"},
	{"tributi_successioni", "Applicazione di leggi tributarie, successioni", "Taxes and successions", tabB + "5"},
	{"sussidi_assistenza", "Sussidi, assistenza e beneficenza", "Subsidies and welfare", tabB + "8"},
	{"sport_dilettantistico", "Attività sportiva dilettantistica", "Amateur sport", tabB + "8-bis"},
	{"previdenza_assegni_pensioni", "Assicurazioni sociali, assegni familiari, pensioni", "Social insurance, family allowances and pensions", tabB + "9"},
	{"scuola_borse_studio", "Scuola dell'obbligo, borse di studio, esoneri dalle tasse scolastiche", "Compulsory schooling and scholarships", tabB + "11"},
	{"controversie_lavoro", "Controversie di lavoro, previdenza e assistenza obbligatorie", "Labour and pension disputes", tabB + "12"},
	{"adozione_tutela", "Adozione, affidamento, tutela, amministrazione di sostegno", "Adoption, foster care, guardianship, support administration", tabB + "13"},
	{"carta_identita", "Rilascio della carta d'identità", "Identity card", tabB + "18"},
	{"agricoltura", "Agricoltura: coltivatori diretti e imprenditori agricoli", "Agriculture", tabB + "21-bis"},
	{"abbonamenti_trasporto", "Abbonamenti ai trasporti pubblici", "Public-transport passes", tabB + "24"},
	{"onlus_volontariato", "ONLUS e organizzazioni di volontariato", "Non-profit organisations (ONLUS) and volunteering",
		tabB + "27-bis; D.Lgs. 460/1997; L. 266/1991"},
	{"separazione_divorzio", "Separazione e divorzio", "Separation and divorce", "L. 74/1987 art. 19"},
	{"uso_giudiziario", "Uso nel processo civile (contributo unificato)", "Use in court proceedings", "DPR 115/2002 art. 18"},
}

// Exemptions lists the exempt uses in the order the app offers them.
func Exemptions() []Exemption { return append([]Exemption(nil), exemptions...) }

// LookupExemption finds an exemption by code.
func LookupExemption(code string) (Exemption, bool) {
	for _, e := range exemptions {
		if e.Code == code {
			return e, true
		}
	}
	return Exemption{}, false
}

// ExemptionInfo is an exemption as the API lists it (GET
// /api/v1/stamp-duty-exemptions), in one language.
type ExemptionInfo struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	Law         string `json:"law"`
}

// ExemptionInfos is the list of exempt uses in lang.
func ExemptionInfos(lang string) []ExemptionInfo {
	out := make([]ExemptionInfo, len(exemptions))
	for i, e := range exemptions {
		out[i] = ExemptionInfo{Code: e.Code, Description: e.Description(lang), Law: e.Law}
	}
	return out
}
