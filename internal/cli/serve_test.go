package cli

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
	"github.com/gas-project/gas/refdata"
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
	return startRole(t, "serve", t.TempDir(), extra...)
}

// startRole runs `gas <role>` (serve, web or worker) on 127.0.0.1:0 with the
// given data dir.
func startRole(t *testing.T, role, dir string, extra ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &server{dir: dir, done: make(chan int, 1)}
	args := append([]string{role, "--addr", "127.0.0.1:0", "--data-dir", dir, "--workers", "2"}, extra...)
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
			if u, ok := strings.CutPrefix(line, "GAS worker is running (health check at "); ok {
				urlc <- strings.TrimSuffix(u, "/healthz)")
			}
		}
		close(urlc)
	}()
	select {
	case u, ok := <-urlc:
		if !ok {
			t.Fatalf("gas %s exited before printing its URL; stderr:\n%s", role, stderr.String())
		}
		s.url = u
	case <-time.After(60 * time.Second):
		t.Fatalf("gas %s did not start; stderr:\n%s", role, stderr.String())
	}
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-s.done:
			if code != 0 {
				t.Errorf("gas %s exited %d; stderr:\n%s", role, code, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Errorf("gas %s did not stop within 30s of cancellation", role)
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
	if code, body := get(t, http.DefaultClient, s.url+"/healthz"); code != http.StatusOK || string(body) != "ok\n" {
		t.Fatalf("GET /healthz = %d %q", code, body)
	}
	// Readiness covers every dependency of a serving process.
	if code, body := get(t, http.DefaultClient, s.url+"/readyz"); code != http.StatusOK ||
		string(body) != "database: ok\nqueue: ok\nstorage: ok\nbundle demo: ok\n" {
		t.Fatalf("GET /readyz = %d %q", code, body)
	}
	if code, body := get(t, http.DefaultClient, s.url+"/metrics"); code != http.StatusOK ||
		!strings.Contains(string(body), `gas_jobs{state="PENDING"} 0`) || !strings.Contains(string(body), "gas_http_request_duration_seconds") {
		t.Fatalf("GET /metrics = %d\n%.2000s", code, body)
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

// signUp creates an account through the form and leaves c signed in.
func signUp(t *testing.T, c *http.Client, base, email string) {
	t.Helper()
	resp, err := c.PostForm(base+"/signup", url.Values{"email": {email}, "password": {"correct horse battery"}, "name": {"Tester"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-up %s = %d", email, resp.StatusCode)
	}
}

// upload submits a VCF through the upload form and returns the job ID.
func upload(t *testing.T, c *http.Client, base, name string, content []byte) string {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("mode", "all"); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, base+"/annotate", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/jobs/") {
		t.Fatalf("upload = %d, Location %q\n%.500s", resp.StatusCode, loc, msg)
	}
	return strings.TrimPrefix(loc, "/jobs/")
}

// waitJob polls the job's status JSON until it is terminal.
func waitJob(t *testing.T, c *http.Client, base, id string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := c.Get(base + "/jobs/" + id + "/status")
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			State    string `json:"state"`
			Terminal bool   `json:"terminal"`
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("status of %s: %d %v", id, resp.StatusCode, err)
		}
		if st.Terminal {
			return st.State
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after 60s", id, st.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func get(t *testing.T, c *http.Client, u string) (int, []byte) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// TestServeEndToEnd drives a real `gas serve` over HTTP the way a newcomer
// does: sign up, upload the demo VCF, wait for it, download and check the
// annotated VCF, read the log; and checks that another user sees none of it.
func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	endToEnd(t, startServe(t))
}

// TestServeEndToEndPostgres runs the same path with the database and queue
// on PostgreSQL, when GAS_TEST_POSTGRES_URL names a server.
func TestServeEndToEndPostgres(t *testing.T) {
	t.Parallel()
	endToEnd(t, startServe(t, "--database-url", sqldbtest.PostgresURL(t)))
}

func endToEnd(t *testing.T, s *server) {
	a := newClient(t)
	signUp(t, a, s.url, "alice@example.org")

	demo := refdata.DemoVCF()
	start := time.Now()
	id := upload(t, a, s.url, "demo.vcf", demo)
	if state := waitJob(t, a, s.url, id); state != "COMPLETED" {
		_, page := get(t, a, s.url+"/jobs/"+id)
		t.Fatalf("job %s ended %s\n%.2000s", id, state, page)
	}
	t.Logf("demo job (%d records) completed %s after upload", len(dataLines(demo)), time.Since(start).Round(time.Millisecond))

	code, gz := get(t, a, s.url+"/jobs/"+id+"/result")
	if code != http.StatusOK {
		t.Fatalf("result = %d", code)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("result is not gzip: %v", err)
	}
	vcf, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("result: %v", err)
	}
	in, out := dataLines(demo), dataLines(vcf)
	if len(out) != len(in) || len(in) == 0 {
		t.Fatalf("result has %d records, input %d", len(out), len(in))
	}
	if m := missingANN(out); len(m) > 0 {
		t.Fatalf("%d records without ANN, e.g. %s", len(m), m[0])
	}
	if !strings.Contains(string(vcf), "##INFO=<ID=ANN") {
		t.Fatal("result header lacks the ANN definition")
	}

	code, logPage := get(t, a, s.url+"/jobs/"+id+"/log")
	if code != http.StatusOK || !strings.Contains(string(logPage), "GAS annotation summary") {
		t.Fatalf("log = %d\n%.1000s", code, logPage)
	}
	code, details := get(t, a, s.url+"/jobs/"+id)
	if code != http.StatusOK || !strings.Contains(string(details), "COMPLETED") {
		t.Fatalf("details = %d", code)
	}
	if code, _ := get(t, a, s.url+"/jobs/"+id+"/input"); code != http.StatusOK {
		t.Fatalf("input download = %d", code)
	}

	// "Try the example" queues the demo VCF the same way.
	resp, err := a.PostForm(s.url+"/annotate/example", url.Values{"mode": {"pick"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/jobs/") {
		t.Fatalf("try the example = %d, Location %q", resp.StatusCode, loc)
	}
	ex := strings.TrimPrefix(loc, "/jobs/")
	if state := waitJob(t, a, s.url, ex); state != "COMPLETED" {
		t.Fatalf("example job ended %s", state)
	}
	code, gz = get(t, a, s.url+"/jobs/"+ex+"/result")
	if code != http.StatusOK {
		t.Fatalf("example result = %d", code)
	}
	if zr, err = gzip.NewReader(bytes.NewReader(gz)); err != nil {
		t.Fatal(err)
	}
	if vcf, err = io.ReadAll(zr); err != nil || len(dataLines(vcf)) != len(in) {
		t.Fatalf("example result: %d records, %v", len(dataLines(vcf)), err)
	}

	// Another user gets 404 on every route of alice's job.
	b := newClient(t)
	signUp(t, b, s.url, "bob@example.org")
	for _, p := range []string{"", "/input", "/result", "/log", "/status"} {
		if code, _ := get(t, b, s.url+"/jobs/"+id+p); code != http.StatusNotFound {
			t.Errorf("bob GET /jobs/%s%s = %d, want 404", id, p, code)
		}
	}
	// …and signed out, every route sends to sign-in rather than leaking.
	anon := newClient(t)
	for _, p := range []string{"", "/input", "/result", "/log"} {
		if code, _ := get(t, anon, s.url+"/jobs/"+id+p); code != http.StatusSeeOther {
			t.Errorf("anonymous GET /jobs/%s%s = %d, want 303 to sign-in", id, p, code)
		}
	}
}

func TestServeRefusesASharedDataDir(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	code, _, errOut := run(t, nil, "serve", "--addr", "127.0.0.1:0", "--data-dir", s.dir)
	if code != 1 || !strings.Contains(errOut, "in use by another gas process") {
		t.Fatalf("second serve: exit %d\n%s", code, errOut)
	}
}

func TestServeRefusesANewerSchema(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if code, _, errOut := run(t, []string{"GAS_LOG_LEVEL=warn"}, "migrate", "--data-dir", dir); code != 0 {
		t.Fatalf("migrate: %d\n%s", code, errOut)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "gas.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`INSERT INTO gas_schema_version (version, name, applied_at) VALUES (999, 'from the future', 0)`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, nil, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir)
	if code != 1 || !strings.Contains(errOut, "schema version 999, newer than this gas binary knows") {
		t.Fatalf("serve on a newer schema: exit %d\n%s", code, errOut)
	}
	code, _, errOut = run(t, nil, "admin", "users", "set-plan", "--data-dir", dir, "a@b.c", "free")
	if code != 1 || !strings.Contains(errOut, "newer than this gas binary") {
		t.Fatalf("admin on a newer schema: exit %d\n%s", code, errOut)
	}
}

// TestWebAndWorkerRoles runs the site and the workers as separate processes
// (here: separate in-process servers with their own database pools) sharing
// one migrated database and file store, as in a scaled-out deployment.
func TestWebAndWorkerRoles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, _, errOut := run(t, []string{"GAS_LOG_LEVEL=warn"}, "web", "--addr", "127.0.0.1:0", "--data-dir", dir)
	if code != 1 || !strings.Contains(errOut, "Run `gas migrate`") {
		t.Fatalf("web on an unmigrated database: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := run(t, []string{"GAS_LOG_LEVEL=warn"}, "migrate", "--data-dir", dir); code != 0 {
		t.Fatalf("migrate: %d\n%s", code, errOut)
	}
	w := startRole(t, "web", dir)
	k := startRole(t, "worker", dir)
	// A second worker takes only the light queues, as on a small machine.
	light := startRole(t, "worker", dir, "--queues", "lifecycle,notify")
	if code, body := get(t, http.DefaultClient, k.url+"/healthz"); code != http.StatusOK || string(body) != "ok\n" {
		t.Fatalf("worker /healthz = %d %q", code, body)
	}
	if code, body := get(t, http.DefaultClient, light.url+"/readyz"); code != http.StatusOK || strings.Contains(string(body), "bundle") {
		t.Fatalf("light worker /readyz = %d %q (no bundle check without the annotate queue)", code, body)
	}
	if code, _ := get(t, http.DefaultClient, k.url+"/"); code != http.StatusNotFound {
		t.Fatalf("worker serves pages: GET / = %d", code)
	}
	c := newClient(t)
	signUp(t, c, w.url, "split@example.org")
	id := upload(t, c, w.url, "demo.vcf", refdata.DemoVCF())
	if state := waitJob(t, c, w.url, id); state != "COMPLETED" {
		t.Fatalf("job %s ended %s", id, state)
	}
	if code, _ := get(t, c, w.url+"/jobs/"+id+"/result"); code != http.StatusOK {
		t.Fatalf("result = %d", code)
	}
	// The completion email is written once, by whichever worker took it.
	deadline := time.Now().Add(30 * time.Second)
	for {
		emls, _ := filepath.Glob(filepath.Join(dir, "outbox", "*-"+id+".eml"))
		if len(emls) == 1 {
			break
		}
		if len(emls) > 1 || time.Now().After(deadline) {
			t.Fatalf("outbox has %d emails for job %s", len(emls), id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServeRebuildsAStaleDemoBundle checks that a demo bundle this binary
// cannot open (an older format, a damaged file) is rebuilt at start.
func TestServeRebuildsAStaleDemoBundle(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	demo := filepath.Join(dir, "refdata", "demo")
	if err := os.MkdirAll(demo, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(demo, "manifest.json"), []byte(`{"format_version": 0}`), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startRole(t, "serve", dir)
	c := newClient(t)
	signUp(t, c, s.url, "stale@example.org")
	id := upload(t, c, s.url, "demo.vcf", refdata.DemoVCF())
	if state := waitJob(t, c, s.url, id); state != "COMPLETED" {
		t.Fatalf("job on the rebuilt demo ended %s", state)
	}
}

// TestAdminQueueUI: River UI is mounted for administrators only and reads
// the real queue (here SQLite through River's database/sql driver).
func TestAdminQueueUI(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	admin := newClient(t)
	signUp(t, admin, s.url, "root@example.org") // the first account is the administrator
	id := upload(t, admin, s.url, "demo.vcf", refdata.DemoVCF())
	if state := waitJob(t, admin, s.url, id); state != "COMPLETED" {
		t.Fatalf("job ended %s", state)
	}
	if code, body := get(t, admin, s.url+"/admin/queue/"); code != http.StatusOK || !strings.Contains(string(body), "<html") {
		t.Fatalf("GET /admin/queue/ as admin = %d\n%.300s", code, body)
	}
	// River records the completion of its own row a moment after the job's
	// state changes, so the completed list is polled.
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body := get(t, admin, s.url+"/admin/queue/api/jobs?state=completed&limit=20")
		if code == http.StatusOK && strings.Contains(string(body), `"kind":"annotate"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue API as admin = %d\n%.500s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	user := newClient(t)
	signUp(t, user, s.url, "plain@example.org")
	for _, c := range []*http.Client{user, http.DefaultClient} {
		if code, _ := get(t, c, s.url+"/admin/queue/api/jobs?state=completed"); code != http.StatusNotFound {
			t.Fatalf("queue API as non-admin = %d, want 404", code)
		}
	}
}
