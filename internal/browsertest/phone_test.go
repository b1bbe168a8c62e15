package browsertest

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// phoneButtonsFit fails the test when a button of the page's main part
// ends to the right of a 390 px phone's viewport (also when it sits in a
// box that scrolls sideways, where a person would not find it).
func phoneButtonsFit(t *testing.T, b *browser, page string) {
	t.Helper()
	out := mustEval[[]string](b, `Array.from(document.querySelectorAll("main button, main .btn")).filter(e => e.offsetParent !== null && e.getBoundingClientRect().right > innerWidth).map(e => e.textContent.trim() + ":" + Math.round(e.getBoundingClientRect().right))`)
	if len(out) > 0 {
		t.Errorf("on a %d px phone %s has buttons off-screen: %v", 390, page, out)
	}
}

// TestBrowserPhoneProfileAdmin opens the profile and administration pages
// as the first account (the administrator) on a 390 px phone, with rows in
// every table that grows: two tokens (one revoked), a second session with
// a long user agent signed in from another client, a job. Neither page
// may scroll sideways, and each Revoke, Sign out and Retry button must be
// on screen rather than in a table that scrolls by itself.
func TestBrowserPhoneProfileAdmin(t *testing.T) {
	b := newBrowser(t)
	s := startSite(t, 0)
	input, _ := demoRecords(t, 50)
	const email, password = "ada.lovelace-byron@analytical-engine.example.org", "browser test password"

	b.do("sign up the administrator and upload",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(s.URL+"/signup"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SetValue(chromedp.ID("email"), email),
		chromedp.SetValue(chromedp.ID("name"), "Ada"),
		chromedp.SetValue(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS("main form button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("upload-form")),
		chromedp.WaitReady(chromedp.ID("nav-admin")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{input}),
		chromedp.Click(chromedp.ID("preflight")), // untick: straight to the job
		chromedp.Click(chromedp.CSS("#upload-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("job-details")))
	job := mustEval[string](b, `location.pathname`)

	// A second session, from a program with a long user agent.
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	other := &http.Client{Jar: jar}
	req, err := http.NewRequest("POST", s.URL+"/signin", strings.NewReader(url.Values{"email": {email}, "password": {password}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 lab-pipeline/2.4.1")
	resp, err := other.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("second sign-in: %s", resp.Status)
	}

	for _, name := range []string{"nightly annotation pipeline on the cluster", "laptop"} {
		b.do("create token "+name,
			chromedp.Navigate(s.URL+"/profile"),
			chromedp.WaitVisible(chromedp.ID("token-name")),
			chromedp.SetValue(chromedp.ID("token-name"), name),
			chromedp.Click(chromedp.CSS("#token-form button[type=submit]")),
			chromedp.WaitVisible(chromedp.ID("new-token")))
	}
	b.shotScreen("p01-phone-new-token")
	phoneFits(t, b, "the profile page with a new token")
	b.do("revoke the second token",
		chromedp.Click(chromedp.CSS(`#token-list tbody tr:last-child button`)),
		chromedp.WaitReady(chromedp.CSS(`#token-list tr[data-status="revoked"]`)))

	rows := mustEval[[]int](b, `[document.querySelectorAll("#token-list tbody tr").length, document.querySelectorAll("#session-list tbody tr").length]`)
	if rows[0] != 2 || rows[1] != 2 {
		t.Fatalf("the profile lists %d tokens and %d sessions, want 2 and 2", rows[0], rows[1])
	}
	t.Logf("profile page: %d px wide", mustEval[int](b, `document.documentElement.scrollWidth`))
	phoneFits(t, b, "the profile page")
	phoneButtonsFit(t, b, "the profile page")
	b.do("scroll to the tokens", chromedp.ScrollIntoView(chromedp.ID("tokens")))
	b.shotScreen("p02-phone-profile-tokens")
	b.do("scroll to the sessions", chromedp.ScrollIntoView(chromedp.ID("sessions")))
	b.shotScreen("p03-phone-profile-sessions")

	// The administration page, once the job is done (so the bundles
	// table, with its long checksums, has a row too).
	b.do("wait for the job", chromedp.Navigate(s.URL+job), chromedp.WaitVisible(chromedp.CSS(`#status .job-state[data-state="COMPLETED"]`)))
	b.do("open the admin page",
		chromedp.Navigate(s.URL+"/admin"),
		chromedp.WaitVisible(chromedp.ID("users")),
		chromedp.WaitVisible(chromedp.ID("jobs")),
		chromedp.WaitVisible(chromedp.ID("bundles")))
	t.Logf("admin page: %d px wide", mustEval[int](b, `document.documentElement.scrollWidth`))
	phoneFits(t, b, "the admin page")
	phoneButtonsFit(t, b, "the admin page")
	b.shotScreen("p04-phone-admin-users")
	b.do("scroll to the jobs", chromedp.ScrollIntoView(chromedp.ID("admin-jobs")))
	b.shotScreen("p05-phone-admin-jobs")
	b.do("scroll to the bundles", chromedp.ScrollIntoView(chromedp.ID("admin-bundles")))
	b.shotScreen("p06-phone-admin-bundles")
}
