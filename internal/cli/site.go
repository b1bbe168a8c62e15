package cli

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/gas-project/gas/internal/api"
	"github.com/gas-project/gas/internal/billing"
	"github.com/gas-project/gas/internal/config"
	"github.com/gas-project/gas/internal/web"
)

// siteHandler is what a process serves besides /healthz, /readyz and
// /metrics: for the web role the HTML site, the JSON API under /api/v1 and
// the Stripe webhook; for a worker, nothing. The API and the webhook sit
// outside the site's middleware: they authenticate by token and by
// signature, not by cookie, so cross-origin protection does not apply.
func siteHandler(cfg config.Config, svc *services, r role, baseURL string, logger *slog.Logger) (http.Handler, error) {
	if !r.web {
		return http.NotFoundHandler(), nil
	}
	site, err := web.NewHandler(web.Config{
		FreeUploadLimit:      cfg.FreeUploadLimit,
		PremiumUploadLimit:   cfg.PremiumUploadLimit,
		SecureCookies:        strings.HasPrefix(baseURL, "https://"),
		BaseURL:              cfg.BaseURL,
		Version:              version(),
		DefaultBundle:        cfg.DefaultBundle,
		NotificationsToFiles: cfg.SMTPURL == "",
		Logger:               logger,
	}, web.Deps{Users: svc.db, Sessions: svc.db, Jobs: svc.store, Blobs: svc.blobs, Notifications: svc.db})
	if err != nil {
		return nil, err
	}
	apiHandler, err := api.NewHandler(api.Config{FreeUploadLimit: cfg.FreeUploadLimit, PremiumUploadLimit: cfg.PremiumUploadLimit,
		DefaultBundle: cfg.DefaultBundle, BaseURL: baseURL, Logger: logger},
		api.Deps{Tokens: svc.db, Jobs: svc.store, Update: svc.store, Blobs: svc.blobs})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(api.Prefix+"/", apiHandler)
	if cfg.StripeSecretKey != "" {
		b, err := billing.New(billing.Config{SecretKey: cfg.StripeSecretKey, WebhookSecret: cfg.StripeWebhookSecret,
			PriceID: cfg.StripePriceID, BaseURL: baseURL, APIURL: cfg.StripeAPIURL, Logger: logger}, svc.db)
		if err != nil {
			return nil, err
		}
		mux.Handle("POST /stripe/webhook", b.Webhook())
	}
	mux.Handle("/", site)
	return mux, nil
}
