package core

import "time"

// Appointments at municipal offices (docs/appointments.md): the services a
// citizen can book, which offices offer them, the free days and times the
// server computes from the offices' schedules, and the bookings.

// BookableService is a service that is handled at an office counter by
// appointment, localised by the server from the request's Accept-Language.
type BookableService struct {
	ID          string `json:"id"`    // stable: "id_card_renewal", "change_of_residence", ...
	Topic       string `json:"topic"` // the municipality's Service it belongs to: "id_card", ...
	Name        string `json:"name"`
	Description string `json:"description"`
	// Bring is what to take to the counter, one item per line.
	Bring       []string `json:"bring,omitempty"`
	SlotMinutes int      `json:"slot_minutes"` // how long one appointment lasts
	Offices     []string `json:"offices"`      // ids of the offices that offer it
}

// DayAvailability is one day of an office's calendar for one service.
type DayAvailability struct {
	Date Date `json:"date"`
	// Free is the number of bookable places left that day; 0 when the day
	// is full, closed or past.
	Free int `json:"free"`
	// Closed names why the office is closed that day (a holiday, a
	// closure); empty when it is open or simply does not open that weekday.
	Closed string `json:"closed,omitempty"`
}

// MonthAvailability is an office's month for one service, every day of it.
type MonthAvailability struct {
	Office  string            `json:"office"`
	Service string            `json:"service"`
	Month   string            `json:"month"` // "2026-12"
	Days    []DayAvailability `json:"days"`
	// FirstFree is the first free slot from now on at this office for this
	// service, within the booking horizon; nil when there is none.
	FirstFree *Slot `json:"first_free,omitempty"`
}

// Slot is one bookable time at an office for one service.
type Slot struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Free  int       `json:"free"` // places left at that time
}

// Applicant is who the appointment is for: the signed-in citizen, with the
// contacts they give for the confirmation and reminders.
type Applicant struct {
	FiscalCode string `json:"fiscal_code"`
	Name       string `json:"name"`
	Surname    string `json:"surname"`
	Email      string `json:"email"`
	Phone      string `json:"phone,omitempty"`
}

// BookingRequest asks for one appointment. The server takes the applicant's
// identity from the session; Email and Phone are the citizen's.
type BookingRequest struct {
	Service string    `json:"service"`
	Office  string    `json:"office"`
	Start   time.Time `json:"start"`
	Details string    `json:"details,omitempty"` // the reason in the citizen's words, at most 500 characters
	Email   string    `json:"email"`
	Phone   string    `json:"phone,omitempty"`
}

// RescheduleRequest moves a booking to another time, at the same or another
// office offering the service.
type RescheduleRequest struct {
	Office string    `json:"office"`
	Start  time.Time `json:"start"`
}

// AppointmentStatus is where a booking stands.
type AppointmentStatus string

const (
	AppointmentBooked    AppointmentStatus = "booked"
	AppointmentCancelled AppointmentStatus = "cancelled"
	AppointmentDone      AppointmentStatus = "done"
	// AppointmentReleased: not re-confirmed in time, the slot went back
	// to others.
	AppointmentReleased AppointmentStatus = "released"
)

// Appointment is a booking at a municipal office.
type Appointment struct {
	Code      string            `json:"code"`       // confirmation code, "VLD-7KQ2-M4PX"
	ServiceID string            `json:"service_id"` // a BookableService's ID
	Service   string            `json:"service"`    // its name, localised
	OfficeID  string            `json:"office_id"`
	Office    string            `json:"office"` // the office's name
	Address   string            `json:"address"`
	Start     time.Time         `json:"start"`
	End       time.Time         `json:"end"`
	Status    AppointmentStatus `json:"status"`
	Details   string            `json:"details,omitempty"`
	Applicant Applicant         `json:"applicant"`
	BookedAt  time.Time         `json:"booked_at"`
	// ConfirmBy is the re-confirmation deadline when the municipality
	// asks for one (nil otherwise): a booking still unconfirmed then is
	// released.
	ConfirmBy   *time.Time `json:"confirm_by,omitempty"`
	ConfirmedAt *time.Time `json:"confirmed_at,omitempty"`
}

// Problem types of appointments.
const (
	// ProblemSlotTaken: someone else booked the last place of that time
	// first. The problem document carries NextFree, the next free slots.
	ProblemSlotTaken = "urn:sportello:problem:slot-taken"
	// ProblemSlotUnavailable: that time is not bookable at all (past,
	// closed, not on the office's schedule, beyond the booking horizon).
	ProblemSlotUnavailable = "urn:sportello:problem:slot-unavailable"
	// ProblemAlreadyBooked: the citizen already has an active booking for
	// that service; the document's Detail names its code.
	ProblemAlreadyBooked = "urn:sportello:problem:already-booked"
	// ProblemAppointmentClosed: the booking can no longer be changed
	// (cancelled, released, done, or its time has come).
	ProblemAppointmentClosed = "urn:sportello:problem:appointment-closed"
)
