package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/auth"
	"github.com/gas-project/gas/internal/httpserver"
)

// ProfileStore is what the profile page changes (sqldb.DB implements it).
type ProfileStore interface {
	// CreateToken returns the token's secret, shown once, and its listing.
	CreateToken(ctx context.Context, userID int64, name string, scopes []string, expires time.Time) (string, *gas.Token, error)
	ListTokens(ctx context.Context, userID int64) ([]*gas.Token, error)
	// RevokeToken is ENOTFOUND for another user's token.
	RevokeToken(ctx context.Context, userID, tokenID int64) error
	// SetPassword sets the hash and ends every session of the user but
	// keep's, in one transaction.
	SetPassword(ctx context.Context, userID int64, hash, keep string) error
	// ListSessions lists the user's live sessions, current's marked.
	ListSessions(ctx context.Context, userID int64, current string) ([]gas.Session, error)
	// EndSession ends one of the user's sessions by its listed ID;
	// ENOTFOUND for any other.
	EndSession(ctx context.Context, userID int64, id string) error
	// EndSessions ends every session of the user but keep's ("" ends all).
	EndSessions(ctx context.Context, userID int64, keep string) (int64, error)
	// UnlinkIdentity removes a provider identity and ends every session of
	// the user but keep's; ECONFLICT for the account's last way to sign in.
	UnlinkIdentity(ctx context.Context, userID int64, issuer, subject, keep string) error
	// DeleteUser removes the account and, by cascade, its rows.
	DeleteUser(ctx context.Context, userID int64) error
}

// maxTokenDays bounds a token's chosen lifetime (ten years).
const maxTokenDays = 3650

// scopeOption is one checkbox of the token form.
type scopeOption struct {
	Value, Label string
	Checked      bool
}

// tokenItem is one row of the token list.
type tokenItem struct {
	*gas.Token
	Status string // active, expired or revoked
}

// profileView is the model of the profile page.
type profileView struct {
	base
	Account     *gas.User // read fresh: the session's copy lacks the institution
	HasPassword bool
	MinPassword int
	Identities  []gas.Identity
	OIDCName    string // the provider to link; empty when none is configured
	Tokens      []tokenItem
	Scopes      []scopeOption
	Sessions    []gas.Session
	// Form state and outcomes, one per form.
	Notice        string
	PasswordError string
	TokenError    string
	TokenName     string
	ExpiresDays   string
	NewToken      string // the secret of the token just made: shown this once
	NewTokenName  string
	DeleteError   string
	IdentityError string
}

// profileData reads what the profile page shows for u.
func (s *server) profileData(r *http.Request, u *gas.User) (profileView, error) {
	v := profileView{base: s.baseFor(r, "Your profile"), MinPassword: MinPasswordLen}
	acc, err := s.d.Users.UserByID(r.Context(), u.ID)
	if err != nil {
		return v, err
	}
	v.Account, v.HasPassword = acc, acc.PasswordHash != ""
	if v.Identities, err = s.d.Accounts.UserIdentities(r.Context(), u.ID); err != nil {
		return v, err
	}
	if s.cfg.OIDC != nil {
		v.OIDCName = s.cfg.OIDC.Name()
	}
	toks, err := s.d.Accounts.ListTokens(r.Context(), u.ID)
	if err != nil {
		return v, err
	}
	now := s.now()
	for _, t := range toks {
		st := "active"
		switch {
		case !t.RevokedAt.IsZero():
			st = "revoked"
		case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
			st = "expired"
		}
		v.Tokens = append(v.Tokens, tokenItem{Token: t, Status: st})
	}
	if v.Sessions, err = s.d.Accounts.ListSessions(r.Context(), u.ID, auth.SessionToken(r, s.cfg.SecureCookies)); err != nil {
		return v, err
	}
	v.Scopes = []scopeOption{
		{Value: gas.ScopeJobsRead, Label: "Read: list annotations, download results and logs", Checked: true},
		{Value: gas.ScopeJobsWrite, Label: "Write: submit and cancel annotations"},
	}
	return v, nil
}

// renderProfile draws the profile page; edit fills in a form's outcome.
func (s *server) renderProfile(w http.ResponseWriter, r *http.Request, u *gas.User, status int, edit func(*profileView)) {
	v, err := s.profileData(r, u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if edit != nil {
		edit(&v)
	}
	s.render(w, r, status, "profile", v)
}

func (s *server) profile(w http.ResponseWriter, r *http.Request, u *gas.User) {
	q := r.URL.Query()
	s.renderProfile(w, r, u, http.StatusOK, func(v *profileView) {
		switch {
		case q.Get("changed") == "password":
			v.Notice = "Your password was changed. Every other session of your account was signed out."
		case q.Get("ended") != "":
			v.Notice = "The session was signed out."
		case q.Get("unlinked") != "":
			v.Notice = "The sign-in provider was unlinked. Every other session of your account was signed out."
		case q.Get("revoked") != "":
			v.Notice = "The token was revoked; programs using it are refused from now on."
		}
	})
}

// changePassword sets a new password. The current one is asked for when
// the account has one, so a browser left signed in is not enough to lock
// its owner out; an account made through a provider sets its first one.
func (s *server) changePassword(w http.ResponseWriter, r *http.Request, u *gas.User) {
	if !s.parseForm(w, r) {
		return
	}
	current, password := r.PostFormValue("current"), r.PostFormValue("password")
	bad := func(msg string) {
		s.renderProfile(w, r, u, http.StatusBadRequest, func(v *profileView) { v.PasswordError = msg })
	}
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLen:
		bad(fmt.Sprintf("Choose a new password of at least %d characters.", MinPasswordLen))
		return
	case len(password) > auth.MaxPasswordBytes:
		bad("That password is too long.")
		return
	}
	if ok, retry := s.pwLimit.Allow(strconv.FormatInt(u.ID, 10)); !ok {
		s.slowDown(w, r, retry, "Too many password changes in a short time.", "/profile#password")
		return
	}
	acc, err := s.d.Users.UserByID(r.Context(), u.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if acc.PasswordHash != "" {
		ok, err := auth.VerifyPassword(acc.PasswordHash, current)
		if err != nil {
			s.serverError(w, r, fmt.Errorf("verify current password: %w", err))
			return
		}
		if !ok {
			bad("The current password is wrong.")
			return
		}
	}
	hash, err := auth.HashPassword(password, auth.DefaultParams)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	// Whoever else is signed in — perhaps with the old password, which is
	// why it is being changed — is signed out; this browser stays.
	if err := s.d.Accounts.SetPassword(r.Context(), u.ID, hash, auth.SessionToken(r, s.cfg.SecureCookies)); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/profile?changed=password", http.StatusSeeOther)
}

// unlinkIdentity removes a sign-in provider from the account and signs
// out every other session, as a password change does: a session started
// through that provider must not outlive the link. The account's last way
// to sign in cannot be unlinked.
func (s *server) unlinkIdentity(w http.ResponseWriter, r *http.Request, u *gas.User) {
	if !s.parseForm(w, r) {
		return
	}
	err := s.d.Accounts.UnlinkIdentity(r.Context(), u.ID, r.PostFormValue("issuer"), r.PostFormValue("subject"),
		auth.SessionToken(r, s.cfg.SecureCookies))
	switch gas.ErrorCode(err) {
	case "":
		http.Redirect(w, r, "/profile?unlinked=1#identities", http.StatusSeeOther)
	case gas.ECONFLICT, gas.ENOTFOUND:
		s.renderProfile(w, r, u, httpserver.StatusFor(err), func(v *profileView) { v.IdentityError = gas.ErrorMessage(err) })
	default:
		s.fail(w, r, err)
	}
}

// endSession signs out one session of the list (a browser left signed in
// somewhere); another user's session is a 404.
func (s *server) endSession(w http.ResponseWriter, r *http.Request, u *gas.User) {
	if err := s.d.Accounts.EndSession(r.Context(), u.ID, r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/profile?ended=1#sessions", http.StatusSeeOther)
}

// endSessions is "sign out everywhere": every session of the account
// ends, this one too, and the browser goes to the sign-in page.
func (s *server) endSessions(w http.ResponseWriter, r *http.Request, u *gas.User) {
	if _, err := s.d.Accounts.EndSessions(r.Context(), u.ID, ""); err != nil {
		s.fail(w, r, err)
		return
	}
	auth.ClearSessionCookie(w, s.cfg.SecureCookies)
	http.Redirect(w, r, "/signin?next=%2Fprofile", http.StatusSeeOther)
}

// createToken makes a personal access token and shows its secret on the
// page it answers with: once, never in a URL, never again.
func (s *server) createToken(w http.ResponseWriter, r *http.Request, u *gas.User) {
	if !s.parseForm(w, r) {
		return
	}
	if ok, retry := s.tokLimit.Allow(strconv.FormatInt(u.ID, 10)); !ok {
		s.slowDown(w, r, retry, "You made many tokens in a short time.", "/profile#tokens")
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	days := strings.TrimSpace(r.PostFormValue("expires_days"))
	scopes := r.PostForm["scope"]
	bad := func(msg string) {
		s.renderProfile(w, r, u, http.StatusBadRequest, func(v *profileView) {
			v.TokenError, v.TokenName, v.ExpiresDays = msg, name, days
			for i := range v.Scopes {
				v.Scopes[i].Checked = contains(scopes, v.Scopes[i].Value)
			}
		})
	}
	var expires time.Time
	if days != "" {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > maxTokenDays {
			bad(fmt.Sprintf("The expiry must be a whole number of days from 1 to %d, or empty for none.", maxTokenDays))
			return
		}
		expires = s.now().Add(time.Duration(n) * 24 * time.Hour)
	}
	secret, tok, err := s.d.Accounts.CreateToken(r.Context(), u.ID, name, scopes, expires)
	if err != nil {
		if gas.ErrorCode(err) == gas.EINVALID {
			bad(gas.ErrorMessage(err))
			return
		}
		s.fail(w, r, err)
		return
	}
	s.renderProfile(w, r, u, http.StatusCreated, func(v *profileView) {
		v.NewToken, v.NewTokenName = secret, tok.Name
	})
}

// slowDown answers 429 for a rate-limited profile form, with Retry-After
// in whole seconds and a way back to the form.
func (s *server) slowDown(w http.ResponseWriter, r *http.Request, retry time.Duration, why, back string) {
	secs := max(int(math.Ceil(retry.Seconds())), 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.renderErrorView(w, r, errorView{Status: http.StatusTooManyRequests, Back: back, BackLabel: "Back to your profile",
		Message: fmt.Sprintf("%s Please wait %d seconds and try again.", why, secs)})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// revokeToken ends one of the user's tokens; any other ID is a 404.
func (s *server) revokeToken(w http.ResponseWriter, r *http.Request, u *gas.User) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		s.renderError(w, r, http.StatusNotFound, "")
		return
	}
	if err := s.d.Accounts.RevokeToken(r.Context(), u.ID, id); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/profile?revoked=1#tokens", http.StatusSeeOther)
}

// deletedView is the model of the goodbye page.
type deletedView struct {
	base
	Email string
	Jobs  int
}

// deleteAccount removes the account after the user typed its email: first
// every file of every job, from the blob store and the archive, then the
// user row, which takes jobs, sessions, identities, tokens and
// notifications with it. Files go first so that a failure part-way leaves an
// account the user can see and delete again, never files nobody can name.
func (s *server) deleteAccount(w http.ResponseWriter, r *http.Request, u *gas.User) {
	if !s.parseForm(w, r) {
		return
	}
	bad := func(status int, msg string) {
		s.renderProfile(w, r, u, status, func(v *profileView) { v.DeleteError = msg })
	}
	if normalizeEmail(r.PostFormValue("confirm")) != normalizeEmail(u.Email) {
		bad(http.StatusBadRequest, "Type the email address of this account to confirm.")
		return
	}
	jobs, err := s.allJobs(r.Context(), u.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, j := range jobs {
		// A running annotation is writing files right now; deleting under
		// it would leave its result behind with no account to own it.
		if !j.State.Deletable() {
			bad(http.StatusConflict, "An annotation is running. Wait until it finishes (a few minutes at most), then delete the account.")
			return
		}
	}
	for _, j := range jobs {
		if err := s.deleteJobFiles(r.Context(), j); err != nil {
			s.serverError(w, r, fmt.Errorf("delete account %d: %w", u.ID, err))
			return
		}
	}
	if err := s.d.Accounts.DeleteUser(r.Context(), u.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	auth.ClearSessionCookie(w, s.cfg.SecureCookies)
	v := deletedView{base: s.baseFor(r, "Account deleted"), Email: u.Email, Jobs: len(jobs)}
	v.User = nil // the session died with the account
	s.render(w, r, http.StatusOK, "deleted", v)
}

// allJobs lists every job of a user, page by page.
func (s *server) allJobs(ctx context.Context, userID int64) ([]*gas.Job, error) {
	const page = 100
	var out []*gas.Job
	for {
		jobs, total, err := s.d.Jobs.ListJobs(ctx, userID, gas.Page{Offset: len(out), Limit: page})
		if err != nil {
			return nil, err
		}
		out = append(out, jobs...)
		if len(jobs) == 0 || len(out) >= total {
			return out, nil
		}
	}
}

// deleteJobFiles removes a job's objects: input, result, log, summary and
// variant index from the blob store, and the result's copy from the archive (an archived
// result is stored there under its ResultKey). Missing objects are fine.
func (s *server) deleteJobFiles(ctx context.Context, j *gas.Job) error {
	for _, key := range []string{j.InputKey, j.ResultKey, j.LogKey, j.SummaryKey, j.Key(gas.FileIndex)} {
		if key == "" {
			continue
		}
		if err := s.d.Blobs.Delete(ctx, key); err != nil {
			return fmt.Errorf("job %s: delete %s: %w", j.ID, key, err)
		}
	}
	if err := s.indexes.drop(j.Key(gas.FileIndex)); err != nil {
		return fmt.Errorf("job %s: %w", j.ID, err)
	}
	if s.d.Cold != nil && j.ResultKey != "" {
		if err := s.d.Cold.Delete(ctx, j.ResultKey); err != nil {
			return fmt.Errorf("job %s: delete archived %s: %w", j.ID, j.ResultKey, err)
		}
	}
	return nil
}
