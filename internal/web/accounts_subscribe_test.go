package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gas-project/gas"
)

func TestSubscribeWithoutStripe(t *testing.T) {
	t.Parallel()
	af := setupAccounts(t, accountsOpts{})
	c := af.client()
	// The plans and their limits are public, from the configuration.
	doc := c.get("/subscribe").doc(t)
	if text(find(doc, "#free-limit")) != "150 kB" || text(find(doc, "#premium-limit")) != "5 GB" ||
		!strings.Contains(text(find(doc, "#free-retention")), "archived after 5 minutes") {
		t.Fatalf("plans: %q", text(find(doc, "#plans")))
	}
	if find(doc, "#subscribe-signin") == nil || find(doc, "#subscribe-form") != nil {
		t.Fatal("a signed-out visitor is offered the button, or not told to sign in")
	}
	c.signup("ada@example.org", "correct horse battery")
	doc = c.get("/subscribe").doc(t)
	if got := text(find(doc, "#billing-off")); !strings.Contains(got, "Billing is not configured") ||
		!strings.Contains(got, "gas admin users set-plan ada@example.org premium") {
		t.Fatalf("without Stripe: %q", got)
	}
	if find(doc, "#subscribe-form") != nil {
		t.Fatal("an upgrade button without billing")
	}
	if r := c.postForm("/subscribe", nil); r.StatusCode != http.StatusNotFound || !strings.Contains(string(r.body), "Billing is not configured") {
		t.Fatalf("POST /subscribe without billing: %d", r.StatusCode)
	}
	// The plan an administrator sets shows at once.
	if err := af.db.SetPlan(context.Background(), af.user("ada@example.org").ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	if find(c.get("/subscribe").doc(t), "#subscribe-premium") == nil {
		t.Fatal("a Premium user is not told so")
	}
}

func TestSubscribeStripeCheckout(t *testing.T) {
	t.Parallel()
	af := setupAccounts(t, accountsOpts{stripeURL: startStripeMock(t)})
	ctx := context.Background()
	c := af.client()
	c.signup("ada@example.org", "correct horse battery")
	if find(c.get("/subscribe").doc(t), "form#subscribe-form") == nil {
		t.Fatal("no upgrade button with Stripe configured")
	}
	r := c.postForm("/subscribe", nil)
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "https://") {
		t.Fatalf("POST /subscribe: %d, Location %q\n%s", r.StatusCode, loc, r.body)
	}
	id := af.user("ada@example.org").ID
	if cust, err := af.db.StripeCustomer(ctx, id); err != nil || cust == "" {
		t.Fatalf("Stripe customer not recorded: %q, %v", cust, err)
	}

	// Back from Checkout: the plan changes only when the webhook comes.
	doc := c.get("/subscribe/success?session_id=cs_test_1").doc(t)
	if find(doc, "#subscribed-pending") == nil || text(find(doc, "#current-plan")) != "Free" {
		t.Fatalf("success page before the webhook: %q", text(find(doc, "main")))
	}
	if u := af.user("ada@example.org"); u.Plan != gas.PlanFree {
		t.Fatal("the return from Checkout changed the plan")
	}
	if err := af.db.SetPlan(ctx, id, gas.PlanPremium); err != nil { // what the webhook does
		t.Fatal(err)
	}
	if find(c.get("/subscribe/success?session_id=cs_test_1").doc(t), "#subscribed-premium") == nil {
		t.Fatal("the success page does not show Premium after the webhook")
	}
	if r := c.postForm("/subscribe", nil); r.StatusCode != http.StatusConflict || !strings.Contains(string(r.body), "already on Premium") {
		t.Fatalf("subscribing twice: %d", r.StatusCode)
	}
	// Signed out, the upgrade redirects to sign in.
	out := af.client()
	if r := out.postForm("/subscribe", nil); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/signin" {
		t.Fatalf("signed-out POST /subscribe: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
}
