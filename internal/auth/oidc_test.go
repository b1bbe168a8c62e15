package auth_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/auth"
)

// startProvider runs a real OIDC provider (mockoidc) on a loopback port.
func startProvider(t *testing.T) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return m
}

func newClient(t *testing.T, m *mockoidc.MockOIDC) *auth.OIDC {
	t.Helper()
	cfg := m.Config()
	o, err := auth.NewOIDC(auth.OIDCConfig{Name: "Test IdP", Issuer: cfg.Issuer, ClientID: cfg.ClientID,
		ClientSecret: cfg.ClientSecret, RedirectURL: "http://127.0.0.1:1/auth/oidc/callback"})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// authorize plays the browser at the provider: it follows authURL and
// returns the code and state the provider sends back to the redirect URL.
func authorize(t *testing.T, authURL string) (code, state string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), "http://127.0.0.1:1/auth/oidc/callback") {
		t.Fatalf("authorize answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("code"), loc.Query().Get("state")
}

func TestOIDCRoundTrip(t *testing.T) {
	t.Parallel()
	m := startProvider(t)
	m.QueueUser(&mockoidc.MockUser{Subject: "u-42", Email: "ada@example.org", EmailVerified: true})
	o := newClient(t, m)
	ctx := context.Background()
	authURL, state, flow, err := o.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := url.Parse(authURL)
	if q.Query().Get("code_challenge_method") != "S256" || q.Query().Get("nonce") != flow.Nonce || q.Query().Get("state") != state {
		t.Fatalf("authorization URL lacks PKCE, nonce or state: %s", authURL)
	}
	code, gotState := authorize(t, authURL)
	if gotState != state {
		t.Fatalf("state came back as %q, want %q", gotState, state)
	}
	id, err := o.Finish(ctx, code, flow)
	if err != nil {
		t.Fatal(err)
	}
	if id.Issuer != m.Issuer() || id.Subject != "u-42" || id.Email != "ada@example.org" || !id.EmailVerified {
		t.Fatalf("identity = %+v", id)
	}
	// A code is good once.
	if _, err := o.Finish(ctx, code, flow); gas.ErrorCode(err) != gas.EUNAUTH {
		t.Fatalf("reused code: %v, want unauthorized", err)
	}
}

func TestOIDCWrongNonce(t *testing.T) {
	t.Parallel()
	m := startProvider(t)
	o := newClient(t, m)
	authURL, _, flow, err := o.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The token the provider mints carries another login's nonce, as a
	// replayed or injected token would.
	u, _ := url.Parse(authURL)
	q := u.Query()
	q.Set("nonce", "someone-elses-nonce")
	u.RawQuery = q.Encode()
	code, _ := authorize(t, u.String())
	_, err = o.Finish(context.Background(), code, flow)
	if gas.ErrorCode(err) != gas.EUNAUTH || !strings.Contains(err.Error(), "nonce") {
		t.Fatalf("err = %v, want unauthorized for the nonce", err)
	}
}

func TestOIDCExpiredToken(t *testing.T) {
	t.Parallel()
	m := startProvider(t)
	o := newClient(t, m)
	authURL, _, flow, err := o.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	code, _ := authorize(t, authURL)
	// The provider's clock runs an hour behind: the ID token it signs
	// expired (10-minute lifetime) long before we verify it.
	m.FastForward(-time.Hour)
	_, err = o.Finish(context.Background(), code, flow)
	if gas.ErrorCode(err) != gas.EUNAUTH || gas.ErrorMessage(err) != "The sign-in expired. Please sign in again." {
		t.Fatalf("err = %v, want the expiry message", err)
	}
}

func TestOIDCWrongVerifier(t *testing.T) {
	t.Parallel()
	m := startProvider(t)
	o := newClient(t, m)
	authURL, _, flow, err := o.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	code, _ := authorize(t, authURL)
	flow.Verifier = "a-verifier-an-attacker-guessed-0123456789abcdefghijk"
	if _, err := o.Finish(context.Background(), code, flow); gas.ErrorCode(err) != gas.EUNAUTH {
		t.Fatalf("err = %v, want the provider to refuse the PKCE verifier", err)
	}
}

func TestOIDCProviderDown(t *testing.T) {
	t.Parallel()
	o, err := auth.NewOIDC(auth.OIDCConfig{Issuer: "http://127.0.0.1:1", ClientID: "c", RedirectURL: "http://127.0.0.1:2/cb"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := o.Start(context.Background()); gas.ErrorCode(err) != gas.EUNAVAILABLE {
		t.Fatalf("err = %v, want unavailable", err)
	}
	if _, err := auth.NewOIDC(auth.OIDCConfig{Issuer: "auth.globus.org", ClientID: "c", RedirectURL: "http://x/cb"}); err == nil {
		t.Fatal("an issuer without scheme was accepted")
	}
}
