package httpserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gas-project/gas"
)

func renderPlain(w http.ResponseWriter, r *http.Request, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprint(w, "ERR ", msg)
}

func TestStatusFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 200},
		{gas.Errorf(gas.ENOTFOUND, "x"), 404},
		{fmt.Errorf("wrapped: %w", gas.Errorf(gas.EINVALID, "x")), 400},
		{gas.Errorf(gas.EFORBIDDEN, "x"), 403},
		{gas.Errorf(gas.ECONFLICT, "x"), 409},
		{gas.Errorf(gas.ETOOLARGE, "x"), 413},
		{gas.Errorf(gas.EUNAUTH, "x"), 401},
		{gas.Errorf(gas.EINTERNAL, "x"), 500},
		{errors.New("plain"), 500},
	} {
		if got := StatusFor(tc.err); got != tc.want {
			t.Errorf("StatusFor(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestMiddlewareStack(t *testing.T) {
	t.Parallel()
	var logBuf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logBuf, nil))
	cross, err := CrossOrigin(renderPlain, "https://gas.example.org/some/path")
	if err != nil {
		t.Fatal(err)
	}
	var seenID string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) {
		seenID = RequestIDFrom(r.Context())
		io.WriteString(w, "fine")
	})
	mux.HandleFunc("POST /change", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "changed") })
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { panic("secret detail") })
	h := Chain(mux, RequestID(), Log(logger), SecurityHeaders(true), Recover(logger, renderPlain), cross)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/ok", nil))
	if rec.Code != 200 || rec.Body.String() != "fine" {
		t.Fatalf("GET /ok = %d %q", rec.Code, rec.Body)
	}
	if id := rec.Header().Get(RequestIDHeader); id == "" || id != seenID {
		t.Errorf("request ID header %q, handler saw %q", id, seenID)
	}
	for k, want := range map[string]string{
		"X-Content-Type-Options":    "nosniff",
		"Referrer-Policy":           "same-origin",
		"Strict-Transport-Security": "max-age=31536000",
	} {
		if got := rec.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	if !strings.Contains(logBuf.String(), "request_id="+seenID) || !strings.Contains(logBuf.String(), "status=200") {
		t.Errorf("log line missing ID or status: %s", logBuf.String())
	}

	// A panic is a 500 page without the panic value; the log has it.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "secret detail") || !strings.HasPrefix(rec.Body.String(), "ERR ") {
		t.Errorf("panic: %d %q", rec.Code, rec.Body)
	}
	if !strings.Contains(logBuf.String(), "secret detail") {
		t.Error("panic value not logged")
	}

	// Cross-origin POSTs are refused; same-origin and trusted ones pass.
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"sec-fetch cross-site", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"origin other host", map[string]string{"Origin": "https://evil.example"}, 403},
		{"sec-fetch same-origin", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"origin matches host", map[string]string{"Origin": "http://example.com"}, 200},
		{"trusted origin", map[string]string{"Origin": "https://gas.example.org", "Sec-Fetch-Site": "cross-site"}, 200},
		{"no browser headers", nil, 200},
	} {
		req := httptest.NewRequest("POST", "/change", nil)
		for k, v := range tc.header {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, rec.Code, tc.want)
		}
		if tc.want == 403 && rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: refusal lacks security headers", tc.name)
		}
	}
	if _, err := CrossOrigin(renderPlain, "not a url"); err == nil {
		t.Error("CrossOrigin accepted a malformed trusted origin")
	}
}

func TestSecurityHeadersConnectOrigins(t *testing.T) {
	h := SecurityHeaders(false, "https://s3.example.org", "bad origin; script-src *")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "connect-src 'self' https://s3.example.org;") || strings.Contains(csp, "script-src *") {
		t.Fatalf("CSP = %q", csp)
	}
}

// TestCodeForInvertsStatusFor: every error code maps to a status that maps
// back to a code of the same status, and the statuses CodeFor is given
// for errors without a code get their codes.
func TestCodeForInvertsStatusFor(t *testing.T) {
	for _, code := range []string{gas.ENOTFOUND, gas.EINVALID, gas.EFORBIDDEN, gas.ECONFLICT, gas.EARCHIVED, gas.ETOOLARGE,
		gas.EUNAUTH, gas.EUNAVAILABLE, gas.ETOOMANY} {
		st := StatusFor(gas.Errorf(code, "x"))
		if back := CodeFor(st); StatusFor(gas.Errorf(back, "x")) != st {
			t.Errorf("%s -> %d -> %s -> %d", code, st, back, StatusFor(gas.Errorf(back, "x")))
		}
	}
	for st, want := range map[int]string{404: gas.ENOTFOUND, 409: gas.ECONFLICT, 405: gas.EINVALID, 500: gas.EINTERNAL, 502: gas.EINTERNAL} {
		if got := CodeFor(st); got != want {
			t.Errorf("CodeFor(%d) = %s, want %s", st, got, want)
		}
	}
	if StatusFor(nil) != 200 || StatusFor(gas.Errorf(gas.EINTERNAL, "x")) != 500 {
		t.Error("nil or internal errors mapped wrong")
	}
}
