package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/httpserver"
)

// IdentityStore keeps provider sign-ins in progress and the identities
// linked to accounts (sqldb.DB implements it).
type IdentityStore interface {
	SaveLoginFlow(ctx context.Context, state string, f gas.LoginFlow) error
	// TakeLoginFlow returns the flow once; EUNAUTH when unknown, used or expired.
	TakeLoginFlow(ctx context.Context, state string) (gas.LoginFlow, error)
	// SignInIdentity finds or creates the identity's account.
	SignInIdentity(ctx context.Context, id gas.Identity) (*gas.User, bool, error)
	// LinkIdentity links an identity to a signed-in user; ECONFLICT when
	// it belongs to another account.
	LinkIdentity(ctx context.Context, userID int64, id gas.Identity) error
	UserIdentities(ctx context.Context, userID int64) ([]gas.Identity, error)
}

// errorCodeRE matches OAuth 2.0 error codes (RFC 6749, 4.1.2.1).
var errorCodeRE = regexp.MustCompile(`^[a-z_]{1,40}$`)

// loginFlowTTL is how long a provider sign-in may take, from leaving the
// site to coming back.
const loginFlowTTL = 10 * time.Minute

// oidcStateCookie holds the state of the provider sign-in this browser
// started; the callback must bring back the same value. Over TLS it gets
// the __Host- prefix, like the session cookie, so a sibling subdomain
// cannot plant one.
func oidcStateCookie(secure bool) string {
	if secure {
		return "__Host-gas_oidc_state"
	}
	return "gas_oidc_state"
}

// oidcStart sends the browser to the provider. A signed-in user comes here
// from the profile page to link the provider; the callback then links
// instead of signing in.
func (s *server) oidcStart(w http.ResponseWriter, r *http.Request) {
	if s.cfg.OIDC == nil {
		s.renderError(w, r, http.StatusNotFound, "")
		return
	}
	// Each start writes a row and may contact the provider; hold one
	// address to the pace of sign-in attempts.
	if ok, retry := s.ipLimit.Allow(s.clientIP(r)); !ok {
		s.cfg.OnRateLimited("signup_address")
		s.tooManyAttempts(w, r, retry)
		return
	}
	next := safeNext(r.URL.Query().Get("next"))
	authURL, state, flow, err := s.cfg.OIDC.Start(r.Context())
	if err != nil {
		s.providerError(w, r, err)
		return
	}
	flow.Next = next
	flow.Expires = s.now().Add(loginFlowTTL)
	if err := s.d.Accounts.SaveLoginFlow(r.Context(), state, flow); err != nil {
		s.serverError(w, r, err)
		return
	}
	// Lax: the provider's redirect back is a top-level GET, which carries it.
	http.SetCookie(w, &http.Cookie{Name: oidcStateCookie(s.cfg.SecureCookies), Value: state, Path: "/",
		MaxAge: int(loginFlowTTL / time.Second), HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, authURL, http.StatusSeeOther)
}

// oidcCallback finishes a provider sign-in: the state must be the one this
// browser was given (else the login was started elsewhere: login CSRF), the
// flow is used once, and the code and ID token are checked by auth.OIDC.
func (s *server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if s.cfg.OIDC == nil {
		s.renderError(w, r, http.StatusNotFound, "")
		return
	}
	q := r.URL.Query()
	state := q.Get("state")
	var cookie string
	if c, err := r.Cookie(oidcStateCookie(s.cfg.SecureCookies)); err == nil {
		cookie = c.Value
	}
	// Whatever happens next, this state is spent.
	http.SetCookie(w, &http.Cookie{Name: oidcStateCookie(s.cfg.SecureCookies), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	name := s.cfg.OIDC.Name()
	if e := q.Get("error"); e != "" {
		if state != "" && cookie == state {
			// Drop the abandoned flow; an error here changes nothing for the user.
			_, _ = s.d.Accounts.TakeLoginFlow(r.Context(), state)
		}
		// Only the error code is shown, and only when it looks like one:
		// the query is anyone's to write, and a free-text description
		// would let a crafted link put any words on this site's page.
		msg := fmt.Sprintf("%s did not sign you in.", name)
		if e == "access_denied" {
			msg = fmt.Sprintf("Sign-in with %s was cancelled or refused.", name)
		} else if errorCodeRE.MatchString(e) {
			msg = fmt.Sprintf("%s did not sign you in (error %s).", name, e)
		}
		s.signinFailed(w, r, http.StatusUnauthorized, msg)
		return
	}
	if state == "" || cookie == "" || subtle.ConstantTimeCompare([]byte(state), []byte(cookie)) != 1 {
		s.signinFailed(w, r, http.StatusBadRequest,
			"This sign-in response was tampered with or has expired: it does not belong to a sign-in started in this browser. Please sign in again.")
		return
	}
	flow, err := s.d.Accounts.TakeLoginFlow(r.Context(), state)
	if err != nil {
		if gas.ErrorCode(err) == gas.EUNAUTH {
			s.signinFailed(w, r, http.StatusBadRequest, gas.ErrorMessage(err))
			return
		}
		s.serverError(w, r, err)
		return
	}
	id, err := s.cfg.OIDC.Finish(r.Context(), q.Get("code"), flow)
	if err != nil {
		s.providerError(w, r, err)
		return
	}
	if u := currentUser(r.Context()); u != nil {
		s.linkIdentity(w, r, u, id, flow.Next)
		return
	}
	u, _, err := s.d.Accounts.SignInIdentity(r.Context(), id)
	if err != nil {
		if c := gas.ErrorCode(err); c == gas.ECONFLICT || c == gas.EINVALID {
			s.signinFailed(w, r, httpserver.StatusFor(err), gas.ErrorMessage(err))
			return
		}
		s.serverError(w, r, err)
		return
	}
	if err := s.startSession(w, r, u); err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, orDefault(safeNext(flow.Next), "/annotate"), http.StatusSeeOther)
}

// linkIdentity adds a provider identity to the signed-in account (from the
// profile page's "Link" button); the session is kept as it is.
func (s *server) linkIdentity(w http.ResponseWriter, r *http.Request, u *gas.User, id gas.Identity, next string) {
	if err := s.d.Accounts.LinkIdentity(r.Context(), u.ID, id); err != nil {
		if gas.ErrorCode(err) == gas.ECONFLICT {
			s.renderErrorView(w, r, errorView{Status: http.StatusConflict, Message: gas.ErrorMessage(err),
				Back: "/profile", BackLabel: "Back to your profile"})
			return
		}
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, orDefault(safeNext(next), "/profile#identities"), http.StatusSeeOther)
}

// providerError shows a failure of the provider or of its answer with the
// message auth.OIDC wrote for the user; the cause goes to the log only.
func (s *server) providerError(w http.ResponseWriter, r *http.Request, err error) {
	var ge *gas.Error
	if !errors.As(err, &ge) || ge.Message == "" {
		s.serverError(w, r, err)
		return
	}
	s.logger.LogAttrs(r.Context(), slog.LevelWarn, "provider sign-in failed",
		slog.String("request_id", httpserver.RequestIDFrom(r.Context())), slog.String("err", err.Error()))
	s.signinFailed(w, r, httpserver.StatusFor(err), ge.Message)
}

// signinFailed draws a sign-in failure with a way back to the sign-in page
// (or the profile, for a signed-in user linking a provider).
func (s *server) signinFailed(w http.ResponseWriter, r *http.Request, status int, msg string) {
	v := errorView{Status: status, Message: msg, Back: "/signin", BackLabel: "Back to sign in"}
	if currentUser(r.Context()) != nil {
		v.Back, v.BackLabel = "/profile", "Back to your profile"
	}
	s.renderErrorView(w, r, v)
}
