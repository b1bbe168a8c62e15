package web

// Routes of the site (all HTML unless noted). Pages marked [user] redirect a
// signed-out visitor to /signin?next=…; every /jobs/{id}… route looks the job
// up with JobStore.UserJob, so another user's job is a 404 on all of them.
// Every state-changing request (POST) passes http.CrossOriginProtection.
//
//	GET  /                      home
//	GET  /signup                sign-up form
//	POST /signup                form: email, password, name → creates the account, signs in, 303 → /annotate
//	GET  /signin                sign-in form (?next=/path to return to)
//	POST /signin                form: email, password, next → 303 → next or /annotate; 429 when rate-limited
//	POST /signout               deletes the session, 303 → /
//	GET  /annotate              [user] upload form
//	POST /annotate              [user] multipart: mode (all|canonical|mane|pick), file (.vcf/.vcf.gz)
//	                            → 303 → /jobs/{id}; 400 invalid VCF, 413 over the plan limit
//	POST /annotate/example      [user] form: mode → queues the demo VCF, 303 → /jobs/{id}
//	GET  /jobs                  [user] the user's jobs, newest first (?page=N, 20 per page)
//	GET  /jobs/{id}             [user] job details and summary
//	GET  /jobs/{id}/input       [user] the uploaded file (attachment)
//	GET  /jobs/{id}/result      [user] annotated VCF, application/gzip attachment; 404 until COMPLETED
//	GET  /jobs/{id}/log         [user] the job log shown in a page
//	GET  /jobs/{id}/status      [user] JSON {id, state, terminal, records, completed_at}; polled by app.js
//	GET  /notifications         [user] emails sent about the user's jobs, newest first (?page=N, 20 per page)
//	GET  /static/{hash}/{path…} embedded assets, cached for a year
//
// Unknown paths render the 404 page, a known path with the wrong method the
// 405 page (with Allow), both in the site layout.

import (
	"net/http"

	"github.com/gas-project/gas/internal/metrics"
)

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /signup", s.signupForm)
	mux.HandleFunc("POST /signup", s.signup)
	mux.HandleFunc("GET /signin", s.signinForm)
	mux.HandleFunc("POST /signin", s.signin)
	mux.HandleFunc("POST /signout", s.signout)
	mux.HandleFunc("GET /annotate", s.requireUser(s.annotateForm))
	mux.HandleFunc("POST /annotate", s.requireUser(s.upload))
	mux.HandleFunc("POST /annotate/example", s.requireUser(s.uploadExample))
	mux.HandleFunc("GET /jobs", s.requireUser(s.jobList))
	mux.HandleFunc("GET /jobs/{id}", s.requireUser(s.jobDetails))
	mux.HandleFunc("GET /jobs/{id}/input", s.requireUser(s.jobInput))
	mux.HandleFunc("GET /jobs/{id}/result", s.requireUser(s.jobResult))
	mux.HandleFunc("GET /jobs/{id}/log", s.requireUser(s.jobLog))
	mux.HandleFunc("GET /jobs/{id}/status", s.requireUser(s.jobStatus))
	mux.HandleFunc("GET /notifications", s.requireUser(s.notificationList))
	mux.HandleFunc("GET /static/{hash}/{path...}", s.serveStatic)

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			metrics.SetRoute(r.Context(), pattern)
			// Serve through the mux, not h: only ServeHTTP fills in the
			// request's path values ({id}).
			mux.ServeHTTP(w, r)
			return
		}
		// No route matched: the mux would answer 404 or 405 (redirects to
		// a cleaned path come with a pattern). Let it decide on a probe that
		// keeps only the status and headers, then draw the page in the layout.
		p := &probe{header: http.Header{}}
		h.ServeHTTP(p, r)
		if p.code == http.StatusMethodNotAllowed {
			if allow := p.header.Get("Allow"); allow != "" {
				w.Header().Set("Allow", allow)
			}
			s.renderError(w, r, http.StatusMethodNotAllowed, "")
			return
		}
		s.renderError(w, r, http.StatusNotFound, "")
	})
}

// probe is a ResponseWriter that records the status and headers and drops the body.
type probe struct {
	header http.Header
	code   int
}

// Header returns the recorded headers (the mux sets Allow on a 405).
func (p *probe) Header() http.Header { return p.header }

// WriteHeader keeps the first status, as net/http does.
func (p *probe) WriteHeader(code int) {
	if p.code == 0 {
		p.code = code
	}
}

// Write discards the mux's plain-text body; the page is drawn instead.
func (p *probe) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}
