package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/metrics"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d: %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

func wantLines(t *testing.T, body string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(body, "\n"+l+"\n") {
			t.Errorf("metrics lack the line %q", l)
		}
	}
	if t.Failed() {
		t.Logf("scraped:\n%s", body)
	}
}

// The database gauges read the real tables on both dialects: a queued job
// shows up as PENDING and as available work on the annotate queue.
func TestMetricsDatabaseGauges(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		open func(testing.TB, sqldb.Options) *sqldb.DB
	}{{"sqlite", sqldbtest.SQLite}, {"postgres", func(t testing.TB, o sqldb.Options) *sqldb.DB {
		if os.Getenv(sqldbtest.EnvPostgresURL) == "" {
			t.Skip("PostgreSQL metrics test skipped: set " + sqldbtest.EnvPostgresURL)
		}
		return sqldbtest.Postgres(t, o)
	}}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := tc.open(t, sqldb.Options{})
			ins, err := jobs.NewInserter(db.RiverDriver(), nil)
			if err != nil {
				t.Fatal(err)
			}
			u := &gas.User{Email: "m@example.org"}
			if err := db.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			store := db.JobStore(ins)
			for range 2 {
				if err := store.CreateJob(ctx, &gas.Job{UserID: u.ID, InputKey: "k", Bundle: "demo"}); err != nil {
					t.Fatal(err)
				}
			}
			m := metrics.New(db, nil)
			body := scrape(t, m)
			wantLines(t, body,
				`gas_jobs{state="PENDING"} 2`,
				`gas_jobs{state="COMPLETED"} 0`,
				`gas_queue_jobs{queue="annotate",state="available"} 2`,
				`gas_queue_jobs{queue="notify",state="available"} 0`,
				`gas_notifications{state="PENDING"} 0`,
				`gas_metrics_scrape_errors 0`,
			)
			// The waiting jobs' age is real time, so only its presence is
			// checked; an empty queue reports exactly 0.
			if !strings.Contains(body, `gas_queue_oldest_age_seconds{queue="annotate"} `) {
				t.Errorf("no queue age for annotate:\n%s", body)
			}
			wantLines(t, body, `gas_queue_oldest_age_seconds{queue="lifecycle"} 0`)
			t.Log(grepLine(body, `gas_queue_oldest_age_seconds{queue="annotate"}`))
			db.Close()
			if body := scrape(t, m); !strings.Contains(body, "\ngas_metrics_scrape_errors 1\n") {
				t.Errorf("a closed database does not show as a scrape error:\n%s", body)
			}
		})
	}
}

func TestMetricsTransitionsAndRequests(t *testing.T) {
	t.Parallel()
	m := metrics.New(nil, nil)
	start := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	m.ObserveTransition(&gas.Job{StartedAt: start, CompletedAt: start.Add(3 * time.Second), Records: 1200},
		gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted})
	m.ObserveTransition(&gas.Job{}, gas.JobChange{From: gas.JobCompleted, To: gas.JobArchived})

	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/jobs/123" {
			metrics.SetRoute(r.Context(), "GET /jobs/{id}")
			io.WriteString(w, "ok")
			return
		}
		http.NotFound(w, r)
	}))
	for _, p := range []string{"/jobs/123", "/jobs/123", "/nowhere"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	wantLines(t, scrape(t, m),
		`gas_annotation_records_total 1200`,
		`gas_job_duration_seconds_count{outcome="completed"} 1`,
		`gas_job_duration_seconds_sum{outcome="completed"} 3`,
		`gas_job_transitions_total{from="COMPLETED",to="ARCHIVED"} 1`,
		`gas_http_request_duration_seconds_count{code="200",method="GET",route="GET /jobs/{id}"} 2`,
		`gas_http_request_duration_seconds_count{code="404",method="GET",route="unmatched"} 1`,
	)
}

func grepLine(body, prefix string) string {
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// Every rate limit has a series from the start, and a refusal counts on
// its own.
func TestMetricsRateLimited(t *testing.T) {
	t.Parallel()
	m := metrics.New(nil, nil)
	var zeros []string
	for _, l := range metrics.RateLimits {
		zeros = append(zeros, `gas_auth_rate_limited_total{limit="`+l+`"} 0`)
	}
	wantLines(t, scrape(t, m), zeros...)
	m.ObserveRateLimited("signin_address")
	m.ObserveRateLimited("signin_address")
	m.ObserveRateLimited("token_prefix")
	wantLines(t, scrape(t, m), `gas_auth_rate_limited_total{limit="signin_address"} 2`,
		`gas_auth_rate_limited_total{limit="token_prefix"} 1`, `gas_auth_rate_limited_total{limit="signin_account"} 0`)
}
