package web

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/auth"
	"github.com/gas-project/gas/internal/httpserver"
)

// wrongCredentials is the only failure message of sign-in, so it does not
// reveal whether an account exists.
const wrongCredentials = "Wrong email or password."

// signinView is the model of the sign-in page.
type signinView struct {
	base
	Email, Next, Error string
}

func (s *server) signinForm(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if currentUser(r.Context()) != nil {
		http.Redirect(w, r, orDefault(next, "/annotate"), http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "signin", signinView{base: s.baseFor(r, "Sign in"), Next: next})
}

func (s *server) signin(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	v := signinView{
		base:  s.baseFor(r, "Sign in"),
		Email: normalizeEmail(r.PostFormValue("email")),
		Next:  safeNext(r.PostFormValue("next")),
	}
	password := r.PostFormValue("password")
	// An attempt is taken from the account's and the address's allowance
	// before the check and given back when the password is right, so only
	// failures count — taking first means parallel guesses cannot all slip
	// through before any failure is recorded. The account is asked first:
	// guesses it refuses are not checked and cost the address nothing, so
	// someone hammering one account does not lock out the others who share
	// the address (a NAT, a proxy). An unknown email is limited like a
	// real one, so the limits do not reveal which accounts exist.
	acct, addr := v.Email, s.clientIP(r)
	if ok, retry := s.acctLimit.Allow(acct); !ok {
		s.cfg.OnRateLimited("signin_account")
		s.tooManyAttempts(w, r, retry)
		return
	}
	if ok, retry := s.addrLimit.Allow(addr); !ok {
		s.acctLimit.Refund(acct)
		s.cfg.OnRateLimited("signin_address")
		s.tooManyAttempts(w, r, retry)
		return
	}
	u, err := s.d.Users.UserByEmail(r.Context(), v.Email)
	switch {
	case gas.ErrorCode(err) == gas.ENOTFOUND || (err == nil && u.PasswordHash == ""):
		// Same work as a wrong password, so timing does not reveal accounts.
		auth.SpendVerifyTime(password)
		v.Error = wrongCredentials
		s.render(w, r, http.StatusUnauthorized, "signin", v)
		return
	case err != nil:
		s.acctLimit.Refund(acct)
		s.addrLimit.Refund(addr)
		s.serverError(w, r, fmt.Errorf("sign in: %w", err))
		return
	}
	ok, err := auth.VerifyPassword(u.PasswordHash, password)
	if err != nil {
		// A corrupt hash is an operator problem; the user learns nothing more.
		s.logger.LogAttrs(r.Context(), slog.LevelError, "verify password",
			slog.String("request_id", httpserver.RequestIDFrom(r.Context())),
			slog.Int64("user_id", u.ID), slog.String("err", err.Error()))
	}
	if !ok {
		v.Error = wrongCredentials
		s.render(w, r, http.StatusUnauthorized, "signin", v)
		return
	}
	s.acctLimit.Refund(acct)
	s.addrLimit.Refund(addr)
	if err := s.startSession(w, r, u); err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, orDefault(v.Next, "/annotate"), http.StatusSeeOther)
}

// startSession gives the user a fresh session and cookie. Any session the
// browser already carried is deleted first, so an ID planted before sign-in
// (session fixation) never becomes authenticated.
func (s *server) startSession(w http.ResponseWriter, r *http.Request, u *gas.User) error {
	if old := auth.SessionToken(r, s.cfg.SecureCookies); old != "" {
		if err := s.d.Sessions.DeleteSession(r.Context(), old); err != nil && gas.ErrorCode(err) != gas.ENOTFOUND {
			return fmt.Errorf("start session: delete old: %w", err)
		}
	}
	tok, err := s.d.Sessions.CreateSession(r.Context(), u.ID, s.now().Add(SessionTTL),
		gas.SessionClient{UserAgent: r.UserAgent(), Address: s.clientIP(r)})
	if err != nil {
		return fmt.Errorf("start session: %w", err)
	}
	auth.SetSessionCookie(w, tok, SessionTTL, s.cfg.SecureCookies)
	return nil
}

// tooManyAttempts answers 429 with Retry-After in whole seconds.
func (s *server) tooManyAttempts(w http.ResponseWriter, r *http.Request, retry time.Duration) {
	secs := int(math.Ceil(retry.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.renderErrorView(w, r, errorView{
		Status:    http.StatusTooManyRequests,
		Message:   fmt.Sprintf("Too many sign-in attempts. Please wait %d seconds and try again.", secs),
		Back:      "/signin",
		BackLabel: "Back to sign in",
	})
}

// clientIP is the address of the client: the peer, or behind a trusted
// proxy (Config.Proxies) the address the proxy saw.
func (s *server) clientIP(r *http.Request) string {
	return s.cfg.Proxies.ClientIP(r)
}

// safeNext keeps a post-sign-in target only if it is a path on this site,
// so the sign-in page cannot be used to redirect users elsewhere.
// Backslashes and control characters are refused outright: browsers read
// "/\host" and "/<tab>/host" (they drop tabs) as "//host", another site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return ""
	}
	for i := 0; i < len(next); i++ {
		if next[i] < 0x20 || next[i] == 0x7f {
			return ""
		}
	}
	return next
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
