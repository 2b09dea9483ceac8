package app

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/core/glyph"
	"github.com/sportello/sportello/core/verify"
)

// The result screen: the verdict large enough to read at arm's length, in a
// band of its colour, in plain words; then, when the signature verified,
// the signed data laid out to compare with the paper.

// Colours of the verdict bands (Designers Italia's success, danger, warning
// and neutral tones), dark enough for white text in light and dark themes.
var (
	verdictGreen   = color.NRGBA{R: 0x00, G: 0x80, B: 0x55, A: 0xff}
	verdictRed     = color.NRGBA{R: 0xcc, G: 0x33, B: 0x4d, A: 0xff}
	verdictOrange  = color.NRGBA{R: 0xa6, G: 0x63, B: 0x00, A: 0xff}
	verdictNeutral = color.NRGBA{R: 0x5d, G: 0x70, B: 0x83, A: 0xff}
)

// verdictLook is how a status shows: its colour, icon and title.
func verdictLook(s verify.Status) (color.Color, fyne.Resource, string) {
	switch s {
	case verify.Valid:
		return verdictGreen, theme.ConfirmIcon(), lang.X("verdict.valid", "Valid certificate")
	case verify.InvalidSignature:
		return verdictRed, theme.CancelIcon(), lang.X("verdict.invalid_signature", "Forged or altered stamp")
	case verify.Revoked:
		return verdictRed, theme.CancelIcon(), lang.X("verdict.revoked", "Revoked certificate")
	case verify.UnknownIssuer:
		return verdictRed, theme.CancelIcon(), lang.X("verdict.unknown_issuer", "Unknown issuer")
	case verify.Malformed:
		return verdictRed, theme.CancelIcon(), lang.X("verdict.malformed", "Damaged or unreadable stamp")
	case verify.Expired:
		return verdictOrange, theme.WarningIcon(), lang.X("verdict.expired", "Expired certificate")
	case verify.TrustDataStale:
		return verdictOrange, theme.WarningIcon(), lang.X("verdict.trust_data_stale", "Verification data too old")
	case verify.TrustDataMissing:
		return verdictOrange, theme.WarningIcon(), lang.X("verdict.trust_data_missing", "No verification data")
	case verify.NotSportello:
		return verdictNeutral, theme.QuestionIcon(), lang.X("verdict.not_sportello", "Not a Sportello certificate")
	}
	return verdictNeutral, theme.QuestionIcon(), string(s)
}

// verdictReason says why, in words a clerk understands.
func (u *ui) verdictReason(v verify.Verdict) string {
	issuer := lang.X("verdict.the_municipality", "The municipality")
	if v.Issuer != nil && v.Issuer.Name != "" {
		issuer = v.Issuer.Name
	}
	switch v.Reason {
	case verify.ReasonNone:
		if v.Status == verify.Valid {
			return lang.X("verdict.reason_valid", "The municipality's digital signature is genuine, the certificate is in force and has not been revoked.")
		}
	case verify.ReasonNotAGlyph:
		return lang.X("verdict.reason_not_a_glyph", "The code read is not the digital stamp of a registry certificate: it may be a link, a payment notice or another kind of code.")
	case verify.ReasonNewerFormat:
		return lang.X("verdict.reason_newer_format", "The stamp uses a newer format than this app knows: update Sportello and check again.")
	case verify.ReasonDamaged:
		return lang.X("verdict.reason_damaged", "The code is damaged or incomplete. Try again with more light and the paper laid flat; if it happens again, the stamp has been altered.")
	case verify.ReasonIssuedInFuture:
		return lang.X("verdict.reason_issued_in_future", "The stamp states an issue date in the future. Check this device's date and time; if they are right, the certificate cannot be trusted.")
	case verify.ReasonNoTrustData:
		return lang.X("verdict.reason_no_trust_data", "This device has not downloaded any municipality's verification data yet. Connect to the Internet, tap Refresh on the previous screen and check again.")
	case verify.ReasonIssuerNotTrusted:
		return lang.X("verdict.reason_issuer_not_trusted", "The certificate comes from a municipality whose verification data this device does not have. If you expect it to be genuine, add that municipality by its server address and check again.")
	case verify.ReasonUnknownKey:
		return lang.X("verdict.reason_unknown_key", "The municipality does not publish the key this stamp is signed with: the certificate may be forged, or the verification data needs refreshing.")
	case verify.ReasonBadSignature:
		return lang.X("verdict.reason_bad_signature", "The content of the stamp does not match the municipality's signature: it was changed after issue, or it is forged.")
	case verify.ReasonKeyNotInForce:
		return lang.X("verdict.reason_key_not_in_force", "The stamp is signed with a key the municipality did not use on the issue date it states: it cannot be trusted.")
	case verify.ReasonIssuerMismatch:
		return lang.X("verdict.reason_issuer_mismatch", "The stamp is signed by one municipality but claims to come from another: it cannot be trusted.")
	case verify.ReasonValidityEnded:
		if v.Claims != nil && v.Claims.Expires != nil {
			return lang.X("verdict.reason_validity_ended", "The certificate is genuine, but its validity ended on {{.Day}}.",
				map[string]any{"Day": u.formatDate(core.DateOf(v.Claims.Expires.In(u.loc)))})
		}
		return lang.X("verdict.reason_validity_ended_nodate", "The certificate is genuine, but its validity has ended.")
	case verify.ReasonRevokedByIssuer:
		return lang.X("verdict.reason_revoked", "The municipality has revoked this certificate: it is no longer valid.")
	case verify.ReasonTrustDataTooOld:
		return lang.X("verdict.reason_trust_data_too_old", "The verification data ({{.Issuer}}) was last updated {{.When}}: too old to rely on. Refresh it (this needs the Internet) and check again.",
			map[string]any{"Issuer": issuer, "When": u.ago(u.now().Add(-v.TrustAge))})
	}
	return lang.X("verdict.reason_other", "The stamp could not be verified ({{.Reason}}).", map[string]any{"Reason": string(v.Reason)})
}

// verdictPage is the result screen for v.
func (s *verifierScreen) verdictPage(v verify.Verdict) fyne.CanvasObject {
	u := s.u
	objs := []fyne.CanvasObject{u.verdictBand(v)}
	if c := v.Claims; c != nil {
		compare := wrapped(lang.X("verdict.compare", "Compare these data with the paper: a valid stamp can be copied onto a forged page."))
		compare.TextStyle.Bold = true
		objs = append(objs,
			widget.NewCard("", "", container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), nil, compare)),
			u.claimsCard(c, v.Issuer))
		if len(c.Family) > 0 {
			objs = append(objs, u.familyCard(c.Family))
		}
	}
	if v.Issuer != nil {
		age := wrapped(lang.X("verdict.trust_age", "Verification data: {{.Issuer}}, updated {{.When}}.",
			map[string]any{"Issuer": sourceLabel(v.Issuer), "When": u.ago(u.now().Add(-v.TrustAge))}))
		if v.TrustWarning {
			age.Importance = widget.WarningImportance
			age.SetText(age.Text + " " + lang.X("verdict.trust_warning", "It is more than a day old: recent revocations may be missing. Refresh it as soon as you can."))
		}
		objs = append(objs, age)
	}
	another := widget.NewButtonWithIcon(lang.X("verdict.another", "Verify another"), qrIcon, s.again)
	another.Importance = widget.HighImportance
	done := widget.NewButtonWithIcon(lang.X("verdict.done", "Done"), theme.HomeIcon(), s.leave)
	objs = append(objs, container.NewHBox(another, done))
	return s.frame(lang.X("verdict.title", "Verification result"), s.again, container.NewVBox(objs...))
}

// sourceLabel names the municipality of trust data.
func sourceLabel(i *verify.Issuer) string {
	if i.Name != "" {
		return i.Name
	}
	return i.ISTAT
}

// verdictBand is the verdict in large white words on its colour.
func (u *ui) verdictBand(v verify.Verdict) fyne.CanvasObject {
	col, icon, title := verdictLook(v.Status)
	bg := canvas.NewRectangle(col)
	bg.CornerRadius = theme.InputRadiusSize() * 2
	head := widget.NewLabel(title)
	head.SizeName = theme.SizeNameHeadingText
	head.TextStyle.Bold = true
	head.Wrapping = fyne.TextWrapWord
	reason := wrapped(u.verdictReason(v))
	reason.SizeName = theme.SizeNameSubHeadingText
	iconSize := float32(72)
	if u.phone {
		iconSize = 56
	}
	big := container.New(layout.NewGridWrapLayout(fyne.NewSize(iconSize, iconSize)), widget.NewIcon(icon))
	content := container.NewBorder(nil, nil, container.NewCenter(big), nil, container.NewVBox(head, reason))
	return container.NewThemeOverride(container.NewStack(bg, container.NewPadded(container.NewPadded(content))), bandTheme{})
}

// bandTheme draws a verdict band: white text and icons, large type.
type bandTheme struct{}

func (bandTheme) base() fyne.Theme { return fyne.CurrentApp().Settings().Theme() }

func (t bandTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	switch n {
	case theme.ColorNameForeground:
		return color.White
	}
	return t.base().Color(n, v)
}

func (t bandTheme) Font(s fyne.TextStyle) fyne.Resource     { return t.base().Font(s) }
func (t bandTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.base().Icon(n) }

func (t bandTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameHeadingText:
		return 34
	case theme.SizeNameSubHeadingText:
		return 19
	}
	return t.base().Size(n)
}

// claimsCard lays out what the municipality signed, in the order of the
// paper certificate.
func (u *ui) claimsCard(c *glyph.Claims, issuer *verify.Issuer) fyne.CanvasObject {
	language := currentLanguage()
	typ := c.Type
	if t, ok := certificates.Lookup(c.Type); ok {
		typ = t.Name(language)
	}
	h := c.Holder
	valid := lang.X("dossier.unlimited", "Unlimited validity")
	if c.Expires != nil {
		valid = u.formatDate(core.DateOf(c.Expires.In(u.loc)))
	}
	fields := []field{
		signedField(lang.X("verdict.type", "Certificate"), typ),
		signedField(lang.X("verdict.surname", "Surname"), h.Surname),
		signedField(lang.X("verdict.name", "Name"), h.Name),
		signedField(lang.X("profile.birth", "Born"), u.birthText(h.BirthDate, h.BirthPlace)),
		signedField(lang.X("profile.fiscal_code", "Fiscal code"), h.FiscalCode),
		signedField(lang.X("verdict.serial", "Certificate number"), c.Serial),
		signedField(lang.X("verdict.issued", "Issued on"), u.formatDate(core.DateOf(c.IssuedAt.In(u.loc)))),
		signedField(lang.X("verdict.valid_until", "Valid until"), valid),
		signedField(lang.X("verdict.issuer_istat", "Issuing municipality (ISTAT code)"), c.Issuer),
	}
	if issuer != nil && issuer.Name != "" {
		fields = append(fields, signedField(lang.X("verdict.issuer_name", "Its name in the verification data"), issuer.Name))
	}
	if a := c.Address; a != nil {
		fields = append(fields, signedField(lang.X("home.address", "Address"), addressText(*a)))
	}
	fields = append(fields,
		signedField(lang.X("profile.citizenship", "Citizenship"), c.Citizenship),
		signedField(lang.X("dossier.marital_status", "Marital status"), signedMaritalName(c.MaritalStatus, h.FiscalCode)),
		signedField(lang.X("cert.stamp_duty", "Stamp duty"), u.stampDutyText(c.StampDuty, c.Type)))
	return widget.NewCard(lang.X("verdict.signed_data", "Data signed by the municipality"), "", u.fieldList(fields))
}

// signedField is a field of the signed data; long values (an address, a
// stamp-duty exemption) wrap, on a phone too.
func signedField(label, value string) field {
	if value == "" {
		return field{label: label}
	}
	return field{label: label, value: wrapped(value)}
}

// familyCard lists the registry family the certificate states.
func (u *ui) familyCard(family []glyph.Person) fyne.CanvasObject {
	box := container.NewVBox()
	for i, p := range family {
		if i > 0 {
			box.Add(widget.NewSeparator())
		}
		name := widget.NewLabelWithStyle(p.Surname+" "+p.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		name.Wrapping = fyne.TextWrapWord
		var detail []string
		if b := u.birthText(p.BirthDate, p.BirthPlace); b != "" {
			detail = append(detail, b)
		}
		if p.Relationship != "" {
			detail = append(detail, relationshipName(p.Relationship))
		}
		box.Add(name)
		if len(detail) > 0 {
			box.Add(wrapped(strings.Join(detail, " · ")))
		}
	}
	return widget.NewCard(lang.X("verdict.family", "Registry family"), "", box)
}

// birthText is "15/03/1974 · Milano (MI)".
func (u *ui) birthText(d core.Date, p core.Place) string {
	s := u.formatDate(d)
	if p.Name != "" {
		if s != "" {
			s += " · "
		}
		s += p.Name
		if p.Province != "" && p.Province != "EE" {
			s += " (" + p.Province + ")"
		}
	}
	return s
}

// addressText is "Via Roma 12/A, 20100 Valdoria (MI)".
func addressText(a core.Address) string {
	s := strings.TrimSpace(a.Street + " " + a.Number)
	town := strings.TrimSpace(a.PostalCode + " " + a.Town)
	if a.Province != "" {
		town += " (" + a.Province + ")"
	}
	if town != "" {
		s += ", " + town
	}
	return s
}

// signedMaritalName names a marital status; the sex, for the Italian
// word, comes from the holder's fiscal code when the stamp has it.
func signedMaritalName(m core.MaritalStatus, fiscalCode string) string {
	if m == "" {
		return ""
	}
	sex := core.Sex("")
	if len(fiscalCode) == 16 {
		// The tens of the birth day, 4 to 7 for women (a digit, or its
		// omocodia letter).
		d := strings.IndexByte("0123456789", fiscalCode[9])
		if d < 0 {
			d = strings.IndexByte("LMNPQRSTUV", fiscalCode[9])
		}
		switch {
		case d >= 4:
			sex = core.Female
		case d >= 0:
			sex = core.Male
		}
	}
	if sex == "" {
		switch m {
		case core.Single:
			return lang.X("verdict.marital_single", "Single")
		case core.Married:
			return lang.X("verdict.marital_married", "Married")
		case core.Widowed:
			return lang.X("verdict.marital_widowed", "Widowed")
		case core.Divorced:
			return lang.X("verdict.marital_divorced", "Divorced")
		}
	}
	return maritalName(m, sex)
}

// stampDutyText says how the stamp duty was settled.
func (u *ui) stampDutyText(d glyph.StampDuty, typ string) string {
	switch {
	case d.MarcaID != "":
		return lang.X("verdict.duty_marca", "Marca da bollo {{.ID}} of {{.Day}}", map[string]any{"ID": d.MarcaID, "Day": u.formatDate(d.MarcaDate)})
	case d.ExemptionCode != "":
		use := d.ExemptionCode
		if e, ok := certificates.LookupExemption(d.ExemptionCode); ok {
			use = e.Description(currentLanguage())
		}
		return lang.X("cert.duty_exempt", "Exempt: {{.Use}} ({{.Law}})", map[string]any{"Use": use, "Law": d.ExemptionLaw})
	case d.ExemptByType:
		law := d.ExemptionLaw
		if t, ok := certificates.Lookup(typ); ok && law == "" {
			law = t.ExemptionLaw
		}
		return lang.X("cert.duty_law", "Exempt by law ({{.Law}})", map[string]any{"Law": law})
	}
	return ""
}
