package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/core/documents"
)

// certWizard is the certificate request, in the steps of Genova's open
// Fascicolo: for whom, which certificate, for what use (stamp duty),
// summary, then issue and download. Every rule the app can check without
// the registry is checked in place, in the citizen's language; the server
// checks them all again and its refusals land on the same fields.
type certWizard struct {
	d       *dossierScreen
	step    int
	subject core.Person // whom the certificate is about
	typ     certificates.Type
	exempt  string // exemption code; "" when paying with marche
	copies  int
	marcaID []*widget.Entry
	marcaDt []*widget.Entry
	issued  []core.Certificate
	idemKey string // one per request, so a retry never issues twice
	problem *widget.Label
}

func (d *dossierScreen) startRequest() {
	p := d.snap.Dossier.Person
	d.wizard = &certWizard{d: d, copies: 1, subject: core.Person{FiscalCode: p.FiscalCode, Name: p.Name, Surname: p.Surname, BirthDate: p.BirthDate}}
	d.open("request")
}

func (w *certWizard) page() fyne.CanvasObject {
	w.problem = wrapped("")
	w.problem.Importance = widget.DangerImportance
	w.problem.Hide()
	steps := []string{lang.X("cert.step_whom", "For whom"), lang.X("cert.step_type", "Certificate"), lang.X("cert.step_use", "Use"),
		lang.X("cert.step_summary", "Summary"), lang.X("cert.step_done", "Download")}
	progress := widget.NewLabel(lang.X("cert.step", "Step {{.N}} of {{.Of}}: {{.Name}}", map[string]any{"N": w.step + 1, "Of": len(steps), "Name": steps[w.step]}))
	progress.Importance = widget.LowImportance
	var body []fyne.CanvasObject
	switch w.step {
	case 0:
		body = w.whom()
	case 1:
		body = w.which()
	case 2:
		body = w.use()
	case 3:
		body = w.summary()
	default:
		body = w.done()
	}
	return w.d.sectionPage(lang.X("cert.title", "Request a certificate"), append([]fyne.CanvasObject{progress}, append(body, w.problem)...)...)
}

func (w *certWizard) redraw() { w.d.render() }

func (w *certWizard) nav(next func() bool) fyne.CanvasObject {
	back := widget.NewButtonWithIcon(lang.X("action.back", "Back"), theme.NavigateBackIcon(), func() {
		if w.step == 0 {
			w.d.open("certificates")
			return
		}
		w.step--
		w.redraw()
	})
	forward := widget.NewButtonWithIcon(lang.X("cert.next", "Next"), theme.NavigateNextIcon(), func() {
		if next() {
			w.step++
			w.redraw()
		}
	})
	forward.Importance = widget.HighImportance
	return container.NewHBox(back, forward)
}

func (w *certWizard) whom() []fyne.CanvasObject {
	dos := w.d.snap.Dossier
	people := []core.Person{{FiscalCode: dos.Person.FiscalCode, Name: dos.Person.Name, Surname: dos.Person.Surname}}
	labels := []string{lang.X("cert.myself", "Myself ({{.Name}})", map[string]any{"Name": dos.Person.Name + " " + dos.Person.Surname})}
	for _, m := range dos.Family {
		people = append(people, m.Person)
		labels = append(labels, m.Name+" "+m.Surname+" · "+relationshipName(m.Relationship))
	}
	radio := widget.NewRadioGroup(labels, nil)
	radio.Required = true
	for i, p := range people {
		if p.FiscalCode == w.subject.FiscalCode {
			radio.SetSelected(labels[i])
		}
	}
	radio.OnChanged = func(l string) {
		for i := range labels {
			if labels[i] == l {
				w.subject = people[i]
			}
		}
	}
	return []fyne.CanvasObject{widget.NewCard(lang.X("cert.whom_q", "Whom is the certificate about?"), "", radio), w.nav(func() bool { return true })}
}

// self reports whether the certificate is about the signed-in citizen (or
// the minor they act for).
func (w *certWizard) self() bool { return w.subject.FiscalCode == w.d.snap.Dossier.Person.FiscalCode }

func (w *certWizard) which() []fyne.CanvasObject {
	language := currentLanguage()
	var offered []certificates.Type
	for _, t := range certificates.Types() {
		if w.self() || t.Requesters != certificates.SelfOnly {
			offered = append(offered, t)
		}
	}
	box := container.NewVBox()
	var radio *widget.RadioGroup
	names := make([]string, len(offered))
	for i, t := range offered {
		names[i] = t.Name(language)
	}
	radio = widget.NewRadioGroup(names, func(n string) {
		for i := range names {
			if names[i] == n {
				w.typ = offered[i]
			}
		}
	})
	radio.Required = true
	if w.typ.ID != "" {
		radio.SetSelected(w.typ.Name(language))
	}
	box.Add(radio)
	return []fyne.CanvasObject{widget.NewCard(lang.X("cert.which_q", "Which certificate?"),
		lang.X("cert.which_sub", "Certificates are free online; stamp duty applies unless the law exempts the use."), box),
		w.nav(func() bool {
			if w.typ.ID == "" {
				w.say(lang.X("cert.choose_type", "Choose a certificate."))
				return false
			}
			return true
		})}
}

func (w *certWizard) use() []fyne.CanvasObject {
	language := currentLanguage()
	if w.typ.AlwaysExempt {
		return []fyne.CanvasObject{widget.NewCard(lang.X("cert.use_q", "What is it for?"), "",
			wrapped(lang.X("cert.always_exempt", "This certificate is exempt from stamp duty by law ({{.Law}}): nothing to pay.", map[string]any{"Law": w.typ.ExemptionLaw}))),
			w.nav(func() bool { w.copies = 1; return true })}
	}
	exemptions := certificates.Exemptions()
	options := []string{lang.X("cert.use_marca", "Ordinary use: I pay the stamp duty with a marca da bollo (16,00 € per copy)")}
	for _, e := range exemptions {
		options = append(options, e.Description(language)+" — "+e.Law)
	}
	sel := widget.NewSelect(options, nil)
	marcas := container.NewVBox()
	copies := widget.NewSelect([]string{"1", "2", "3"}, nil)
	drawMarcas := func() {
		marcas.Objects = nil
		if w.exempt != "" {
			marcas.Refresh()
			return
		}
		for len(w.marcaID) < w.copies {
			id, day := widget.NewEntry(), widget.NewEntry()
			id.SetPlaceHolder("01234567890123")
			day.SetPlaceHolder(lang.X("cert.date_hint", "dd/mm/yyyy"))
			w.marcaID, w.marcaDt = append(w.marcaID, id), append(w.marcaDt, day)
		}
		for i := 0; i < w.copies; i++ {
			marcas.Add(widget.NewLabelWithStyle(lang.X("cert.marca_n", "Marca da bollo for copy {{.N}}", map[string]any{"N": i + 1}), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
			marcas.Add(widget.NewForm(widget.NewFormItem(lang.X("cert.marca_id", "Identifier (14 digits)"), w.marcaID[i]),
				widget.NewFormItem(lang.X("cert.marca_date", "Issue date"), w.marcaDt[i])))
		}
		marcas.Refresh()
	}
	sel.OnChanged = func(string) {
		i := sel.SelectedIndex()
		w.exempt = ""
		if i > 0 {
			w.exempt = exemptions[i-1].Code
		}
		drawMarcas()
	}
	copies.OnChanged = func(s string) {
		w.copies = int(s[0] - '0')
		drawMarcas()
	}
	selected := 0
	for i, e := range exemptions {
		if e.Code == w.exempt {
			selected = i + 1
		}
	}
	sel.SetSelectedIndex(selected)
	copies.SetSelectedIndex(w.copies - 1)
	return []fyne.CanvasObject{
		widget.NewCard(lang.X("cert.use_q", "What is it for?"), lang.X("cert.use_sub", "Some uses are exempt from stamp duty: the certificate states the use you declare."),
			container.NewVBox(sel, widget.NewForm(widget.NewFormItem(lang.X("cert.copies", "Copies"), copies)), marcas)),
		w.nav(w.checkUse),
	}
}

// request is the request as the wizard has it.
func (w *certWizard) request() certificates.Request {
	r := certificates.Request{Type: w.typ.ID, Copies: w.copies}
	if !w.self() {
		r.Subject = w.subject.FiscalCode
	}
	switch {
	case w.typ.AlwaysExempt:
	case w.exempt != "":
		r.StampDuty.Exemption = w.exempt
	default:
		for i := 0; i < w.copies && i < len(w.marcaID); i++ {
			r.StampDuty.Marcas = append(r.StampDuty.Marcas, certificates.MarcaReq{
				ID: strings.TrimSpace(w.marcaID[i].Text), Date: isoDate(w.marcaDt[i].Text)})
		}
	}
	return r
}

// isoDate turns "dd/mm/yyyy" into "yyyy-mm-dd"; anything else passes as it
// is, for the check to refuse.
func isoDate(s string) string {
	s = strings.TrimSpace(s)
	if t, err := time.Parse("02/01/2006", s); err == nil {
		return t.Format(time.DateOnly)
	}
	if t, err := time.Parse("2/1/2006", s); err == nil {
		return t.Format(time.DateOnly)
	}
	return s
}

func (w *certWizard) checkUse() bool {
	_, err := w.request().Check(w.d.u.today())
	var bad certificates.Invalids
	if errors.As(err, &bad) {
		var msgs []string
		for _, b := range bad {
			msgs = append(msgs, fieldLabel(b.Field)+reasonText(string(b.Reason)))
		}
		w.say(strings.Join(msgs, "\n"))
		return false
	}
	return err == nil
}

func (w *certWizard) say(text string) {
	w.problem.SetText(text)
	w.problem.Show()
	w.d.root.Refresh()
}

func (w *certWizard) summary() []fyne.CanvasObject {
	language := currentLanguage()
	validity := lang.X("cert.six_months", "Six months from issue")
	if w.typ.Unlimited {
		validity = lang.X("dossier.unlimited", "Unlimited validity")
	}
	duty := lang.X("cert.duty_marca", "{{.Amount}} paid with {{.N}} marca da bollo", map[string]any{"Amount": formatMoney(int64(certificates.StampDutyCents * w.copies)), "N": w.copies})
	switch {
	case w.typ.AlwaysExempt:
		duty = lang.X("cert.duty_law", "Exempt by law ({{.Law}})", map[string]any{"Law": w.typ.ExemptionLaw})
	case w.exempt != "":
		e, _ := certificates.LookupExemption(w.exempt)
		duty = lang.X("cert.duty_exempt", "Exempt: {{.Use}} ({{.Law}})", map[string]any{"Use": e.Description(language), "Law": e.Law})
	}
	issue := widget.NewButtonWithIcon(lang.X("cert.issue", "Issue the certificate"), theme.ConfirmIcon(), w.issue)
	issue.Importance = widget.HighImportance
	back := widget.NewButtonWithIcon(lang.X("action.back", "Back"), theme.NavigateBackIcon(), func() { w.step--; w.redraw() })
	return []fyne.CanvasObject{widget.NewCard(w.typ.Name(language), w.typ.Description(language), w.d.u.fieldList([]field{
		textField(lang.X("dossier.about", "About"), w.subject.Name+" "+w.subject.Surname),
		textField(lang.X("cert.copies", "Copies"), string(rune('0'+w.copies))),
		textField(lang.X("cert.stamp_duty", "Stamp duty"), duty),
		textField(lang.X("cert.fees", "Secretariat fees"), lang.X("cert.fees_waived", "None online")),
		textField(lang.X("cert.validity", "Validity"), validity),
	})), wrapped(lang.X("cert.not_for_pa", "Registry certificates cannot be given to public administrations or public-service operators (L. 183/2011): they use self-declarations.")),
		container.NewHBox(back, issue)}
}

// issue sends the request once; a retry after a lost answer reuses the key.
func (w *certWizard) issue() {
	if w.idemKey == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		w.idemKey = hex.EncodeToString(b)
	}
	req, key, actingFor, u := w.request(), w.idemKey, w.d.actingFor, w.d.u
	u.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		certs, err := u.conn.Client().RequestCertificates(ctx, u.account.Authorizer(), actingFor, req, key)
		if err == nil {
			err = w.d.download(ctx, certs)
		}
		fyne.Do(func() {
			if err != nil {
				if u.sessionEnded(err) {
					return
				}
				w.say(certErrorText(err))
				return
			}
			w.issued = certs
			w.step++
			w.redraw()
			w.d.refreshNow(context.Background())
		})
	})
}

func (w *certWizard) done() []fyne.CanvasObject {
	out := []fyne.CanvasObject{wrapped(lang.X("cert.issued", "Done: your certificate is issued and saved, encrypted, on this device."))}
	for _, c := range w.issued {
		out = append(out, w.d.certificateCard(c))
	}
	return append(out, container.NewHBox(widget.NewButton(lang.X("cert.back_list", "My certificates"), func() { w.d.open("certificates") })))
}

// download fetches the PDFs of certs and keeps them sealed on the device.
func (d *dossierScreen) download(ctx context.Context, certs []core.Certificate) error {
	folder, err := d.documents()
	if err != nil {
		return err
	}
	for _, c := range certs {
		if folder.Has(c.Serial) {
			continue
		}
		pdf, err := d.u.conn.Client().CertificatePDF(ctx, d.u.account.Authorizer(), d.actingFor, c.Serial)
		if err != nil {
			return err
		}
		if err := folder.Save(c.Serial, pdf); err != nil {
			return err
		}
	}
	return nil
}

func (d *dossierScreen) documents() (documents.Folder, error) {
	v, err := d.u.account.Vault()
	return documents.Folder{Dir: d.u.account.DocumentsDir(), Vault: v}, err
}

// certificateCard shows an issued certificate with its actions: open it in
// the system viewer, save a copy, download it again.
func (d *dossierScreen) certificateCard(c core.Certificate) fyne.CanvasObject {
	name := c.Type
	if t, ok := certificates.Lookup(c.Type); ok {
		name = t.Name(currentLanguage())
	}
	valid := lang.X("dossier.unlimited", "Unlimited validity")
	if c.ValidUntil != nil {
		valid = lang.X("dossier.valid_until", "Valid until {{.Day}}", map[string]any{"Day": d.u.formatDate(*c.ValidUntil)})
	}
	if c.Revoked {
		valid = lang.X("dossier.revoked", "Revoked")
	}
	open := widget.NewButtonWithIcon(lang.X("cert.open", "Open PDF"), theme.DocumentIcon(), func() { d.openPDF(c) })
	open.Importance = widget.HighImportance
	save := widget.NewButtonWithIcon(lang.X("cert.save", "Save a copy"), theme.DocumentSaveIcon(), func() { d.savePDF(c) })
	return widget.NewCard(name, c.Serial, container.NewVBox(d.u.fieldList([]field{
		textField(lang.X("dossier.about", "About"), c.Subject.Name+" "+c.Subject.Surname),
		textField(lang.X("dossier.issued", "Issued on"), d.u.formatDate(c.IssuedOn)),
		textField(lang.X("dossier.state", "State"), valid),
	}), container.NewHBox(open, save)))
}

// openPDF downloads the PDF if the device lacks it, writes a plain copy to
// a private temporary folder and hands it to the system viewer.
func (d *dossierScreen) openPDF(c core.Certificate) {
	d.withPDF(c, func(folder documents.Folder) {
		path, err := folder.Export(c.Serial, d.u.viewerDir(), c.Serial+".pdf")
		if err == nil {
			err = d.u.app.OpenURL(&url.URL{Scheme: "file", Path: path})
		}
		if err != nil {
			dialog.ShowInformation(lang.X("cert.open", "Open PDF"), lang.X("cert.no_viewer", "No PDF viewer opened. Use “Save a copy” and open the file yourself."), d.u.win)
		}
	})
}

// viewerDir holds the plain copies handed to the system viewer; the app
// removes it when it closes and at sign-out.
func (u *ui) viewerDir() string {
	return filepath.Join(os.TempDir(), "sportello-"+u.app.UniqueID())
}

// savePDF writes a plain copy where the citizen chooses.
func (d *dossierScreen) savePDF(c core.Certificate) {
	d.withPDF(c, func(folder documents.Folder) {
		d.u.saveFile(c.Serial+".pdf", func() ([]byte, error) { return folder.Load(c.Serial) })
	})
}

// withPDF makes sure the PDF of c is on the device, then runs then on the UI
// goroutine.
func (d *dossierScreen) withPDF(c core.Certificate, then func(documents.Folder)) {
	d.u.async(func() {
		folder, err := d.documents()
		if err == nil && !folder.Has(c.Serial) {
			err = d.download(context.Background(), []core.Certificate{c})
		}
		fyne.Do(func() {
			if err != nil {
				if !d.u.sessionEnded(err) {
					dialog.ShowInformation(lang.X("dossier.certificates", "Certificates"), errorText(err), d.u.win)
				}
				return
			}
			then(folder)
		})
	})
}

// certErrorText explains a refused request field by field.
func certErrorText(err error) string {
	var p *core.Problem
	if errors.As(err, &p) && p.Type == core.ProblemInvalid && len(p.InvalidParams) > 0 {
		var msgs []string
		for _, ip := range p.InvalidParams {
			msgs = append(msgs, fieldLabel(ip.Name)+reasonText(ip.Reason))
		}
		return strings.Join(msgs, "\n")
	}
	return errorText(err)
}

// fieldLabel names a request field for a message: "Copy 2, marca da bollo: ".
func fieldLabel(field string) string {
	if strings.HasPrefix(field, "stamp_duty.marcas[") {
		n := strings.TrimSuffix(strings.SplitN(strings.TrimPrefix(field, "stamp_duty.marcas["), "]", 2)[0], "]")
		return lang.X("cert.field_marca", "Marca da bollo {{.N}}: ", map[string]any{"N": atoiPlusOne(n)})
	}
	return ""
}

func atoiPlusOne(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0
		}
		n = n*10 + int(r-'0')
	}
	return n + 1
}

// reasonText translates a rule a request broke (core/certificates reasons).
func reasonText(reason string) string {
	switch certificates.Reason(reason) {
	case certificates.ReasonMarcaIDMalformed:
		return lang.X("reason.marca_id", "the identifier is made of exactly 14 digits.")
	case certificates.ReasonMarcaDateMalformed:
		return lang.X("reason.marca_date", "write the issue date as dd/mm/yyyy.")
	case certificates.ReasonMarcaDateFuture:
		return lang.X("reason.marca_future", "the issue date is in the future.")
	case certificates.ReasonMarcaDateTooOld:
		return lang.X("reason.marca_old", "the issue date is before 2005: that is not a valid marca.")
	case certificates.ReasonMarcaDuplicate:
		return lang.X("reason.marca_duplicate", "the same marca is entered twice: each copy needs its own.")
	case certificates.ReasonMarcaReused:
		return lang.X("reason.marca_reused", "this marca da bollo was already used for another certificate.")
	case certificates.ReasonMarcaCount:
		return lang.X("reason.marca_count", "enter one marca da bollo for each copy.")
	case certificates.ReasonStampDutyRequired:
		return lang.X("reason.duty_required", "enter the marca da bollo or choose an exempt use.")
	case certificates.ReasonTypeAlwaysExempt:
		return lang.X("reason.always_exempt", "this certificate is exempt by law: no marca or exemption is needed.")
	case certificates.ReasonExemptionUnknown:
		return lang.X("reason.exemption_unknown", "this exempt use is not recognised.")
	case certificates.ReasonCopiesOutOfRange:
		return lang.X("reason.copies", "you can request from 1 to 3 copies.")
	case certificates.ReasonSubjectNotInFamily:
		return lang.X("reason.not_family", "you can request certificates only about yourself and your registry family.")
	case certificates.ReasonSubjectSelfOnly:
		return lang.X("reason.self_only", "this certificate can be requested only about yourself.")
	case certificates.ReasonSubjectNotMarried:
		return lang.X("reason.not_married", "the registry records no marriage for this person.")
	case certificates.ReasonSubjectNotFree:
		return lang.X("reason.not_free", "this person is married or in a civil union: no stato libero certificate.")
	case certificates.ReasonTypeUnknown, certificates.ReasonRequired:
		return lang.X("reason.type", "choose a certificate.")
	}
	return lang.X("reason.other", "the request was refused ({{.Reason}}).", map[string]any{"Reason": reason})
}
