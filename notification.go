package gas

import "time"

// NotificationKind says which event a notification tells the user about.
type NotificationKind string

// Notification kinds.
const (
	NotifyJobCompleted NotificationKind = "job_completed"
	NotifyJobFailed    NotificationKind = "job_failed"
	NotifyJobRestored  NotificationKind = "job_restored"
)

// DeliveryState is where a notification is in its delivery.
type DeliveryState string

// Delivery states. A PENDING notification is retried with backoff until it
// is SENT or its attempts run out (FAILED, shown to the admin).
const (
	DeliveryPending DeliveryState = "PENDING"
	DeliverySent    DeliveryState = "SENT"
	DeliveryFailed  DeliveryState = "FAILED"
)

// DeliveryStates lists every delivery state, in the order of a delivery.
func DeliveryStates() []DeliveryState {
	return []DeliveryState{DeliveryPending, DeliverySent, DeliveryFailed}
}

// Notification is one email to a user, kept in an outbox table that is
// written in the same transaction as the job change it reports.
type Notification struct {
	ID        int64
	UserID    int64
	JobID     string
	Kind      NotificationKind
	To        string // recipient address
	Subject   string
	Body      string // plain text
	State     DeliveryState
	Attempts  int
	LastError string // why the last attempt failed; shown to the admin
	CreatedAt time.Time
	SentAt    time.Time // zero until SENT
}
