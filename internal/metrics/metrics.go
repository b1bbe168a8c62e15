// Package metrics exposes GAS's state and work in the Prometheus text format
// at /metrics. Two kinds of numbers live here:
//
//   - gauges read from the database at scrape time (jobs by state, queue depth
//     and age, the email outbox backlog), so every process of a farm reports
//     the same truth and nothing drifts after a restart;
//   - counters and histograms of what this process did (HTTP requests by
//     route, annotation durations and records, archives and restores),
//     updated as it happens and summed over processes by Prometheus.
//
// Every name we define starts with gas_.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gas-project/gas"
)

// Metrics is one process's registry.
type Metrics struct {
	reg *prometheus.Registry

	httpDuration *prometheus.HistogramVec
	jobDuration  *prometheus.HistogramVec
	records      prometheus.Counter
	transitions  *prometheus.CounterVec
	slowClients  *prometheus.CounterVec
	rateLimited  *prometheus.CounterVec
}

// RateLimits are the limits gas_auth_rate_limited_total counts refusals
// of (docs/deploy.md, "Rate limits").
var RateLimits = []string{"token_address", "token_prefix", "signin_account", "signin_address", "signup_address"}

// New returns the registry with the process and Go runtime collectors, and,
// when src is not nil, the database gauges (read with a short timeout at
// each scrape).
func New(src Source, logger *slog.Logger) *Metrics {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gas_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route pattern, method and status code.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 60},
	}, []string{"route", "method", "code"})
	m.jobDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gas_job_duration_seconds",
		Help: "Time from start to end of an annotation job, by outcome (its end state in lower case: completed, failed, …).",
		// From a demo-sized file (tens of ms) to a whole genome (an hour and more).
		Buckets: prometheus.ExponentialBuckets(0.01, 4, 11),
	}, []string{"outcome"})
	m.records = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "gas_annotation_records_total",
		Help: "VCF records annotated by completed jobs; its rate is the annotation throughput in records/s.",
	})
	m.transitions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gas_job_transitions_total",
		Help: "Job state changes made by this process (e.g. to=ARCHIVED counts archives, from=RESTORING restores).",
	}, []string{"from", "to"})
	m.slowClients = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gas_http_slow_clients_total",
		Help: "Clients cut off for sending a request body too slowly, by kind: request (a form or JSON past its deadline) or upload (below the minimum rate).",
	}, []string{"kind"})
	for _, kind := range []string{"request", "upload"} {
		m.slowClients.WithLabelValues(kind) // a 0 from the start, not a missing series
	}
	m.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gas_auth_rate_limited_total",
		Help: "Requests refused (429) by a rate limit of failed credentials, by limit: token_address, token_prefix, signin_account, signin_address, signup_address. Many signin_address or token_address refusals for honest users suggest a proxy missing from GAS_TRUSTED_PROXIES.",
	}, []string{"limit"})
	for _, l := range RateLimits {
		m.rateLimited.WithLabelValues(l)
	}
	m.reg.MustRegister(m.httpDuration, m.jobDuration, m.records, m.transitions, m.slowClients, m.rateLimited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if src != nil {
		m.reg.MustRegister(&dbCollector{src: src, logger: logger, now: time.Now})
	}
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveTransition records a committed or committing job change. It has the
// shape of a transition hook's arguments so the caller can feed it from one
// (see internal/cli): annotation durations and records come from the job
// row, which the change just wrote.
func (m *Metrics) ObserveTransition(j *gas.Job, c gas.JobChange) {
	m.transitions.WithLabelValues(string(c.From), string(c.To)).Inc()
	// The end of a run, whichever way it ended, is labelled by its state.
	if c.From != gas.JobRunning || !c.To.Terminal() || j.StartedAt.IsZero() || j.CompletedAt.IsZero() {
		return
	}
	m.jobDuration.WithLabelValues(strings.ToLower(string(c.To))).Observe(j.CompletedAt.Sub(j.StartedAt).Seconds())
	if c.To == gas.JobCompleted {
		m.records.Add(float64(j.Records))
	}
}

// ObserveSlowClient counts a client cut off for sending too slowly; kind
// is httpserver.SlowRequest or SlowUpload.
func (m *Metrics) ObserveSlowClient(kind string) { m.slowClients.WithLabelValues(kind).Inc() }

// ObserveRateLimited counts a request refused by a rate limit, one of
// RateLimits.
func (m *Metrics) ObserveRateLimited(limit string) { m.rateLimited.WithLabelValues(limit).Inc() }

type routeKey struct{}

// route is filled in by the router (SetRoute) while the request passes
// through, so the middleware outside it can label by pattern, not by raw
// path (which would make one series per job ID).
type route struct{ pattern string }

// SetRoute records the matched route pattern of the request, if the
// request passed through Middleware. Unmatched requests stay "unmatched".
func SetRoute(ctx context.Context, pattern string) {
	if r, ok := ctx.Value(routeKey{}).(*route); ok {
		r.pattern = pattern
	}
}

// Middleware times every request. Put it outermost, so the time includes
// the other middleware.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rt := &route{pattern: "unmatched"}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), routeKey{}, rt)))
		code := sw.status
		if code == 0 {
			code = http.StatusOK
		}
		m.httpDuration.WithLabelValues(rt.pattern, r.Method, strconv.Itoa(code)).Observe(time.Since(start).Seconds())
	})
}

// statusWriter keeps the status code for the label.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection (flush, deadlines).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
