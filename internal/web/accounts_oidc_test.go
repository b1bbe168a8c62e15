package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/gas-project/gas"
)

// signedIn reports which account the client's session belongs to ("" when none).
func signedIn(t *testing.T, c *client) string {
	t.Helper()
	r := c.get("/profile")
	if r.StatusCode == http.StatusSeeOther {
		return ""
	}
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /profile: %d\n%s", r.StatusCode, r.body)
	}
	return text(find(r.doc(t), "#profile-email"))
}

func TestOIDCSignInRoundTrip(t *testing.T) {
	t.Parallel()
	af := setupAccounts(t, accountsOpts{oidc: true})
	c := af.client()
	doc := c.get("/signin?next=/jobs").doc(t)
	btn := find(doc, "a#oidc-signin")
	if btn == nil || text(btn) != "Sign in with Test IdP" || attr(btn, "href") != "/signin/oidc?next=%2fjobs" {
		t.Fatalf("sign-in button: %q href %q", text(btn), attr(btn, "href"))
	}
	if find(c.get("/signup").doc(t), "a#oidc-signin") == nil {
		t.Fatal("the sign-up page has no provider button")
	}

	af.idp.QueueUser(&mockoidc.MockUser{Subject: "ada-1", Email: "ada@example.org", EmailVerified: true})
	r := af.oidcLogin(c, "/jobs")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/jobs" {
		t.Fatalf("callback: %d %q\n%s", r.StatusCode, r.Header.Get("Location"), r.body)
	}
	if got := signedIn(t, c); got != "ada@example.org" {
		t.Fatalf("signed in as %q", got)
	}
	u := af.user("ada@example.org")
	if u.PasswordHash != "" || u.Plan != gas.PlanFree || !u.Admin {
		t.Fatalf("new account %+v: want no password, Free, admin (first account)", u)
	}
	doc = c.get("/profile").doc(t)
	if li := find(doc, "#identity-list li"); li == nil || attr(li, "data-issuer") != af.idp.Issuer() {
		t.Fatalf("identity not listed on the profile:\n%s", text(find(doc, "#identities")))
	}

	// Signing in again reaches the same account.
	c2 := af.client()
	af.idp.QueueUser(&mockoidc.MockUser{Subject: "ada-1", Email: "ada@example.org", EmailVerified: true})
	if r := af.oidcLogin(c2, ""); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/annotate" {
		t.Fatalf("second sign-in: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if n, _ := af.db.CountUsers(context.Background()); n != 1 {
		t.Fatalf("%d accounts after two sign-ins of one identity", n)
	}
}

func TestOIDCTamperedState(t *testing.T) {
	t.Parallel()
	af := setupAccounts(t, accountsOpts{oidc: true})
	c := af.client()
	start := c.get("/signin/oidc")
	cb, err := url.Parse(af.authorize(start.Header.Get("Location")))
	if err != nil {
		t.Fatal(err)
	}
	q := cb.Query()
	good := q.Get("state")

	// Another browser (the attacker's login planted on a victim, say)
	// brings a valid code and state but not the cookie.
	other := af.client()
	r := other.get("/auth/oidc/callback?" + cb.RawQuery)
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.body), "tampered with or has expired") {
		t.Fatalf("callback without the state cookie: %d\n%s", r.StatusCode, r.body)
	}
	if signedIn(t, other) != "" {
		t.Fatal("a callback without the cookie signed in")
	}
	// The browser that started it, with the state changed.
	q.Set("state", good+"x")
	r = c.get("/auth/oidc/callback?" + q.Encode())
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.body), "tampered with or has expired") {
		t.Fatalf("tampered state: %d\n%s", r.StatusCode, r.body)
	}
	if signedIn(t, c) != "" {
		t.Fatal("a tampered state signed in")
	}
	// The cookie was cleared by the failed attempt, so even the right state
	// no longer works: a state is good for one try.
	r = c.get("/auth/oidc/callback?" + cb.RawQuery)
	if r.StatusCode != http.StatusBadRequest {
		t.Fatalf("retry after a failed callback: %d", r.StatusCode)
	}
	if n, _ := af.db.CountUsers(context.Background()); n != 0 {
		t.Fatalf("%d accounts made by refused callbacks", n)
	}
}

func TestOIDCStateUsedOnceAndExpires(t *testing.T) {
	t.Parallel()
	af := setupAccounts(t, accountsOpts{oidc: true})
	c := af.client()
	start := c.get("/signin/oidc")
	cb := af.authorize(start.Header.Get("Location"))
	// The provider took 11 minutes: the flow expired (its cookie would
	// have too; this browser still sends it, as a slow clock might).
	af.clock.Add(11 * time.Minute)
	r := c.get(strings.TrimPrefix(cb, af.base))
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.body), "took too long") {
		t.Fatalf("expired flow: %d\n%s", r.StatusCode, r.body)
	}
	if signedIn(t, c) != "" {
		t.Fatal("an expired flow signed in")
	}
}

func TestOIDCWrongNonce(t *testing.T) {
	t.Parallel()
	af := setupAccounts(t, accountsOpts{oidc: true})
	c := af.client()
	start := c.get("/signin/oidc")
	// The ID token the provider mints carries another login's nonce, as a
	// replayed or injected token would.
	u, _ := url.Parse(start.Header.Get("Location"))
	q := u.Query()
	q.Set("nonce", "someone-elses-nonce")
	u.RawQuery = q.Encode()
	r := c.get(strings.TrimPrefix(af.authorize(u.String()), af.base))
	if r.StatusCode != http.StatusUnauthorized || !strings.Contains(string(r.body), "could not be verified") {
		t.Fatalf("wrong nonce: %d\n%s", r.StatusCode, r.body)
	}
	if signedIn(t, c) != "" {
		t.Fatal("a token with the wrong nonce signed in")
	}
	if !strings.Contains(af.logs.String(), "nonce") {
		t.Fatalf("the cause is not logged:\n%s", af.logs.String())
	}
}

func TestOIDCExpiredToken(t *testing.T) {
	t.Parallel()
	af := setupAccounts(t, accountsOpts{oidc: true})
	c := af.client()
	start := c.get("/signin/oidc")
	cb := af.authorize(start.Header.Get("Location"))
	// The provider's clock runs an hour behind, so the ID token it signs
	// at the code exchange expired long ago.
	af.idp.FastForward(-time.Hour)
	r := c.get(strings.TrimPrefix(cb, af.base))
	if r.StatusCode != http.StatusUnauthorized || !strings.Contains(string(r.body), "The sign-in expired. Please sign in again.") {
		t.Fatalf("expired token: %d\n%s", r.StatusCode, r.body)
	}
	if signedIn(t, c) != "" {
		t.Fatal("an expired token signed in")
	}
}

func TestOIDCProviderError(t *testing.T) {
	t.Parallel()
	af := setupAccounts(t, accountsOpts{oidc: true})
	c := af.client()
	start := c.get("/signin/oidc")
	state := mustURL(t, start.Header.Get("Location")).Query().Get("state")
	r := c.get("/auth/oidc/callback?error=access_denied&error_description=Call+0800+now&state=" + url.QueryEscape(state))
	body := string(r.body)
	if r.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Sign-in with Test IdP was cancelled or refused.") {
		t.Fatalf("access_denied: %d\n%s", r.StatusCode, body)
	}
	if strings.Contains(body, "0800") {
		t.Fatal("the provider's free-text description is echoed on the page")
	}
	r = c.get("/auth/oidc/callback?error=%3Cscript%3E")
	if r.StatusCode != http.StatusUnauthorized || strings.Contains(string(r.body), "<script>") {
		t.Fatalf("odd error code: %d\n%s", r.StatusCode, r.body)
	}
}

func TestOIDCNotConfigured(t *testing.T) {
	t.Parallel()
	af := setupAccounts(t, accountsOpts{})
	c := af.client()
	if find(c.get("/signin").doc(t), "a#oidc-signin") != nil {
		t.Fatal("a provider button without a provider")
	}
	for _, p := range []string{"/signin/oidc", "/auth/oidc/callback?code=x&state=y"} {
		if r := c.get(p); r.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %s: %d, want 404", p, r.StatusCode)
		}
	}
}

// TestOIDCLinkingKeepsOneAccount: a provider whose verified email matches a
// local account signs into it; linking from the profile adds an identity
// with another email to the signed-in account; neither makes a second one.
func TestOIDCLinkingKeepsOneAccount(t *testing.T) {
	t.Parallel()
	af := setupAccounts(t, accountsOpts{oidc: true})
	ctx := context.Background()

	alice := af.client()
	alice.signup("alice@example.org", "correct horse battery")
	alice.postForm("/signout", nil)
	af.idp.QueueUser(&mockoidc.MockUser{Subject: "alice-idp", Email: "Alice@Example.org", EmailVerified: true})
	if r := af.oidcLogin(alice, ""); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in by verified email: %d\n%s", r.StatusCode, r.body)
	}
	if got := signedIn(t, alice); got != "alice@example.org" {
		t.Fatalf("signed in as %q", got)
	}

	bob := af.client()
	bob.signup("bob@example.org", "correct horse battery")
	link := find(bob.get("/profile").doc(t), "a#link-oidc")
	if link == nil || text(link) != "Link Test IdP" || attr(link, "href") != "/signin/oidc?next=/profile%23identities" {
		t.Fatalf("link button on the profile: %q href %q", text(link), attr(link, "href"))
	}
	// The provider's email is another one, and not even verified: linking
	// from a signed-in session does not depend on it.
	af.idp.QueueUser(&mockoidc.MockUser{Subject: "bob-idp", Email: "b.lab@uni.example", EmailVerified: false})
	r := af.oidcLogin(bob, "/profile#identities")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/profile#identities" {
		t.Fatalf("link: %d %q\n%s", r.StatusCode, r.Header.Get("Location"), r.body)
	}
	ids, err := af.db.UserIdentities(ctx, af.user("bob@example.org").ID)
	if err != nil || len(ids) != 1 || ids[0].Subject != "bob-idp" {
		t.Fatalf("bob's identities: %+v, %v", ids, err)
	}
	// Bob can now sign in through the provider, into the same account.
	bob2 := af.client()
	af.idp.QueueUser(&mockoidc.MockUser{Subject: "bob-idp", Email: "b.lab@uni.example"})
	af.oidcLogin(bob2, "")
	if got := signedIn(t, bob2); got != "bob@example.org" {
		t.Fatalf("provider sign-in after linking: %q", got)
	}
	// Bob cannot take Alice's identity.
	af.idp.QueueUser(&mockoidc.MockUser{Subject: "alice-idp", Email: "alice@example.org", EmailVerified: true})
	if r := af.oidcLogin(bob, ""); r.StatusCode != http.StatusConflict || !strings.Contains(string(r.body), "already linked to another account") {
		t.Fatalf("linking another account's identity: %d\n%s", r.StatusCode, r.body)
	}
	// An unverified email equal to an account's is not linked, nor duplicated.
	carol := af.client()
	af.idp.QueueUser(&mockoidc.MockUser{Subject: "mallory", Email: "alice@example.org", EmailVerified: false})
	if r := af.oidcLogin(carol, ""); r.StatusCode != http.StatusConflict || signedIn(t, carol) != "" {
		t.Fatalf("unverified email of an existing account: %d\n%s", r.StatusCode, r.body)
	}
	if n, _ := af.db.CountUsers(ctx); n != 2 {
		t.Fatalf("%d accounts, want 2", n)
	}
}
