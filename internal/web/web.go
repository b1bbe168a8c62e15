// Package web is the server-rendered HTML site of GAS: sign-up and sign-in
// (local passwords, or an OpenID Connect provider such as Globus Auth),
// upload of a VCF to annotate, the list and details of a user's jobs and
// their downloads, the profile (password, API tokens, account deletion),
// the plans page with Stripe Checkout, and the admin page. It codes only against the store interfaces of package gas,
// so the same handlers run on SQLite and local files or on PostgreSQL and S3.
package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/auth"
	"github.com/gas-project/gas/internal/httpserver"
	"github.com/gas-project/gas/internal/submit"
)

// Default plan limits, used when Config leaves them zero.
const (
	DefaultFreeUploadLimit    = 150 * 1000             // 150 kB
	DefaultPremiumUploadLimit = 5 * 1000 * 1000 * 1000 // 5 GB
)

// SessionTTL is how long a browser session lasts after sign-in.
const SessionTTL = 14 * 24 * time.Hour

// Config tunes the site. It is filled from the service configuration by the
// caller; the zero value of each optional field picks a sensible default.
type Config struct {
	// FreeUploadLimit and PremiumUploadLimit cap the bytes of one upload per plan.
	// Zero means DefaultFreeUploadLimit and DefaultPremiumUploadLimit.
	FreeUploadLimit, PremiumUploadLimit int64
	// Limits gives each plan's limits of one input after decompression
	// (config.Config.Limits); nil keeps the old guard of 100 times the
	// upload limit.
	Limits func(gas.Plan) gas.PlanLimits
	// SecureCookies sets the Secure flag on session cookies and sends HSTS;
	// set it when the site is served over TLS.
	SecureCookies bool
	// BaseURL is the public URL of the site, e.g. https://gas.example.org.
	// Its origin is trusted for state-changing requests, which matters when
	// a proxy rewrites the Host header.
	BaseURL string
	// Version is shown in the footer.
	Version string
	// DefaultBundle is the reference bundle name recorded on new jobs.
	DefaultBundle string
	// Bundles are the reference bundles users may choose at upload, the
	// default first; with fewer than two the form offers no choice.
	Bundles []string
	// FreeRetention is how long a Free user's results stay before they are
	// archived; the subscribe page states it. Zero leaves it unstated.
	FreeRetention time.Duration
	// OIDC turns on sign-in through an OpenID Connect provider (Globus
	// Auth or another); nil means local accounts only.
	OIDC *auth.OIDC
	// NotificationsToFiles says notifications are written as .eml files to
	// the outbox folder (no mail server configured); the notifications page
	// tells the user so.
	NotificationsToFiles bool
	// BundleAssembly names the assembly of a reference bundle (its
	// manifest's "assembly", e.g. GRCh38) for the pre-flight check; nil, or
	// "" for a bundle, means a guess from the bundle's name.
	BundleAssembly func(bundle string) string
	// DirectUploadOrigin is the origin of the object store (e.g.
	// https://s3.eu-west-1.amazonaws.com) that browsers upload to directly
	// when Deps.Presigner is set; it is added to the CSP's connect-src.
	DirectUploadOrigin string
	// IndexCacheDir holds local copies of the variant indexes the browser
	// opens (downloaded once from the blob store); "" means a gas-variants
	// folder in the system temp dir.
	IndexCacheDir string
	// Proxies tells the client's address behind trusted proxies, for the
	// rate limits; the zero value takes the peer as the client.
	Proxies auth.Proxies
	// OnRateLimited is told each refusal by a rate limit (signin_account,
	// signin_address, signup_address), for metrics; nil: nobody is told.
	OnRateLimited func(limit string)
	// Logger receives request and error logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Deps is every dependency of the site, each named: the wiring
// (internal/cli) passes them and the site looks for nothing by itself. The
// first five are required; a nil optional one turns off what its comment
// says.
type Deps struct {
	Users    gas.UserStore
	Sessions gas.SessionStore
	Jobs     gas.JobStore
	Blobs    gas.BlobStore
	// Accounts backs provider sign-in, the profile (password, tokens,
	// deletion) and the admin page.
	Accounts AccountStore
	// Notifications lists the emails sent to a user; without it the
	// notifications page says they are not set up.
	Notifications NotificationStore
	// Cold is the archive that Free users' results move to; deleting an
	// account deletes its objects there too. Nil: no archive.
	Cold gas.ColdStore
	// Billing starts Stripe Checkout for an upgrade; nil means billing is
	// not configured and the subscribe page says how an admin changes plans.
	Billing Biller
	// Progress backs the live job pages (progress, queue place,
	// estimates); without it the pages show states only.
	Progress ProgressStore
	// Deleter deletes jobs for the delete button; without it deleting is
	// not offered.
	Deleter JobDeleter
	// Retrier queues a failed job again from the admin page; without it
	// the page offers no retry.
	Retrier JobRetrier
	// Uploads holds uploads waiting on their pre-flight report; without
	// it uploads are queued at once.
	Uploads UploadStore
	// Quota refuses uploads over the plan's limits of jobs at once and
	// uploads per hour (429) before their body is read; nil: the job
	// store's own check alone.
	Quota submit.Quota
	// Reindex queues a (re)build of a job's variant index
	// (jobs.QueueIndex); the browser asks for one when an index is
	// missing well after completion or is of an old format. Nil: it
	// does not ask.
	Reindex func(ctx context.Context, jobID string) error
	// IndexKeys forgets an index of an old format so the page waits for
	// the rebuild; nil: the old index stays in use.
	IndexKeys IndexKeyStore
	// Bundles opens the reference bundles offered, to say what each covers
	// on the upload form and to check an upload against the chosen one in
	// the pre-flight report; nil (a web server without the bundle folder):
	// the form names the bundles only and the report says coverage was not
	// checked.
	Bundles BundleOpener
	// Presigner, when set (job files in S3), lets the upload form send the
	// file straight to object storage instead of through this server, and
	// turns downloads into short-lived links to it. It is Blobs' own
	// capability, never another store's.
	Presigner gas.Presigner
	// Tokens lets the variant browser and its exports be fetched with an
	// API token (scope jobs:read) instead of a session; nil: sessions only.
	Tokens TokenStore
	// Limiters keeps the rate limits (sign-in, sign-up, tokens); the
	// database's (sqldb.DB.RateLimiter) makes every server sharing it
	// count together. Nil: each server counts on its own, in memory.
	Limiters auth.LimiterFunc
}

// server holds what every handler needs. Handlers are its methods, one
// file per page.
type server struct {
	cfg         Config
	d           Deps
	logger      *slog.Logger
	now         func() time.Time
	assets      *assets
	pages       map[string]*template.Template
	ipLimit     auth.RateLimiter // sign-ups and provider sign-ins started per client address
	acctLimit   auth.RateLimiter // failed sign-ins per account, from any address
	addrLimit   auth.RateLimiter // failed sign-ins per client address, to any account
	tokLimit    auth.RateLimiter // API tokens made per user
	pwLimit     auth.RateLimiter // current-password checks per user
	bearerLimit auth.RateLimiter // API-token attempts on the browser's pages per client IP
	example     []byte           // the demo VCF behind "Try the example"; nil hides it
	indexes     *indexCache      // open variant indexes of the browser
}

// NewHandler returns the whole site: pages, downloads, static assets and the
// middleware around them (request IDs, logging, recovery, security headers
// and cross-origin protection). Routes are listed in routes.go.
func NewHandler(cfg Config, d Deps) (http.Handler, error) {
	if d.Users == nil || d.Sessions == nil || d.Jobs == nil || d.Blobs == nil || d.Accounts == nil {
		return nil, errors.New("web: new handler: Deps.Users, Sessions, Jobs, Blobs and Accounts are required")
	}
	if cfg.FreeUploadLimit < 0 || cfg.PremiumUploadLimit < 0 {
		return nil, errors.New("web: new handler: upload limits must not be negative")
	}
	if cfg.FreeUploadLimit == 0 {
		cfg.FreeUploadLimit = DefaultFreeUploadLimit
	}
	if cfg.PremiumUploadLimit == 0 {
		cfg.PremiumUploadLimit = DefaultPremiumUploadLimit
	}
	s := &server{cfg: cfg, d: d, logger: cfg.Logger, now: cfg.Now, example: exampleVCF()}
	if s.logger == nil {
		s.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.cfg.OnRateLimited == nil {
		s.cfg.OnRateLimited = func(string) {}
	}
	if cfg.IndexCacheDir == "" {
		cfg.IndexCacheDir = filepath.Join(os.TempDir(), "gas-variants")
	}
	s.indexes = newIndexCache(cfg.IndexCacheDir, d.Blobs, defaultOpenIndexes)
	// Sign-in failures (docs/deploy.md, "Rate limits"): five per account
	// from anywhere, then one every 12 s; thirty per address across
	// accounts, then one every 2 s. Only failures count, and both refill,
	// so an honest user is never locked out for long. Sign-ups and
	// provider sign-ins cost a row each: thirty per address, then one a
	// second.
	// The limits are kept where Deps.Limiters says: in the database when
	// several servers share it, so that they count together.
	limit := d.Limiters
	if limit == nil {
		limit = auth.MemoryLimiters
	}
	s.acctLimit = limit("web.signin.account", 12*time.Second, 5, s.now)
	s.addrLimit = limit("web.signin.address", 2*time.Second, 30, s.now)
	s.ipLimit = limit("web.newaccount.address", time.Second, 30, s.now)
	// Tokens are long-lived credentials: ten at once, then one a minute,
	// bounds what a stolen session can mint. Password checks are held to
	// the same pace as sign-in for one account.
	s.tokLimit = limit("web.tokens.user", time.Minute, 10, s.now)
	s.pwLimit = limit("web.password.user", 12*time.Second, 5, s.now)
	// Tokens on the browser's pages: a script's steady use is fine; 30
	// failures from one address, then one a second, as sign-in.
	s.bearerLimit = limit("web.bearer.address", time.Second, 30, s.now)

	var err error
	if s.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	funcs := s.funcs()
	// oidcName is the provider's display name for the "Sign in with …"
	// buttons of the sign-in and sign-up pages; empty without a provider.
	funcs["oidcName"] = func() string {
		if cfg.OIDC == nil {
			return ""
		}
		return cfg.OIDC.Name()
	}
	if s.pages, err = parseTemplates(funcs); err != nil {
		return nil, err
	}
	cross, err := httpserver.CrossOrigin(s.renderError, cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("web: new handler: %w", err)
	}
	return httpserver.Chain(s.routes(),
		httpserver.RequestID(),
		httpserver.Log(s.logger),
		httpserver.SecurityHeaders(cfg.SecureCookies, cfg.DirectUploadOrigin),
		httpserver.Recover(s.logger, s.renderError),
		cross,
		s.loadUser,
	), nil
}
