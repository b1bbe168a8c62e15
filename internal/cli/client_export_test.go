package cli

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestSiteError: export refusals from the site read as the page's message
// (the archived gate's words), a plain-text answer as itself, and an HTML
// page without a message as the status alone.
func TestSiteError(t *testing.T) {
	t.Parallel()
	resp := func(status int, ctype, body string) *http.Response {
		return &http.Response{StatusCode: status, Status: http.StatusText(status), Header: http.Header{"Content-Type": {ctype}},
			Body: io.NopCloser(strings.NewReader(body))}
	}
	for _, tc := range []struct {
		r    *http.Response
		want string
	}{
		{resp(409, "text/html; charset=utf-8", `<p class="lead" id="error-message">The result was moved to the archive on 2026-12-07:
			archived &mdash; restore by upgrading.</p>`), "The result was moved to the archive on 2026-12-07: archived — restore by upgrading. (Conflict)"},
		{resp(403, "text/plain; charset=utf-8", "This token lacks the jobs:read scope.\n"), "This token lacks the jobs:read scope. (Forbidden)"},
		{resp(500, "text/html", "<html><body>oops</body></html>"), "Internal Server Error"},
	} {
		if got := siteError(tc.r); got != tc.want {
			t.Errorf("siteError = %q, want %q", got, tc.want)
		}
	}
}
