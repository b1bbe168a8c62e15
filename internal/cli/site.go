package cli

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/gas-project/gas"

	"github.com/gas-project/gas/internal/api"
	"github.com/gas-project/gas/internal/auth"
	"github.com/gas-project/gas/internal/billing"
	"github.com/gas-project/gas/internal/blob/s3blob"
	"github.com/gas-project/gas/internal/config"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/web"
)

// siteHandler is what a process serves besides /healthz, /readyz and
// /metrics: for the web role the HTML site, the JSON API under /api/v1 and
// the Stripe webhook; for a worker, nothing. The API and the webhook sit
// outside the site's middleware: they authenticate by token and by
// signature, not by cookie, so cross-origin protection does not apply.
// bundles is this process's reference bundle directory (nil in a web-only
// process, which then guesses a bundle's assembly from its name).
func siteHandler(ctx context.Context, cfg config.Config, svc *services, r role, baseURL string, bundles *jobs.BundleDir, logger *slog.Logger) (http.Handler, error) {
	if !r.web {
		return http.NotFoundHandler(), nil
	}
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
	deps := web.Deps{Users: svc.db, Sessions: svc.db, Jobs: svc.store, Blobs: svc.blobs, Notifications: svc.db,
		Accounts: svc.db, Cold: svc.cold,
		// The variant browser asks for an index that is missing or of an
		// old format to be built again.
		Reindex: func(ctx context.Context, id string) error { return jobs.QueueIndex(ctx, svc.ins.Client(), id) }}
	var directOrigin string
	if st, ok := svc.blobs.(*s3blob.Store); ok {
		// Browsers upload straight to the bucket: they need a presigned
		// request, the bucket's CORS consent for this site, and the
		// bucket's origin in the page's connect-src.
		deps.PresignPut = func(ctx context.Context, key string, size int64, ttl time.Duration) (web.PresignedPut, error) {
			p, err := st.PresignPut(ctx, key, size, ttl)
			return web.PresignedPut(p), err
		}
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
	var assembly func(string) string
	if bundles != nil {
		assembly = func(name string) string {
			b, err := bundles.Bundle(ctx, name)
			if err != nil || b.Manifest() == nil {
				return ""
			}
			return b.Manifest().Assembly
		}
	}
	if bill != nil { // a nil *billing.Service in the interface would not read as "no billing"
		deps.Billing = bill
	}
	site, err := web.NewHandler(web.Config{
		FreeUploadLimit:      cfg.FreeUploadLimit,
		PremiumUploadLimit:   cfg.PremiumUploadLimit,
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
		BundleAssembly:       assembly,
		Logger:               logger,
	}, deps)
	if err != nil {
		return nil, err
	}
	apiHandler, err := api.NewHandler(api.Config{FreeUploadLimit: cfg.FreeUploadLimit, PremiumUploadLimit: cfg.PremiumUploadLimit,
		DefaultBundle: cfg.DefaultBundle, Bundles: cfg.OfferedBundles(), BaseURL: baseURL, Logger: logger},
		api.Deps{Tokens: svc.db, Jobs: svc.store, Update: svc.store, Blobs: svc.blobs, Presign: presigner(svc.blobs), Records: svc.db})
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

// presigner offers direct uploads when job files live in S3: clients then
// send large files straight to the object store, not through web servers.
func presigner(blobs gas.BlobStore) api.Presign {
	st, ok := blobs.(*s3blob.Store)
	if !ok {
		return nil
	}
	return func(ctx context.Context, key string, size int64, ttl time.Duration) (api.PresignedPut, error) {
		p, err := st.PresignPut(ctx, key, size, ttl)
		return api.PresignedPut(p), err
	}
}
