package app

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/dossier"
)

// section draws one part of the dossier in full.
func (d *dossierScreen) section(kind string) fyne.CanvasObject {
	dos := d.snap.Dossier
	switch kind {
	case "personal":
		return d.sectionPage(lang.X("dossier.personal", "Personal data"), d.personal(dos.Person))
	case "residence":
		a := dos.Residence.Address
		return d.sectionPage(lang.X("dossier.residence", "Residence"), widget.NewCard("", "", d.u.fieldList([]field{
			textField(lang.X("home.address", "Address"), strings.TrimSpace(a.Street+" "+a.Number)),
			textField(lang.X("dossier.town", "Town"), strings.TrimSpace(a.PostalCode+" "+a.Town+" ("+a.Province+")")),
			textField(lang.X("dossier.since", "Resident since"), d.u.formatDate(dos.Residence.Since)),
		})))
	case "family":
		return d.sectionPage(lang.X("dossier.family", "Family"), d.family(dos.Family)...)
	case "id_card":
		return d.sectionPage(lang.X("dossier.id_card", "Identity card"), d.idCard(dos.Person.IDCard))
	case "tari":
		return d.sectionPage(lang.X("dossier.tari", "Waste tax (TARI)"), d.tari(dos.TARI)...)
	case "vehicles":
		return d.sectionPage(lang.X("dossier.vehicles", "Vehicles"), d.vehicles(dos.Vehicles)...)
	case "fines":
		if d.actingFor == "" {
			return d.sectionPage(lang.X("dossier.fines", "Fines"), d.finesSection()...)
		}
		return d.sectionPage(lang.X("dossier.fines", "Fines"), d.fineList(dos.Fines)...)
	case "plate_add":
		return d.addPlatePage()
	case "notice":
		return d.noticePage()
	case "pay":
		if d.pay != nil {
			return d.pay.page()
		}
	case "payments":
		return d.sectionPage(lang.X("dossier.payments", "Payments"), d.payments(dos.Payments)...)
	case "certificates":
		return d.sectionPage(lang.X("dossier.certificates", "Certificates"), d.certificates(dos.Certificates)...)
	case "request":
		if d.wizard != nil {
			return d.wizard.page()
		}
	case "appointments":
		return d.sectionPage(lang.X("appt.mine", "My appointments"), d.appointmentsSection()...)
	case "appointment":
		return d.appointmentPage()
	case "booking":
		if d.booking != nil {
			return d.booking.page()
		}
	case "messages":
		return d.sectionPage(lang.X("dossier.messages", "Messages"), d.messages(dos.Messages)...)
	}
	return d.overview()
}

// empty is a section's empty state: a sentence, never a blank page.
func empty(text string) fyne.CanvasObject {
	l := wrapped(text)
	return widget.NewCard("", "", container.NewBorder(nil, nil, widget.NewIcon(theme.InfoIcon()), nil, l))
}

func (d *dossierScreen) personal(p core.Citizen) fyne.CanvasObject {
	birth := d.u.formatDate(p.BirthDate)
	if p.BirthPlace.Name != "" {
		birth += " · " + p.BirthPlace.Name
		if p.BirthPlace.Province != "" && p.BirthPlace.Province != "EE" {
			birth += " (" + p.BirthPlace.Province + ")"
		}
	}
	fields := []field{
		textField(lang.X("profile.name", "Name"), p.Name+" "+p.Surname),
		textField(lang.X("profile.fiscal_code", "Fiscal code"), p.FiscalCode),
		textField(lang.X("profile.sex", "Sex"), sexName(p.Sex)),
		textField(lang.X("profile.birth", "Born"), birth),
		textField(lang.X("profile.citizenship", "Citizenship"), p.Citizenship),
		textField(lang.X("dossier.marital_status", "Marital status"), maritalName(p.MaritalStatus, p.Sex)),
	}
	if m := p.Marriage; m != nil {
		fields = append(fields, textField(lang.X("dossier.marriage", "Married"), d.u.formatDate(m.Date)+" · "+m.Place.Name))
	}
	fields = append(fields,
		textField(lang.X("profile.email", "E-mail"), p.Email),
		textField(lang.X("profile.phone", "Phone"), p.Phone))
	return widget.NewCard("", "", d.u.fieldList(fields))
}

func (d *dossierScreen) family(members []core.FamilyMember) []fyne.CanvasObject {
	if len(members) == 0 {
		return []fyne.CanvasObject{empty(lang.X("dossier.family_none", "No one else in your registry family"))}
	}
	var out []fyne.CanvasObject
	for _, m := range members {
		out = append(out, widget.NewCard(m.Name+" "+m.Surname, relationshipName(m.Relationship), d.u.fieldList([]field{
			textField(lang.X("profile.fiscal_code", "Fiscal code"), m.FiscalCode),
			textField(lang.X("dossier.born_on", "Born on"), d.u.formatDate(m.BirthDate)),
		})))
	}
	return out
}

func (d *dossierScreen) idCard(c *core.IDCard) fyne.CanvasObject {
	if c == nil {
		return empty(lang.X("dossier.no_id_card", "No electronic identity card on record"))
	}
	state := lang.X("dossier.valid", "Valid")
	switch today := d.u.today(); {
	case c.Expiry.Before(today.Time):
		state = lang.X("dossier.expired", "Expired")
	case c.Expiry.Sub(today.Time) <= dossier.IDCardNotice:
		state = lang.X("dossier.expiring", "Expiring soon")
	}
	return widget.NewCard("", "", d.u.fieldList([]field{
		textField(lang.X("dossier.number", "Number"), c.Number),
		textField(lang.X("dossier.issued", "Issued on"), d.u.formatDate(c.IssueDate)),
		textField(lang.X("dossier.expiry", "Expires on"), d.u.formatDate(c.Expiry)),
		textField(lang.X("dossier.state", "State"), state),
	}))
}

func (d *dossierScreen) tari(positions []core.TARIPosition) []fyne.CanvasObject {
	if len(positions) == 0 {
		return []fyne.CanvasObject{empty(lang.X("dossier.tari_empty", "No waste-tax positions in your name."))}
	}
	today := d.u.today()
	var out []fyne.CanvasObject
	for _, p := range positions {
		a := p.Address
		box := container.NewVBox(d.u.fieldList([]field{
			textField(lang.X("home.address", "Address"), a.Street+" "+a.Number),
			textField(lang.X("dossier.surface", "Surface"), lang.X("dossier.sqm", "{{.N}} m²", map[string]any{"N": p.SquareMetres})),
			textField(lang.X("dossier.occupants", "Occupants"), lang.X("dossier.people", "{{.N}} people", map[string]any{"N": p.Occupants})),
			textField(lang.X("dossier.amount", "Amount"), formatMoney(p.AmountCents)),
		}))
		for _, in := range p.Instalments {
			var state string
			var imp widget.Importance
			if in.PaidOn != nil {
				state, imp = lang.X("dossier.paid_on", "Paid on {{.Day}}", map[string]any{"Day": d.u.formatDate(*in.PaidOn)}), widget.SuccessImportance
			} else if in.DueDate.Before(today.Time) {
				state, imp = lang.X("dossier.overdue", "Overdue: to pay"), widget.DangerImportance
			} else {
				state, imp = lang.X("dossier.to_pay", "To pay"), widget.WarningImportance
			}
			line := widget.NewLabel(lang.X("dossier.instalment", "Instalment {{.N}} · due {{.Due}} · {{.Amount}}",
				map[string]any{"N": in.Number, "Due": d.u.formatDate(in.DueDate), "Amount": formatMoney(in.AmountCents)}))
			st := widget.NewLabel(state)
			st.Importance = imp
			notice := widget.NewLabel(lang.X("dossier.notice", "pagoPA notice {{.N}}", map[string]any{"N": in.NoticeNumber}))
			notice.Importance = widget.LowImportance
			box.Add(widget.NewSeparator())
			box.Add(line)
			box.Add(st)
			box.Add(notice)
			if in.PaidOn == nil && d.actingFor == "" && d.u.creditor != "" {
				ref := core.NoticeRef{NoticeNumber: in.NoticeNumber, CreditorFiscalCode: d.u.creditor}
				pay := widget.NewButtonWithIcon(lang.X("pay.pay", "Pay"), theme.ConfirmIcon(), func() { d.startPay([]core.NoticeRef{ref}, "tari") })
				pay.Importance = widget.HighImportance
				box.Add(container.NewHBox(pay))
			}
		}
		out = append(out, widget.NewCard(lang.X("dossier.tari_year", "TARI {{.Year}}", map[string]any{"Year": p.Year}), "", box))
	}
	return out
}

func (d *dossierScreen) vehicles(list []core.Vehicle) []fyne.CanvasObject {
	if len(list) == 0 {
		return []fyne.CanvasObject{empty(lang.X("dossier.vehicles_none", "No vehicles registered"))}
	}
	var out []fyne.CanvasObject
	for _, v := range list {
		kind := lang.X("dossier.car", "Car")
		if v.Type == core.Motorcycle {
			kind = lang.X("dossier.motorcycle", "Motorcycle")
		}
		out = append(out, widget.NewCard(v.Plate, kind+" · "+v.Make+" "+v.Model, nil))
	}
	return out
}

func (d *dossierScreen) fineList(list []core.Fine) []fyne.CanvasObject {
	if len(list) == 0 {
		return []fyne.CanvasObject{empty(lang.X("dossier.fines_empty", "No fines for your vehicles."))}
	}
	today := d.u.today()
	var out []fyne.CanvasObject
	for _, f := range list {
		fields := []field{
			textField(lang.X("dossier.when", "When"), d.u.formatTime(f.CommittedAt)),
			textField(lang.X("dossier.where", "Where"), f.Place),
			textField(lang.X("dossier.plate", "Plate"), f.Plate),
			textField(lang.X("dossier.article", "Article"), f.Article),
			textField(lang.X("dossier.notified", "Notified on"), d.u.formatDate(f.NotifiedOn)),
			textField(lang.X("dossier.notice_number", "pagoPA notice"), f.NoticeNumber),
		}
		var state *widget.Label
		if f.Status == core.FinePaid {
			day := ""
			if f.PaidOn != nil {
				day = d.u.formatDate(*f.PaidOn)
			}
			state = widget.NewLabel(lang.X("dossier.paid_on", "Paid on {{.Day}}", map[string]any{"Day": day}))
			state.Importance = widget.SuccessImportance
		} else {
			cents, tier := f.AmountDue(today)
			key, fallback := "dossier.due_min", "To pay today: {{.Amount}} (within 60 days of notification)"
			switch tier {
			case core.FineReduced:
				key, fallback = "dossier.due_reduced", "To pay today: {{.Amount}} (30% off within 5 days of notification)"
			case core.FineLate:
				key, fallback = "dossier.due_late", "To pay today: {{.Amount}} (more than 60 days after notification)"
			}
			state = wrapped(lang.X(key, fallback, map[string]any{"Amount": formatMoney(cents)}))
			state.Importance = widget.WarningImportance
		}
		out = append(out, widget.NewCard(f.Description, "", container.NewVBox(state, d.u.fieldList(fields))))
	}
	return out
}

func (d *dossierScreen) payments(list []core.Payment) []fyne.CanvasObject {
	if len(list) == 0 {
		return []fyne.CanvasObject{empty(lang.X("dossier.payments_none", "No payments yet"))}
	}
	var out []fyne.CanvasObject
	for _, p := range list {
		out = append(out, d.receiptCard(p))
	}
	return out
}

func (d *dossierScreen) certificates(list []core.Certificate) []fyne.CanvasObject {
	request := widget.NewButtonWithIcon(lang.X("cert.title", "Request a certificate"), theme.ContentAddIcon(), d.startRequest)
	request.Importance = widget.HighImportance
	out := []fyne.CanvasObject{container.NewHBox(request)}
	if len(list) == 0 {
		return append(out, empty(lang.X("dossier.certificates_empty", "You have not requested any registry certificate yet.")))
	}
	for _, c := range list {
		out = append(out, d.certificateCard(c))
	}
	return out
}

func (d *dossierScreen) messages(list []core.Message) []fyne.CanvasObject {
	if len(list) == 0 {
		return []fyne.CanvasObject{empty(lang.X("dossier.messages_empty", "No messages from your municipality."))}
	}
	var out []fyne.CanvasObject
	for _, m := range list {
		box := container.NewVBox(wrapped(m.Body))
		when := d.u.formatTime(m.SentAt)
		if !m.Read {
			when = lang.X("dossier.unread", "Unread · {{.When}}", map[string]any{"When": when})
			mark := widget.NewButtonWithIcon(lang.X("dossier.mark_read", "Mark as read"), theme.ConfirmIcon(), func() { d.markRead(m.ID) })
			box.Add(container.NewHBox(mark))
		}
		out = append(out, widget.NewCard(m.Subject, when, box))
	}
	return out
}

// markRead tells the server and updates the copy on the device.
func (d *dossierScreen) markRead(id string) {
	actingFor := d.actingFor
	d.u.async(func() {
		src, err := d.source()
		if err == nil {
			err = src.MarkRead(context.Background(), actingFor, id)
		}
		fyne.Do(func() {
			if err != nil {
				if !d.u.sessionEnded(err) {
					d.u.log.Warn("dossier: mark read", "err", err)
					d.failed(err)
				}
				return
			}
			for i := range d.snap.Dossier.Messages {
				if d.snap.Dossier.Messages[i].ID == id {
					d.snap.Dossier.Messages[i].Read = true
				}
			}
			d.render()
			d.u.updateDossierTab()
		})
	})
}

func relationshipName(r core.Relationship) string {
	switch r {
	case core.Head:
		return lang.X("rel.head", "Head of the family")
	case core.Spouse:
		return lang.X("rel.spouse", "Spouse")
	case core.CivilPartner:
		return lang.X("rel.partner", "Civil partner")
	case core.Child:
		return lang.X("rel.child", "Child")
	case core.Parent:
		return lang.X("rel.parent", "Parent")
	case core.Sibling:
		return lang.X("rel.sibling", "Sibling")
	case core.Grandchild:
		return lang.X("rel.grandchild", "Grandchild")
	case core.Cohabitant:
		return lang.X("rel.cohabitant", "Cohabitant")
	}
	return string(r)
}

func maritalName(m core.MaritalStatus, s core.Sex) string {
	f := s == core.Female
	switch m {
	case core.Single:
		if f {
			return lang.X("marital.single_f", "Single")
		}
		return lang.X("marital.single_m", "Single")
	case core.Married:
		if f {
			return lang.X("marital.married_f", "Married")
		}
		return lang.X("marital.married_m", "Married")
	case core.Widowed:
		if f {
			return lang.X("marital.widowed_f", "Widowed")
		}
		return lang.X("marital.widowed_m", "Widowed")
	case core.Divorced:
		if f {
			return lang.X("marital.divorced_f", "Divorced")
		}
		return lang.X("marital.divorced_m", "Divorced")
	case core.CivilUnion:
		return lang.X("marital.civil_union", "In a civil union")
	}
	return string(m)
}
