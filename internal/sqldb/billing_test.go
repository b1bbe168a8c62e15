package sqldb

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/gas-project/gas"
)

func TestBillingEventsSQLite(t *testing.T) {
	t.Parallel()
	runBillingSuite(t, openSQLiteForTest)
}

func TestBillingEventsPostgres(t *testing.T) {
	t.Parallel()
	runBillingSuite(t, openPostgresForTest)
}

func runBillingSuite(t *testing.T, open opener) {
	ctx := context.Background()
	db := open(t, Options{})
	var hooks []string
	db.OnPlanChange(func(_ context.Context, _ *sql.Tx, u *gas.User, from gas.Plan) error {
		hooks = append(hooks, string(from)+"->"+string(u.Plan))
		return nil
	})
	u := &gas.User{Email: "payer@example.org"}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	apply := func(e gas.BillingEvent, want string) {
		t.Helper()
		got, err := db.ApplyBillingEvent(ctx, e)
		if err != nil || got != want {
			t.Fatalf("apply %s (%s): %q, %v; want %q", e.ID, e.Type, got, err, want)
		}
	}
	plan := func() gas.Plan {
		t.Helper()
		got, err := db.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Plan
	}

	// Checkout completes: Premium, and the customer is linked to the user.
	apply(gas.BillingEvent{ID: "evt_1", Type: "checkout.session.completed", Created: t0, UserID: u.ID,
		CustomerID: "cus_A", Status: "active", Plan: gas.PlanPremium}, gas.BillingApplied)
	if plan() != gas.PlanPremium {
		t.Fatal("checkout did not make the user Premium")
	}
	if c, _ := db.StripeCustomer(ctx, u.ID); c != "cus_A" {
		t.Fatalf("customer = %q", c)
	}
	// Stripe retries: the same event again changes nothing.
	apply(gas.BillingEvent{ID: "evt_1", Type: "checkout.session.completed", Created: t0, UserID: u.ID, Plan: gas.PlanPremium}, gas.BillingDuplicate)
	// The subscription is deleted (period ended) ...
	apply(gas.BillingEvent{ID: "evt_3", Type: "customer.subscription.deleted", Created: t0.Add(2 * time.Hour),
		CustomerID: "cus_A", Status: "canceled", Plan: gas.PlanFree}, gas.BillingApplied)
	// ... and an older "active" update, delivered late, must not resurrect it.
	apply(gas.BillingEvent{ID: "evt_2", Type: "customer.subscription.updated", Created: t0.Add(time.Hour),
		CustomerID: "cus_A", Status: "active", Plan: gas.PlanPremium}, gas.BillingStale)
	if plan() != gas.PlanFree {
		t.Fatal("a stale event changed the plan")
	}
	apply(gas.BillingEvent{ID: "evt_4", Type: "customer.subscription.updated", Created: t0, CustomerID: "cus_unknown",
		Status: "active", Plan: gas.PlanPremium}, gas.BillingIgnored)
	if want := []string{"free->premium", "premium->free"}; len(hooks) != 2 || hooks[0] != want[0] || hooks[1] != want[1] {
		t.Fatalf("plan hooks ran %v, want %v (once per real change)", hooks, want)
	}
	var n int
	if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM billing_events`).Scan(&n); err != nil || n != 4 {
		t.Fatalf("billing_events rows = %d (%v), want 4", n, err)
	}
}
