package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
	"github.com/gas-project/gas/internal/testserver"
	"github.com/gas-project/gas/refdata"
)

// TestOIDCToPremiumEndToEnd is issue 6's "done when", through a real `gas
// serve` with a real OIDC provider (mockoidc, in this process) and Stripe's
// API validator (stripe-mock): a Free user signs in through the provider,
// sees a result archived and hits the upload limit, upgrades through Stripe
// Checkout (the plan changes on the signed webhook), gets the archived
// result back, and submits a job with a token through `gas client`.
func TestOIDCToPremiumEndToEnd(t *testing.T) {
	t.Parallel()
	idp, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = idp.Shutdown() })
	bin := testserver.Find(t, "stripe-mock", "go install github.com/stripe/stripe-mock@v0.203.0")
	stripeAddr := testserver.Addr(testserver.FreePort(t))
	sm := testserver.Start(t, bin, "-http-addr", stripeAddr, "-https-addr", testserver.Addr(testserver.FreePort(t)))
	sm.WaitHTTP(t, "http://"+stripeAddr+"/v1/customers")

	// The site must know its address for the OIDC redirect before it starts.
	port := testserver.FreePort(t)
	base := "http://" + testserver.Addr(port)
	const whsec = "whsec_e2e"
	oc := idp.Config()
	s := startRole(t, "serve", t.TempDir(), "--addr", testserver.Addr(port), "--base-url", base,
		"--oidc-provider", "Test IdP", "--oidc-issuer", oc.Issuer, "--oidc-client-id", oc.ClientID,
		"--oidc-client-secret", oc.ClientSecret,
		"--stripe-secret-key", "sk_test_e2e", "--stripe-webhook-secret", whsec, "--stripe-price-id", "price_premium",
		"--stripe-api-url", "http://"+stripeAddr,
		"--free-retention", "1s", "--archive-expedited-delay", "unavailable", "--archive-standard-delay", "0s",
		"--free-upload-limit", "20KB")

	// 1. Sign in through the provider: a new Free account.
	c := newClient(t)
	idp.QueueUser(&mockoidc.MockUser{Subject: "grace-1", Email: "grace@example.org", EmailVerified: true})
	resp := mustGet(t, c, base+"/signin/oidc?next=/jobs")
	authURL := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(authURL, oc.Issuer) {
		t.Fatalf("GET /signin/oidc = %d, Location %q", resp.StatusCode, authURL)
	}
	resp = mustGet(t, c, authURL) // the provider sends the browser back with a code
	callback := resp.Header.Get("Location")
	if !strings.HasPrefix(callback, base+"/auth/oidc/callback") {
		t.Fatalf("provider answered %d, Location %q", resp.StatusCode, callback)
	}
	if resp = mustGet(t, c, callback); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/jobs" {
		t.Fatalf("callback = %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// 2. A Free result is archived after the retention time.
	id := upload(t, c, base, "demo.vcf", refdata.DemoVCF())
	if state := waitJob(t, c, base, id); state != "COMPLETED" {
		t.Fatalf("job ended %s", state)
	}
	_, original := get(t, c, base+"/jobs/"+id+"/result")
	waitState(t, c, base, id, "ARCHIVED")
	if code, _ := get(t, c, base+"/jobs/"+id+"/result"); code != http.StatusConflict {
		t.Fatalf("download of an archived result = %d, want 409", code)
	}

	// 3. The Free upload limit, then the upgrade.
	// The demo VCF grown past the Free limit with header lines (still valid).
	demo := refdata.DemoVCF()
	nl := bytes.IndexByte(demo, '\n') + 1
	big := append(append(append([]byte{}, demo[:nl]...), bytes.Repeat([]byte("##padding="+strings.Repeat("x", 90)+"\n"), 300)...), demo[nl:]...)
	if code := uploadStatus(t, c, base, "big.vcf", big); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("upload over the Free limit = %d, want 413", code)
	}
	resp = postForm(t, c, base+"/subscribe", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "https://") {
		t.Fatalf("POST /subscribe = %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	db := sqldbtest.OpenDataDir(t, s.dir)
	u, err := db.UserByEmail(context.Background(), "grace@example.org")
	if err != nil {
		t.Fatal(err)
	}
	cust, err := db.StripeCustomer(context.Background(), u.ID)
	if err != nil || !strings.HasPrefix(cust, "cus_") {
		t.Fatalf("no Stripe customer recorded: %q %v", cust, err)
	}
	if u.Plan != gas.PlanFree {
		t.Fatal("Checkout alone changed the plan")
	}
	// Stripe calls the webhook once payment succeeds.
	event, _ := json.Marshal(map[string]any{"id": "evt_e2e", "object": "event", "type": "checkout.session.completed",
		"created": time.Now().Unix(), "api_version": "2025-08-27.basil", "data": map[string]any{"object": map[string]any{
			"id": "cs_e2e", "object": "checkout.session", "mode": "subscription", "status": "complete", "payment_status": "paid",
			"client_reference_id": fmt.Sprint(u.ID), "customer": cust}}})
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: event, Secret: whsec})
	req, _ := http.NewRequest(http.MethodPost, base+"/stripe/webhook", bytes.NewReader(event))
	req.Header.Set("Stripe-Signature", signed.Header)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook: %v %v", resp, err)
	}

	// 4. Premium: the archived result comes back, byte for byte.
	waitState(t, c, base, id, "COMPLETED")
	if code, restored := get(t, c, base+"/jobs/"+id+"/result"); code != http.StatusOK || !bytes.Equal(restored, original) {
		t.Fatalf("restored result: %d, identical %v", code, bytes.Equal(restored, original))
	}
	if code := uploadStatus(t, c, base, "big.vcf", big); code != http.StatusSeeOther {
		t.Fatalf("Premium upload of the same file = %d", code)
	}

	// 5. A token from the profile page drives gas client.
	resp = postForm(t, c, base+"/profile/tokens", url.Values{"name": {"laptop"}, "scope": {gas.ScopeJobsRead, gas.ScopeJobsWrite}})
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`id="new-token-value"[^>]*value="(gas_[A-Za-z0-9_-]+)"|value="(gas_[A-Za-z0-9_-]+)"[^>]*id="new-token-value"`).FindSubmatch(body)
	if resp.StatusCode != http.StatusCreated || m == nil {
		t.Fatalf("token page %d:\n%.2000s", resp.StatusCode, body)
	}
	token := string(m[1]) + string(m[2])
	in := filepath.Join(t.TempDir(), "sample.vcf")
	if err := os.WriteFile(in, refdata.DemoVCF(), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runGas(t, []string{"GAS_URL=" + base, "GAS_TOKEN=" + token}, "client", "submit", in, "--wait", "--poll", "100ms")
	if code != 0 || !strings.Contains(out, "COMPLETED") {
		t.Fatalf("gas client submit = %d\n%s%s", code, out, errOut)
	}
}

func mustGet(t *testing.T, c *http.Client, u string) *http.Response {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func postForm(t *testing.T, c *http.Client, u string, form url.Values) *http.Response {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// uploadStatus posts a file to the upload form and returns the status.
func uploadStatus(t *testing.T, c *http.Client, base, name string, content []byte) int {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	resp, err := c.Post(base+"/annotate", mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// waitState polls the job's status JSON until it is in state.
func waitState(t *testing.T, c *http.Client, base, id, state string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, body := get(t, c, base+"/jobs/"+id+"/status")
		var st struct{ State string }
		_ = json.Unmarshal(body, &st)
		if st.State == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %s, not %s, after 60 s", id, st.State, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
