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
//	POST /annotate              [user] multipart: mode (all|canonical|mane|pick), bundle, job_name, file (.vcf/.vcf.gz)
//	                            or paste (variants as text)
//	                            → 303 → /jobs/{id}; 400 invalid VCF, 413 over the plan limit
//	                            with preflight=1 (the browser form): 303 → /uploads/{id}, the report, instead
//	POST /annotate/example      [user] form: mode → queues the demo VCF, 303 → /jobs/{id}
//	POST /annotate/direct       [user] JSON {name, size} → JSON {upload_id, method, url, headers}: a presigned
//	                            request that puts the file straight into object storage (404 when files are local)
//	POST /annotate/direct/finish [user] form: upload_id, name, mode, preflight → as POST /annotate, on the stored object
//	GET  /uploads/{id}          [user] pre-flight report of a stored upload: build guess vs the bundle, chr naming,
//	                            records, multi-allelic share, problems; "go on" / "cancel"
//	POST /uploads/{id}/start    [user] the upload becomes a job, 303 → /jobs/{id}
//	POST /uploads/{id}/cancel   [user] the stored upload is deleted, 303 → /annotate?cancelled=1
//	                            (an upload already started: 303 → its job; gone or another user's: 404)
//	GET  /jobs                  [user] the user's jobs, newest first (?page=N, 20 per page)
//	GET  /jobs/{id}             [user] job details and summary
//	GET  /jobs/{id}/input       [user] the uploaded file (attachment)
//	GET  /jobs/{id}/result      [user] annotated VCF, application/gzip attachment; 404 until COMPLETED
//	GET  /jobs/{id}/log         [user] the job log shown in a page
//	GET  /jobs/{id}/status      [user] JSON {id, state, terminal, records, completed_at, records_done, records_total,
//	                            percent, elapsed, eta, queue_position, estimated_start, progress_text, index_ready, …};
//	                            polled by app.js
//	GET  /jobs/{id}/delete      [user] what deleting removes, and the confirm button; 409 while RUNNING
//	POST /jobs/{id}/delete      [user] form: confirm=yes → deletes the job, its files, index and archived copy,
//	                            303 → /jobs?deleted=1; without confirm 303 → the confirmation page; 409 while RUNNING
//	POST /jobs/{id}/resubmit    [user] form: mode → a new job from a copy of the same input, 303 → /jobs/{new id};
//	                            413 when the input is over today's plan limit
//	GET  /jobs/{id}/variants    [reader] variant browser: ?gene&genes&impact&imp&csq&region&clinsig&known&maxfreq&freqfield
//	                            &sample&zyg&mingq&mindp&sort&page&per_page&cols (shareable, see docs/web.md);
//	                            "being built" until the index exists; 400 for a filter that cannot be read
//	GET  /jobs/{id}/variants/{n} [reader] record n in full: every allele × transcript, source field and genotype,
//	                            links out by the bundle's assembly; 303 → the browser while there is no index
//	GET  /jobs/{id}/genes       [reader] gene view of the same filters: one row per gene, counts by impact and
//	                            consequence, carrier samples
//	GET  /jobs/{id}/variants.vcf.gz|.tsv|.xlsx|.json [reader] export of the view's records (same filter parameters;
//	                            none: the full result), count in X-GAS-Records and in the file; 303 → the browser page
//	                            while there is no index; .xlsx: 413 past an Excel sheet's rows
//	[reader] is [user], or a request with Authorization: Bearer <API token with the jobs:read scope>
//	GET  /notifications         [user] emails sent about the user's jobs, newest first (?page=N, 20 per page)
//	GET  /signin/oidc           (?next=/path) starts provider sign-in: 303 → the provider, with a state cookie;
//	                            when signed in, the provider identity is linked to the account instead
//	GET  /auth/oidc/callback    (?code&state or ?error) the provider's return: 303 → next; 400 for a state that
//	                            does not match the cookie or is unknown/used/expired, 401 for a refused token
//	GET  /profile               [user] name, email, plan, identities, password, API tokens, sessions, delete account
//	POST /profile/password      [user] form: current, password → 303 → /profile?changed=password; every other
//	                            session of the user ends
//	POST /profile/identities/unlink [user] form: issuer, subject → 303 → /profile?unlinked=1; every other session
//	                            ends; 409 for the account's last way to sign in, 404 for an identity not the user's
//	POST /profile/sessions/end  [user] "sign out everywhere": ends every session of the user, this one included
//	                            → 303 → /signin
//	POST /profile/sessions/{id}/end [user] ends one session of the list → 303 → /profile?ended=1; another user's
//	                            session is 404
//	POST /profile/tokens        [user] form: name, scope (repeated), expires_days → 201 page showing the secret once;
//	                            429 when rate-limited
//	POST /profile/tokens/{id}/revoke [user] → 303 → /profile?revoked=1; another user's token is 404
//	POST /profile/delete        [user] form: confirm (the account's email) → deletes the job files (blob store and
//	                            archive), then the account; signs out and shows a goodbye page
//	GET  /subscribe             plans and their limits; the upgrade button when Stripe is configured
//	POST /subscribe             [user] → 303 → Stripe Checkout; 404 when billing is not configured
//	GET  /subscribe/success     [user] Checkout's return: the payment is being confirmed, the current plan
//	GET  /admin                 [admin] users (jobs, storage), jobs of all users (?state=S&owner=EMAIL),
//	                            failed notification deliveries, bundles used; 404 for everyone else
//	POST /admin/jobs/{id}/retry [admin] a FAILED job is queued again → 303 → /admin?state=FAILED
//	(/admin/queue/… is River UI, mounted outside this site for administrators; see internal/cli)
//	GET  /static/{hash}/{path…} embedded assets, cached for a year
//
// Unknown paths render the 404 page, a known path with the wrong method the
// 405 page (with Allow), both in the site layout.

import (
	"net/http"

	"github.com/gas-project/gas/internal/metrics"
)

// route is one entry of the site's table.
type route struct {
	pattern string
	handler http.HandlerFunc
}

// routeTable lists every route. It is a table, not a series of
// HandleFunc calls, so the ownership test can walk all routes that take an
// {id} and fail when a new one is not covered.
func (s *server) routeTable() []route {
	return []route{
		{"GET /{$}", s.home},
		{"GET /signup", s.signupForm},
		{"POST /signup", s.signup},
		{"GET /signin", s.signinForm},
		{"POST /signin", s.signin},
		{"POST /signout", s.signout},
		{"GET /signin/oidc", s.oidcStart},
		{"GET /auth/oidc/callback", s.oidcCallback},
		{"GET /annotate", s.requireUser(s.annotateForm)},
		{"POST /annotate", s.requireUser(s.upload)},
		{"POST /annotate/example", s.requireUser(s.uploadExample)},
		{"POST /annotate/direct", s.requireUser(s.directStart)},
		{"POST /annotate/direct/finish", s.requireUser(s.directFinish)},
		{"GET /uploads/{id}", s.requireUser(s.uploadReport)},
		{"POST /uploads/{id}/start", s.requireUser(s.uploadStart)},
		{"POST /uploads/{id}/cancel", s.requireUser(s.uploadCancel)},
		{"GET /jobs", s.requireUser(s.jobList)},
		{"GET /jobs/{id}", s.requireUser(s.jobDetails)},
		{"GET /jobs/{id}/input", s.requireUser(s.jobInput)},
		{"GET /jobs/{id}/result", s.requireUser(s.jobResult)},
		{"GET /jobs/{id}/log", s.requireUser(s.jobLog)},
		{"GET /jobs/{id}/status", s.requireUser(s.jobStatus)},
		{"GET /jobs/{id}/delete", s.requireUser(s.jobDeleteForm)},
		{"POST /jobs/{id}/delete", s.requireUser(s.jobDelete)},
		{"POST /jobs/{id}/resubmit", s.requireUser(s.jobResubmit)},
		{"GET /jobs/{id}/variants", s.requireReader(s.jobVariants)},
		{"GET /jobs/{id}/variants/{n}", s.requireReader(s.variantPage)},
		{"GET /jobs/{id}/genes", s.requireReader(s.geneView)},
		{"GET /jobs/{id}/variants.vcf.gz", s.requireReader(s.exportVariantsVCF)},
		{"GET /jobs/{id}/variants.tsv", s.requireReader(s.exportVariantsTSV)},
		{"GET /jobs/{id}/variants.xlsx", s.requireReader(s.exportVariantsXLSX)},
		{"GET /jobs/{id}/variants.json", s.requireReader(s.exportVariantsJSON)},
		{"GET /notifications", s.requireUser(s.notificationList)},
		{"GET /profile", s.requireUser(s.profile)},
		{"POST /profile/password", s.requireUser(s.changePassword)},
		{"POST /profile/identities/unlink", s.requireUser(s.unlinkIdentity)},
		{"POST /profile/sessions/end", s.requireUser(s.endSessions)},
		{"POST /profile/sessions/{id}/end", s.requireUser(s.endSession)},
		{"POST /profile/tokens", s.requireUser(s.createToken)},
		{"POST /profile/tokens/{id}/revoke", s.requireUser(s.revokeToken)},
		{"POST /profile/delete", s.requireUser(s.deleteAccount)},
		{"GET /subscribe", s.subscribePage},
		{"POST /subscribe", s.requireUser(s.subscribe)},
		{"GET /subscribe/success", s.requireUser(s.subscribeSuccess)},
		{"GET /admin", s.requireAdmin(s.adminPage)},
		{"POST /admin/jobs/{id}/retry", s.requireAdmin(s.adminRetryJob)},
		{"GET /static/{hash}/{path...}", s.serveStatic},
	}
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routeTable() {
		mux.HandleFunc(rt.pattern, rt.handler)
	}

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
