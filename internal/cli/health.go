package cli

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// check is one readiness probe: a name shown in the /readyz answer and a
// function that fails when that dependency cannot serve.
type check struct {
	name string
	fn   func(ctx context.Context) error
}

// ops are the operational endpoints every role answers in front of its
// site: GET /healthz (liveness: the process serves HTTP), GET /readyz
// (readiness: each check passes within two seconds; for load balancers and
// orchestrators) and, when metrics is set, GET /metrics. Everything else
// goes to next.
type ops struct {
	checks  []check
	metrics http.Handler
}

func (o ops) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz", "/readyz":
		case "/metrics":
			if o.metrics == nil {
				next.ServeHTTP(w, r)
				return
			}
		default:
			next.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		switch r.URL.Path {
		case "/metrics":
			o.metrics.ServeHTTP(w, r)
		case "/healthz":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write([]byte("ok\n"))
		default:
			o.ready(w, r)
		}
	})
}

// ready runs every check at once and answers 200 with one "name: ok" line
// each, or 503 naming what failed. Error details stay out of the answer
// (it is unauthenticated); the first line of each is enough to act on.
func (o ops) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	type result struct {
		i   int
		err error
	}
	// Buffered, so a check that outlives the deadline can still finish.
	results := make(chan result, len(o.checks))
	for i, c := range o.checks {
		go func() { results <- result{i, c.fn(ctx)} }()
	}
	ok := make([]bool, len(o.checks))
wait:
	for range o.checks {
		select {
		case res := <-results:
			ok[res.i] = res.err == nil
		case <-ctx.Done():
			break wait // checks not back yet count as down
		}
	}
	var b strings.Builder
	status := http.StatusOK
	for i, c := range o.checks {
		if !ok[i] {
			status = http.StatusServiceUnavailable
			fmt.Fprintf(&b, "%s: unavailable\n", c.name)
			continue
		}
		fmt.Fprintf(&b, "%s: ok\n", c.name)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}
