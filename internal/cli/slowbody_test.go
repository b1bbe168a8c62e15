package cli

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSlowBodyServe runs a real `gas serve` with a 2-second request
// deadline and a minimum upload rate, and sends at 1 byte/s: the anonymous
// sign-in form and an upload are both cut off within their deadlines (not held for the minute their bodies would
// take), /metrics counts them, and the server still answers others.
func TestSlowBodyServe(t *testing.T) {
	if testing.Short() {
		t.Skip("trickles bodies at 1 byte/s for several seconds")
	}
	t.Parallel()
	s := startServe(t, "--request-timeout", "2s", "--upload-min-rate", "100B", "--upload-rate-window", "3s")
	c := newClient(t)
	signUp(t, c, s.url, "slow@example.org")
	var cookie string
	for _, ck := range c.Jar.Cookies(mustURL(t, s.url)) {
		cookie += ck.Name + "=" + ck.Value + "; "
	}

	cases := []struct {
		name, path, ctype, cookie string
		within                    time.Duration
	}{
		{"sign-in form", "/signin", "application/x-www-form-urlencoded", "", 2 * time.Second},
		{"upload", "/annotate", "multipart/form-data; boundary=xyz", cookie, 3 * time.Second},
	}
	done := make(chan string, len(cases))
	for _, tc := range cases {
		go func() {
			took, answer := trickleTo(s.url, tc.path, tc.ctype, tc.cookie, 120, time.Second)
			// The body would take two minutes; allow the deadline and
			// generous slack for a loaded machine.
			if took > tc.within+10*time.Second {
				done <- fmt.Sprintf("%s: cut off after %s, deadline %s (answer %q)", tc.name, took, tc.within, answer)
				return
			}
			done <- ""
		}()
	}
	for range cases {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
	// The server is still serving.
	if code, _ := get(t, c, s.url+"/annotate"); code != http.StatusOK {
		t.Errorf("GET /annotate after the slow clients = %d", code)
	}
	_, metrics := get(t, c, s.url+"/metrics")
	for _, kind := range []string{"request", "upload"} {
		re := regexp.MustCompile(`gas_http_slow_clients_total\{kind="` + kind + `"\} (\d+)`)
		m := re.FindSubmatch(metrics)
		if m == nil || string(m[1]) != "1" {
			t.Errorf("metrics: gas_http_slow_clients_total{kind=%q} = %s, want 1", kind, m)
		}
	}
}

// trickleTo posts a body of size bytes to path one byte every gap and
// returns how long until the server answered or closed the connection.
func trickleTo(base, path, ctype, cookie string, size int, gap time.Duration) (time.Duration, string) {
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		return 0, err.Error()
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n", path, ctype, size)
	if cookie != "" {
		fmt.Fprintf(conn, "Cookie: %s\r\n", cookie)
	}
	fmt.Fprint(conn, "\r\n")
	answered := make(chan string, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answered <- "closed: " + err.Error()
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		answered <- resp.Status
	}()
	for i := 0; i < size; i++ {
		select {
		case a := <-answered:
			return time.Since(start), a
		case <-time.After(gap):
		}
		if _, err := conn.Write([]byte{'-'}); err != nil {
			return time.Since(start), "write: " + err.Error()
		}
	}
	return time.Since(start), <-answered
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
