package refinstall

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Meter shows the progress of one transfer. Start is called at the
// beginning of every attempt with the bytes already on disk and the bytes
// still to come (-1 when the server does not say).
type Meter interface {
	Start(offset, remaining int64)
	Add(n int)
	Finish()
}

// Downloader fetches files into place through a ".part" file that survives
// interruptions: the next attempt (or the next run) asks the server for the
// rest with an HTTP Range request.
type Downloader struct {
	Client *http.Client // nil: http.DefaultClient
	// Retries is how many failed attempts in a row without any progress are
	// tolerated (0 means 5; negative means no retry at all). An attempt
	// that received bytes resets the count, so a long download survives
	// many drops.
	Retries int
	// Backoff is the first wait before a retry (0 means 1s); it doubles
	// after each attempt without progress, up to a minute.
	Backoff time.Duration
	// IdleTimeout ends an attempt that receives no byte for this long (0
	// means 2 minutes), so a stalled connection is retried instead of
	// hanging the install.
	IdleTimeout time.Duration
	// Meter, when set, makes a progress meter for a file.
	Meter func(name string) Meter
	// Logf, when set, reports retries and restarts.
	Logf func(format string, args ...any)
}

// Want is what a downloaded file must match; zero fields are not checked.
type Want struct {
	SHA256 string
	Size   int64
}

// HTTPError is an unexpected HTTP status.
type HTTPError struct {
	URL    string
	Status string
	Code   int
}

func (e *HTTPError) Error() string { return fmt.Sprintf("GET %s: %s", e.URL, e.Status) }

// transient reports whether retrying can help: server errors, throttling
// and timeouts can; a 404 or 403 cannot.
func (e *HTTPError) transient() bool {
	return e.Code >= 500 || e.Code == http.StatusTooManyRequests || e.Code == http.StatusRequestTimeout
}

// ChecksumError is a file whose content is not what the manifest expects.
type ChecksumError struct {
	File      string
	Got, Want string // SHA-256 hex, or sizes in bytes for a size mismatch
	Size      bool   // the size differs (Got/Want are byte counts)
}

func (e *ChecksumError) Error() string {
	if e.Size {
		return fmt.Sprintf("%s: size is %s bytes, the manifest expects %s: a different or damaged file", e.File, e.Got, e.Want)
	}
	return fmt.Sprintf("%s: SHA-256 mismatch: got %s, the manifest expects %s: a different or damaged file", e.File, e.Got, e.Want)
}

// permanent wraps an error that retrying cannot fix.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

func (d *Downloader) client() *http.Client {
	if d.Client != nil {
		return d.Client
	}
	return http.DefaultClient
}

func (d *Downloader) logf(format string, args ...any) {
	if d.Logf != nil {
		d.Logf(format, args...)
	}
}

// Fetch downloads url to dest (through dest+".part") and checks it against
// want. It returns the SHA-256 of the file. A file whose checksum or size is
// wrong is deleted, .part included: resuming a complete but wrong file can
// only fail again. A download cut short keeps its .part for the next call.
func (d *Downloader) Fetch(ctx context.Context, url, dest string, want Want) (string, error) {
	part := dest + ".part"
	retries := d.Retries
	if retries == 0 {
		retries = 5
	} else if retries < 0 {
		retries = 0
	}
	backoff := d.Backoff
	if backoff <= 0 {
		backoff = time.Second
	}
	var meter Meter
	if d.Meter != nil {
		meter = d.Meter(baseName(dest))
	}
	failures, attempts := 0, 0
	for {
		attempts++
		progressed, err := d.attempt(ctx, url, part, want, meter)
		if err == nil {
			break
		}
		var p permanent
		if errors.As(err, &p) || ctx.Err() != nil {
			var ce *ChecksumError
			if errors.As(err, &ce) && ce.File == "" {
				ce.File = baseName(dest)
			}
			return "", err
		}
		if progressed {
			failures = 0
		} else {
			failures++
		}
		if failures > retries || d.Retries < 0 {
			return "", fmt.Errorf("%w (gave up after %d attempts; run again to resume from %s)", err, attempts, part)
		}
		wait := min(backoff<<max(failures-1, 0), time.Minute)
		d.logf("download %s: %v; retrying in %s", baseName(dest), err, wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", ctx.Err()
		case <-t.C:
		}
	}
	if meter != nil {
		meter.Finish()
	}
	sum, err := Verify(part, want)
	if err != nil {
		var ce *ChecksumError
		if errors.As(err, &ce) {
			os.Remove(part)
			ce.File = baseName(dest)
		}
		return "", err
	}
	if err := os.Rename(part, dest); err != nil {
		return "", err
	}
	return sum, nil
}

// attempt makes one request and appends what it gets to part. progressed
// tells whether any byte was written.
func (d *Downloader) attempt(ctx context.Context, url, part string, want Want, meter Meter) (progressed bool, err error) {
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return false, permanent{err}
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = permanent{cerr}
		}
	}()
	off, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return false, permanent{err}
	}
	if want.Size > 0 && off > want.Size {
		// Longer than the whole file: not a prefix of it.
		if off, err = restart(f); err != nil {
			return false, permanent{err}
		}
	}
	idle := d.IdleTimeout
	if idle <= 0 {
		idle = 2 * time.Minute
	}
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	errStalled := fmt.Errorf("no data for %s", idle)
	watchdog := time.AfterFunc(idle, func() { cancel(errStalled) })
	defer watchdog.Stop()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, url, nil)
	if err != nil {
		return false, permanent{err}
	}
	// Ask for the bytes as stored: a transparently decompressed body would
	// not match the checksum, nor could it be resumed by byte offset.
	req.Header.Set("Accept-Encoding", "identity")
	if off > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", off))
	}
	resp, err := d.client().Do(req)
	if err != nil {
		if context.Cause(actx) == errStalled {
			return false, errStalled
		}
		return false, err
	}
	defer resp.Body.Close()

	remaining := int64(-1)
	switch {
	case resp.StatusCode == http.StatusPartialContent && off > 0:
		start, total, ok := contentRange(resp.Header.Get("Content-Range"))
		if !ok || start != off {
			// Not the range we asked for: start over rather than splice.
			if _, err := restart(f); err != nil {
				return false, permanent{err}
			}
			return false, fmt.Errorf("server sent range %q for bytes=%d-; restarting from zero", resp.Header.Get("Content-Range"), off)
		}
		if total >= 0 {
			if err := checkTotal(total, want); err != nil {
				os.Remove(part)
				return false, err
			}
			remaining = total - off
		}
	case resp.StatusCode == http.StatusOK:
		if off > 0 {
			d.logf("download %s: the server ignored the Range request; restarting from zero", strings.TrimSuffix(baseName(part), ".part"))
			if off, err = restart(f); err != nil {
				return false, permanent{err}
			}
		}
		if resp.ContentLength >= 0 {
			if err := checkTotal(resp.ContentLength, want); err != nil {
				os.Remove(part)
				return false, err
			}
		}
		remaining = resp.ContentLength
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && off > 0:
		// Asking past the end: the .part may already hold the whole file.
		if _, total, ok := contentRange(resp.Header.Get("Content-Range")); ok && total == off {
			return false, nil
		}
		if _, err := restart(f); err != nil {
			return false, permanent{err}
		}
		return false, fmt.Errorf("server refused bytes=%d-; restarting from zero", off)
	default:
		he := &HTTPError{URL: url, Status: resp.Status, Code: resp.StatusCode}
		if he.transient() {
			return false, he
		}
		return false, permanent{he}
	}

	if meter != nil {
		meter.Start(off, remaining)
	}
	n, err := io.Copy(f, &meterReader{r: resp.Body, m: meter, alive: func() { watchdog.Reset(idle) }})
	progressed = n > 0
	if err != nil {
		if context.Cause(actx) == errStalled {
			err = errStalled
		}
		return progressed, fmt.Errorf("GET %s: after %d bytes: %w", url, off+n, err)
	}
	if remaining >= 0 && n != remaining {
		return progressed, fmt.Errorf("GET %s: connection closed after %d of %d bytes", url, off+n, off+remaining)
	}
	return progressed, nil
}

// checkTotal refuses, before transferring it, a file whose announced size
// differs from the manifest's.
func checkTotal(total int64, want Want) error {
	if want.Size > 0 && total != want.Size {
		return permanent{&ChecksumError{Got: strconv.FormatInt(total, 10), Want: strconv.FormatInt(want.Size, 10), Size: true}}
	}
	return nil
}

func restart(f *os.File) (int64, error) {
	if err := f.Truncate(0); err != nil {
		return 0, err
	}
	return f.Seek(0, io.SeekStart)
}

// contentRange parses "bytes START-END/TOTAL" and "bytes */TOTAL"; total
// is -1 for "*".
func contentRange(v string) (start, total int64, ok bool) {
	rest, found := strings.CutPrefix(v, "bytes ")
	if !found {
		return 0, 0, false
	}
	span, tot, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	total = -1
	if tot != "*" {
		t, err := strconv.ParseInt(tot, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		total = t
	}
	if span == "*" {
		return -1, total, total >= 0
	}
	a, _, found := strings.Cut(span, "-")
	s, err := strconv.ParseInt(a, 10, 64)
	if !found || err != nil {
		return 0, 0, false
	}
	return s, total, true
}

// meterReader reports bytes to the meter and keeps the stall watchdog
// from firing while data flows.
type meterReader struct {
	r     io.Reader
	m     Meter
	alive func()
}

func (m *meterReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	if n > 0 {
		m.alive()
		if m.m != nil {
			m.m.Add(n)
		}
	}
	return n, err
}

// Verify hashes file and checks it against want, returning its SHA-256.
func Verify(file string, want Want) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", file, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if want.Size > 0 && n != want.Size {
		return sum, &ChecksumError{File: file, Got: strconv.FormatInt(n, 10), Want: strconv.FormatInt(want.Size, 10), Size: true}
	}
	if want.SHA256 != "" && sum != want.SHA256 {
		return sum, &ChecksumError{File: file, Got: sum, Want: want.SHA256}
	}
	return sum, nil
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
