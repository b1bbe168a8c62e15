package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/httpserver"
)

// TokenStore authenticates personal access tokens (sqldb.DB implements
// it, as for the API).
type TokenStore interface {
	TokenUser(ctx context.Context, secret string) (*gas.User, *gas.Token, error)
}

// requireReader serves h to a signed-in user, or to a request that sends
// an API token with the jobs:read scope (Authorization: Bearer gas_…), so
// scripts can fetch filtered views and exports as the API's downloads. A
// bad token is a 401 (a missing one without a session: the sign-in
// redirect, as requireUser); failed tokens count against the address like
// sign-in attempts. Deps.Tokens nil: sessions only.
func (s *server) requireReader(h func(http.ResponseWriter, *http.Request, *gas.User)) http.HandlerFunc {
	session := s.requireUser(h)
	return func(w http.ResponseWriter, r *http.Request) {
		secret, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !bearer || s.d.Tokens == nil || currentUser(r.Context()) != nil {
			session(w, r)
			return
		}
		// A program sent it: every answer from here on, errors included,
		// is for a program (JSON errors as the API's, see renderErrorView).
		r = r.WithContext(context.WithValue(r.Context(), tokenRequestKey{}, true))
		ip := s.clientIP(r)
		w.Header().Set("Cache-Control", "private, no-store")
		if ok, retry := s.bearerLimit.Allow(ip); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds())+1))
			httpserver.WriteJSONError(w, r, http.StatusTooManyRequests, "rate_limited", "Too many requests with invalid tokens; try again later.")
			return
		}
		u, tok, err := s.d.Tokens.TokenUser(r.Context(), strings.TrimSpace(secret))
		if err != nil {
			if gas.ErrorCode(err) != gas.EUNAUTH {
				s.serverError(w, r, err)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="gas", error="invalid_token"`)
			httpserver.WriteJSONError(w, r, http.StatusUnauthorized, gas.EUNAUTH, "This token is not valid (unknown, revoked or expired).")
			return
		}
		// A good token does not use up the address's allowance.
		s.bearerLimit.Refund(ip)
		if !tok.HasScope(gas.ScopeJobsRead) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gas", error="insufficient_scope", scope="`+gas.ScopeJobsRead+`"`)
			httpserver.WriteJSONError(w, r, http.StatusForbidden, gas.EFORBIDDEN, "This token lacks the "+gas.ScopeJobsRead+" scope.")
			return
		}
		h(w, r, u)
	}
}

// tokenRequestKey marks a request authenticated by an API token.
type tokenRequestKey struct{}

// tokenRequest reports whether r was authenticated by an API token rather
// than a session: a script, which reads errors as JSON, not pages.
func tokenRequest(r *http.Request) bool {
	v, _ := r.Context().Value(tokenRequestKey{}).(bool)
	return v
}
