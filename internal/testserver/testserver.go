// Package testserver finds and starts the real third-party servers that
// tests talk to (stripe-mock, mailpit, versitygw, …) on loopback ports.
// A missing program skips the test with the command that installs it,
// unless GAS_TEST_REQUIRE_SERVERS is set (CI sets it), where it fails: CI
// must never pass by skipping.
package testserver

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// EnvRequire makes a missing server a failure instead of a skip.
const EnvRequire = "GAS_TEST_REQUIRE_SERVERS"

// Find returns the path of program: on PATH or in $(go env GOPATH)/bin,
// where `go install` puts it. When absent it skips t (or fails it under
// EnvRequire), naming install as the way to get it.
func Find(t testing.TB, program, install string) string {
	t.Helper()
	if p, err := exec.LookPath(program); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = string(bytes.TrimSpace(out))
		}
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", program)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	msg := fmt.Sprintf("%s not found on PATH or in GOPATH/bin; install it with: %s", program, install)
	if os.Getenv(EnvRequire) != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// FreePort returns a loopback port that was free a moment ago, for
// programs that cannot report the port they picked.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Addr formats a loopback address.
func Addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// Process is a started server.
type Process struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

// Start runs path with args, stopping it when t ends; its output is logged
// if t fails.
func Start(t testing.TB, path string, args ...string) *Process {
	t.Helper()
	p := &Process{cmd: exec.Command(path, args...), out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", filepath.Base(path), err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(path), p.out.String())
		}
	})
	return p
}

// Stop kills the server and waits for it to exit.
func (p *Process) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// WaitHTTP polls url until it answers with any HTTP status (the server is
// up), the process exits, or 30 s pass.
func (p *Process) WaitHTTP(t testing.TB, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			return
		}
		select {
		case <-p.done:
			t.Fatalf("server exited before answering %s:\n%s", url, p.out.String())
		case <-ctx.Done():
			t.Fatalf("server did not answer %s within 30 s:\n%s", url, p.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
