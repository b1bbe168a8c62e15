package web

import (
	"errors"
	"net/http"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/auth"
	"github.com/gas-project/gas/internal/httpserver"
)

// MinPasswordLen is the shortest password accepted at sign-up, in characters.
const MinPasswordLen = 8

// maxFormBytes bounds urlencoded form bodies; forms here are a few fields.
const maxFormBytes = 64 << 10

// signupView is the model of the sign-up page.
type signupView struct {
	base
	Email, Name, Error string
	MinPassword        int
}

func (s *server) signupForm(w http.ResponseWriter, r *http.Request) {
	if currentUser(r.Context()) != nil {
		http.Redirect(w, r, "/annotate", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "signup", signupView{base: s.baseFor(r, "Sign up"), MinPassword: MinPasswordLen})
}

func (s *server) signup(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	v := signupView{
		base:        s.baseFor(r, "Sign up"),
		Email:       normalizeEmail(r.PostFormValue("email")),
		Name:        strings.TrimSpace(r.PostFormValue("name")),
		MinPassword: MinPasswordLen,
	}
	password := r.PostFormValue("password")
	switch {
	case !validEmail(v.Email):
		v.Error = "Enter a valid email address."
	case utf8.RuneCountInString(password) < MinPasswordLen:
		v.Error = "Choose a password of at least 8 characters."
	case len(password) > auth.MaxPasswordBytes:
		v.Error = "That password is too long."
	case utf8.RuneCountInString(v.Name) > 200 || !utf8.ValidString(v.Name):
		v.Error = "The name is too long."
	}
	if v.Error != "" {
		s.render(w, r, http.StatusBadRequest, "signup", v)
		return
	}
	// Hashing is deliberately expensive; bound how often one address can ask for it.
	if ok, retry := s.ipLimit.Allow(s.clientIP(r)); !ok {
		s.cfg.OnRateLimited("signup_address")
		s.tooManyAttempts(w, r, retry)
		return
	}
	hash, err := auth.HashPassword(password, auth.DefaultParams)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	n, err := s.d.Users.CountUsers(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	u := &gas.User{Email: v.Email, Name: v.Name, PasswordHash: hash, Plan: gas.PlanFree,
		// The first account of a fresh installation administers it.
		Admin: n == 0}
	if err := s.d.Users.CreateUser(r.Context(), u); err != nil {
		if gas.ErrorCode(err) == gas.ECONFLICT {
			v.Error = "An account with this email already exists. Sign in instead."
			s.render(w, r, http.StatusConflict, "signup", v)
			return
		}
		s.serverError(w, r, err)
		return
	}
	if err := s.startSession(w, r, u); err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/annotate", http.StatusSeeOther)
}

// parseForm reads a bounded urlencoded body; on failure it has answered 400.
func (s *server) parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		if errors.Is(err, httpserver.ErrSlowBody) {
			s.renderError(w, r, http.StatusRequestTimeout, "The form took too long to arrive. Please send it again.")
			return false
		}
		s.renderError(w, r, http.StatusBadRequest, "The form could not be read.")
		return false
	}
	return true
}

// normalizeEmail trims and lower-cases an address; stores compare emails
// case-insensitively, and one spelling keeps sign-in limits per account.
func normalizeEmail(e string) string {
	return strings.ToLower(strings.TrimSpace(e))
}

// validEmail accepts a bare address (no display name) of sane length.
func validEmail(e string) bool {
	if len(e) > 254 || !strings.Contains(e, "@") {
		return false
	}
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e && a.Name == ""
}
