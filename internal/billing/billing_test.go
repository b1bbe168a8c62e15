package billing_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/billing"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
	"github.com/gas-project/gas/internal/testserver"
)

const secret = "whsec_test_secret"

// startStripeMock runs stripe-mock (Stripe's API validator) on loopback
// ports only; it is stateless, so it checks our requests but keeps nothing.
func startStripeMock(t *testing.T) string {
	t.Helper()
	bin := testserver.Find(t, "stripe-mock", "go install github.com/stripe/stripe-mock@v0.203.0")
	httpAddr, httpsAddr := testserver.Addr(testserver.FreePort(t)), testserver.Addr(testserver.FreePort(t))
	p := testserver.Start(t, bin, "-http-addr", httpAddr, "-https-addr", httpsAddr)
	url := "http://" + httpAddr
	p.WaitHTTP(t, url+"/v1/customers")
	return url
}

type fixture struct {
	db    *sqldb.DB
	svc   *billing.Service
	url   string // the webhook endpoint
	mu    sync.Mutex
	hooks []string
}

func setup(t *testing.T, apiURL string) *fixture {
	t.Helper()
	f := &fixture{db: sqldbtest.SQLite(t, sqldb.Options{})}
	// The plan hook is where the lifecycle queues restores; here it records.
	f.db.OnPlanChange(func(_ context.Context, _ *sql.Tx, u *gas.User, from gas.Plan) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.hooks = append(f.hooks, fmt.Sprintf("%d:%s->%s", u.ID, from, u.Plan))
		return nil
	})
	svc, err := billing.New(billing.Config{SecretKey: "sk_test_123", WebhookSecret: secret, PriceID: "price_premium",
		BaseURL: "http://127.0.0.1:1", APIURL: apiURL}, f.db)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	srv := httptest.NewServer(svc.Webhook())
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *fixture) user(t *testing.T, email string) *gas.User {
	t.Helper()
	u := &gas.User{Email: email}
	if err := f.db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) plan(t *testing.T, id int64) gas.Plan {
	t.Helper()
	u, err := f.db.UserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u.Plan
}

func event(id, typ string, created time.Time, object map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "created": created.Unix(),
		"api_version": "2025-08-27.basil", "data": map[string]any{"object": object}})
	return b
}

func checkoutCompleted(id string, created time.Time, userID int64, customer string) []byte {
	return event(id, "checkout.session.completed", created, map[string]any{"id": "cs_" + id, "object": "checkout.session",
		"mode": "subscription", "status": "complete", "payment_status": "paid",
		"client_reference_id": fmt.Sprint(userID), "customer": customer})
}

func subscription(id, typ string, created time.Time, customer, status string, cancelAtEnd bool) []byte {
	return event(id, typ, created, map[string]any{"id": "sub_1", "object": "subscription", "customer": customer,
		"status": status, "cancel_at_period_end": cancelAtEnd,
		"items": map[string]any{"object": "list", "data": []any{map[string]any{"id": "si_1", "object": "subscription_item",
			"current_period_end": created.Add(30 * 24 * time.Hour).Unix()}}}})
}

// post sends payload signed with key (the real scheme: HMAC-SHA256 over
// "timestamp.payload") and returns the status and body.
func (f *fixture) post(t *testing.T, payload []byte, key string) (int, string) {
	t.Helper()
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: key})
	req, _ := http.NewRequest(http.MethodPost, f.url, bytes.NewReader(payload))
	req.Header.Set("Stripe-Signature", sp.Header)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func TestStripeCheckoutAgainstStripeMock(t *testing.T) {
	t.Parallel()
	f := setup(t, startStripeMock(t))
	u := f.user(t, "buyer@example.org")
	url, err := f.svc.Checkout(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("checkout URL = %q", url)
	}
	cust, _ := f.db.StripeCustomer(context.Background(), u.ID)
	if !strings.HasPrefix(cust, "cus_") {
		t.Fatalf("the Stripe customer was not remembered: %q", cust)
	}
	// Coming back from Checkout is not payment: only the webhook upgrades.
	if f.plan(t, u.ID) != gas.PlanFree {
		t.Fatal("the plan changed without a webhook")
	}
	// A second checkout reuses the customer.
	if _, err := f.svc.Checkout(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if again, _ := f.db.StripeCustomer(context.Background(), u.ID); again != cust {
		t.Fatalf("customer changed from %s to %s", cust, again)
	}
}

func TestStripeUnreachable(t *testing.T) {
	t.Parallel()
	f := setup(t, "http://"+testserver.Addr(testserver.FreePort(t)))
	_, err := f.svc.Checkout(context.Background(), f.user(t, "x@example.org"))
	if gas.ErrorCode(err) != gas.EUNAVAILABLE {
		t.Fatalf("err = %v, want unavailable", err)
	}
}

func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	f := setup(t, "http://127.0.0.1:1")
	u := f.user(t, "a@example.org")
	t0 := time.Now().Add(-time.Minute)
	if code, _ := f.post(t, checkoutCompleted("evt_forged", t0, u.ID, "cus_A"), "whsec_someone_else"); code != http.StatusBadRequest {
		t.Fatalf("wrongly signed webhook: %d, want 400", code)
	}
	// Unsigned, and signed but tampered after signing.
	req, _ := http.NewRequest(http.MethodPost, f.url, bytes.NewReader(checkoutCompleted("evt_nosig", t0, u.ID, "cus_A")))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unsigned webhook: %v %v", resp, err)
	}
	good := checkoutCompleted("evt_t", t0, u.ID, "cus_A")
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: good, Secret: secret})
	tampered := bytes.Replace(good, []byte(fmt.Sprintf(`"client_reference_id":"%d"`, u.ID)), []byte(`"client_reference_id":"999"`), 1)
	req, _ = http.NewRequest(http.MethodPost, f.url, bytes.NewReader(tampered))
	req.Header.Set("Stripe-Signature", sp.Header)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("tampered webhook: %v %v", resp, err)
	}
	if f.plan(t, u.ID) != gas.PlanFree || len(f.hooks) != 0 {
		t.Fatal("a refused webhook changed the plan")
	}
}

func TestWebhookUpgradeDuplicatesAndOrder(t *testing.T) {
	t.Parallel()
	f := setup(t, "http://127.0.0.1:1")
	u := f.user(t, "b@example.org")
	t0 := time.Now().Add(-10 * time.Minute).Truncate(time.Second)

	code, body := f.post(t, checkoutCompleted("evt_1", t0, u.ID, "cus_B"), secret)
	if code != http.StatusOK || !strings.Contains(body, gas.BillingApplied) || f.plan(t, u.ID) != gas.PlanPremium {
		t.Fatalf("checkout.session.completed: %d %s, plan %s", code, body, f.plan(t, u.ID))
	}
	// Stripe delivers again: 200 (no retry wanted), nothing re-applied.
	if code, body := f.post(t, checkoutCompleted("evt_1", t0, u.ID, "cus_B"), secret); code != http.StatusOK || !strings.Contains(body, gas.BillingDuplicate) {
		t.Fatalf("duplicate: %d %s", code, body)
	}
	// Cancel at period end: still active, so still Premium.
	if _, body := f.post(t, subscription("evt_2", "customer.subscription.updated", t0.Add(time.Minute), "cus_B", "active", true), secret); !strings.Contains(body, gas.BillingApplied) {
		t.Fatalf("cancel at period end: %s", body)
	}
	if f.plan(t, u.ID) != gas.PlanPremium {
		t.Fatal("cancelling at period end ended Premium at once")
	}
	// The period ends: deleted. Then an older update arrives late.
	f.post(t, subscription("evt_4", "customer.subscription.deleted", t0.Add(3*time.Minute), "cus_B", "canceled", false), secret)
	if _, body := f.post(t, subscription("evt_3", "customer.subscription.updated", t0.Add(2*time.Minute), "cus_B", "active", false), secret); !strings.Contains(body, gas.BillingStale) {
		t.Fatalf("late older event: %s, want stale", body)
	}
	if f.plan(t, u.ID) != gas.PlanFree {
		t.Fatal("an out-of-order event put the user back on Premium")
	}
	// Events we do not act on are acknowledged.
	if code, _ := f.post(t, event("evt_5", "invoice.paid", t0, map[string]any{"id": "in_1", "object": "invoice"}), secret); code != http.StatusOK {
		t.Fatalf("unrelated event: %d", code)
	}
	want := []string{fmt.Sprintf("%d:free->premium", u.ID), fmt.Sprintf("%d:premium->free", u.ID)}
	if fmt.Sprint(f.hooks) != fmt.Sprint(want) {
		t.Fatalf("plan hooks = %v, want %v (each real change once)", f.hooks, want)
	}
}

func TestWebhookConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	f := setup(t, "http://127.0.0.1:1")
	u := f.user(t, "c@example.org")
	payload := checkoutCompleted("evt_same", time.Now().Add(-time.Minute), u.ID, "cus_C")
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, body := f.post(t, payload, secret); code != http.StatusOK {
				t.Errorf("concurrent delivery: %d %s", code, body)
			}
		}()
	}
	wg.Wait()
	if len(f.hooks) != 1 {
		t.Fatalf("plan hooks ran %d times for one event delivered 8 times at once", len(f.hooks))
	}
}

// TestStripeWebhookTimestampBothWays: a signature made more than the
// tolerance before or after now is refused, even when the HMAC is right
// (stripe-go alone accepts one from the future); inside it, both ways pass.
func TestStripeWebhookTimestampBothWays(t *testing.T) {
	t.Parallel()
	db := sqldbtest.SQLite(t, sqldb.Options{})
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	svc, err := billing.New(billing.Config{SecretKey: "sk_test_123", WebhookSecret: secret, PriceID: "price_premium",
		BaseURL: "http://127.0.0.1:1", APIURL: "http://127.0.0.1:1", Now: func() time.Time { return now }}, db)
	if err != nil {
		t.Fatal(err)
	}
	u := &gas.User{Email: "t@example.org"}
	if err := db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Webhook())
	t.Cleanup(srv.Close)
	send := func(id string, signedAt time.Time, header func(string) string) int {
		t.Helper()
		payload := checkoutCompleted(id, now, u.ID, "cus_"+id)
		sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: signedAt})
		h := sp.Header
		if header != nil {
			h = header(h)
		}
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(payload))
		req.Header.Set("Stripe-Signature", h)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		name   string
		offset time.Duration
		want   int
	}{
		{"six minutes old", -6 * time.Minute, http.StatusBadRequest},
		{"six minutes ahead", 6 * time.Minute, http.StatusBadRequest},
		{"a day ahead", 24 * time.Hour, http.StatusBadRequest},
		{"four minutes old", -4 * time.Minute, http.StatusOK},
		{"four minutes ahead", 4 * time.Minute, http.StatusOK},
	} {
		if got := send(fmt.Sprintf("evt_%d", int(c.offset.Seconds())), now.Add(c.offset), nil); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	// A stale signature with a fresh t= in front must not pass: stripe-go
	// checks the signature over the last t=, so two are refused.
	stale := func(h string) string { return fmt.Sprintf("t=%d,%s", now.Unix(), h) }
	if got := send("evt_two_t", now.Add(-time.Hour), stale); got != http.StatusBadRequest {
		t.Errorf("two timestamps: %d, want 400", got)
	}
	if got := send("evt_no_t", now, func(h string) string { return h[strings.Index(h, ",")+1:] }); got != http.StatusBadRequest {
		t.Errorf("no timestamp: %d, want 400", got)
	}
}

// TestStripeCustomerUniqueWebhook: through the webhook, a checkout that
// names another account's customer is recorded as a conflict (200, no
// retry) and changes nothing; the customer's cancellation then reaches its
// one account.
func TestStripeCustomerUniqueWebhook(t *testing.T) {
	t.Parallel()
	f := setup(t, "http://127.0.0.1:1")
	a, b := f.user(t, "a@example.org"), f.user(t, "b@example.org")
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	if code, body := f.post(t, checkoutCompleted("evt_a", t0, a.ID, "cus_shared"), secret); code != http.StatusOK || !strings.Contains(body, gas.BillingApplied) {
		t.Fatalf("A's checkout: %d %s", code, body)
	}
	code, body := f.post(t, checkoutCompleted("evt_b", t0.Add(time.Second), b.ID, "cus_shared"), secret)
	if code != http.StatusOK || !strings.Contains(body, gas.BillingConflict) || f.plan(t, b.ID) != gas.PlanFree {
		t.Fatalf("B's checkout with A's customer: %d %s, B on %s", code, body, f.plan(t, b.ID))
	}
	if _, body := f.post(t, subscription("evt_end", "customer.subscription.deleted", t0.Add(2*time.Second), "cus_shared", "canceled", false), secret); !strings.Contains(body, gas.BillingApplied) {
		t.Fatalf("cancellation: %s", body)
	}
	if f.plan(t, a.ID) != gas.PlanFree {
		t.Fatal("the cancellation did not reach the customer's account")
	}
	want := []string{fmt.Sprintf("%d:free->premium", a.ID), fmt.Sprintf("%d:premium->free", a.ID)}
	if fmt.Sprint(f.hooks) != fmt.Sprint(want) {
		t.Fatalf("plan changes %v, want %v", f.hooks, want)
	}
}
