// Package web is the server-rendered HTML site of GAS: sign-up and sign-in,
// upload of a VCF to annotate, the list and details of a user's jobs and
// their downloads. It codes only against the store interfaces of package gas,
// so the same handlers run on SQLite and local files or on PostgreSQL and S3.
package web

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gas-project/gas"
)

// Config tunes the site. It is filled from the service configuration by the
// caller; the zero value of each optional field picks a sensible default.
type Config struct {
	// FreeUploadLimit and PremiumUploadLimit cap the bytes of one upload per plan.
	// Zero means 150 KB for Free and 5 GB for Premium.
	FreeUploadLimit, PremiumUploadLimit int64
	// SecureCookies sets the Secure flag on session cookies (serve over TLS).
	SecureCookies bool
	// BaseURL is the public URL of the site, e.g. https://gas.example.org.
	BaseURL string
	// Version is shown in the footer.
	Version string
	// DefaultBundle is the reference bundle name recorded on new jobs.
	DefaultBundle string
	// Logger receives request and error logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Deps are the stores the site reads and writes.
type Deps struct {
	Users    gas.UserStore
	Sessions gas.SessionStore
	Jobs     gas.JobStore
	Blobs    gas.BlobStore
}

// NewHandler returns the whole site: pages, downloads, static assets and the
// middleware around them (request IDs, logging, recovery, security headers
// and cross-origin protection).
func NewHandler(cfg Config, d Deps) (http.Handler, error) {
	if d.Users == nil || d.Sessions == nil || d.Jobs == nil || d.Blobs == nil {
		return nil, errors.New("web: new handler: every store in Deps is required")
	}
	return nil, errors.New("web: new handler: not implemented yet")
}
