package web

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/auth"
	"github.com/gas-project/gas/internal/blob"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
)

// recordingQueue stands in for River: it records which jobs were enqueued
// inside CreateJob's transaction, so tests can assert "nothing queued".
type recordingQueue struct {
	mu  sync.Mutex
	ids []string
}

func (q *recordingQueue) EnqueueAnnotate(ctx context.Context, tx *sql.Tx, jobID string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ids = append(q.ids, jobID)
	return nil
}

func (q *recordingQueue) queued() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string(nil), q.ids...)
}

// clock is a settable time source shared by the site and the database.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is one running site on real stores (SQLite file + blob dir).
type fixture struct {
	t       testing.TB
	srv     *httptest.Server
	db      *sqldb.DB
	jobs    *sqldb.Jobs
	blobs   *blob.FS
	blobDir string
	queue   *recordingQueue
	clock   *clock
	logs    *syncWriter
}

// setup starts the site; edit adjusts its Config.
func setup(t testing.TB, edit func(*Config)) *fixture {
	t.Helper()
	return setupWith(t, edit, nil)
}

// setupWith is setup with the job store seen by the site wrapped, to inject faults.
func setupWith(t testing.TB, edit func(*Config), wrapJobs func(gas.JobStore) gas.JobStore) *fixture {
	t.Helper()
	return setupDeps(t, edit, wrapJobs, nil)
}

// setupDeps is setupWith with the site's Deps adjusted by editDeps, which
// sees the database the fixture opened.
func setupDeps(t testing.TB, edit func(*Config), wrapJobs func(gas.JobStore) gas.JobStore, editDeps func(*sqldb.DB, *Deps)) *fixture {
	t.Helper()
	dir := t.TempDir()
	clk := &clock{t: time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)}
	db := sqldbtest.SQLite(t, sqldb.Options{Now: clk.Now})
	blobDir := filepath.Join(dir, "blobs")
	blobs, err := blob.NewFS(blobDir)
	if err != nil {
		t.Fatal(err)
	}
	q := &recordingQueue{}
	jobs := db.JobStore(q)
	logs := &syncWriter{}
	cfg := Config{
		Version:       "test",
		DefaultBundle: "demo",
		Logger:        slog.New(slog.NewTextHandler(logs, nil)),
		Now:           clk.Now,
	}
	if edit != nil {
		edit(&cfg)
	}
	var siteJobs gas.JobStore = jobs
	if wrapJobs != nil {
		siteJobs = wrapJobs(jobs)
	}
	deps := dbDeps(db, jobs, blobs)
	deps.Jobs = siteJobs
	if editDeps != nil {
		editDeps(db, &deps)
	}
	h, err := NewHandler(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &fixture{t: t, srv: srv, db: db, jobs: jobs, blobs: blobs, blobDir: blobDir, queue: q, clock: clk, logs: logs}
}

// dbDeps are the site's dependencies on one database, as the service
// wires them (no archive, billing, notifications or presigning).
func dbDeps(db *sqldb.DB, jobs *sqldb.Jobs, blobs gas.BlobStore) Deps {
	return Deps{Users: db, Sessions: db, Jobs: jobs, Blobs: blobs, Accounts: db, Progress: db, Deleter: db,
		Retrier: jobs, Uploads: db, IndexKeys: db, Tokens: db, Limiters: db.RateLimiter}
}

// syncWriter collects log output written from server goroutines.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// client is a browser: a cookie jar, and redirects are not followed so
// tests see them.
type client struct {
	f  *fixture
	hc *http.Client
	// chunked sends uploads without a Content-Length, as a stream.
	chunked bool
}

func (f *fixture) client() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return &client{f: f, hc: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// resp is a read response.
type resp struct {
	*http.Response
	body []byte
}

func (r *resp) doc(t *testing.T) *html.Node {
	t.Helper()
	n, err := html.Parse(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	return n
}

func (c *client) do(req *http.Request) *resp {
	c.f.t.Helper()
	res, err := c.hc.Do(req)
	if err != nil {
		c.f.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.f.t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return &resp{Response: res, body: b}
}

func (c *client) get(path string) *resp {
	c.f.t.Helper()
	req, err := http.NewRequest("GET", c.f.srv.URL+path, nil)
	if err != nil {
		c.f.t.Fatal(err)
	}
	return c.do(req)
}

func (c *client) postForm(path string, form url.Values, headers ...string) *resp {
	c.f.t.Helper()
	req, err := http.NewRequest("POST", c.f.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

// upload posts the annotate form as a browser does: mode first, then the file.
func (c *client) upload(name string, data []byte, mode string, headers ...string) *resp {
	c.f.t.Helper()
	return c.uploadForm(name, data, mode, false, headers...)
}

// uploadChecked posts the form with its pre-flight box ticked, as the
// browser form is by default: the answer is the report, not a job.
func (c *client) uploadChecked(name string, data []byte, mode string) *resp {
	c.f.t.Helper()
	return c.uploadForm(name, data, mode, true)
}

func (c *client) uploadForm(name string, data []byte, mode string, preflight bool, headers ...string) *resp {
	c.f.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if mode != "" {
		if err := mw.WriteField("mode", mode); err != nil {
			c.f.t.Fatal(err)
		}
	}
	if preflight { // before the file, as the browser form sends it
		if err := mw.WriteField("preflight", "1"); err != nil {
			c.f.t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		c.f.t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	var rd io.Reader = &body
	if c.chunked {
		rd = io.MultiReader(&body) // hides the length from net/http
	}
	req, err := http.NewRequest("POST", c.f.srv.URL+"/annotate", rd)
	if err != nil {
		c.f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

// signup creates an account through the form and leaves the client signed in.
func (c *client) signup(email, password string) *resp {
	c.f.t.Helper()
	r := c.postForm("/signup", url.Values{"email": {email}, "password": {password}, "name": {"Test User"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/annotate" {
		c.f.t.Fatalf("sign up %s: %d %s\n%s", email, r.StatusCode, r.Header.Get("Location"), r.body)
	}
	return r
}

func (c *client) signin(email, password string) *resp {
	c.f.t.Helper()
	return c.postForm("/signin", url.Values{"email": {email}, "password": {password}})
}

// sessionCookie returns the session cookie the client would send.
func (c *client) sessionCookie() string {
	u, _ := url.Parse(c.f.srv.URL)
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == auth.SessionCookieName {
			return ck.Value
		}
	}
	return ""
}

func (f *fixture) user(email string) *gas.User {
	f.t.Helper()
	u, err := f.db.UserByEmail(context.Background(), email)
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

// storedFiles lists the blob files under dir (relative to the blob root),
// ignoring the store's own metadata and temp files.
func (f *fixture) storedFiles(sub string) []string {
	f.t.Helper()
	var out []string
	root := filepath.Join(f.blobDir, sub)
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(f.blobDir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// --- a small selector helper over golang.org/x/net/html ---

func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// findAll returns the elements matching a tiny selector: "tag", "#id",
// ".class", "[attr]" and "[attr=value]" combined in one compound
// ("tr[data-job-id]", "a#result-link"), or several compounds separated by
// spaces for descendants ("#status .job-state").
func findAll(root *html.Node, sel string) []*html.Node {
	if root == nil {
		return nil
	}
	parts := strings.Fields(sel)
	if len(parts) > 1 {
		var out []*html.Node
		for _, n := range findAll(root, parts[0]) {
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				out = append(out, findAll(c, strings.Join(parts[1:], " "))...)
			}
		}
		return out
	}
	tag, id, class, ak, av := parseSel(sel)
	presence := ak != "" && !strings.Contains(sel, "=")
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode &&
			(tag == "" || n.Data == tag) &&
			(id == "" || attr(n, "id") == id) &&
			(class == "" || hasClass(n, class)) &&
			(ak == "" || (presence && hasAttr(n, ak)) || (!presence && attr(n, ak) == av)) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return out
}

func find(root *html.Node, sel string) *html.Node {
	if all := findAll(root, sel); len(all) > 0 {
		return all[0]
	}
	return nil
}

func parseSel(sel string) (tag, id, class, ak, av string) {
	if i := strings.Index(sel, "["); i >= 0 {
		kv := strings.TrimSuffix(sel[i+1:], "]")
		ak, av, _ = strings.Cut(kv, "=")
		sel = sel[:i]
	}
	if i := strings.Index(sel, "#"); i >= 0 {
		id = sel[i+1:]
		sel = sel[:i]
	}
	if i := strings.Index(sel, "."); i >= 0 {
		class = sel[i+1:]
		sel = sel[:i]
	}
	return sel, id, class, ak, av
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func hasClass(n *html.Node, c string) bool {
	for _, f := range strings.Fields(attr(n, "class")) {
		if f == c {
			return true
		}
	}
	return false
}

// text is the whitespace-normalised text content of n.
func text(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}
