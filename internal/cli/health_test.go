package cli

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestReadyzReportsEachCheck(t *testing.T) {
	t.Parallel()
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	slow := func(ctx context.Context) error { <-ctx.Done(); return nil } // never answers in time
	for _, tc := range []struct {
		name   string
		checks []check
		code   int
		body   string
	}{
		{"all up", []check{{"database", func(context.Context) error { return nil }}, {"queue", func(context.Context) error { return nil }}},
			http.StatusOK, "database: ok\nqueue: ok\n"},
		{"one down", []check{{"database", func(context.Context) error { return nil }}, {"storage", func(context.Context) error { return errors.New("disk gone: /secret/path") }}},
			http.StatusServiceUnavailable, "database: ok\nstorage: unavailable\n"},
		{"one hangs", []check{{"bundle", slow}, {"database", func(context.Context) error { return nil }}},
			http.StatusServiceUnavailable, "bundle: unavailable\ndatabase: ok\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := ops{checks: tc.checks}.wrap(next)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if rec.Code != tc.code || rec.Body.String() != tc.body {
				t.Fatalf("GET /readyz = %d %q, want %d %q", rec.Code, rec.Body, tc.code, tc.body)
			}
		})
	}
	h := ops{}.wrap(next)
	for path, want := range map[string]int{"/healthz": http.StatusOK, "/metrics": http.StatusTeapot, "/other": http.StatusTeapot} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("GET %s = %d, want %d", path, rec.Code, want)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/readyz", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /readyz = %d", rec.Code)
	}
}
