package app

import (
	"context"
	"fmt"
	"net/mail"
	"net/url"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/appointments"
	"github.com/sportello/sportello/core/municipality"
)

// homeScreen shows the municipality: who it is, how to reach it, what it
// offers and when its offices are open. It shows the device's copy at once
// and then the server's answer.
type homeScreen struct {
	u    *ui
	body *fyne.Container // replaced whole on every update
	root fyne.CanvasObject
}

func newHomeScreen(u *ui) *homeScreen {
	h := &homeScreen{u: u, body: container.NewVBox()}
	h.root = container.NewVScroll(container.NewPadded(h.body))
	h.showLoading()
	return h
}

func (h *homeScreen) object() fyne.CanvasObject { return h.root }

// load shows the cached copy, then refreshes from the server, in the
// background.
func (h *homeScreen) load() {
	h.u.async(func() { h.loadNow(context.Background()) })
}

// loadNow is load, blocking until the server's answer is shown.
func (h *homeScreen) loadNow(ctx context.Context) {
	if cached, ok := h.cached(ctx); ok {
		fyne.Do(func() { h.show(cached) })
	}
	info, err := h.refresh(ctx)
	var bookable []core.BookableService
	if err == nil && info.Stale == nil { // offline, no one can book anyway
		bookable = h.bookable(ctx)
	}
	fyne.Do(func() {
		if err != nil {
			h.showError(err)
			return
		}
		h.u.bookable = bookable
		h.show(info)
	})
}

// bookable asks which services are booked at an office counter; nil when
// the server cannot say (the buttons to book then do not show).
func (h *homeScreen) bookable(ctx context.Context) []core.BookableService {
	list, err := appointments.Source{Client: h.u.conn.Client()}.Services(ctx)
	if err != nil {
		h.u.log.Warn("home: bookable services", "err", err)
		return nil
	}
	return list
}

func (h *homeScreen) cached(ctx context.Context) (municipality.Info, bool) {
	c := h.u.conn
	info, ok, err := municipality.Cached(ctx, c.Store(), c.Current().Site(), currentLanguage())
	if err != nil {
		h.u.log.Warn("home: cache", "err", err)
	}
	return info, ok
}

func (h *homeScreen) refresh(ctx context.Context) (municipality.Info, error) {
	c := h.u.conn
	info, err := municipality.Refresh(ctx, c.Client(), c.Store(), c.Current().Site(), currentLanguage(), h.u.now())
	if err != nil {
		h.u.log.Warn("home: refresh", "err", err)
	} else if info.Stale != nil {
		h.u.log.Warn("home: showing the cached copy", "err", info.Stale)
	}
	return info, err
}

func (h *homeScreen) showLoading() {
	a := widget.NewActivity()
	a.Start()
	h.body.Objects = []fyne.CanvasObject{container.NewCenter(container.NewVBox(a,
		widget.NewLabelWithStyle(lang.X("home.loading", "Loading your municipality…"), fyne.TextAlignCenter, fyne.TextStyle{})))}
	h.body.Refresh()
}

func (h *homeScreen) showError(err error) {
	title := widget.NewLabelWithStyle(lang.X("home.error_title", "Your municipality's information could not be loaded"),
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Wrapping = fyne.TextWrapWord
	detail := wrapped(errorText(err))
	retry := widget.NewButtonWithIcon(lang.X("action.retry", "Try again"), theme.ViewRefreshIcon(), func() {
		h.showLoading()
		h.load()
	})
	retry.Importance = widget.HighImportance
	settings := widget.NewButton(lang.X("home.change_municipality", "Change municipality"), h.u.showSettings)
	// Verifying needs no server: it stays at hand.
	h.body.Objects = []fyne.CanvasObject{widget.NewCard("", "", container.NewVBox(title, detail, container.NewHBox(retry, settings))), h.u.verifyEntry()}
	h.body.Refresh()
}

// show lays out info. It runs on the UI goroutine.
func (h *homeScreen) show(info municipality.Info) {
	m := info.Municipality
	h.u.creditor = m.FiscalCode
	h.u.offices = m.Offices
	h.u.organizer = ""
	if m.Contacts.Email != "" {
		h.u.organizer = (&mail.Address{Name: m.Name, Address: m.Contacts.Email}).String()
	}
	objs := []fyne.CanvasObject{h.header(info), h.u.verifyEntry(), h.accountCard()}
	if info.Stale != nil {
		objs = append(objs, h.offlineBanner(info))
	}
	objs = append(objs, h.contacts(m.Contacts), h.services(m.Services))
	if len(m.Offices) > 0 {
		objs = append(objs, h.offices(m.Offices))
	}
	objs = append(objs, h.updated(info))
	h.body.Objects = objs
	h.body.Refresh()
	// Wrapped labels know their height only once they have a width: a second
	// pass lays the column out with the heights of the first.
	h.root.Refresh()
}

func (h *homeScreen) header(info municipality.Info) fyne.CanvasObject {
	m := info.Municipality
	name := widget.NewLabel(m.Name)
	name.SizeName = theme.SizeNameHeadingText
	name.TextStyle.Bold = true
	name.Wrapping = fyne.TextWrapWord
	where := widget.NewLabel(lang.X("home.where", "Province {{.Province}} · {{.Region}} · {{.Population}} residents",
		map[string]any{"Province": m.Province, "Region": m.Region, "Population": m.Population}))
	where.Wrapping = fyne.TextWrapWord
	text := container.NewVBox(name, where)
	if m.Demo {
		demo := widget.NewLabel(lang.X("home.demo", "Demo municipality: the people and data in it are invented."))
		demo.Importance = widget.WarningImportance
		demo.Wrapping = fyne.TextWrapWord
		text.Add(demo)
	}
	if len(info.Logo) == 0 {
		return widget.NewCard("", "", text)
	}
	logo := canvas.NewImageFromResource(fyne.NewStaticResource(logoName(info.LogoType), info.Logo))
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(64, 76))
	return widget.NewCard("", "", container.NewBorder(nil, nil, container.NewCenter(logo), nil, text))
}

// logoName gives the logo resource a name whose extension tells Fyne how to
// decode it.
func logoName(mediaType string) string {
	switch {
	case strings.HasPrefix(mediaType, "image/svg"):
		return "logo.svg"
	case strings.HasPrefix(mediaType, "image/jpeg"):
		return "logo.jpg"
	}
	return "logo.png"
}

// accountCard invites to sign in, or greets the signed-in citizen.
func (h *homeScreen) accountCard() fyne.CanvasObject {
	sess, err := h.u.account.Session()
	if err != nil {
		signIn := widget.NewButtonWithIcon(lang.X("signin.browser", "Sign in with SPID or CIE"), theme.LoginIcon(), h.u.showSignIn)
		signIn.Importance = widget.HighImportance
		return widget.NewCard(lang.X("home.signin_title", "Your services"), "", container.NewVBox(
			wrapped(lang.X("home.signin_text", "Sign in to see your data and your documents.")),
			container.NewHBox(signIn)))
	}
	hello := widget.NewLabelWithStyle(lang.X("home.hello", "Hello, {{.Name}}", map[string]any{"Name": sess.Name}),
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	open := widget.NewButtonWithIcon(lang.X("home.open_dossier", "Your dossier"), theme.AccountIcon(), h.u.showDossier)
	return widget.NewCard("", "", container.NewBorder(nil, nil, nil, open, hello))
}

func (h *homeScreen) offlineBanner(info municipality.Info) fyne.CanvasObject {
	msg := wrapped(lang.X("home.offline", "You are seeing the copy saved on {{.When}}. {{.Reason}}",
		map[string]any{"When": h.u.formatTime(info.FetchedAt), "Reason": errorText(info.Stale)}))
	msg.Importance = widget.WarningImportance
	retry := widget.NewButtonWithIcon(lang.X("action.retry", "Try again"), theme.ViewRefreshIcon(), h.load)
	return widget.NewCard("", "", container.NewVBox(
		container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), nil, msg),
		container.NewHBox(layout.NewSpacer(), retry)))
}

func (h *homeScreen) contacts(c core.Contacts) fyne.CanvasObject {
	fields := []field{textField(lang.X("home.address", "Address"), c.Address)}
	if c.Phone != "" {
		fields = append(fields, field{lang.X("home.phone", "Phone"), link(c.Phone, "tel:"+strings.ReplaceAll(c.Phone, " ", ""))})
	}
	if c.Email != "" {
		fields = append(fields, field{lang.X("home.email", "E-mail"), link(c.Email, "mailto:"+c.Email)})
	}
	if c.PEC != "" {
		fields = append(fields, field{lang.X("home.pec", "Certified e-mail (PEC)"), link(c.PEC, "mailto:"+c.PEC)})
	}
	if c.Website != "" {
		fields = append(fields, field{lang.X("home.website", "Website"), link(strings.TrimPrefix(strings.TrimPrefix(c.Website, "https://"), "http://"), c.Website)})
	}
	return widget.NewCard(lang.X("home.contacts", "Contacts"), "", h.u.fieldList(fields))
}

func (h *homeScreen) services(list []core.Service) fyne.CanvasObject {
	if len(list) == 0 {
		return widget.NewCard(lang.X("home.services", "Services"), "", wrapped(lang.X("home.no_services", "The municipality lists no services yet.")))
	}
	box := container.NewVBox()
	for i, s := range list {
		if i > 0 {
			box.Add(widget.NewSeparator())
		}
		name := widget.NewLabelWithStyle(s.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		name.Wrapping = fyne.TextWrapWord
		where := lang.X("home.service_at_counter", "At the counter")
		icon := widget.NewIcon(theme.AccountIcon())
		if s.Online {
			where = lang.X("home.service_online", "Online")
			icon = widget.NewIcon(theme.ComputerIcon())
		}
		mode := widget.NewLabel(where)
		if s.Online {
			mode.Importance = widget.SuccessImportance
		}
		box.Add(container.NewBorder(nil, nil, nil, container.NewHBox(icon, mode), name))
		box.Add(wrapped(s.Description))
		topic := s.ID
		if topic == allTopics {
			topic = ""
		}
		if len(appointments.ForTopic(h.u.bookable, topic)) > 0 {
			book := widget.NewButtonWithIcon(lang.X("book.title", "Book an appointment"), theme.CalendarIcon(), func() { h.u.bookTopic(topic) })
			box.Add(container.NewHBox(book))
		}
	}
	return widget.NewCard(lang.X("home.services", "Services"), lang.X("home.services_sub", "What your municipality offers"), box)
}

func (h *homeScreen) offices(list []core.Office) fyne.CanvasObject {
	box := container.NewVBox()
	for i, o := range list {
		if i > 0 {
			box.Add(widget.NewSeparator())
		}
		box.Add(widget.NewLabelWithStyle(o.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		box.Add(wrapped(o.Address))
		for _, line := range openingLines(o.Hours) {
			box.Add(widget.NewLabel(line))
		}
		if len(o.Hours) == 0 {
			box.Add(widget.NewLabel(lang.X("home.by_appointment", "By appointment only")))
		}
	}
	return widget.NewCard(lang.X("home.offices", "Offices and opening hours"), "", box)
}

// openingLines groups opening intervals by weekday: "Mon 08:30–12:30, 14:00–16:00".
func openingLines(hours []core.OpeningHours) []string {
	byDay := map[int][]string{}
	for _, oh := range hours {
		byDay[oh.Weekday] = append(byDay[oh.Weekday], oh.Opens+"–"+oh.Closes)
	}
	days := make([]int, 0, len(byDay))
	for d := range byDay {
		days = append(days, d)
	}
	sort.Ints(days)
	lines := make([]string, 0, len(days))
	for _, d := range days {
		lines = append(lines, weekdayName(d)+"  "+strings.Join(byDay[d], ", "))
	}
	return lines
}

func weekdayName(d int) string {
	names := []string{
		lang.X("weekday.1", "Mon"), lang.X("weekday.2", "Tue"), lang.X("weekday.3", "Wed"), lang.X("weekday.4", "Thu"),
		lang.X("weekday.5", "Fri"), lang.X("weekday.6", "Sat"), lang.X("weekday.7", "Sun"),
	}
	if d < 1 || d > 7 {
		return fmt.Sprint(d)
	}
	return names[d-1]
}

func (h *homeScreen) updated(info municipality.Info) fyne.CanvasObject {
	l := widget.NewLabel(lang.X("home.updated", "Updated {{.When}}", map[string]any{"When": h.u.formatTime(info.FetchedAt)}))
	l.Importance = widget.LowImportance
	return container.NewBorder(nil, nil, nil, widget.NewButtonWithIcon(lang.X("action.refresh", "Refresh"), theme.ViewRefreshIcon(), h.load), l)
}

// wrapped is a label that wraps at word boundaries, for sentences.
func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// link is a hyperlink; an unparsable target shows as plain text.
func link(text, target string) fyne.CanvasObject {
	u, err := url.Parse(target)
	if err != nil {
		return widget.NewLabel(text)
	}
	l := widget.NewHyperlink(text, u)
	l.Wrapping = fyne.TextWrapBreak // long e-mail addresses on a phone
	return l
}
