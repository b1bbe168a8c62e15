package sqldb

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gas-project/gas"
)

// billingEngines opens fresh, unmigrated databases of each engine (PostgreSQL when
// GAS_TEST_POSTGRES_URL is set).
var billingEngines = map[string]opener{
	"sqlite": func(t *testing.T, opt Options) *DB {
		db, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "gas.db"), opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	},
	"postgres": openPostgresEmpty,
}

// TestStripeCustomerUnique: two accounts cannot share one Stripe customer
// — not through SetStripeCustomer, not through a webhook event, not by a
// direct write — and an event about the customer reaches exactly one
// account.
func TestStripeCustomerUnique(t *testing.T) {
	t.Parallel()
	for name, open := range billingEngines {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := open(t, Options{})
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			users := make([]*gas.User, 3)
			for i := range users {
				users[i] = &gas.User{Email: string(rune('a'+i)) + "@example.org"}
				if err := db.CreateUser(ctx, users[i]); err != nil {
					t.Fatal(err) // many accounts without a customer are fine
				}
			}
			a, b := users[0], users[1]
			plan := func(u *gas.User) gas.Plan {
				t.Helper()
				got, err := db.UserByID(ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				return got.Plan
			}
			apply := func(e gas.BillingEvent, want string) {
				t.Helper()
				if got, err := db.ApplyBillingEvent(ctx, e); err != nil || got != want {
					t.Fatalf("apply %s: %q, %v; want %q", e.ID, got, err, want)
				}
			}

			if err := db.SetStripeCustomer(ctx, a.ID, "cus_X"); err != nil {
				t.Fatal(err)
			}
			if err := db.SetStripeCustomer(ctx, a.ID, "cus_X"); err != nil {
				t.Fatalf("setting the same customer again: %v", err)
			}
			if err := db.SetStripeCustomer(ctx, b.ID, "cus_X"); gas.ErrorCode(err) != gas.ECONFLICT {
				t.Fatalf("second account, same customer: %v, want conflict", err)
			}
			if _, err := db.sql.ExecContext(ctx, db.q(`UPDATE users SET stripe_customer_id = 'cus_X' WHERE id = ?`), b.ID); !isUniqueViolation(err) {
				t.Fatalf("a direct write sharing the customer: %v, want a unique violation", err)
			}

			t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
			apply(gas.BillingEvent{ID: "evt_a1", Type: "checkout.session.completed", Created: t0, UserID: a.ID,
				CustomerID: "cus_X", Status: "active", Plan: gas.PlanPremium}, gas.BillingApplied)
			// A checkout for B that names A's customer is recorded, not applied.
			apply(gas.BillingEvent{ID: "evt_b1", Type: "checkout.session.completed", Created: t0.Add(time.Minute), UserID: b.ID,
				CustomerID: "cus_X", Status: "active", Plan: gas.PlanPremium}, gas.BillingConflict)
			if plan(b) != gas.PlanFree {
				t.Fatal("the conflicting event changed B's plan")
			}
			if c, _ := db.StripeCustomer(ctx, b.ID); c != "" {
				t.Fatalf("B got customer %q", c)
			}
			var outcome string
			var uid int64
			if err := db.sql.QueryRowContext(ctx, db.q(`SELECT outcome, user_id FROM billing_events WHERE id = ?`), "evt_b1").Scan(&outcome, &uid); err != nil ||
				outcome != gas.BillingConflict || uid != b.ID {
				t.Fatalf("recorded %q for user %d (%v)", outcome, uid, err)
			}
			// The cancellation reaches exactly the customer's account.
			apply(gas.BillingEvent{ID: "evt_x2", Type: "customer.subscription.deleted", Created: t0.Add(2 * time.Minute),
				CustomerID: "cus_X", Status: "canceled", Plan: gas.PlanFree}, gas.BillingApplied)
			if plan(a) != gas.PlanFree || plan(b) != gas.PlanFree {
				t.Fatalf("after the cancellation: A %s, B %s", plan(a), plan(b))
			}
			if err := db.sql.QueryRowContext(ctx, db.q(`SELECT user_id FROM billing_events WHERE id = ?`), "evt_x2").Scan(&uid); err != nil || uid != a.ID {
				t.Fatalf("cancellation applied to user %d (%v), want %d", uid, err, a.ID)
			}
		})
	}
}

// TestStripeCustomerUniqueMigration: a database where two accounts already
// share a customer migrates; the customer stays with the account of the
// newest applied event, the other is listed for an operator.
func TestStripeCustomerUniqueMigration(t *testing.T) {
	t.Parallel()
	for name, open := range billingEngines {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := open(t, Options{})
			if _, err := db.migrate(ctx, 70); err != nil {
				t.Fatal(err)
			}
			ids := map[string]int64{}
			for _, u := range []struct {
				email, customer string
				eventAt         int64
			}{{"old@x.org", "cus_S", 100}, {"new@x.org", "cus_S", 200}, {"tie1@x.org", "cus_T", 50}, {"tie2@x.org", "cus_T", 50},
				{"alone@x.org", "cus_U", 10}, {"none@x.org", "", 0}, {"none2@x.org", "", 0}} {
				var id int64
				if err := db.sql.QueryRowContext(ctx, db.q(`INSERT INTO users (email, email_key, created_at, stripe_customer_id, billing_event_at)
					VALUES (?, ?, 1, ?, ?) RETURNING id`), u.email, u.email, u.customer, u.eventAt).Scan(&id); err != nil {
					t.Fatal(err)
				}
				ids[u.email] = id
			}
			if _, err := db.sql.ExecContext(ctx, db.q(`INSERT INTO billing_events (id, type, user_id, created_at, received_at, outcome)
				VALUES ('evt_9', 't', ?, 200, 1, 'applied'), ('evt_1', 't', ?, 200, 1, 'applied')`), ids["new@x.org"], ids["new@x.org"]); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"old@x.org": "", "new@x.org": "cus_S", "tie1@x.org": "cus_T", "tie2@x.org": "", "alone@x.org": "cus_U"}
			for email, c := range want {
				if got, _ := db.StripeCustomer(ctx, ids[email]); got != c {
					t.Errorf("%s: customer %q, want %q", email, got, c)
				}
			}
			var n int
			if err := db.sql.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM stripe_customer_cleared WHERE
				(user_id = ? AND customer_id = 'cus_S') OR (user_id = ? AND customer_id = 'cus_T')`), ids["old@x.org"], ids["tie2@x.org"]).Scan(&n); err != nil || n != 2 {
				t.Fatalf("cleared rows = %d (%v), want 2", n, err)
			}
			var last string
			if err := db.sql.QueryRowContext(ctx, db.q(`SELECT billing_event_id FROM users WHERE id = ?`), ids["new@x.org"]).Scan(&last); err != nil || last != "evt_9" {
				t.Fatalf("billing_event_id = %q (%v), want evt_9", last, err)
			}
		})
	}
}

// TestStripeEventOrder: events are applied in the order (created, event
// ID), whatever order they arrive in: two events of the same second end
// in the same state either way, and an older event never overrides a newer.
func TestStripeEventOrder(t *testing.T) {
	t.Parallel()
	for name, open := range billingEngines {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := open(t, Options{})
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
			// Same second: evt_2 (canceled) sorts after evt_1 (active).
			active := func(cus string) gas.BillingEvent {
				return gas.BillingEvent{ID: "evt_1" + cus, Type: "customer.subscription.updated", Created: t0, CustomerID: cus,
					Status: "active", Plan: gas.PlanPremium}
			}
			canceled := func(cus string) gas.BillingEvent {
				return gas.BillingEvent{ID: "evt_2" + cus, Type: "customer.subscription.updated", Created: t0, CustomerID: cus,
					Status: "canceled", Plan: gas.PlanFree}
			}
			for _, c := range []struct {
				cus      string
				first    gas.BillingEvent
				second   gas.BillingEvent
				outcomes [2]string
			}{
				{"cus_in_order", active("cus_in_order"), canceled("cus_in_order"), [2]string{gas.BillingApplied, gas.BillingApplied}},
				{"cus_reversed", canceled("cus_reversed"), active("cus_reversed"), [2]string{gas.BillingApplied, gas.BillingStale}},
			} {
				u := &gas.User{Email: c.cus + "@example.org"}
				if err := db.CreateUser(ctx, u); err != nil {
					t.Fatal(err)
				}
				if err := db.SetStripeCustomer(ctx, u.ID, c.cus); err != nil {
					t.Fatal(err)
				}
				if err := db.SetPlan(ctx, u.ID, gas.PlanPremium); err != nil {
					t.Fatal(err)
				}
				for i, e := range []gas.BillingEvent{c.first, c.second} {
					if got, err := db.ApplyBillingEvent(ctx, e); err != nil || got != c.outcomes[i] {
						t.Fatalf("%s: event %s: %q, %v; want %q", c.cus, e.ID, got, err, c.outcomes[i])
					}
				}
				got, err := db.UserByID(ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				var status string
				if err := db.sql.QueryRowContext(ctx, db.q(`SELECT subscription_status FROM users WHERE id = ?`), u.ID).Scan(&status); err != nil {
					t.Fatal(err)
				}
				if got.Plan != gas.PlanFree || status != "canceled" {
					t.Fatalf("%s: plan %s, status %q; want free and canceled whatever the arrival order", c.cus, got.Plan, status)
				}
				// An event a second older never overrides.
				old := active(c.cus)
				old.ID, old.Created = "evt_9"+c.cus, t0.Add(-time.Second)
				if out, err := db.ApplyBillingEvent(ctx, old); err != nil || out != gas.BillingStale {
					t.Fatalf("%s: older event: %q, %v; want stale", c.cus, out, err)
				}
			}
		})
	}
}
