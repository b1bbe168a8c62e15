package refinstall

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gas-project/gas/refdata"
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
	// SHA256 is a pinned checksum (lower-case hex).
	SHA256 string
	// Size in bytes; a server announcing another size is refused before
	// the transfer.
	Size int64
	// Provider is the provider's own checksum of the file, read from its
	// checksum file (nil: none).
	Provider *ProviderChecksum
}

// check compares the sums of a complete file with everything wanted.
func (w Want) check(s Sums) error {
	if w.Size > 0 && s.Size != w.Size {
		return &ChecksumError{Kind: "size", Got: strconv.FormatInt(s.Size, 10), Want: strconv.FormatInt(w.Size, 10), From: "the manifest"}
	}
	if w.SHA256 != "" && s.SHA256 != w.SHA256 {
		return &ChecksumError{Kind: "SHA-256", Got: s.SHA256, Want: w.SHA256, From: "the manifest"}
	}
	if p := w.Provider; p != nil && !p.matches(s) {
		kind := "MD5"
		if p.Type == refdata.ChecksumBSDSum {
			kind = "BSD sum"
		}
		return &ChecksumError{Kind: kind, Got: p.got(s), Want: p.Value, From: "the provider's " + p.URL}
	}
	return nil
}

// Trust is the level a file that passed check reaches; "" when nothing
// vouches for it (no checksum and not over TLS).
func (w Want) Trust(tls bool) refdata.Trust {
	switch {
	case w.SHA256 != "":
		return refdata.TrustPinnedSHA256
	case w.Provider != nil:
		return w.Provider.trust()
	case tls:
		return refdata.TrustTLSOnly
	}
	return ""
}

// Download is a file fetched into place and what is known about it.
type Download struct {
	Path string
	Sums Sums
	// URL was asked for; FinalURL answered (after redirects).
	URL, FinalURL string
	ETag          string
	LastModified  time.Time
	// TLS tells whether every response that delivered bytes of the file
	// came over TLS.
	TLS     bool
	Fetched time.Time
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

// ChecksumError is a file whose content is not what was expected.
type ChecksumError struct {
	File      string
	Kind      string // "size", "SHA-256", "MD5" or "BSD sum"
	Got, Want string
	From      string // where the expected value comes from
}

func (e *ChecksumError) Error() string {
	if e.Kind == "size" {
		return fmt.Sprintf("%s: size is %s bytes, %s expects %s: a different or damaged file", e.File, e.Got, e.From, e.Want)
	}
	return fmt.Sprintf("%s: %s mismatch: got %s, %s says %s: a different or damaged file", e.File, e.Kind, e.Got, e.From, e.Want)
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

// partMeta is kept beside a .part file (FILE.part.meta) and, once the file
// is complete, beside it (FILE.meta): the validators that let a later
// attempt resume with If-Range only if the server still has the same file.
type partMeta struct {
	URL          string    `json:"url"`
	FinalURL     string    `json:"final_url,omitempty"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"` // as the server sent it
	TLS          bool      `json:"tls"`
	Fetched      time.Time `json:"fetched,omitzero"`
}

// validator is what If-Range sends: a strong ETag, else the Last-Modified
// date; "" when the server gave neither (the file cannot be resumed safely).
func (m *partMeta) validator() string {
	if m.ETag != "" && !strings.HasPrefix(m.ETag, "W/") {
		return m.ETag
	}
	return m.LastModified
}

func readMeta(file string) (*partMeta, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var m partMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &m, nil
}

func writeMeta(file string, m *partMeta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(b, '\n'), 0o644)
}

// fetchState is what one Fetch carries across its attempts.
type fetchState struct {
	url, part string
	meta      *partMeta // nil until a response names the file
	dig       *digest   // covers the first dig.n bytes of part
	meter     Meter
}

// Fetch downloads url to dest (through dest+".part") and checks it against
// want. The bytes are hashed (SHA-256, MD5, BSD sum) as they arrive, so the
// check needs no second read. A file that fails the check is deleted,
// .part included: resuming a complete but wrong file can only fail again.
// A download cut short keeps its .part, and the server's ETag or
// Last-Modified in .part.meta, for the next call to resume with If-Range.
func (d *Downloader) Fetch(ctx context.Context, url, dest string, want Want) (*Download, error) {
	st := &fetchState{url: url, part: dest + ".part", dig: newDigest()}
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
	if d.Meter != nil {
		st.meter = d.Meter(baseName(dest))
	}
	failures, attempts := 0, 0
	for {
		attempts++
		progressed, err := d.attempt(ctx, st, want)
		if err == nil {
			break
		}
		var p permanent
		if errors.As(err, &p) || ctx.Err() != nil {
			var ce *ChecksumError
			if errors.As(err, &ce) && ce.File == "" {
				ce.File = baseName(dest)
			}
			return nil, err
		}
		if progressed {
			failures = 0
		} else {
			failures++
		}
		if failures > retries || d.Retries < 0 {
			return nil, fmt.Errorf("%w (gave up after %d attempts; run again to resume from %s)", err, attempts, st.part)
		}
		wait := min(backoff<<max(failures-1, 0), time.Minute)
		d.logf("download %s: %v; retrying in %s", baseName(dest), err, wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	if st.meter != nil {
		st.meter.Finish()
	}
	s := st.dig.sums()
	if err := want.check(s); err != nil {
		os.Remove(st.part)
		os.Remove(st.part + ".meta")
		err.(*ChecksumError).File = baseName(dest)
		return nil, err
	}
	m := st.meta
	m.Fetched = time.Now().UTC().Truncate(time.Second)
	if err := writeMeta(dest+".meta", m); err != nil {
		return nil, err
	}
	if err := os.Rename(st.part, dest); err != nil {
		return nil, err
	}
	os.Remove(st.part + ".meta")
	return m.download(dest, s), nil
}

func (m *partMeta) download(path string, s Sums) *Download {
	dl := &Download{Path: path, Sums: s, URL: m.URL, FinalURL: m.FinalURL, ETag: m.ETag, TLS: m.TLS, Fetched: m.Fetched}
	if t, err := http.ParseTime(m.LastModified); err == nil {
		dl.LastModified = t.UTC()
	}
	return dl
}

// restart empties the .part file and forgets what was known about it.
func (st *fetchState) restart(f *os.File) error {
	st.dig.reset()
	st.meta = nil
	os.Remove(st.part + ".meta")
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.Seek(0, io.SeekStart)
	return err
}

// resumable decides whether the bytes already in .part may be continued:
// they must come from the same URL and have a validator for If-Range. It
// also makes sure the digest covers them, hashing them again from disk
// when this Fetch did not receive them (a later run): that re-read is the
// check of a leftover .part before it is reused.
func (d *Downloader) resumable(st *fetchState, f *os.File, off int64) (bool, error) {
	if st.meta == nil {
		m, err := readMeta(st.part + ".meta")
		if err != nil {
			d.logf("download %s: %d bytes left by an earlier run, but nothing tells which version of the file they are from; starting over", baseName(strings.TrimSuffix(st.part, ".part")), off)
			return false, nil
		}
		st.meta = m
	}
	if st.meta.URL != st.url || st.meta.validator() == "" {
		d.logf("download %s: the partial file is from %s without ETag or Last-Modified; starting over", baseName(strings.TrimSuffix(st.part, ".part")), st.meta.URL)
		return false, nil
	}
	if st.dig.n != off {
		st.dig.reset()
		if _, err := io.Copy(st.dig, io.NewSectionReader(f, 0, off)); err != nil {
			return false, fmt.Errorf("read %s: %w", st.part, err)
		}
	}
	return true, nil
}

// attempt makes one request and appends what it gets to part. progressed
// tells whether any byte was written.
func (d *Downloader) attempt(ctx context.Context, st *fetchState, want Want) (progressed bool, err error) {
	f, err := os.OpenFile(st.part, os.O_RDWR|os.O_CREATE, 0o644)
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
	if off > 0 {
		ok, err := d.resumable(st, f, off)
		if err != nil {
			return false, permanent{err}
		}
		if !ok || (want.Size > 0 && off > want.Size) { // longer than the whole file: not a prefix of it
			if err := st.restart(f); err != nil {
				return false, permanent{err}
			}
			off = 0
		}
	} else {
		st.dig.reset()
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
	req, err := http.NewRequestWithContext(actx, http.MethodGet, st.url, nil)
	if err != nil {
		return false, permanent{err}
	}
	// Ask for the bytes as stored: a transparently decompressed body would
	// not match the checksum, nor could it be resumed by byte offset.
	req.Header.Set("Accept-Encoding", "identity")
	if off > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", off))
		// Only if the server's file is still the one the .part holds;
		// otherwise it sends the whole (new) file with 200.
		req.Header.Set("If-Range", st.meta.validator())
	}
	resp, err := d.client().Do(req)
	if err != nil {
		if context.Cause(actx) == errStalled {
			return false, errStalled
		}
		return false, err
	}
	defer resp.Body.Close()
	name := baseName(strings.TrimSuffix(st.part, ".part"))

	remaining := int64(-1)
	switch {
	case resp.StatusCode == http.StatusPartialContent && off > 0:
		start, total, ok := contentRange(resp.Header.Get("Content-Range"))
		if !ok || start != off {
			// Not the range we asked for: start over rather than splice.
			if err := st.restart(f); err != nil {
				return false, permanent{err}
			}
			return false, fmt.Errorf("server sent range %q for bytes=%d-; restarting from zero", resp.Header.Get("Content-Range"), off)
		}
		if total >= 0 {
			if err := checkTotal(total, want); err != nil {
				st.restart(f)
				os.Remove(st.part)
				return false, err
			}
			remaining = total - off
		}
		st.meta.TLS = st.meta.TLS && resp.TLS != nil
		st.meta.FinalURL = finalURL(resp)
		if err := writeMeta(st.part+".meta", st.meta); err != nil {
			return false, permanent{err}
		}
	case resp.StatusCode == http.StatusOK:
		if off > 0 {
			d.logf("download %s: the server sent the whole file instead of the rest (it changed since the partial download, or the server ignores Range); starting over", name)
			if err := st.restart(f); err != nil {
				return false, permanent{err}
			}
			off = 0
		}
		if resp.ContentLength >= 0 {
			if err := checkTotal(resp.ContentLength, want); err != nil {
				st.restart(f)
				os.Remove(st.part)
				return false, err
			}
		}
		remaining = resp.ContentLength
		st.meta = &partMeta{URL: st.url, FinalURL: finalURL(resp), ETag: resp.Header.Get("ETag"),
			LastModified: resp.Header.Get("Last-Modified"), TLS: resp.TLS != nil}
		if err := writeMeta(st.part+".meta", st.meta); err != nil {
			return false, permanent{err}
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && off > 0:
		// Asking past the end of an unchanged file: the .part holds it all.
		if _, total, ok := contentRange(resp.Header.Get("Content-Range")); ok && total == off {
			return false, nil
		}
		if err := st.restart(f); err != nil {
			return false, permanent{err}
		}
		return false, fmt.Errorf("server refused bytes=%d-; restarting from zero", off)
	default:
		he := &HTTPError{URL: st.url, Status: resp.Status, Code: resp.StatusCode}
		if he.transient() {
			return false, he
		}
		return false, permanent{he}
	}

	if st.meter != nil {
		st.meter.Start(off, remaining)
	}
	n, err := io.Copy(&hashingWriter{f: f, d: st.dig}, &meterReader{r: resp.Body, m: st.meter, alive: func() { watchdog.Reset(idle) }})
	progressed = n > 0
	if err != nil {
		var we writeError
		if errors.As(err, &we) {
			return progressed, permanent{fmt.Errorf("write %s: %w", st.part, we.error)}
		}
		if context.Cause(actx) == errStalled {
			err = errStalled
		}
		return progressed, fmt.Errorf("GET %s: after %d bytes: %w", st.url, off+n, err)
	}
	if remaining >= 0 && n != remaining {
		return progressed, fmt.Errorf("GET %s: connection closed after %d of %d bytes", st.url, off+n, off+remaining)
	}
	return progressed, nil
}

// finalURL is the URL of the request that produced resp (after redirects).
func finalURL(resp *http.Response) string {
	if resp.Request != nil && resp.Request.URL != nil {
		return resp.Request.URL.String()
	}
	return ""
}

// hashingWriter writes to the .part file and hashes exactly the bytes
// written, so the digest always describes the file's content.
type hashingWriter struct {
	f *os.File
	d *digest
}

type writeError struct{ error }

func (w *hashingWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.d.Write(p[:n])
	if err != nil {
		return n, writeError{err}
	}
	return n, nil
}

// checkTotal refuses, before transferring it, a file whose announced size
// differs from the manifest's.
func checkTotal(total int64, want Want) error {
	if want.Size > 0 && total != want.Size {
		return permanent{&ChecksumError{Kind: "size", Got: strconv.FormatInt(total, 10), Want: strconv.FormatInt(want.Size, 10), From: "the manifest"}}
	}
	return nil
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

// Verify hashes file and checks it against want. It is how a file that is
// already on disk (from --from, or left by an earlier run) is checked again
// before it is used.
func Verify(file string, want Want) (Sums, error) {
	s, err := hashFile(file)
	if err != nil {
		return s, err
	}
	if err := want.check(s); err != nil {
		err.(*ChecksumError).File = file
		return s, err
	}
	return s, nil
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// errNotTLS is a checksum file that did not come over TLS: whoever could
// change the download could change it too.
var errNotTLS = errors.New("not fetched over TLS")

// GetSmall fetches a small file (a provider's checksum file) whole, with
// the same retries as Fetch, refusing more than limit bytes. tls tells
// whether the response that delivered it came over TLS.
func (d *Downloader) GetSmall(ctx context.Context, url string, limit int64) (body []byte, tls bool, err error) {
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
	for attempt := 0; ; attempt++ {
		body, tls, err = d.getSmall(ctx, url, limit)
		var p permanent
		if err == nil || errors.As(err, &p) || ctx.Err() != nil || attempt >= retries {
			if errors.As(err, &p) {
				err = p.error
			}
			return body, tls, err
		}
		wait := min(backoff<<attempt, time.Minute)
		d.logf("get %s: %v; retrying in %s", url, err, wait)
		select {
		case <-ctx.Done():
			return nil, false, ctx.Err()
		case <-time.After(wait):
		}
	}
}

func (d *Downloader) getSmall(ctx context.Context, url string, limit int64) ([]byte, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, false, permanent{err}
	}
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := d.client().Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		he := &HTTPError{URL: url, Status: resp.Status, Code: resp.StatusCode}
		if he.transient() {
			return nil, false, he
		}
		return nil, false, permanent{he}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, false, fmt.Errorf("GET %s: %w", url, err)
	}
	if int64(len(b)) > limit {
		return nil, false, permanent{fmt.Errorf("GET %s: more than %d bytes", url, limit)}
	}
	return b, resp.TLS != nil, nil
}

// Size asks the server for the size of url (a HEAD request); -1 when it
// does not say.
func (d *Downloader) Size(ctx context.Context, url string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
	if err != nil {
		return -1, err
	}
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := d.client().Do(req)
	if err != nil {
		return -1, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return -1, &HTTPError{URL: url, Status: resp.Status, Code: resp.StatusCode}
	}
	return resp.ContentLength, nil
}
