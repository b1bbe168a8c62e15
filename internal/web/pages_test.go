package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/gas-project/gas"
)

func TestErrorPagesInLayout(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	c := f.client()
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/no/such/page", 404, ""},
		{"DELETE", "/jobs", 405, "GET, HEAD"},
		{"GET", "/signout", 405, "POST"},
		{"PUT", "/annotate", 405, "GET, HEAD, POST"},
	} {
		req, _ := http.NewRequest(tc.method, f.srv.URL+tc.path, nil)
		r := c.do(req)
		if r.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, r.StatusCode, tc.status)
			continue
		}
		if tc.allow != "" && r.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, r.Header.Get("Allow"), tc.allow)
		}
		doc := r.doc(t)
		if find(doc, "#error-page") == nil || find(doc, "nav.navbar") == nil || find(doc, "footer") == nil {
			t.Errorf("%s %s: error page not in the site layout", tc.method, tc.path)
		}
		if r.Header.Get("Content-Security-Policy") == "" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: security headers missing", tc.method, tc.path)
		}
	}
}

func TestSecurityHeadersAndAssets(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	c := f.client()
	r := c.get("/")
	for k, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "same-origin",
		"Cache-Control":          "no-store",
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	csp := r.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Error("no request ID")
	}
	if r.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent without TLS")
	}
	doc := r.doc(t)
	// No inline scripts or styles (the CSP would block them) and every asset
	// is a hashed URL that the site serves with a long cache lifetime.
	var urls []string
	for _, s := range findAll(doc, "script") {
		if attr(s, "src") == "" || strings.TrimSpace(text(s)) != "" {
			t.Errorf("inline script %q", text(s))
		}
		urls = append(urls, attr(s, "src"))
	}
	if len(findAll(doc, "style")) != 0 || len(findAll(doc, "[style]")) != 0 {
		t.Error("inline style in the page")
	}
	for _, l := range findAll(doc, "link[rel=stylesheet]") {
		urls = append(urls, attr(l, "href"))
	}
	if len(urls) != 4 {
		t.Fatalf("assets %v", urls)
	}
	for _, u := range urls {
		if !strings.HasPrefix(u, "/static/") {
			t.Errorf("asset %q is not served by the site", u)
			continue
		}
		a := c.get(u)
		if a.StatusCode != 200 || a.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || len(a.body) == 0 {
			t.Errorf("GET %s: %d %q", u, a.StatusCode, a.Header.Get("Cache-Control"))
		}
		if strings.HasSuffix(u, ".css") && !strings.HasPrefix(a.Header.Get("Content-Type"), "text/css") {
			t.Errorf("GET %s: content type %q", u, a.Header.Get("Content-Type"))
		}
		// A stale hash is not served (it would be cached forever).
		parts := strings.SplitN(strings.TrimPrefix(u, "/static/"), "/", 2)
		if a := c.get("/static/000000000000/" + parts[1]); a.StatusCode != 404 {
			t.Errorf("stale hash for %s: %d", parts[1], a.StatusCode)
		}
	}
	bs := c.get(urls[0])
	if !bytes.Contains(bs.body, []byte("Bootstrap")) {
		t.Error("the first script is not Bootstrap")
	}
}

// panicStore makes ListJobs panic, to check that a handler panic is a 500
// page in the layout and never shows the panic.
type panicStore struct{ gas.JobStore }

func (panicStore) ListJobs(context.Context, int64, gas.Page) ([]*gas.Job, int, error) {
	panic("internal detail 42")
}

// errStore makes ListJobs fail with an internal error.
type errStore struct{ gas.JobStore }

func (errStore) ListJobs(context.Context, int64, gas.Page) ([]*gas.Job, int, error) {
	return nil, 0, errors.New("database is on fire: secret dsn")
}

func TestInternalErrorsHidden(t *testing.T) {
	t.Parallel()
	for name, wrap := range map[string]func(gas.JobStore) gas.JobStore{
		"panic": func(s gas.JobStore) gas.JobStore { return panicStore{s} },
		"error": func(s gas.JobStore) gas.JobStore { return errStore{s} },
	} {
		f := setupWith(t, nil, wrap)
		c := f.client()
		c.signup(name+"@example.org", "internal password")
		r := c.get("/jobs")
		if r.StatusCode != 500 {
			t.Fatalf("%s: %d", name, r.StatusCode)
		}
		if !strings.Contains(f.logs.String(), map[string]string{"panic": "internal detail 42", "error": "database is on fire"}[name]) {
			t.Errorf("%s: the detail was not logged", name)
		}
		// Look for the details themselves: a bare "42" can occur in the
		// random request ID shown in the footer.
		if bytes.Contains(r.body, []byte("internal detail")) || bytes.Contains(r.body, []byte("on fire")) ||
			bytes.Contains(r.body, []byte("secret")) || find(r.doc(t), "#error-page") == nil {
			t.Fatalf("%s: 500 page leaks details or is not the error page", name)
		}
	}
}

func TestNewHandlerRequiresStores(t *testing.T) {
	t.Parallel()
	if _, err := NewHandler(Config{}, Deps{}); err == nil {
		t.Fatal("NewHandler without stores succeeded")
	}
	f := setup(t, nil)
	if _, err := NewHandler(Config{BaseURL: "::not a url"}, dbDeps(f.db, f.jobs, f.blobs)); err == nil {
		t.Fatal("NewHandler accepted a malformed BaseURL")
	}
}

func TestEveryStateHasABadge(t *testing.T) {
	t.Parallel()
	seen := map[string]gas.JobState{}
	for _, s := range gas.JobStates() {
		c := stateClass(s)
		if c == stateClass("UNKNOWN") {
			t.Errorf("state %s has the fallback badge", s)
		}
		if other, dup := seen[c]; dup {
			t.Errorf("states %s and %s share the badge %s", s, other, c)
		}
		seen[c] = s
	}
}
