package httpserver

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// ContentSecurityPolicy allows only the site's own scripts, styles and
// images (plus data: images, which Bootstrap's CSS uses for form icons), and
// forbids inline scripts, plugins, foreign form targets and framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// SecurityHeaders sets the headers every response carries. hsts adds
// Strict-Transport-Security and should be on only when the site is served
// over TLS. connect lists origins the site's scripts may also send
// requests to (object storage for direct uploads); each is added to the
// policy's connect-src.
func SecurityHeaders(hsts bool, connect ...string) Middleware {
	csp := ContentSecurityPolicy
	for _, o := range connect {
		if o != "" && !strings.ContainsAny(o, " ;'\"") {
			csp = strings.Replace(csp, "connect-src 'self'", "connect-src 'self' "+o, 1)
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("X-Frame-Options", "DENY") // for browsers that predate frame-ancestors
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			if hsts {
				h.Set("Strict-Transport-Security", "max-age=31536000")
			}
			next.ServeHTTP(w, r)
		})
	}
}

// CrossOrigin refuses state-changing requests (anything but GET, HEAD,
// OPTIONS) that a browser marks as coming from another origin, using Go's
// http.CrossOriginProtection (Sec-Fetch-Site, then Origin against Host).
// trustedOrigins (e.g. the public base URL when a proxy rewrites Host) are
// accepted too. Refusals are drawn by render as a 403 page.
func CrossOrigin(render ErrorRenderer, trustedOrigins ...string) (Middleware, error) {
	cop := http.NewCrossOriginProtection()
	for _, o := range trustedOrigins {
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("httpserver: trusted origin %q: not an absolute URL", o)
		}
		if err := cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			return nil, fmt.Errorf("httpserver: trusted origin %q: %w", o, err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		render(w, r, http.StatusForbidden, "This request came from another site and was refused. Go back to the page, reload it and try again.")
	}))
	return cop.Handler, nil
}
