package cli

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestTrustedProxiesServe: `gas serve --trusted-proxies` hands the proxy
// setting to the site, so clients behind the proxy (here: the test, on
// loopback, naming clients in X-Forwarded-For) have sign-in limits of their
// own, and /metrics counts the refusals.
func TestTrustedProxiesServe(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--trusted-proxies", "127.0.0.1")
	c := newClient(t)
	signin := func(client, email string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, s.url+"/signin",
			strings.NewReader(url.Values{"email": {email}, "password": {"wrong password"}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", client)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// One client sprays failures over many accounts: 30 at once, then one
	// every 2 s, so within 60 it is refused however slow the machine.
	refusedAt := 0
	for i := 1; i <= 60 && refusedAt == 0; i++ {
		switch code := signin("198.51.100.1", fmt.Sprintf("n%d@example.org", i)); code {
		case http.StatusUnauthorized:
		case http.StatusTooManyRequests:
			refusedAt = i
		default:
			t.Fatalf("sign-in %d: %d", i, code)
		}
	}
	if refusedAt < 31 {
		t.Fatalf("first refusal at attempt %d, want after 30 failures", refusedAt)
	}
	// Another client behind the same proxy is not held back by it.
	if code := signin("198.51.100.2", "other@example.org"); code != http.StatusUnauthorized {
		t.Fatalf("another client behind the proxy: %d, want 401", code)
	}
	_, metrics := get(t, c, s.url+"/metrics")
	m := regexp.MustCompile(`gas_auth_rate_limited_total\{limit="signin_address"\} (\d+)`).FindSubmatch(metrics)
	if m == nil {
		t.Fatal("/metrics lacks gas_auth_rate_limited_total{limit=\"signin_address\"}")
	}
	if n, _ := strconv.Atoi(string(m[1])); n < 1 {
		t.Fatalf("signin_address refusals = %d, want at least 1", n)
	}
}
