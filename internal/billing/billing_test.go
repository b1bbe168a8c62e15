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
