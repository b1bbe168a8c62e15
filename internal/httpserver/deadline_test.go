package httpserver

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// slowServer is a real HTTP server whose handler reads the whole body (as
// a sign-in form or an upload does) behind BodyDeadline, and counts the
// clients it cuts off.
func slowServer(t *testing.T, d BodyDeadlines, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var cut atomic.Int64
	d.OnSlow = func(kind string) { cut.Add(1) }
	if h == nil {
		h = func(w http.ResponseWriter, r *http.Request) {
			n, err := io.Copy(io.Discard, r.Body)
			if errors.Is(err, ErrSlowBody) {
				http.Error(w, "too slow", http.StatusRequestTimeout)
				return
			}
			fmt.Fprintf(w, "read %d bytes, err %v", n, err)
		}
	}
	srv := httptest.NewUnstartedServer(BodyDeadline(d)(h))
	srv.Config.ReadHeaderTimeout = 10 * time.Second
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &cut
}

// trickle sends a request announcing size body bytes, then one byte every
// gap until the server closes the connection or size bytes are sent, and
// returns how long the server took to close it (or to answer) and what it
// answered.
func trickle(t *testing.T, url, path string, size int, gap time.Duration) (time.Duration, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n", path, size)
	answered := make(chan string, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answered <- "closed: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		answered <- resp.Status + ": " + string(b)
	}()
	for i := 0; i < size; i++ {
		select {
		case a := <-answered:
			return time.Since(start), a
		case <-time.After(gap):
		}
		if _, err := conn.Write([]byte{'a'}); err != nil {
			return time.Since(start), "write failed: " + err.Error()
		}
	}
	select {
	case a := <-answered:
		return time.Since(start), a
	case <-time.After(time.Minute):
		t.Fatal("no answer a minute after the whole body was sent")
		return 0, ""
	}
}

// TestSlowBodyRequestCutOff: a client sending a form at 1 byte/s is cut
// off once the request deadline passes, long before its body would be
// complete, and counted.
func TestSlowBodyRequestCutOff(t *testing.T) {
	t.Parallel()
	srv, cut := slowServer(t, BodyDeadlines{Request: 2 * time.Second}, nil)
	took, answer := trickle(t, srv.URL, "/signin", 60, time.Second)
	// The whole body would take a minute; the deadline is 2 s.
	if took > 15*time.Second {
		t.Errorf("cut off after %s, want about 2 s (answer %q)", took, answer)
	}
	if !strings.Contains(answer, "408") && !strings.HasPrefix(answer, "closed") {
		t.Errorf("answer %q, want 408 or a closed connection", answer)
	}
	if cut.Load() != 1 {
		t.Errorf("slow clients counted: %d, want 1", cut.Load())
	}
}

// TestSlowBodyUploadBelowMinimumRate: an upload at 1 byte/s is below a
// minimum of 100 bytes/s over 2 s windows and is cut off after the first
// window, while the same server takes a request body that is fast enough.
func TestSlowBodyUploadBelowMinimumRate(t *testing.T) {
	t.Parallel()
	d := BodyDeadlines{Request: time.Minute, MinRate: 100, Window: 2 * time.Second,
		IsUpload: func(r *http.Request) bool { return r.URL.Path == "/upload" }}
	srv, cut := slowServer(t, d, nil)
	took, answer := trickle(t, srv.URL, "/upload", 60, time.Second)
	if took > 15*time.Second {
		t.Errorf("upload cut off after %s, want about 2 s (answer %q)", took, answer)
	}
	if cut.Load() != 1 {
		t.Errorf("slow uploads counted: %d, want 1", cut.Load())
	}
}

// TestSlowBodyUploadAtRateIsKept: an upload that keeps up the minimum
// rate may take many windows in all; only each window's bytes count.
func TestSlowBodyUploadAtRateIsKept(t *testing.T) {
	t.Parallel()
	d := BodyDeadlines{Request: 500 * time.Millisecond, MinRate: 4, Window: time.Second,
		IsUpload: func(r *http.Request) bool { return r.URL.Path == "/upload" }}
	srv, cut := slowServer(t, d, nil)
	// 10 bytes/s against a minimum of 4/s, for 3 s: three windows, and six
	// times the ordinary request deadline.
	_, answer := trickle(t, srv.URL, "/upload", 30, 100*time.Millisecond)
	if !strings.Contains(answer, "200 OK: read 30 bytes, err <nil>") {
		t.Errorf("answer %q, want the whole body read", answer)
	}
	if cut.Load() != 0 {
		t.Errorf("slow uploads counted: %d, want 0", cut.Load())
	}
}

// TestSlowBodyHandlerTimeDoesNotCount: time the handler spends between
// reads, and after the body ended, is not the client's: the request is
// not cut off and its context stays alive.
func TestSlowBodyHandlerTimeDoesNotCount(t *testing.T) {
	t.Parallel()
	srv, cut := slowServer(t, BodyDeadlines{Request: 300 * time.Millisecond}, func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 4)
		var n int
		for {
			m, err := r.Body.Read(buf)
			n += m
			if err != nil {
				if err != io.EOF {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				break
			}
			time.Sleep(200 * time.Millisecond) // work on what was read
		}
		time.Sleep(time.Second) // e.g. checking the stored upload
		if err := r.Context().Err(); err != nil {
			http.Error(w, "context ended: "+err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "read %d", n)
	})
	resp, err := http.Post(srv.URL+"/form", "text/plain", strings.NewReader(strings.Repeat("x", 20)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "read 20" {
		t.Errorf("%s: %s", resp.Status, b)
	}
	if cut.Load() != 0 {
		t.Errorf("slow clients counted: %d, want 0", cut.Load())
	}
}

// TestSlowBodyUnreadBodyIsBounded: a handler that answers without reading
// the body leaves it to the server's drain, which the deadline bounds too.
func TestSlowBodyUnreadBodyIsBounded(t *testing.T) {
	t.Parallel()
	srv, _ := slowServer(t, BodyDeadlines{Request: 2 * time.Second}, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "not reading that")
	})
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 60\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Keep trickling: the server must close the connection rather than
	// drain the rest at 1 byte/s.
	closed := make(chan time.Duration, 1)
	go func() {
		_, _ = io.Copy(io.Discard, br)
		closed <- time.Since(start)
	}()
	for i := 0; i < 60; i++ {
		select {
		case took := <-closed:
			if took > 15*time.Second {
				t.Errorf("connection closed after %s", took)
			}
			return
		case <-time.After(time.Second):
		}
		if _, err := conn.Write([]byte{'a'}); err != nil {
			return // closed by the server
		}
	}
	t.Error("the server drained a 1 byte/s body to the end")
}
