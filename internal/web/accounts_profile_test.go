package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/sharedtest"
)

// newToken creates a token through the profile form and returns the
// secret shown on the answer.
func newToken(t *testing.T, c *client, form url.Values) string {
	t.Helper()
	r := c.postForm("/profile/tokens", form)
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("create token: %d\n%s", r.StatusCode, r.body)
	}
	secret := attr(find(r.doc(t), "input#new-token-value"), "value")
	if !strings.HasPrefix(secret, "gas_") {
		t.Fatalf("no secret shown: %q", secret)
	}
	return secret
}

func TestTokenCreateShowOnceRevoke(t *testing.T) {
	t.Parallel()
	af := setupAccounts(t, accountsOpts{})
	ctx := context.Background()
	c := af.client()
	c.signup("ada@example.org", "correct horse battery")
	if find(c.get("/profile").doc(t), "#no-tokens") == nil {
		t.Fatal("a new account lists tokens")
	}

	secret := newToken(t, c, url.Values{"name": {"pipeline"}, "scope": {gas.ScopeJobsRead, gas.ScopeJobsWrite}, "expires_days": {"30"}})
	u, tok, err := af.db.TokenUser(ctx, secret)
	if err != nil || u.Email != "ada@example.org" || !tok.HasScope(gas.ScopeJobsWrite) ||
		!tok.ExpiresAt.Equal(af.clock.Now().Add(30*24*time.Hour)) {
		t.Fatalf("the shown secret: user %+v, token %+v, %v", u, tok, err)
	}

	// Shown once: the profile lists the token by prefix only.
	r := c.get("/profile")
	if bytes.Contains(r.body, []byte(secret)) || find(r.doc(t), "#new-token") != nil {
		t.Fatal("the secret is shown again")
	}
	row := find(r.doc(t), "tr[data-token-id="+strconv.FormatInt(tok.ID, 10)+"]")
	if row == nil || attr(row, "data-status") != "active" || !strings.Contains(text(row), tok.Prefix+"…") ||
		!strings.Contains(text(row), "jobs:read, jobs:write") {
		t.Fatalf("token row: %q", text(row))
	}

	// Bad input keeps what was typed and says why.
	for _, tc := range []struct {
		form url.Values
		msg  string
	}{
		{url.Values{"name": {"no scopes"}}, "Choose at least one scope."},
		{url.Values{"name": {""}, "scope": {gas.ScopeJobsRead}}, "Give the token a name"},
		{url.Values{"name": {"bad days"}, "scope": {gas.ScopeJobsRead}, "expires_days": {"0"}}, "whole number of days"},
		{url.Values{"name": {"bad scope"}, "scope": {"admin"}}, "Unknown scope"},
	} {
		r := c.postForm("/profile/tokens", tc.form)
		doc := r.doc(t)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(text(find(doc, "#tokens #form-error")), tc.msg) ||
			attr(find(doc, "input#token-name"), "value") != tc.form.Get("name") {
			t.Fatalf("%v: %d %q", tc.form, r.StatusCode, text(find(doc, "#form-error")))
		}
	}

	// A cross-site form post is refused before it reaches the handler.
	if r := c.postForm("/profile/tokens", url.Values{"name": {"evil"}, "scope": {gas.ScopeJobsWrite}},
		"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site token creation: %d", r.StatusCode)
	}

	r = c.postForm(fmt.Sprintf("/profile/tokens/%d/revoke", tok.ID), nil)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/profile?revoked=1#tokens" {
		t.Fatalf("revoke: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if _, _, err := af.db.TokenUser(ctx, secret); gas.ErrorCode(err) != gas.EUNAUTH {
		t.Fatalf("a revoked token still works: %v", err)
	}
	doc := c.get("/profile?revoked=1").doc(t)
	if row := find(doc, "tr[data-token-id="+strconv.FormatInt(tok.ID, 10)+"]"); attr(row, "data-status") != "revoked" || find(row, "form") != nil {
		t.Fatalf("revoked row: %q", text(row))
	}
	if !strings.Contains(text(find(doc, "#notice")), "revoked") {
		t.Fatal("no notice after revoking")
	}
	if all := findAll(doc, "tr[data-token-id]"); len(all) != 1 {
		t.Fatalf("%d token rows, want 1 (refused forms make none)", len(all))
	}
}

func TestTokenCreationRateLimited(t *testing.T) {
	t.Parallel()
	af := setupAccounts(t, accountsOpts{})
	c := af.client()
	c.signup("ada@example.org", "correct horse battery")
	form := url.Values{"name": {"t"}, "scope": {gas.ScopeJobsRead}}
	for i := 0; i < 10; i++ {
		newToken(t, c, form)
	}
	r := c.postForm("/profile/tokens", form)
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("11th token in a burst: %d, Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	// Another user has a limit of their own.
	other := af.client()
	other.signup("bob@example.org", "correct horse battery")
	newToken(t, other, form)
	af.clock.Add(time.Minute)
	newToken(t, c, form)
	toks, _ := af.db.ListTokens(context.Background(), af.user("ada@example.org").ID)
	if len(toks) != 11 {
		t.Fatalf("%d tokens, want 11", len(toks))
	}
}

func TestProfilePasswordChange(t *testing.T) {
	t.Parallel()
	af := setupAccounts(t, accountsOpts{})
	c := af.client()
	c.signup("ada@example.org", "correct horse battery")
	doc := c.get("/profile").doc(t)
	if text(find(doc, "#profile-email")) != "ada@example.org" || text(find(doc, "#profile-plan")) != "Free" {
		t.Fatalf("profile: %q", text(find(doc, "#account")))
	}

	r := c.postForm("/profile/password", url.Values{"current": {"wrong password"}, "password": {"a new long password"}})
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(text(find(r.doc(t), "#password #form-error")), "current password is wrong") {
		t.Fatalf("wrong current password: %d", r.StatusCode)
	}
	r = c.postForm("/profile/password", url.Values{"current": {"correct horse battery"}, "password": {"short"}})
	if r.StatusCode != http.StatusBadRequest {
		t.Fatalf("short new password: %d", r.StatusCode)
	}
	r = c.postForm("/profile/password", url.Values{"current": {"correct horse battery"}, "password": {"a new long password"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/profile?changed=password" {
		t.Fatalf("change: %d %q\n%s", r.StatusCode, r.Header.Get("Location"), r.body)
	}
	other := af.client()
	if r := other.signin("ada@example.org", "correct horse battery"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("old password: %d", r.StatusCode)
	}
	if r := other.signin("ada@example.org", "a new long password"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("new password: %d", r.StatusCode)
	}
	// Guessing the current password is held to the sign-in pace.
	var last int
	for i := 0; i < 6; i++ {
		last = c.postForm("/profile/password", url.Values{"current": {"guess"}, "password": {"another long password"}}).StatusCode
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("sixth guess of the current password: %d, want 429", last)
	}
}

// TestProfileDeleteAccount deletes an account with a completed, an
// archived and a pending job: every file goes from the blob store and the
// archive, every row from the database; another user keeps everything.
func TestProfileDeleteAccount(t *testing.T) {
	t.Parallel()
	af := setupAccounts(t, accountsOpts{})
	ctx := context.Background()
	sum := &annotate.Summary{Records: 2}

	bob := af.client()
	bob.signup("bob@example.org", "correct horse battery")
	bobJob := jobIDFrom(t, bob.upload("b.vcf", []byte(miniVCF), "all"))
	af.complete(bobJob, sharedtest.Gzip(t, []byte(miniVCF)), []byte("log"), sum)

	ada := af.client()
	ada.signup("ada@example.org", "correct horse battery")
	adaID := af.user("ada@example.org").ID
	done := jobIDFrom(t, ada.upload("a.vcf", []byte(miniVCF), "all"))
	af.complete(done, sharedtest.Gzip(t, []byte(miniVCF)), []byte("log"), sum)
	archived := jobIDFrom(t, ada.upload("b.vcf", []byte(miniVCF), "all"))
	af.complete(archived, sharedtest.Gzip(t, []byte(miniVCF)), []byte("log"), sum)
	j, _ := af.jobs.Job(ctx, archived)
	if _, err := af.cold.Put(ctx, j.ResultKey, strings.NewReader("archived bytes")); err != nil {
		t.Fatal(err)
	}
	if err := af.blobs.Delete(ctx, j.ResultKey); err != nil { // archived: gone from hot storage
		t.Fatal(err)
	}
	jobIDFrom(t, ada.upload("c.vcf", []byte(miniVCF), "all")) // still PENDING
	secret := newToken(t, ada, url.Values{"name": {"ci"}, "scope": {gas.ScopeJobsRead}})
	adaDir := fmt.Sprintf("user/%d", adaID)
	if n := len(af.storedFiles(adaDir)); n < 7 {
		t.Fatalf("%d files stored for ada before deletion, want at least 7", n)
	}

	r := ada.postForm("/profile/delete", url.Values{"confirm": {"bob@example.org"}})
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(text(find(r.doc(t), "#delete #form-error")), "Type the email address") {
		t.Fatalf("wrong confirmation: %d", r.StatusCode)
	}
	if len(af.storedFiles(adaDir)) == 0 {
		t.Fatal("files deleted without confirmation")
	}

	// A running annotation is still writing: refused until it ends.
	running := jobIDFrom(t, ada.upload("d.vcf", []byte(miniVCF), "all"))
	if _, err := af.jobs.TransitionJob(ctx, running, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "worker:test"}); err != nil {
		t.Fatal(err)
	}
	if r := ada.postForm("/profile/delete", url.Values{"confirm": {"ada@example.org"}}); r.StatusCode != http.StatusConflict {
		t.Fatalf("delete with a running job: %d", r.StatusCode)
	}
	if _, err := af.jobs.TransitionJob(ctx, running, gas.JobChange{From: gas.JobRunning, To: gas.JobFailed, Actor: "worker:test", Reason: "test"}); err != nil {
		t.Fatal(err)
	}

	r = ada.postForm("/profile/delete", url.Values{"confirm": {" ADA@example.org "}})
	if r.StatusCode != http.StatusOK || !strings.Contains(text(find(r.doc(t), "#deleted")), "4 annotations") {
		t.Fatalf("delete: %d\n%s", r.StatusCode, r.body)
	}
	if find(r.doc(t), "#nav-user") != nil {
		t.Fatal("the goodbye page shows the deleted user as signed in")
	}
	if left := af.storedFiles(adaDir); len(left) != 0 {
		t.Fatalf("files left in the blob store: %v", left)
	}
	if _, err := af.cold.Stat(ctx, j.ResultKey); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("archived result left: %v", err)
	}
	if _, err := af.db.UserByID(ctx, adaID); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("user row left: %v", err)
	}
	if _, _, err := af.db.TokenUser(ctx, secret); gas.ErrorCode(err) != gas.EUNAUTH {
		t.Fatalf("token left: %v", err)
	}
	if _, total, err := af.jobs.ListJobs(ctx, adaID, gas.Page{Limit: 10}); err != nil || total != 0 {
		t.Fatalf("job rows left: %d, %v", total, err)
	}
	if signedIn(t, ada) != "" {
		t.Fatal("still signed in after deletion")
	}
	// Bob is untouched.
	if r := bob.get("/jobs/" + bobJob + "/result"); r.StatusCode != http.StatusOK {
		t.Fatalf("the other user's result: %d", r.StatusCode)
	}
}

// signedInAs reports whether c's session is live: /profile answers 200
// instead of sending it to sign in.
func signedInAs(t *testing.T, c *client) bool {
	t.Helper()
	r := c.get("/profile")
	switch r.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusSeeOther:
		return false
	}
	t.Fatalf("GET /profile: %d", r.StatusCode)
	return false
}

// TestPasswordChangeEndsSessions: changing the password signs out every
// other browser of the account (this one stays), the profile lists the
// sessions, and other accounts are untouched.
func TestPasswordChangeEndsSessions(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	here, laptop, stranger := f.client(), f.client(), f.client()
	here.signup("ada@example.org", "correct horse battery")
	if r := laptop.signin("ada@example.org", "correct horse battery"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("second sign-in: %d", r.StatusCode)
	}
	stranger.signup("bob@example.org", "bob's long password")

	doc := here.get("/profile").doc(t)
	rows := findAll(doc, "#session-list tbody tr")
	if len(rows) != 2 || len(findAll(doc, "#session-list tr[data-current=true]")) != 1 {
		t.Fatalf("profile lists %d sessions (want 2, one current)", len(rows))
	}
	if row := text(rows[0]); !strings.Contains(row, "Go-http-client") || !strings.Contains(row, "127.0.0.1") {
		t.Fatalf("session row lacks the browser or address: %q", row)
	}
	if find(doc, "form#end-sessions-form button") == nil {
		t.Fatal("no sign-out-everywhere button")
	}

	// One other browser signed out from the list; its row had the button,
	// this browser's has none.
	spare := f.client()
	if r := spare.postForm("/signin", url.Values{"email": {"ada@example.org"}, "password": {"correct horse battery"}},
		"User-Agent", "SpareBrowser/1.0"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("spare sign-in: %d", r.StatusCode)
	}
	doc = here.get("/profile").doc(t)
	var spareID string
	for _, row := range findAll(doc, "#session-list tr[data-session-id]") {
		switch {
		case attr(row, "data-current") == "true":
			if find(row, "form") != nil {
				t.Fatal("this browser's row offers to sign it out")
			}
		case find(row, "form button") == nil:
			t.Fatal("another browser's row has no sign-out button")
		case strings.Contains(text(row), "SpareBrowser/1.0"):
			spareID = attr(row, "data-session-id")
		}
	}
	if spareID == "" {
		t.Fatal("the spare browser's session is not listed with its user agent")
	}
	if r := stranger.postForm("/profile/sessions/"+spareID+"/end", nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("another account ending the session: %d, want 404", r.StatusCode)
	}
	if r := here.postForm("/profile/sessions/"+spareID+"/end", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("end one session: %d", r.StatusCode)
	}
	if signedInAs(t, spare) || !signedInAs(t, laptop) {
		t.Fatal("ending one session ended the wrong one")
	}

	r := here.postForm("/profile/password", url.Values{"current": {"correct horse battery"}, "password": {"a brand new password"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("change password: %d\n%s", r.StatusCode, r.body)
	}
	if !signedInAs(t, here) || signedInAs(t, laptop) || !signedInAs(t, stranger) {
		t.Fatalf("after the change: this browser %v, the other %v, another account %v; want true, false, true",
			signedInAs(t, here), signedInAs(t, laptop), signedInAs(t, stranger))
	}
	doc = here.get("/profile?changed=password").doc(t)
	if n := len(findAll(doc, "#session-list tbody tr")); n != 1 {
		t.Fatalf("%d sessions listed after the change, want 1", n)
	}
	if !strings.Contains(text(find(doc, "#notice")), "signed out") {
		t.Fatalf("notice %q does not say the others were signed out", text(find(doc, "#notice")))
	}
	// The old password is gone with them.
	if r := f.client().signin("ada@example.org", "correct horse battery"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("old password: %d", r.StatusCode)
	}
}

// TestPasswordChangeEndsSessionsUnlink: unlinking a provider ends the
// other sessions too, and the account's last way to sign in cannot be
// unlinked.
func TestPasswordChangeEndsSessionsUnlink(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	ctx := context.Background()
	here, laptop := f.client(), f.client()
	here.signup("cy@example.org", "correct horse battery")
	laptop.signin("cy@example.org", "correct horse battery")
	u, err := f.db.UserByEmail(ctx, "cy@example.org")
	if err != nil {
		t.Fatal(err)
	}
	id := gas.Identity{Issuer: "https://idp.example", Subject: "cy-1", Email: "cy@example.org"}
	if err := f.db.LinkIdentity(ctx, u.ID, id); err != nil {
		t.Fatal(err)
	}
	if find(here.get("/profile").doc(t), "#identity-list form.unlink-form") == nil {
		t.Fatal("no unlink button")
	}
	r := here.postForm("/profile/identities/unlink", url.Values{"issuer": {id.Issuer}, "subject": {id.Subject}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("unlink: %d\n%s", r.StatusCode, r.body)
	}
	if !signedInAs(t, here) || signedInAs(t, laptop) {
		t.Fatal("unlinking did not end the other session, or ended this one")
	}
	if ids, _ := f.db.UserIdentities(ctx, u.ID); len(ids) != 0 {
		t.Fatalf("identity still linked: %v", ids)
	}

	// An account made through a provider has no password: its only
	// identity stays, and no session ends.
	only := &gas.User{Email: "dee@example.org"}
	if err := f.db.CreateUser(ctx, only); err != nil {
		t.Fatal(err)
	}
	oid := gas.Identity{Issuer: "https://idp.example", Subject: "dee-1"}
	if err := f.db.LinkIdentity(ctx, only.ID, oid); err != nil {
		t.Fatal(err)
	}
	dee, other := f.client(), f.client()
	for _, c := range []*client{dee, other} {
		tok, err := f.db.CreateSession(ctx, only.ID, f.clock.Now().Add(time.Hour), gas.SessionClient{})
		if err != nil {
			t.Fatal(err)
		}
		base, _ := url.Parse(f.srv.URL)
		c.hc.Jar.SetCookies(base, []*http.Cookie{{Name: "gas_session", Value: tok, Path: "/"}})
	}
	r = dee.postForm("/profile/identities/unlink", url.Values{"issuer": {oid.Issuer}, "subject": {oid.Subject}})
	if r.StatusCode != http.StatusConflict || !strings.Contains(text(find(r.doc(t), "#identities .alert")), "Set a password first") {
		t.Fatalf("unlinking the only sign-in: %d %q", r.StatusCode, text(find(r.doc(t), "#identities .alert")))
	}
	if !signedInAs(t, other) {
		t.Fatal("a refused unlink ended a session")
	}
	// Someone else's identity is not found.
	if r := here.postForm("/profile/identities/unlink", url.Values{"issuer": {oid.Issuer}, "subject": {oid.Subject}}); r.StatusCode != http.StatusNotFound {
		t.Fatalf("unlinking another account's identity: %d", r.StatusCode)
	}
}

// TestPasswordChangeEndsSessionsSignOutEverywhere: the profile's button
// ends every session of the account, this one included.
func TestPasswordChangeEndsSessionsSignOutEverywhere(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	here, laptop, stranger := f.client(), f.client(), f.client()
	here.signup("eve@example.org", "correct horse battery")
	laptop.signin("eve@example.org", "correct horse battery")
	stranger.signup("fay@example.org", "fay's long password")
	r := here.postForm("/profile/sessions/end", nil)
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/signin") {
		t.Fatalf("sign out everywhere: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if signedInAs(t, here) || signedInAs(t, laptop) || !signedInAs(t, stranger) {
		t.Fatal("sign out everywhere missed a session of the account or ended another account's")
	}
}
