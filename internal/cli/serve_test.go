package cli

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// server is a gas serve running in-process on a free port.
type server struct {
	url  string
	dir  string
	done chan int
}

// startServe runs `gas serve` on 127.0.0.1:0 with a temp data dir and
// returns once it has printed its URL. The server is stopped at cleanup and
// must exit 0.
func startServe(t *testing.T, extra ...string) *server {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &server{dir: dir, done: make(chan int, 1)}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--workers", "2"}, extra...)
	var stderr syncWriter
	go func() {
		code := Run(ctx, args, []string{"GAS_LOG_LEVEL=warn"}, pw, &stderr)
		pw.Close()
		s.done <- code
	}()
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			if u, ok := strings.CutPrefix(line, "GAS is running at "); ok {
				urlc <- u
			}
		}
		close(urlc)
	}()
	select {
	case u, ok := <-urlc:
		if !ok {
			t.Fatalf("gas serve exited before printing its URL; stderr:\n%s", stderr.String())
		}
		s.url = u
	case <-time.After(60 * time.Second):
		t.Fatalf("gas serve did not start; stderr:\n%s", stderr.String())
	}
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-s.done:
			if code != 0 {
				t.Errorf("gas serve exited %d; stderr:\n%s", code, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("gas serve did not stop within 30s of cancellation")
		}
	})
	return s
}

// client is a browser-like HTTP client with its own cookie jar that does
// not follow redirects, so tests see each 303.
func newClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func TestServeStartsAndStops(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	resp, err := http.Get(s.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<html") {
		t.Fatalf("GET / = %d\n%.300s", resp.StatusCode, body)
	}
	for _, p := range []string{"gas.db", "blobs", "refdata"} {
		if _, err := os.Stat(filepath.Join(s.dir, p)); err != nil {
			t.Errorf("data dir lacks %s: %v", p, err)
		}
	}
	// Signing up works against the real stores.
	c := newClient(t)
	resp, err = c.PostForm(s.url+"/signup", url.Values{"email": {"a@example.org"}, "password": {"correct horse battery"}, "name": {"A"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-up = %d", resp.StatusCode)
	}
}

// syncWriter is a goroutine-safe buffer for the server's stderr.
type syncWriter struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
