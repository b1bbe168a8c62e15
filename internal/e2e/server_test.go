package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// server is one run of `gas serve` as a child process. A data directory
// outlives its servers: tests stop or kill one and start the next on the
// same directory.
type server struct {
	t    *testing.T
	dir  string // GAS_DATA_DIR
	url  string // http://127.0.0.1:PORT
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, valid after done
}

// serverEnv returns this process's environment without any GAS_ variable
// (a developer's or CI's settings must not leak into the child), plus base
// and then extra, later entries winning.
func serverEnv(dir string, extra map[string]string) []string {
	vars := map[string]string{
		"GAS_DATA_DIR":  dir,
		"GAS_ADDR":      "127.0.0.1:0",
		"GAS_WORKERS":   "2",
		"GAS_LOG_LEVEL": "info",
		// Whole-system tests send many uploads as one user; the limits
		// of jobs at once and uploads per hour have tests of their own
		// (TestPlanLimits…).
		"GAS_FREE_QUEUED_JOBS":      "0",
		"GAS_FREE_UPLOADS_PER_HOUR": "0",
	}
	for k, v := range extra {
		vars[k] = v
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GAS_") {
			env = append(env, kv)
		}
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+vars[k])
	}
	return env
}

// logFile is where a data dir's servers append their stderr: next to the
// directory, not in it, so the checks of its contents see only what gas wrote.
func logFile(dir string) string { return dir + ".stderr.log" }

// startServer runs `gas serve` on dir and returns once GET /healthz answers.
// The server's stderr is printed (its tail) if the test fails, and a server
// still running when the test ends is killed.
func startServer(t *testing.T, dir string, env map[string]string) *server {
	t.Helper()
	bin := gasBinary(t)
	if u := env["GAS_DATABASE_URL"]; u != "" {
		databases.Store(dir, u)
	}
	logf, err := os.OpenFile(logFile(dir), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(logf, "=== gas serve started at %s\n", time.Now().UTC().Format(time.RFC3339Nano))
	cmd := exec.Command(bin, "serve")
	cmd.Env = serverEnv(dir, env)
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logf.Close() // the child has its own copy
	s := &server{t: t, dir: dir, cmd: cmd, done: make(chan struct{})}

	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "GAS is running at "); ok && !sent {
				urlc <- strings.TrimSpace(u)
				sent = true
			}
		}
		// Drain to EOF so the child never blocks writing to a full pipe.
		_, _ = io.Copy(io.Discard, stdout)
		close(urlc)
	}()
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			s.signal(syscall.SIGKILL)
			<-s.done
		}
	})
	registerLogDump(t, dir)

	select {
	case u, ok := <-urlc:
		if !ok {
			<-s.done
			t.Fatalf("gas serve exited before printing its URL: %v", s.err)
		}
		s.url = u
	case <-time.After(60 * time.Second):
		t.Fatal("gas serve did not print its URL within 60s")
	}
	s.waitHealthy()
	return s
}

// waitHealthy polls GET /healthz until it answers 200.
func (s *server) waitHealthy() {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("GET %s/healthz never answered 200 (last: %v)", s.url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) signal(sig os.Signal) {
	if err := s.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		s.t.Logf("signal %v: %v", sig, err)
	}
}

// stop asks for a graceful stop (SIGTERM, what a service manager sends) and
// requires a clean exit.
func (s *server) stop() {
	s.t.Helper()
	s.signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		s.signal(syscall.SIGKILL)
		<-s.done
		s.t.Fatal("gas serve did not stop within 60s of SIGTERM")
	}
	if s.err != nil {
		s.t.Fatalf("gas serve exited uncleanly after SIGTERM: %v", s.err)
	}
}

// kill ends the server the way a crash or an OOM killer would: no cleanup,
// no graceful stop of running jobs.
func (s *server) kill() {
	s.t.Helper()
	s.signal(syscall.SIGKILL)
	<-s.done
}

// registerLogDump prints the tail of dir's server log when t fails, once
// per test and data dir.
func registerLogDump(t *testing.T, dir string) {
	key := "gas-e2e-logdump:" + dir
	if _, loaded := dumped.LoadOrStore(key, true); loaded {
		return
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		b, err := os.ReadFile(logFile(dir))
		if err != nil {
			t.Logf("server log: %v", err)
			return
		}
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		const keep = 80
		if len(lines) > keep {
			t.Logf("... %d earlier lines of %s omitted", len(lines)-keep, filepath.Base(logFile(dir)))
			lines = lines[len(lines)-keep:]
		}
		t.Logf("server stderr (tail):\n%s", strings.Join(lines, "\n"))
	})
}

// runGas runs a gas command to completion (e.g. `admin users set-plan`
// while the server is stopped) and returns its combined output.
func runGas(t *testing.T, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gasBinary(t), args...)
	cmd.Env = serverEnv(dir, nil)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gas %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// dumped remembers the data dirs whose log dump is already registered.
var dumped sync.Map
