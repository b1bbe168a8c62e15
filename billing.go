package gas

import "time"

// BillingEvent is a payment provider's notification (a Stripe webhook event)
// reduced to what decides a user's plan. Events are applied at most once
// (by ID) and never over a newer one (by Created), because providers retry
// deliveries and do not promise their order. Events are ordered by
// (Created, ID): Created has whole seconds, and two events of one second
// must still have one order whatever order they arrive in.
type BillingEvent struct {
	ID         string
	Type       string
	Created    time.Time
	UserID     int64  // set when the event names our user (Checkout's client reference)
	CustomerID string // the provider's customer; finds the user otherwise
	Status     string // subscription status, e.g. active, past_due, canceled
	PeriodEnd  time.Time
	// Plan is the plan the event puts the user on; empty leaves it.
	Plan Plan
}

// Billing outcomes of applying an event.
const (
	BillingApplied   = "applied"
	BillingDuplicate = "duplicate" // this event ID was seen before
	BillingStale     = "stale"     // older than an event already applied for the user
	BillingIgnored   = "ignored"   // names no known user
	// BillingConflict: the event gives a user a provider customer that
	// belongs to another account; a customer has one account, so it is
	// recorded and not applied.
	BillingConflict = "conflict"
)
