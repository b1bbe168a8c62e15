package web

import (
	"context"
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

// TestOwnershipAllIDRoutes walks every route of the site that takes an
// {id} — read from the route table itself, so a route added later is
// covered or fails this test — as user B against user A's objects, and
// expects the same 404 as for an object that does not exist. As A, the
// same requests succeed, so the 404s are about ownership, not broken paths.
func TestOwnershipAllIDRoutes(t *testing.T) {
	t.Parallel()
	af := setupAccounts(t, accountsOpts{})
	ctx := context.Background()

	a := af.client()
	a.signup("alice@example.org", "correct horse battery")
	jobID := jobIDFrom(t, a.upload("a.vcf", []byte(miniVCF), "all"))
	af.complete(jobID, sharedtest.Gzip(t, []byte(miniVCF)), []byte("log"), &annotate.Summary{Records: 2})
	tokenSecret := newToken(t, a, url.Values{"name": {"alice's"}, "scope": {gas.ScopeJobsRead}})
	_, tok, err := af.db.TokenUser(ctx, tokenSecret)
	if err != nil {
		t.Fatal(err)
	}
	r := a.uploadChecked("wait.vcf", []byte(miniVCF), "all")
	uploadID := strings.TrimPrefix(r.Header.Get("Location"), "/uploads/")
	if r.StatusCode != http.StatusSeeOther || uploadID == r.Header.Get("Location") {
		t.Fatalf("checked upload: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	// A second session of A's (A's own browser must stay signed in).
	aliceID := af.user("alice@example.org").ID
	if _, err := af.db.CreateSession(ctx, aliceID, af.clock.Now().Add(time.Hour), gas.SessionClient{UserAgent: "other"}); err != nil {
		t.Fatal(err)
	}
	sessions, err := af.db.ListSessions(ctx, aliceID, "")
	if err != nil {
		t.Fatal(err)
	}
	var sessionID string
	for _, s := range sessions {
		if s.Client.UserAgent == "other" {
			sessionID = s.ID
		}
	}
	objects := map[string]string{ // the object kind named by the path segment before {id}
		"jobs":     jobID,
		"tokens":   strconv.FormatInt(tok.ID, 10),
		"uploads":  uploadID,
		"sessions": sessionID,
	}
	missing := map[string]string{"jobs": "00000000-0000-4000-8000-000000000000", "tokens": "999999",
		"uploads": "00000000-0000-4000-8000-000000000001", "sessions": "0000000000000000"}

	b := af.client()
	b.signup("bob@example.org", "correct horse battery")
	// B owns objects too, so a check that only asks "is anyone signed in"
	// or "does B own any job" would not pass.
	jobIDFrom(t, b.upload("b.vcf", []byte(miniVCF), "all"))
	newToken(t, b, url.Values{"name": {"bob's"}, "scope": {gas.ScopeJobsRead}})

	type call struct{ method, path, missingPath string }
	var calls []call
	for _, rt := range (&server{}).routeTable() {
		method, pattern, _ := strings.Cut(rt.pattern, " ")
		i := strings.Index(pattern, "/{id}")
		if i < 0 {
			if strings.Contains(pattern, "{id") {
				t.Fatalf("route %q takes an id this test cannot place", rt.pattern)
			}
			continue
		}
		kind := pattern[strings.LastIndex(pattern[:i], "/")+1 : i]
		id, ok := objects[kind]
		if !ok {
			t.Fatalf("route %q takes the id of a %q, which this test does not create: add it", rt.pattern, kind)
		}
		calls = append(calls, call{method, strings.Replace(pattern, "{id}", id, 1), strings.Replace(pattern, "{id}", missing[kind], 1)})
	}
	if len(calls) < 6 {
		t.Fatalf("only %d routes with an id found: %v", len(calls), calls)
	}

	send := func(c *client, method, path string) *resp {
		t.Helper()
		if method == http.MethodPost {
			return c.postForm(path, url.Values{})
		}
		return c.get(path)
	}
	for _, cl := range calls {
		r := send(b, cl.method, cl.path)
		none := send(b, cl.method, cl.missingPath)
		if r.StatusCode != http.StatusNotFound || none.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s as another user: %d (missing object: %d), want 404", cl.method, cl.path, r.StatusCode, none.StatusCode)
			continue
		}
		if text(find(r.doc(t), "main")) != text(find(none.doc(t), "main")) {
			t.Errorf("%s %s: another user's object and a missing one read differently", cl.method, cl.path)
		}
	}
	if _, _, err := af.db.TokenUser(ctx, tokenSecret); err != nil {
		t.Fatalf("B's revoke touched A's token: %v", err)
	}
	// GETs first, so the revoke does not change what they see.
	for _, post := range []bool{false, true} {
		for _, cl := range calls {
			if (cl.method == http.MethodPost) != post {
				continue
			}
			r := send(a, cl.method, cl.path)
			if strings.HasPrefix(cl.path, "/admin/") {
				// Admin routes act on anyone's objects; A is the admin (the
				// first account). Retrying a COMPLETED job is refused (409),
				// which shows the handler, not a 404 guard, answered.
				if r.StatusCode == http.StatusNotFound || r.StatusCode == http.StatusForbidden {
					t.Errorf("%s %s as the admin: %d", cl.method, cl.path, r.StatusCode)
				}
				continue
			}
			if r.StatusCode >= 400 {
				t.Errorf("%s %s as the owner: %d", cl.method, cl.path, r.StatusCode)
			}
		}
	}
}
