package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/archive"
	"github.com/gas-project/gas/internal/auth"
	"github.com/gas-project/gas/internal/billing"
	"github.com/gas-project/gas/internal/blob"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
	"github.com/gas-project/gas/internal/testserver"
)

// accountsOpts picks the optional parts of an accounts fixture.
type accountsOpts struct {
	oidc      bool   // run a mockoidc provider and sign in through it
	stripeURL string // a running stripe-mock; empty: billing not configured
}

// accountsFixture is a site with every account feature wired to real
// components: SQLite, the file blob store, the local archive, an OIDC
// provider (mockoidc) and Stripe (stripe-mock) when asked for.
type accountsFixture struct {
	*fixture
	cold    *archive.Local
	coldDir string
	idp     *mockoidc.MockOIDC
	base    string // the site's URL, known before it starts
}

func setupAccounts(t *testing.T, o accountsOpts) *accountsFixture {
	t.Helper()
	dir := t.TempDir()
	clk := &clock{t: time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)}
	db := sqldbtest.SQLite(t, sqldb.Options{Now: clk.Now})
	blobDir := filepath.Join(dir, "blobs")
	blobs, err := blob.NewFS(blobDir)
	if err != nil {
		t.Fatal(err)
	}
	coldDir := filepath.Join(dir, "archive")
	cold, err := archive.NewLocal(archive.LocalConfig{Dir: coldDir, Now: clk.Now,
		Delays: map[gas.RetrievalTier]time.Duration{gas.TierStandard: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	q := &recordingQueue{}
	jobs := db.JobStore(q)
	logs := &syncWriter{}

	// The OIDC redirect URL names the site, so the listener comes first.
	var h http.Handler
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	base := "http://" + srv.Listener.Addr().String()
	cfg := Config{Version: "test", DefaultBundle: "demo", Logger: slog.New(slog.NewTextHandler(logs, nil)), Now: clk.Now,
		FreeUploadLimit: 150_000, PremiumUploadLimit: 5_000_000_000, FreeRetention: 5 * time.Minute}
	deps := dbDeps(db, jobs, blobs)
	deps.Cold, deps.Notifications = cold, db
	af := &accountsFixture{cold: cold, coldDir: coldDir, base: base}
	if o.oidc {
		m, err := mockoidc.Run()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = m.Shutdown() })
		mc := m.Config()
		if cfg.OIDC, err = auth.NewOIDC(auth.OIDCConfig{Name: "Test IdP", Issuer: mc.Issuer, ClientID: mc.ClientID,
			ClientSecret: mc.ClientSecret, RedirectURL: base + "/auth/oidc/callback"}); err != nil {
			t.Fatal(err)
		}
		af.idp = m
	}
	if o.stripeURL != "" {
		b, err := billing.New(billing.Config{SecretKey: "sk_test_123", WebhookSecret: "whsec_test", PriceID: "price_premium",
			BaseURL: base, APIURL: o.stripeURL}, db)
		if err != nil {
			t.Fatal(err)
		}
		deps.Billing = b
	}
	if h, err = NewHandler(cfg, deps); err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	af.fixture = &fixture{t: t, srv: srv, db: db, jobs: jobs, blobs: blobs, blobDir: blobDir, queue: q, clock: clk, logs: logs}
	return af
}

// startStripeMock runs stripe-mock (Stripe's API validator) on loopback ports.
func startStripeMock(t *testing.T) string {
	t.Helper()
	bin := testserver.Find(t, "stripe-mock", "go install github.com/stripe/stripe-mock@v0.203.0")
	httpAddr, httpsAddr := testserver.Addr(testserver.FreePort(t)), testserver.Addr(testserver.FreePort(t))
	p := testserver.Start(t, bin, "-http-addr", httpAddr, "-https-addr", httpsAddr)
	u := "http://" + httpAddr
	p.WaitHTTP(t, u+"/v1/customers")
	return u
}

// oidcLogin plays the browser through a provider sign-in: the site's start
// route, the provider's authorization endpoint, then the site's callback.
// It returns the callback's response.
func (af *accountsFixture) oidcLogin(c *client, next string) *resp {
	t := af.t
	t.Helper()
	start := "/signin/oidc"
	if next != "" {
		start += "?next=" + url.QueryEscape(next)
	}
	r := c.get(start)
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), af.idp.Issuer()) {
		t.Fatalf("GET %s: %d, Location %q\n%s", start, r.StatusCode, r.Header.Get("Location"), r.body)
	}
	cb := af.authorize(r.Header.Get("Location"))
	return c.get(strings.TrimPrefix(cb, af.base))
}

// authorize follows the provider's authorization URL (mockoidc approves at
// once) and returns the callback URL it redirects the browser to.
func (af *accountsFixture) authorize(authURL string) string {
	t := af.t
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusFound || !strings.HasPrefix(loc, af.base+"/auth/oidc/callback?") {
		t.Fatalf("provider answered %d, Location %q", res.StatusCode, loc)
	}
	return loc
}
