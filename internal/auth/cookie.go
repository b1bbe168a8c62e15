package auth

import (
	"net/http"
	"time"
)

// SessionCookieName is the name of the browser session cookie on plain HTTP.
const SessionCookieName = "gas_session"

// SecureSessionCookieName is its name over TLS. Browsers accept a __Host-
// cookie only if it is Secure, has Path=/ and no Domain, so a sibling
// subdomain cannot plant or overwrite it.
const SecureSessionCookieName = "__Host-" + SessionCookieName

// CookieName returns the session cookie name for a site served with
// (secure) or without TLS.
func CookieName(secure bool) string {
	if secure {
		return SecureSessionCookieName
	}
	return SessionCookieName
}

// SetSessionCookie sends the session token to the browser. HttpOnly keeps it
// away from scripts; SameSite=Lax keeps it off cross-site subrequests and
// POSTs while still allowing a link from an email to land signed in; Secure is
// set when the site is served over TLS.
// The lifetime is sent as Max-Age, which browsers count from receipt, so a
// skewed client clock does not shorten or extend the session.
func SetSessionCookie(w http.ResponseWriter, token string, ttl time.Duration, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName(secure),
		Value:    token,
		Path:     "/",
		MaxAge:   int(ttl / time.Second),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// ClearSessionCookie tells the browser to forget the session cookie.
func ClearSessionCookie(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName(secure),
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// SessionToken returns the session token the request carries, or "".
// secure must match the one given to SetSessionCookie.
func SessionToken(r *http.Request, secure bool) string {
	c, err := r.Cookie(CookieName(secure))
	if err != nil {
		return ""
	}
	return c.Value
}
