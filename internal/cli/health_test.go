package cli

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gas-project/gas/refdata"
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

// TestCoverageReadyzChecksEveryBundle: /readyz of a process that annotates
// checks every bundle users may choose, not only the default, and names
// each: one not installed and one whose manifest disagrees with its gene
// models are unavailable, and the service is not ready.
func TestCoverageReadyzChecksEveryBundle(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	odd := filepath.Join(dir, refdataDirName, "odd")
	if err := os.MkdirAll(filepath.Dir(odd), 0o750); err != nil {
		t.Fatal(err)
	}
	if _, err := refdata.BuildDemo(context.Background(), odd, "test"); err != nil {
		t.Fatal(err)
	}
	// The manifest of another build: one transcript more on a contig.
	raw, err := os.ReadFile(filepath.Join(odd, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	c0 := m["contigs"].([]any)[0].(map[string]any)
	c0["transcripts"] = c0["transcripts"].(float64) + 1
	if raw, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(odd, "manifest.json"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := refdata.Open(odd)
	if err != nil {
		t.Fatalf("the odd bundle should open (only its counts disagree): %v", err)
	}
	if err := bundleSane(b); err == nil || !strings.Contains(err.Error(), "transcripts, its manifest says") {
		t.Errorf("bundleSane(odd) = %v", err)
	}
	b.Close()

	s := startRole(t, "serve", dir, "--bundles", "demo,absent,odd")
	code, body := get(t, http.DefaultClient, s.url+"/readyz")
	want := "database: ok\nqueue: ok\nstorage: ok\nbundle demo: ok\nbundle absent: unavailable\nbundle odd: unavailable\n"
	if code != http.StatusServiceUnavailable || string(body) != want {
		t.Fatalf("GET /readyz = %d %q, want 503 %q", code, body, want)
	}
	demo, err := refdata.Open(filepath.Join(dir, refdataDirName, "demo"))
	if err != nil {
		t.Fatal(err)
	}
	defer demo.Close()
	if err := bundleSane(demo); err != nil {
		t.Errorf("bundleSane(demo) = %v", err)
	}
}

// TestCoverageDemoRebuiltFromNewSources: a demo bundle built from other
// demo sources (an older development binary, which reports the same
// version) is rebuilt at start, so the example shows what this binary's
// demo covers; a current one is kept.
func TestCoverageDemoRebuiltFromNewSources(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	refDir := t.TempDir()
	logger := slog.New(slog.DiscardHandler)
	if note, err := ensureDemoBundle(ctx, refDir, logger); err != nil || !strings.HasPrefix(note, "demo bundle built") {
		t.Fatalf("first start: %q %v", note, err)
	}
	if note, err := ensureDemoBundle(ctx, refDir, logger); err != nil || note != "demo bundle present" {
		t.Fatalf("second start: %q %v", note, err)
	}
	if err := os.WriteFile(filepath.Join(refDir, "demo", "demo-revision"), []byte("0000000000000000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if note, err := ensureDemoBundle(ctx, refDir, logger); err != nil || !strings.HasPrefix(note, "demo bundle built") {
		t.Fatalf("start after a source change: %q %v", note, err)
	}
	if !refdata.DemoIsCurrent(filepath.Join(refDir, "demo")) {
		t.Fatal("the rebuilt demo is not current")
	}
}
