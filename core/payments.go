package core

import "time"

// Fines by registered plate and pagoPA payments (docs/payments.md): the
// plates a citizen registers, the detailed list of their fines, the
// verification of a notice, the checkout (the cart paid on the pagoPA
// sandbox page) and its outcome. JSON tags match server/openapi.json.

// The problem types of plates and payments.
const (
	// ProblemPlateLimit: the citizen has registered the most plates allowed
	// (MaxPlates); remove one first.
	ProblemPlateLimit = "urn:sportello:problem:plate-limit"
	// ProblemPaymentDuplicated: the notice is already paid.
	ProblemPaymentDuplicated = "urn:sportello:problem:payment-duplicated"
	// ProblemPaymentOngoing: another checkout holds the notice (for up to
	// 30 minutes); try again later.
	ProblemPaymentOngoing = "urn:sportello:problem:payment-ongoing"
	// ProblemPaymentExpired: the notice can no longer be paid through
	// pagoPA (past its statute of limitations).
	ProblemPaymentExpired = "urn:sportello:problem:payment-expired"
	// ProblemPaymentCancelled: the creditor cancelled the notice (a fine
	// annulled): there is nothing to pay.
	ProblemPaymentCancelled = "urn:sportello:problem:payment-cancelled"
	// ProblemPaymentUnknownNotice: the creditor has no such notice.
	ProblemPaymentUnknownNotice = "urn:sportello:problem:payment-unknown-notice"
)

// The reasons (InvalidParam.Reason) of the plates and payments requests.
const (
	ReasonRequired               = "required"
	ReasonPlateFormat            = "plate_format"  // neither AB 123 CD nor AB 12345
	ReasonPlateLetters           = "plate_letters" // I, O, Q or U
	ReasonPlateRelation          = "relation_invalid"
	ReasonDeclarationRequired    = "declaration_required" // a vehicle used but not owned needs the self-declaration
	ReasonNoticeLength           = "notice_number_length"
	ReasonNoticeDigits           = "notice_number_digits"
	ReasonNoticeAux              = "notice_number_aux"
	ReasonNoticeCheck            = "notice_number_check"
	ReasonCreditorLength         = "creditor_fiscal_code_length"
	ReasonCreditorDigits         = "creditor_fiscal_code_digits"
	ReasonCreditorCheck          = "creditor_fiscal_code_check"
	ReasonNoticeCount            = "notices_count"   // 1 to MaxCartNotices
	ReasonNoticeRepeated         = "notice_repeated" // the same notice twice in one cart
	ReasonReturnURLNotAllowed    = "return_url_not_allowed"
	ReasonIdempotencyKeyRequired = "idempotency_key_required"
	ReasonIdempotencyKeyBad      = "idempotency_key_malformed"
)

// Limits of plates and checkouts.
const (
	MaxPlates      = 5
	MaxCartNotices = 5
	// DeclarationMonths is how long a self-declaration of use lasts.
	DeclarationMonths = 12
	// CheckoutTTL is how long a checkout holds its notices.
	CheckoutTTL = 30 * time.Minute
)

// PlateRelation is how the citizen is bound to a registered plate.
type PlateRelation string

const (
	PlateOwner PlateRelation = "owner" // their own vehicle
	PlateUser  PlateRelation = "user"  // used but not owned: a self-declaration that expires
)

// RegisteredPlate is a plate the citizen registered to see its fines.
type RegisteredPlate struct {
	Plate        string        `json:"plate"` // "AB123CD", no spaces
	VehicleType  VehicleType   `json:"vehicle_type"`
	Relation     PlateRelation `json:"relation"`
	RegisteredAt time.Time     `json:"registered_at"`
	ConfirmedAt  time.Time     `json:"confirmed_at"`
	// ExpiresAt: when a user's self-declaration lapses; nil for an owner.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// Expired: the declaration lapsed; the plate shows no new fines until
	// it is confirmed again.
	Expired bool `json:"expired"`
}

// PlateRegistration is the body of POST /api/v1/me/plates.
type PlateRegistration struct {
	Plate    string        `json:"plate"`
	Relation PlateRelation `json:"relation"`
	// Declaration: the citizen declares they use the vehicle (required for
	// PlateUser).
	Declaration bool `json:"declaration,omitempty"`
}

// The statuses of a fine in the detailed list (FineToPay and FinePaid are
// in dossier.go).
const (
	FineOverdue   FineStatus = "overdue"   // past the 60-day window: payable at the late amount
	FineCancelled FineStatus = "cancelled" // annulled by the municipality
	FineExpired   FineStatus = "expired"   // past the statute of limitations (5 years)
)

// FineNotice is a fine with everything the app shows and pays it with.
type FineNotice struct {
	Fine
	CreditorFiscalCode string   `json:"creditor_fiscal_code"`
	AmountDueCents     int64    `json:"amount_due_cents"` // today, by AmountDue; 0 when not payable
	Tier               FineTier `json:"tier"`
	// Source: "owned" (a vehicle the registry says the citizen owns) or
	// "registered" (a plate they registered).
	Source string `json:"source"`
}

// FineList is the answer of GET /api/v1/me/fines/notices.
type FineList struct {
	Fines []FineNotice `json:"fines"`
	// ExpiredPlates are the registered plates whose declaration lapsed:
	// their new fines are not listed until they are confirmed.
	ExpiredPlates []string `json:"expired_plates"`
}

// NoticeRef names a pagoPA notice: the payment is identified by both.
type NoticeRef struct {
	NoticeNumber       string `json:"notice_number"`
	CreditorFiscalCode string `json:"creditor_fiscal_code"`
}

// NoticeKind is what a notice pays.
type NoticeKind string

const (
	NoticeFine NoticeKind = "fine"
	NoticeTARI NoticeKind = "tari"
)

// NoticeVerification is the answer of POST /api/v1/payments/verify: what
// paying the notice costs now.
type NoticeVerification struct {
	NoticeRef
	Kind         NoticeKind `json:"kind"`
	CreditorName string     `json:"creditor_name"`
	Description  string     `json:"description"`
	AmountCents  int64      `json:"amount_cents"`
	DueDate      *Date      `json:"due_date,omitempty"`
}

// ReturnURLs are where the sandbox page sends the browser back: loopback
// http URLs or the app's scheme it.sportello.app:/.
type ReturnURLs struct {
	OK     string `json:"ok"`
	Cancel string `json:"cancel"`
	Error  string `json:"error"`
}

// CheckoutRequest is the body of POST /api/v1/payments/checkouts.
type CheckoutRequest struct {
	Notices    []NoticeRef `json:"notices"`
	ReturnURLs ReturnURLs  `json:"return_urls"`
}

// CheckoutCreated is the answer of POST /api/v1/payments/checkouts: open
// URL in the browser before ExpiresAt.
type CheckoutCreated struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// CheckoutStatus is where a checkout stands.
type CheckoutStatus string

const (
	CheckoutPending   CheckoutStatus = "pending"
	CheckoutPaid      CheckoutStatus = "paid"
	CheckoutCancelled CheckoutStatus = "cancelled"
	CheckoutDeclined  CheckoutStatus = "declined"
	CheckoutExpired   CheckoutStatus = "expired"
)

// CheckoutItem is one notice of a checkout's cart.
type CheckoutItem struct {
	NoticeRef
	Description string `json:"description"`
	AmountCents int64  `json:"amount_cents"`
}

// Checkout is the answer of GET /api/v1/payments/checkouts/{id}.
type Checkout struct {
	ID         string         `json:"id"`
	Status     CheckoutStatus `json:"status"`
	CreatedAt  time.Time      `json:"created_at"`
	ExpiresAt  time.Time      `json:"expires_at"`
	TotalCents int64          `json:"total_cents"`
	Notices    []CheckoutItem `json:"notices"`
	Payments   []Payment      `json:"payments"` // one per notice once paid; empty before
}

// CheckoutOutcome is the outcome query parameter of a return URL.
type CheckoutOutcome string

const (
	OutcomeOK     CheckoutOutcome = "ok"
	OutcomeCancel CheckoutOutcome = "cancel"
	OutcomeError  CheckoutOutcome = "error"
)
