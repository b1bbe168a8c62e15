package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/refdata"
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
	// logger receives the reason of each failed check, which the answer
	// leaves out; nil discards it.
	logger *slog.Logger
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
	errs := make([]string, len(o.checks))
	for i := range errs {
		errs[i] = "no answer within the deadline"
	}
wait:
	for range o.checks {
		select {
		case res := <-results:
			ok[res.i] = res.err == nil
			if res.err != nil {
				errs[res.i] = res.err.Error()
			}
		case <-ctx.Done():
			break wait // checks not back yet count as down
		}
	}
	var b strings.Builder
	status := http.StatusOK
	for i, c := range o.checks {
		if !ok[i] {
			if o.logger != nil {
				o.logger.LogAttrs(r.Context(), slog.LevelWarn, "readiness check failed", slog.String("check", c.name), slog.String("err", errs[i]))
			}
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

// bundleCheck is the readiness check of one offered bundle: it opens (the
// bundle folder caches the open bundle, so later probes are cheap) and is
// sane.
func bundleCheck(bundles *jobs.BundleDir, name string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		b, err := bundles.Bundle(ctx, name)
		if err != nil {
			return err
		}
		return bundleSane(b)
	}
}

// bundleSane reports what makes an opened bundle unusable for annotation:
// no contigs or no gene models (every record would be intergenic), or a
// manifest that disagrees with the gene model data on how many transcripts
// each contig has (a manifest of another build, or data replaced under
// it). Open has already checked the format version, the data files' sizes
// and the contig lengths against the sequence; hashing the files
// (refdata's Verify) takes far longer than a probe may.
func bundleSane(b *refdata.Bundle) error {
	m := b.Manifest()
	switch {
	case m == nil:
		return errors.New("bundle has no manifest")
	case len(m.Contigs) == 0:
		return fmt.Errorf("bundle %s has no contigs", m.Name)
	case len(b.Transcripts()) == 0:
		return fmt.Errorf("bundle %s has no gene models", m.Name)
	}
	per := make([]int, len(m.Contigs))
	for i := range b.Transcripts() {
		per[b.Transcripts()[i].Contig]++
	}
	for i, c := range m.Contigs {
		if per[i] != c.Transcripts {
			return fmt.Errorf("bundle %s: contig %s has %d transcripts, its manifest says %d", m.Name, c.Name, per[i], c.Transcripts)
		}
	}
	return nil
}
