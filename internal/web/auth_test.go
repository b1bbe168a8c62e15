package web

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gas-project/gas/internal/auth"
)

func TestSignUpInOut(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	c := f.client()

	// Signed out, /annotate sends to sign-in and remembers the way back.
	r := c.get("/annotate")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/signin?next=%2Fannotate" {
		t.Fatalf("signed-out /annotate: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	home := c.get("/").doc(t)
	if find(home, "a#cta-signup") == nil || find(home, "#nav-user") != nil {
		t.Fatal("signed-out home lacks the sign-up link or shows a user")
	}

	r = c.signup("Alice@Example.org", "correct horse battery")
	var ck *http.Cookie
	for _, x := range r.Cookies() {
		if x.Name == auth.SessionCookieName {
			ck = x
		}
	}
	if ck == nil || ck.Value == "" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.MaxAge <= 0 {
		t.Fatalf("session cookie after sign-up: %+v", ck)
	}
	u := f.user("alice@example.org")
	if u.Plan != "free" || !u.Admin || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatalf("created user %+v: want free plan, admin (first account), argon2id hash", u)
	}
	doc := c.get("/annotate").doc(t)
	if got := text(find(doc, "#nav-user")); !strings.Contains(got, "alice@example.org") {
		t.Fatalf("nav shows %q", got)
	}
	if find(doc, "form#upload-form") == nil || find(doc, "input#file[type=file]") == nil {
		t.Fatal("annotate page lacks the upload form")
	}

	// Sign out: the session is gone server-side, not only in the browser.
	old := c.sessionCookie()
	r = c.postForm("/signout", nil)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Fatalf("sign out: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if c.sessionCookie() != "" {
		t.Fatal("session cookie survives sign-out")
	}
	replay := f.client()
	replay.hc.Jar.SetCookies(mustURL(t, f.srv.URL), []*http.Cookie{{Name: auth.SessionCookieName, Value: old}})
	if r := replay.get("/annotate"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("old session token still works after sign-out: %d", r.StatusCode)
	}

	// Wrong password and unknown email fail with one generic message.
	for _, tc := range [][2]string{{"alice@example.org", "wrong password"}, {"nobody@example.org", "correct horse battery"}} {
		r := c.signin(tc[0], tc[1])
		if r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("sign in %v: status %d", tc, r.StatusCode)
		}
		if got := text(find(r.doc(t), "#form-error")); got != wrongCredentials {
			t.Fatalf("sign in %v: message %q", tc, got)
		}
	}
	// The right one (any case of the email) signs in and follows next.
	r = c.postForm("/signin", url.Values{"email": {"ALICE@example.org"}, "password": {"correct horse battery"}, "next": {"/jobs"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/jobs" {
		t.Fatalf("sign in: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	// An open redirect through next is refused.
	c2 := f.client()
	r = c2.postForm("/signin", url.Values{"email": {"alice@example.org"}, "password": {"correct horse battery"}, "next": {"//evil.example/x"}})
	if r.Header.Get("Location") != "/annotate" {
		t.Fatalf("next=//evil.example redirected to %q", r.Header.Get("Location"))
	}
}

func TestSignUpValidation(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	c := f.client()
	c.signup("taken@example.org", "long enough pw")
	for _, tc := range []struct {
		email, password string
		status          int
		want            string
	}{
		{"not-an-email", "long enough pw", 400, "valid email"},
		{"Name <x@example.org>", "long enough pw", 400, "valid email"},
		{"new@example.org", "short", 400, "at least 8"},
		{"TAKEN@example.org", "long enough pw", 409, "already exists"},
	} {
		r := f.client().postForm("/signup", url.Values{"email": {tc.email}, "password": {tc.password}})
		if r.StatusCode != tc.status {
			t.Errorf("%q: status %d, want %d", tc.email, r.StatusCode, tc.status)
			continue
		}
		if got := text(find(r.doc(t), "#form-error")); !strings.Contains(got, tc.want) {
			t.Errorf("%q: message %q, want it to mention %q", tc.email, got, tc.want)
		}
	}
	if n, _ := f.db.CountUsers(t.Context()); n != 1 {
		t.Fatalf("%d users after refused sign-ups, want 1", n)
	}
}

func TestSessionRotation(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	c := f.client()
	c.signup("rot@example.org", "rotation password")
	first := c.sessionCookie()

	// A session ID planted before sign-in (fixation) or an old one is
	// replaced, and the old one stops working.
	r := c.signin("rot@example.org", "rotation password")
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", r.StatusCode)
	}
	second := c.sessionCookie()
	if second == "" || second == first {
		t.Fatalf("session not rotated at sign-in: %q then %q", first, second)
	}
	old := f.client()
	old.hc.Jar.SetCookies(mustURL(t, f.srv.URL), []*http.Cookie{{Name: auth.SessionCookieName, Value: first}})
	if r := old.get("/jobs"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("pre-sign-in session still valid: %d", r.StatusCode)
	}
	if r := c.get("/jobs"); r.StatusCode != http.StatusOK {
		t.Fatalf("new session refused: %d", r.StatusCode)
	}

	// A forged cookie is dropped and the visitor is signed out.
	forged := f.client()
	forged.hc.Jar.SetCookies(mustURL(t, f.srv.URL), []*http.Cookie{{Name: auth.SessionCookieName, Value: "forged-token"}})
	r = forged.get("/")
	if r.StatusCode != 200 || find(r.doc(t), "#nav-user") != nil {
		t.Fatalf("forged cookie: %d", r.StatusCode)
	}
	if forged.sessionCookie() != "" {
		t.Fatal("forged cookie was not cleared")
	}
}

func TestSecureCookiesAndHSTS(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.SecureCookies = true })
	r := f.client().postForm("/signup", url.Values{"email": {"sec@example.org"}, "password": {"secure password"}})
	var ck *http.Cookie
	for _, x := range r.Cookies() {
		if x.Name == auth.SecureSessionCookieName {
			ck = x
		}
	}
	if ck == nil || !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" {
		t.Fatalf("cookie with SecureCookies: %+v", ck)
	}
	if r.Header.Get("Strict-Transport-Security") == "" {
		t.Fatal("no HSTS with SecureCookies")
	}
}

func TestSigninRateLimit(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	c := f.client()
	c.signup("limit@example.org", "the right password")
	for i := 0; i < 5; i++ {
		if r := c.signin("limit@example.org", "wrong"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, r.StatusCode)
		}
	}
	// Over the limit even the right password is refused, with a clear page.
	r := c.signin("limit@example.org", "the right password")
	if r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("6th attempt: %d, want 429", r.StatusCode)
	}
	if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("Retry-After %q", ra)
	}
	doc := r.doc(t)
	if got := text(find(doc, "#error-message")); !strings.Contains(got, "Too many sign-in attempts") {
		t.Fatalf("429 message %q", got)
	}
	if find(doc, "nav") == nil {
		t.Fatal("429 page is not in the site layout")
	}
	// Another account from the same address is not locked by this one.
	c.signup("other@example.org", "another password")
	if r := f.client().signin("other@example.org", "another password"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("other account: %d", r.StatusCode)
	}
	// After the refill period the right password works again.
	f.clock.Add(13 * time.Second)
	if r := c.signin("limit@example.org", "the right password"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("after waiting: %d", r.StatusCode)
	}
}

// TestSigninRateLimitAcrossServers: two web servers on one database (the
// scaled-out deployment) count failed sign-ins together, as the service
// wires them (Deps.Limiters = the database's): three wrong passwords on
// one and two on the other use up the account's five, and the right
// password is then refused on either until the bucket refills.
func TestSigninRateLimitAcrossServers(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	h, err := NewHandler(Config{Version: "test", DefaultBundle: "demo", Now: f.clock.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, dbDeps(f.db, f.jobs, f.blobs))
	if err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewServer(h)
	t.Cleanup(srv2.Close)
	f2 := *f
	f2.srv = srv2
	one, two := f.client(), f2.client()
	one.signup("shared@example.org", "the right password")
	for i, c := range []*client{one, two, one, two, one} {
		if r := c.signin("shared@example.org", "wrong"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i+1, r.StatusCode)
		}
	}
	for name, c := range map[string]*client{"first": f.client(), "second": f2.client()} {
		if r := c.signin("shared@example.org", "the right password"); r.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("right password on the %s server after 5 failures across both: %d, want 429", name, r.StatusCode)
		}
	}
	f.clock.Add(13 * time.Second)
	if r := f2.client().signin("shared@example.org", "the right password"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the refill: %d", r.StatusCode)
	}
}

// signinFrom signs in as a browser behind the trusted loopback proxy
// whose client is addr.
func (c *client) signinFrom(addr, email, password string) *resp {
	c.f.t.Helper()
	return c.postForm("/signin", url.Values{"email": {email}, "password": {password}}, "X-Forwarded-For", addr)
}

// TestSigninRateLimitPerAccountAndAddress checks the sign-in policy behind
// a trusted proxy: failures count per account from any address and per
// address across accounts; guesses refused for one account cost its
// address nothing, so another account's right password from that address
// still works; an address failing across many accounts is held back.
func TestSigninRateLimitPerAccountAndAddress(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	refused := map[string]int{}
	f := setup(t, func(c *Config) {
		c.Proxies = auth.NewProxies([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")})
		c.OnRateLimited = func(limit string) { mu.Lock(); refused[limit]++; mu.Unlock() }
	})
	f.client().signup("victim@example.org", "victim password")
	f.client().signup("neighbour@example.org", "neighbour password")
	f.client().signup("spread@example.org", "spread password")
	c := f.client()

	// 100 wrong passwords for one account from one address: five are
	// checked, the rest refused unchecked.
	checked := 0
	for i := 0; i < 100; i++ {
		switch r := c.signinFrom("198.51.100.1", "victim@example.org", "wrong"); r.StatusCode {
		case http.StatusUnauthorized:
			checked++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("attempt %d: %d", i+1, r.StatusCode)
		}
	}
	if checked != 5 {
		t.Fatalf("%d of 100 wrong passwords were checked, want 5", checked)
	}
	// Another account's right password from that same address works.
	if r := f.client().signinFrom("198.51.100.1", "neighbour@example.org", "neighbour password"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("another account from the same address: %d, want 303", r.StatusCode)
	}
	// The account is limited from any address, even with the right password.
	if r := f.client().signinFrom("203.0.113.77", "victim@example.org", "victim password"); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("limited account from a fresh address: %d, want 429", r.StatusCode)
	}

	// An address failing across many accounts (password spraying) is
	// held back after 30 failures, whichever account it names next;
	// other addresses are not.
	for i := 0; i < 30; i++ {
		if r := c.signinFrom("198.51.100.2", fmt.Sprintf("nobody%d@example.org", i), "Summer2026!"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("spray %d: %d, want 401", i+1, r.StatusCode)
		}
	}
	r := f.client().signinFrom("198.51.100.2", "spread@example.org", "spread password")
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "2" {
		t.Fatalf("after spraying: %d Retry-After %q, want 429 and 2", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if r := f.client().signinFrom("198.51.100.3", "spread@example.org", "spread password"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("another address: %d, want 303", r.StatusCode)
	}
	// Right passwords cost nothing: the address that signed in above can
	// keep doing so.
	for i := 0; i < 40; i++ {
		if r := f.client().signinFrom("198.51.100.3", "spread@example.org", "spread password"); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in %d: %d", i+1, r.StatusCode)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if refused["signin_account"] != 96 || refused["signin_address"] != 1 {
		t.Fatalf("refusals told to metrics: %v, want 96 signin_account and 1 signin_address", refused)
	}
}

// TestSigninRateLimitParallel: guesses sent at once cannot all be checked
// before the first failure is counted.
func TestSigninRateLimitParallel(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.client().signup("parallel@example.org", "parallel password")
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := f.client().signin("parallel@example.org", "wrong")
			mu.Lock()
			codes[r.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[http.StatusUnauthorized] != 5 || codes[http.StatusTooManyRequests] != 15 {
		t.Fatalf("20 parallel guesses answered %v, want 5 checked and 15 refused", codes)
	}
}

func TestCrossOriginRefused(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	c := f.client()
	c.signup("csrf@example.org", "csrf password")
	vcfData := []byte("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t100\t.\tA\tG\t.\t.\t.\n")
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example"},
	} {
		r := c.upload("x.vcf", vcfData, "all", h...)
		if r.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-origin upload with %v: %d", h, r.StatusCode)
		}
		if find(r.doc(t), "#error-page[data-status=403]") == nil {
			t.Fatalf("403 is not the site's error page")
		}
		if r := c.postForm("/signout", nil, h...); r.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-origin sign-out with %v: %d", h, r.StatusCode)
		}
		if r := f.client().postForm("/signin", url.Values{"email": {"csrf@example.org"}, "password": {"csrf password"}}, h...); r.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-origin sign-in with %v: %d", h, r.StatusCode)
		}
	}
	if q := f.queue.queued(); len(q) != 0 {
		t.Fatalf("cross-origin upload queued %v", q)
	}
	if files := f.storedFiles("user"); len(files) != 0 {
		t.Fatalf("cross-origin upload stored %v", files)
	}
	// Still signed in: the refused sign-out did nothing.
	if r := c.get("/jobs"); r.StatusCode != 200 {
		t.Fatalf("signed out by a cross-origin request: %d", r.StatusCode)
	}
	// Same-origin requests from a browser pass.
	if r := c.upload("x.vcf", vcfData, "all", "Sec-Fetch-Site", "same-origin", "Origin", f.srv.URL); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("same-origin upload: %d\n%s", r.StatusCode, r.body)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
