// Package api is GAS's JSON API under /api/v1, for programs (and the `gas
// client` command). Requests carry a personal access token
// (Authorization: Bearer gas_…) instead of a session cookie, so the API
// needs no cross-site request protection and cannot be driven by another
// site through a signed-in browser. Every error is JSON with a stable code
// and a message for people.
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/auth"
	"github.com/gas-project/gas/internal/httpserver"
	"github.com/gas-project/gas/internal/metrics"
	"github.com/gas-project/gas/internal/submit"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// openapiTemplate is the OpenAPI document without the JobState schema,
// which openapi adds from the state machine.
//
//go:embed openapi.json
var openapiTemplate []byte

// openapi returns the OpenAPI document with the JobState schema made from
// gas.JobStates(), so the document lists exactly the states the service has.
func openapi() ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(openapiTemplate, &doc); err != nil {
		return nil, fmt.Errorf("api: openapi.json: %w", err)
	}
	components, _ := doc["components"].(map[string]any)
	schemas, _ := components["schemas"].(map[string]any)
	if schemas == nil {
		return nil, errors.New("api: openapi.json has no components.schemas")
	}
	var about []string
	for _, s := range gas.JobStates() {
		about = append(about, fmt.Sprintf("%s: the job %s.", s, s.About()))
	}
	schemas["JobState"] = map[string]any{"type": "string", "enum": gas.JobStates(),
		"description": "Where a job is in its life. " + strings.Join(about, " ")}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("api: openapi.json: %w", err)
	}
	return b, nil
}

// Tokens authenticates requests (sqldb.DB has it).
type Tokens interface {
	TokenUser(ctx context.Context, secret string) (*gas.User, *gas.Token, error)
}

// Config tunes the API.
type Config struct {
	FreeUploadLimit, PremiumUploadLimit int64
	// Limits gives each plan's limits of one input after decompression
	// (config.Config.Limits); nil keeps the old guard of 100 times the
	// upload limit.
	Limits        func(gas.Plan) gas.PlanLimits
	DefaultBundle string
	// Bundles users may choose (the default first); empty means only DefaultBundle.
	Bundles []string
	BaseURL string // for links in answers; empty uses the request's host
	// Proxies tells the client's address behind trusted proxies; the
	// zero value takes the peer as the client.
	Proxies auth.Proxies
	// OnRateLimited is told each refusal by a rate limit (token_address,
	// token_prefix), for metrics; nil: nobody is told.
	OnRateLimited func(limit string)
	Logger        *slog.Logger
	Now           func() time.Time
}

// Deps are the stores the API uses.
type Deps struct {
	Tokens Tokens
	Jobs   gas.JobStore
	Update gas.JobUpdater // cancel
	Blobs  gas.BlobStore
	// Presign is Blobs' capability to presign requests (S3): it enables
	// direct uploads (POST /uploads); nil means uploads go through the
	// server only.
	Presign gas.Presigner
	// Quota refuses uploads over the plan's limits of jobs at once and
	// uploads per hour (429 with Retry-After) before their body is read;
	// nil: the job store's own check alone.
	Quota submit.Quota
	// Pending finds the site's uploads waiting on their pre-flight
	// report, which an upload ID must not take over; nil: CreateJob's
	// own refusal alone.
	Pending submit.Pending
	// Limiters keeps the limits of failed tokens; the database's makes
	// every server sharing it count together. Nil: in memory, per server.
	Limiters auth.LimiterFunc
}

type server struct {
	cfg Config
	d   Deps
	log *slog.Logger
	// Failed token checks, per client address and per token prefix (what
	// is being guessed); see authenticated.
	failedAddr, failedPrefix auth.RateLimiter
}

// route is one endpoint; the OpenAPI test checks the document against this
// table, which is also what the mux serves.
type route struct {
	method, path string
	scope        string // "" for public
	handler      func(s *server, w http.ResponseWriter, r *http.Request, u *gas.User)
}

var routes = []route{
	{"GET", "/openapi.json", "", nil},
	{"GET", "/me", gas.ScopeJobsRead, (*server).me},
	{"GET", "/jobs", gas.ScopeJobsRead, (*server).listJobs},
	{"POST", "/jobs", gas.ScopeJobsWrite, (*server).submitJob},
	{"POST", "/uploads", gas.ScopeJobsWrite, (*server).createUpload},
	{"GET", "/jobs/{id}", gas.ScopeJobsRead, (*server).getJob},
	{"GET", "/jobs/{id}/result", gas.ScopeJobsRead, (*server).jobResult},
	{"GET", "/jobs/{id}/log", gas.ScopeJobsRead, (*server).jobLog},
	{"POST", "/jobs/{id}/cancel", gas.ScopeJobsWrite, (*server).cancelJob},
}

// NewHandler returns the API, to be mounted at Prefix (it expects the full
// path, /api/v1/…).
func NewHandler(cfg Config, d Deps) (http.Handler, error) {
	if d.Tokens == nil || d.Jobs == nil || d.Update == nil || d.Blobs == nil {
		return nil, errors.New("api: new handler: every dependency is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OnRateLimited == nil {
		cfg.OnRateLimited = func(string) {}
	}
	if len(cfg.Bundles) == 0 {
		cfg.Bundles = []string{cfg.DefaultBundle}
	}
	if cfg.FreeUploadLimit <= 0 || cfg.PremiumUploadLimit <= 0 || cfg.DefaultBundle == "" {
		return nil, errors.New("api: new handler: upload limits and the default bundle are required")
	}
	doc, err := openapi()
	if err != nil {
		return nil, err
	}
	limit := d.Limiters
	if limit == nil {
		limit = auth.MemoryLimiters
	}
	s := &server{cfg: cfg, d: d, log: cfg.Logger,
		// Ten wrong tokens in a row from one address, or for one token
		// prefix from anywhere, then one a second.
		failedAddr:   limit("api.token.address", time.Second, 10, cfg.Now),
		failedPrefix: limit("api.token.prefix", time.Second, 10, cfg.Now)}
	mux := http.NewServeMux()
	for _, rt := range routes {
		pattern := rt.method + " " + Prefix + rt.path
		if rt.handler == nil {
			mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
				metrics.SetRoute(r.Context(), pattern)
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(doc)
			})
			continue
		}
		mux.HandleFunc(pattern, s.authenticated(pattern, rt.scope, rt.handler))
	}
	mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		s.error(w, r, gas.Errorf(gas.ENOTFOUND, "No such API endpoint: %s %s.", r.Method, r.URL.Path))
	})
	return httpserver.Chain(mux, httpserver.RequestID(), httpserver.Log(s.log), s.recover), nil
}

// recover turns a panic into a JSON 500 (the site's Recover draws HTML).
func (s *server) recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "api: panic", "panic", v, "request_id", httpserver.RequestIDFrom(r.Context()))
				s.error(w, r, errors.New("panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// authenticated checks the bearer token and its scope before h runs.
func (s *server) authenticated(pattern, scope string, h func(*server, http.ResponseWriter, *http.Request, *gas.User)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		metrics.SetRoute(r.Context(), pattern)
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || secret == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gas"`)
			s.error(w, r, gas.Errorf(gas.EUNAUTH, "Send a personal access token: Authorization: Bearer gas_…"))
			return
		}
		secret = strings.TrimSpace(secret)
		u, tok, err := s.d.Tokens.TokenUser(r.Context(), secret)
		if err != nil {
			if gas.ErrorCode(err) == gas.EUNAUTH {
				if retry, limited := s.tokenFailure(s.cfg.Proxies.ClientIP(r), secret); limited {
					w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
					s.errorStatus(w, r, http.StatusTooManyRequests, "rate_limited",
						"Too many requests with invalid tokens; try again later.")
					return
				}
				w.Header().Set("WWW-Authenticate", `Bearer realm="gas", error="invalid_token"`)
			}
			s.error(w, r, err)
			return
		}
		if !tok.HasScope(scope) {
			s.errorStatus(w, r, http.StatusForbidden, gas.EFORBIDDEN, "This token lacks the "+scope+" scope.")
			return
		}
		h(s, w, r, u)
	}
}

// tokenFailure counts a failed token check against the client's address
// and against the token's prefix, and reports whether either is over its
// limit (the answer is then 429, not 401, with when to try again).
//
// The check always runs first, so a valid token is never refused because
// of other clients' failures — not behind a proxy or NAT that many clients
// share, not when someone hammers its prefix. Refusing good tokens from a
// "blocked" address would let one broken script lock a whole institution
// out of the API. What the limits buy is different: a token is 256 random
// bits, so guessing one is hopeless with or without them, but a client
// that keeps sending bad tokens is told to stop (Retry-After) and a
// targeted guess at one token (its prefix is shown in listings) is paced
// no matter how many addresses it comes from.
//
// An address already over its limit is not counted against prefixes: its
// answer is 429 either way, and prefixes it makes up must not fill memory
// at the rate it can send.
func (s *server) tokenFailure(addr, secret string) (time.Duration, bool) {
	if ok, retry := s.failedAddr.Allow(addr); !ok {
		s.cfg.OnRateLimited("token_address")
		return max(retry, time.Second), true
	}
	if p := tokenPrefix(secret); p != "" {
		if ok, retry := s.failedPrefix.Allow(p); !ok {
			s.cfg.OnRateLimited("token_prefix")
			return max(retry, time.Second), true
		}
	}
	return 0, false
}

// tokenPrefix is the part of a secret that the token listing shows
// (sqldb keeps the same length): "gas_" and six characters. Other
// strings are no token's prefix and count against the address only.
func tokenPrefix(secret string) string {
	const n = len("gas_") + 6
	if len(secret) < n || !strings.HasPrefix(secret, "gas_") {
		return ""
	}
	return secret[:n]
}

// error answers err as JSON: its code and user-facing message, or a generic
// internal error (logged with its cause) for anything else.
func (s *server) error(w http.ResponseWriter, r *http.Request, err error) {
	status := httpserver.StatusFor(err)
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "api: internal error", "err", err, "request_id", httpserver.RequestIDFrom(r.Context()))
	}
	httpserver.SetRetryAfter(w, err)
	s.errorStatus(w, r, status, gas.ErrorCode(err), gas.ErrorMessage(err))
}

func (s *server) errorStatus(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	httpserver.WriteJSONError(w, r, status, code, msg)
}

func (s *server) json(w http.ResponseWriter, status int, v any) {
	httpserver.WriteJSON(w, status, v)
}
