package cli

import (
	"context"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/gas-project/gas/internal/api"
	"github.com/gas-project/gas/internal/auth"
	"github.com/gas-project/gas/internal/billing"
	"github.com/gas-project/gas/internal/blob/s3blob"
	"github.com/gas-project/gas/internal/config"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/web"
)

// isUpload tells the request-body deadlines which requests carry a file:
// a multipart POST to the upload form or to the API's job submission.
// They must keep up a minimum rate instead of finishing within the short
// deadline of every other body.
func isUpload(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "multipart/form-data" {
		return false
	}
	return r.URL.Path == "/annotate" || r.URL.Path == api.Prefix+"/jobs"
}

// siteHandler is what a web process serves besides /healthz, /readyz and
// /metrics: the HTML site, the JSON API under /api/v1, River's queue UI
// for administrators and the Stripe webhook. The API and the webhook sit
// outside the site's middleware: they authenticate by token and by
// signature, not by cookie, so cross-origin protection does not apply.
// bundles is the reference bundle directory the site reads manifests and
// coverage from (nil: none, the site then guesses a bundle's assembly from
// its name and does not check coverage). ctx
// bounds the background work of the handlers (River UI).
func siteHandler(ctx context.Context, cfg config.Config, svc *services, baseURL string, bundles *jobs.BundleDir, logger *slog.Logger) (http.Handler, error) {
	var bill *billing.Service
	if cfg.StripeSecretKey != "" {
		var err error
		if bill, err = billing.New(billing.Config{SecretKey: cfg.StripeSecretKey, WebhookSecret: cfg.StripeWebhookSecret,
			PriceID: cfg.StripePriceID, BaseURL: baseURL, APIURL: cfg.StripeAPIURL, Logger: logger}, svc.db); err != nil {
			return nil, err
		}
	}
	var oidc *auth.OIDC
	if name, issuer, ok := cfg.OIDC(); ok {
		var err error
		if oidc, err = auth.NewOIDC(auth.OIDCConfig{Name: name, Issuer: issuer, ClientID: cfg.OIDCClientID,
			ClientSecret: cfg.OIDCClientSecret, RedirectURL: strings.TrimSuffix(baseURL, "/") + "/auth/oidc/callback"}); err != nil {
			return nil, err
		}
	}
	db := svc.db
	deps := web.Deps{Users: db, Sessions: db, Jobs: svc.store, Blobs: svc.blobs, Accounts: db,
		Notifications: db, Cold: svc.cold, Progress: db, Deleter: db, Retrier: svc.store, Uploads: db, Quota: db, IndexKeys: db,
		Presigner: svc.presign, Tokens: db, Limiters: db.RateLimiter,
		// The variant browser asks for an index that is missing or of an
		// old format to be built again.
		Reindex: func(ctx context.Context, id string) error { return jobs.QueueIndex(ctx, svc.ins.Client(), id) }}
	if bill != nil { // a nil *billing.Service in the interface would not read as "no billing"
		deps.Billing = bill
	}
	var directOrigin string
	if st, ok := svc.presign.(*s3blob.Store); ok {
		// Browsers upload straight to the bucket: they need the bucket's
		// CORS consent for this site, and the bucket's origin in the page's
		// connect-src.
		if p, err := st.PresignPut(ctx, "user/0/origin-probe/x.vcf", 1, time.Minute); err == nil {
			if u, err := url.Parse(p.URL); err == nil {
				directOrigin = u.Scheme + "://" + u.Host
			}
		}
		if site, err := url.Parse(baseURL); err == nil {
			if err := st.AllowBrowserOrigins(ctx, []string{site.Scheme + "://" + site.Host}); err != nil {
				logger.Warn("could not let browsers upload to the bucket directly (set its CORS rules by hand)", "err", err)
			}
		}
	}
	if bundles != nil { // a nil *jobs.BundleDir in the interface would not read as "no bundles"
		deps.Bundles = bundles
	}
	site, err := web.NewHandler(web.Config{
		FreeUploadLimit:      cfg.FreeUploadLimit,
		PremiumUploadLimit:   cfg.PremiumUploadLimit,
		Limits:               cfg.Limits,
		FreeRetention:        cfg.FreeRetention,
		OIDC:                 oidc,
		SecureCookies:        strings.HasPrefix(baseURL, "https://"),
		BaseURL:              cfg.BaseURL,
		Version:              version(),
		DefaultBundle:        cfg.DefaultBundle,
		Bundles:              cfg.OfferedBundles(),
		NotificationsToFiles: cfg.SMTPURL == "",
		IndexCacheDir:        filepath.Join(cfg.DataDir, "variant-cache"),
		DirectUploadOrigin:   directOrigin,
		Proxies:              auth.NewProxies(cfg.TrustedProxies),
		OnRateLimited:        svc.metrics.ObserveRateLimited,
		Logger:               logger,
	}, deps)
	if err != nil {
		return nil, err
	}
	apiHandler, err := api.NewHandler(api.Config{FreeUploadLimit: cfg.FreeUploadLimit, PremiumUploadLimit: cfg.PremiumUploadLimit, Limits: cfg.Limits,
		DefaultBundle: cfg.DefaultBundle, Bundles: cfg.OfferedBundles(), BaseURL: baseURL,
		Proxies: auth.NewProxies(cfg.TrustedProxies), OnRateLimited: svc.metrics.ObserveRateLimited, Logger: logger},
		api.Deps{Tokens: db, Jobs: svc.store, Update: svc.store, Blobs: svc.blobs, Presign: svc.presign, Quota: db, Pending: db,
			Limiters: db.RateLimiter})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(api.Prefix+"/", apiHandler)
	if bill != nil {
		mux.Handle("POST /stripe/webhook", bill.Webhook())
	}
	ui, err := queueUI(ctx, svc, strings.HasPrefix(baseURL, "https://"), cfg.BaseURL, logger)
	if err != nil {
		return nil, err
	}
	mux.Handle(queueUIPrefix, ui)
	mux.Handle(queueUIPrefix+"/", ui)
	mux.Handle("/", site)
	return mux, nil
}
