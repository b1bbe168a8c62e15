package auth

import (
	"net/http"
	"time"
)

// SessionCookieName is the name of the browser session cookie.
const SessionCookieName = "gas_session"

// SetSessionCookie sends the session token to the browser. HttpOnly keeps it
// away from scripts; SameSite=Lax keeps it off cross-site subrequests and
// POSTs while still allowing a link from an email to land signed in; Secure is
// set when the site is served over TLS.
// The lifetime is sent as Max-Age, which browsers count from receipt, so a
// skewed client clock does not shorten or extend the session.
func SetSessionCookie(w http.ResponseWriter, token string, ttl time.Duration, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookieName,
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
		Name:     SessionCookieName,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// SessionToken returns the session token the request carries, or "".
func SessionToken(r *http.Request) string {
	c, err := r.Cookie(SessionCookieName)
	if err != nil {
		return ""
	}
	return c.Value
}
