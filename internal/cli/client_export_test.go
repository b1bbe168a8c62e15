package cli

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestSiteError: export refusals from the site (the API's JSON error, as
// the site answers token requests) read as their message and status; an
// answer that is no such error (a proxy's page) as the status alone.
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
		{resp(409, "application/json", `{"error": {"code": "archived", "message": "The result was moved to the archive on 2026-12-07: archived — restore by upgrading.", "request_id": "x"}}`),
			"The result was moved to the archive on 2026-12-07: archived — restore by upgrading. (Conflict)"},
		{resp(403, "application/json", `{"error": {"code": "forbidden", "message": "This token lacks the jobs:read scope."}}`),
			"This token lacks the jobs:read scope. (Forbidden)"},
		{resp(502, "text/html", "<html><body>Bad gateway</body></html>"), "Bad Gateway"},
		{resp(500, "application/json", `{"error": {}}`), "Internal Server Error"},
	} {
		if got := siteError(tc.r); got != tc.want {
			t.Errorf("siteError = %q, want %q", got, tc.want)
		}
	}
}
