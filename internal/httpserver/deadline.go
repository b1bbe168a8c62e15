package httpserver

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// ErrSlowBody is the error a request body read returns (wrapped) once the
// client sent it too slowly: an ordinary request not whole within its
// deadline, or an upload below its minimum rate. The connection is then
// unusable; handlers answer if they can and the server closes it.
var ErrSlowBody = errors.New("request body sent too slowly")

// BodyDeadlines bounds how long a client may take to send a request body,
// so a client trickling bytes (a slow-loris attack, or a stalled upload)
// cannot hold a connection and a handler open for ever. Only time spent
// waiting for the client counts: while the handler itself works between
// reads (storing a part, checking a file) the clock stands still.
type BodyDeadlines struct {
	// Request is the time an ordinary body (a form, JSON) may take in all.
	Request time.Duration
	// Uploads (IsUpload) must instead keep up MinRate bytes per second
	// averaged over each Window: every Window of waiting must bring at least
	// MinRate×Window bytes, however long the whole upload takes.
	MinRate int64
	Window  time.Duration
	// IsUpload says which requests are uploads; nil: none.
	IsUpload func(*http.Request) bool
	// OnSlow is called once per client cut off, with "upload" or
	// "request" (the /metrics counter); nil: not counted.
	OnSlow func(kind string)
}

// Body kinds passed to OnSlow.
const (
	SlowRequest = "request"
	SlowUpload  = "upload"
)

// BodyDeadline enforces d on every request with a body, through read
// deadlines on the connection (http.ResponseController). Requests without
// a body are left alone: a deadline on them would end the request's
// context while a long download is still being written.
func BodyDeadline(d BodyDeadlines) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Body == nil || r.Body == http.NoBody || d.Request <= 0 {
				next.ServeHTTP(w, r)
				return
			}
			b := &deadlineBody{body: r.Body, rc: http.NewResponseController(w), budget: d.Request,
				kind: SlowRequest, onSlow: d.OnSlow, now: time.Now}
			if d.IsUpload != nil && d.IsUpload(r) && d.MinRate > 0 && d.Window > 0 {
				b.kind, b.budget = SlowUpload, d.Window
				b.perWindow = d.MinRate * int64(d.Window/time.Second)
				b.perWindow = max(b.perWindow, 1)
			}
			// Set now, not at the first read: a handler that never reads the
			// body leaves it to the server, which drains it under this deadline.
			b.arm()
			r.Body = b
			next.ServeHTTP(w, r)
			// What the handler left unread is drained by the server after
			// this returns; the client gets the rest of its budget for it.
			b.arm()
		})
	}
}

// deadlineBody sets the connection's read deadline before each read to
// what is left of its budget: the whole request's time, or for an upload
// the current window's, which starts again each time the window has
// brought its bytes.
type deadlineBody struct {
	body   io.ReadCloser
	rc     *http.ResponseController
	kind   string
	onSlow func(string)
	now    func() time.Time

	budget    time.Duration // time the client may keep the server waiting in this window
	perWindow int64         // bytes that open a new window; 0: one window for the whole body
	spent     time.Duration // time spent waiting for the client in this window
	got       int64         // bytes received in this window
	done      bool          // EOF or failure: the deadline is no longer ours to set
	slow      bool
	noDeadln  bool // the connection cannot take deadlines (a test recorder)
}

// Read reads with the connection's deadline at the end of the remaining
// budget; a read that hits it fails with ErrSlowBody.
func (b *deadlineBody) Read(p []byte) (int, error) {
	if b.slow {
		return 0, b.slowErr(nil)
	}
	if !b.done && b.budget-b.spent <= 0 {
		return 0, b.cutOff(nil)
	}
	b.arm()
	start := b.now()
	n, err := b.body.Read(p)
	b.spent += b.now().Sub(start)
	b.got += int64(n)
	if b.perWindow > 0 && b.got >= b.perWindow {
		b.spent, b.got = 0, 0
	}
	switch {
	case err == nil:
	case errors.Is(err, os.ErrDeadlineExceeded):
		return n, b.cutOff(err)
	default:
		// EOF (or the client went away): from now on the server reads the
		// connection for the next request, under its own deadlines; ours
		// would cancel the request's context while the handler works.
		b.finish()
	}
	return n, err
}

// arm sets the connection's read deadline at the end of what is left of
// the budget, unless the body is finished.
func (b *deadlineBody) arm() {
	if b.done || b.noDeadln {
		return
	}
	if err := b.rc.SetReadDeadline(b.now().Add(max(b.budget-b.spent, 0))); err != nil {
		b.noDeadln = true
	}
}

// Close passes the close on; the deadline stays for the server's drain.
func (b *deadlineBody) Close() error { return b.body.Close() }

func (b *deadlineBody) finish() {
	if b.done {
		return
	}
	b.done = true
	if !b.noDeadln && !b.slow {
		_ = b.rc.SetReadDeadline(time.Time{})
	}
}

func (b *deadlineBody) cutOff(err error) error {
	if !b.slow {
		b.slow, b.done = true, true
		if !b.noDeadln {
			// A deadline in the past: the server's drain of the rest fails
			// at once and it closes the connection.
			_ = b.rc.SetReadDeadline(b.now())
		}
		if b.onSlow != nil {
			b.onSlow(b.kind)
		}
	}
	return b.slowErr(err)
}

func (b *deadlineBody) slowErr(cause error) error {
	what := "the request body did not arrive in time"
	if b.kind == SlowUpload {
		what = "the upload arrived more slowly than the minimum rate"
	}
	if cause == nil {
		return fmt.Errorf("%w: %s", ErrSlowBody, what)
	}
	return fmt.Errorf("%w: %s: %w", ErrSlowBody, what, cause)
}
