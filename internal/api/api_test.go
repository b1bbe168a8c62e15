package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/auth"
	"github.com/gas-project/gas/internal/blob"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
)

const vcfText = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t100\t.\tA\tG\t.\t.\t.\n"

type fixture struct {
	db    *sqldb.DB
	store *sqldb.Jobs
	blobs *blob.FS
	url   string
}

func setup(t *testing.T) *fixture {
	t.Helper()
	return setupWith(t, nil)
}

// setupWith is setup with changes to the API's configuration.
func setupWith(t *testing.T, edit func(*Config)) *fixture {
	t.Helper()
	db := sqldbtest.SQLite(t, sqldb.Options{})
	ins, err := jobs.NewInserter(db.RiverDriver(), nil)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store := db.JobStore(ins)
	cfg := Config{FreeUploadLimit: 10_000, PremiumUploadLimit: 1_000_000, DefaultBundle: "demo"}
	if edit != nil {
		edit(&cfg)
	}
	h, err := NewHandler(cfg,
		Deps{Tokens: db, Jobs: store, Update: store, Blobs: blobs, Limiters: db.RateLimiter})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &fixture{db: db, store: store, blobs: blobs, url: srv.URL}
}

// user makes an account and a token with the given scopes.
func (f *fixture) user(t *testing.T, email string, scopes ...string) (*gas.User, string) {
	t.Helper()
	u := &gas.User{Email: email}
	if err := f.db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	secret, _, err := f.db.CreateToken(context.Background(), u.ID, "test", scopes, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return u, secret
}

type answer struct {
	code   int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("answer %d is not JSON: %v\n%s", a.code, err, a.body)
	}
}

func (a answer) errCode(t *testing.T) string {
	t.Helper()
	var e ErrorBody
	a.json(t, &e)
	return e.Error.Code
}

func (f *fixture) do(t *testing.T, method, path, token string, body io.Reader, ctype string) answer {
	t.Helper()
	req, err := http.NewRequest(method, f.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

func (f *fixture) submit(t *testing.T, token, name, content, transcripts string) answer {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if transcripts != "" {
		mw.WriteField("transcripts", transcripts)
	}
	fw, _ := mw.CreateFormFile("file", name)
	io.WriteString(fw, content)
	mw.Close()
	return f.do(t, http.MethodPost, "/api/v1/jobs", token, &buf, mw.FormDataContentType())
}

func TestTokenAuthentication(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, readOnly := f.user(t, "r@example.org", gas.ScopeJobsRead)
	a := f.do(t, "GET", "/api/v1/jobs", "", nil, "")
	if a.code != http.StatusUnauthorized || a.errCode(t) != gas.EUNAUTH || a.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("no token: %d %s", a.code, a.body)
	}
	if a := f.do(t, "GET", "/api/v1/me", readOnly, nil, ""); a.code != http.StatusOK {
		t.Fatalf("GET /me: %d %s", a.code, a.body)
	}
	if a := f.submit(t, readOnly, "x.vcf", vcfText, ""); a.code != http.StatusForbidden || a.errCode(t) != gas.EFORBIDDEN {
		t.Fatalf("submit with a read-only token: %d %s", a.code, a.body)
	}
	if a := f.do(t, "GET", "/api/v1/nothing", readOnly, nil, ""); a.code != http.StatusNotFound || a.errCode(t) != gas.ENOTFOUND {
		t.Fatalf("unknown endpoint: %d %s", a.code, a.body)
	}
}

// guess asks GET /me with a wrong token from addr (an X-Forwarded-For
// entry, believed only when the fixture trusts the loopback proxy).
func (f *fixture) guess(t *testing.T, token, addr string) answer {
	t.Helper()
	req, err := http.NewRequest("GET", f.url+"/api/v1/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

// TestTokenRateLimitValidTokenAfterBadOnes is issue 17's case: 100 bad
// tokens from one address are limited, and a valid token from that same
// address still works during and after them.
func TestTokenRateLimitValidTokenAfterBadOnes(t *testing.T) {
	t.Parallel()
	// The limiter's clock stands still, so the count below is exact.
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	f := setupWith(t, func(c *Config) { c.Now = func() time.Time { return now } })
	_, good := f.user(t, "g@example.org", gas.ScopeJobsRead)
	limited := 0
	for i := range 100 {
		a := f.guess(t, fmt.Sprintf("gas_%06dxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", i), "")
		switch a.code {
		case http.StatusUnauthorized:
		case http.StatusTooManyRequests:
			if a.errCode(t) != "rate_limited" || a.header.Get("Retry-After") == "" {
				t.Fatalf("guess %d: 429 without rate_limited and Retry-After: %v %s", i, a.header, a.body)
			}
			limited++
		default:
			t.Fatalf("guess %d: %d %s", i, a.code, a.body)
		}
		if i%25 == 24 {
			if a := f.do(t, "GET", "/api/v1/me", good, nil, ""); a.code != http.StatusOK {
				t.Fatalf("valid token after %d bad ones: %d %s", i+1, a.code, a.body)
			}
		}
	}
	// Ten are allowed at once, then one a second (and no second passes).
	if limited != 90 {
		t.Fatalf("%d of 100 bad tokens were limited, want 90", limited)
	}
	if a := f.do(t, "GET", "/api/v1/me", good, nil, ""); a.code != http.StatusOK {
		t.Fatalf("valid token after 100 bad ones from its address: %d %s", a.code, a.body)
	}
}

// TestTokenRateLimitPerPrefix: guesses at one token's prefix are paced
// however many addresses they come from, while a client at another address
// guessing another prefix is not held back by them.
func TestTokenRateLimitPerPrefix(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	f := setupWith(t, func(c *Config) {
		c.Proxies = auth.NewProxies([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")})
		c.Now = func() time.Time { return now }
	})
	_, good := f.user(t, "p@example.org", gas.ScopeJobsRead)
	prefix := good[:10]
	limited := 0
	for i := range 30 {
		a := f.guess(t, prefix+fmt.Sprintf("%037d", i), fmt.Sprintf("198.51.100.%d", i+1))
		if a.code == http.StatusTooManyRequests {
			limited++
		} else if a.code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d %s", i, a.code, a.body)
		}
	}
	if limited != 20 {
		t.Fatalf("%d of 30 guesses at one prefix from 30 addresses were limited, want 20", limited)
	}
	// The token with that prefix itself is never refused.
	if a := f.do(t, "GET", "/api/v1/me", good, nil, ""); a.code != http.StatusOK {
		t.Fatalf("valid token whose prefix was guessed at: %d %s", a.code, a.body)
	}
	// Another client, another prefix: a plain 401.
	if a := f.guess(t, "gas_other0"+strings.Repeat("y", 37), "203.0.113.50"); a.code != http.StatusUnauthorized {
		t.Fatalf("a fresh address and prefix: %d %s, want 401", a.code, a.body)
	}
}

// TestTokenRateLimitPerAddress: behind a trusted proxy each client has its
// own count; without trust, X-Forwarded-For does not let a client pick a
// fresh key for every request.
func TestTokenRateLimitPerAddress(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	refused := map[string]int{}
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	behind := setupWith(t, func(c *Config) {
		c.Proxies = auth.NewProxies([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
		c.OnRateLimited = func(limit string) { mu.Lock(); refused[limit]++; mu.Unlock() }
		c.Now = func() time.Time { return now }
	})
	direct := setupWith(t, func(c *Config) { c.Now = func() time.Time { return now } })
	for name, f := range map[string]*fixture{"behind proxy": behind, "direct": direct} {
		limited := false
		for i := range 30 {
			// Each guess has its own prefix, so only the address counts.
			a := f.guess(t, fmt.Sprintf("gas_a%05d", i)+strings.Repeat("z", 37), "198.51.100.7")
			if a.code == http.StatusTooManyRequests {
				limited = true
				break
			}
		}
		if !limited {
			t.Fatalf("%s: 30 bad tokens from one address were never limited", name)
		}
		// Spoofing the header from an untrusted peer changes nothing;
		// behind the trusted proxy the next client is its own.
		a := f.guess(t, "gas_b00000"+strings.Repeat("z", 37), "203.0.113.8")
		want := http.StatusUnauthorized
		if f == direct {
			want = http.StatusTooManyRequests
		}
		if a.code != want {
			t.Fatalf("%s: another X-Forwarded-For address: %d, want %d", name, a.code, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if refused["token_address"] != 1 || refused["token_prefix"] != 0 {
		t.Fatalf("refusals told to metrics: %v, want one token_address", refused)
	}
}

func TestAPIJobLifecycle(t *testing.T) {
	t.Parallel()
	f := setup(t)
	u, tok := f.user(t, "w@example.org", gas.ScopeJobsRead, gas.ScopeJobsWrite)
	a := f.submit(t, tok, "sample.vcf", vcfText, "canonical")
	if a.code != http.StatusCreated {
		t.Fatalf("submit: %d %s", a.code, a.body)
	}
	var j Job
	a.json(t, &j)
	if j.State != gas.JobPending || j.Transcripts != "canonical" || a.header.Get("Location") != "/api/v1/jobs/"+j.ID {
		t.Fatalf("submitted job = %+v, Location %q", j, a.header.Get("Location"))
	}
	// The upload check's record count is kept as the progress bar's total.
	var total int64
	if err := f.db.SQL().QueryRow(`SELECT input_records FROM jobs WHERE id = ?`, j.ID).Scan(&total); err != nil || total != 1 {
		t.Fatalf("input_records = %d, %v; want 1", total, err)
	}
	var list struct {
		Jobs  []Job `json:"jobs"`
		Total int   `json:"total"`
	}
	f.do(t, "GET", "/api/v1/jobs?per_page=5", tok, nil, "").json(t, &list)
	if list.Total != 1 || len(list.Jobs) != 1 || list.Jobs[0].ID != j.ID {
		t.Fatalf("list = %+v", list)
	}
	if a := f.do(t, "GET", "/api/v1/jobs?per_page=500", tok, nil, ""); a.code != http.StatusBadRequest {
		t.Fatalf("per_page=500: %d", a.code)
	}
	if a := f.do(t, "GET", "/api/v1/jobs/"+j.ID+"/result", tok, nil, ""); a.code != http.StatusConflict {
		t.Fatalf("result of a pending job: %d %s", a.code, a.body)
	}

	// Completed by hand (no worker here): the result downloads with its checksum.
	ctx := context.Background()
	info, err := f.blobs.Put(ctx, fmt.Sprintf("user/%d/%s/result.vcf.gz", u.ID, j.ID), strings.NewReader("annotated bytes"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted, Actor: "test",
		Result: &gas.JobResult{ResultKey: info.Key, ResultSize: info.Size, ResultSum: info.SHA256, LogKey: info.Key}}); err != nil {
		t.Fatal(err)
	}
	a = f.do(t, "GET", "/api/v1/jobs/"+j.ID+"/result", tok, nil, "")
	if a.code != http.StatusOK || string(a.body) != "annotated bytes" || a.header.Get("X-Content-SHA256") != info.SHA256 ||
		!strings.Contains(a.header.Get("Content-Disposition"), "sample.annotated.vcf.gz") {
		t.Fatalf("result: %d %q %v", a.code, a.body, a.header)
	}
	f.do(t, "GET", "/api/v1/jobs/"+j.ID, tok, nil, "").json(t, &j)
	if j.State != gas.JobCompleted || len(j.Events) != 3 || j.Links["result"] == "" {
		t.Fatalf("job = %+v", j)
	}
	if a := f.do(t, "POST", "/api/v1/jobs/"+j.ID+"/cancel", tok, nil, ""); a.code != http.StatusConflict {
		t.Fatalf("cancel of a completed job: %d %s", a.code, a.body)
	}
}

func TestAPICancel(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, tok := f.user(t, "c@example.org", gas.ScopeJobsRead, gas.ScopeJobsWrite)
	var j Job
	f.submit(t, tok, "c.vcf", vcfText, "").json(t, &j)
	a := f.do(t, "POST", "/api/v1/jobs/"+j.ID+"/cancel", tok, nil, "")
	j = Job{} // decoding into the old one would keep its links
	a.json(t, &j)
	if a.code != http.StatusOK || j.State != gas.JobCancelled || j.FailReason != "Cancelled by the user." || !j.Terminal || j.Links["cancel"] != "" {
		t.Fatalf("cancel: %d %+v", a.code, j)
	}
	// A cancelled job stays cancelled.
	if a := f.do(t, "POST", "/api/v1/jobs/"+j.ID+"/cancel", tok, nil, ""); a.code != http.StatusConflict {
		t.Fatalf("second cancel: %d %s", a.code, a.body)
	}
}

func TestAPISubmitRefusals(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, tok := f.user(t, "s@example.org", gas.ScopeJobsWrite)
	for _, tc := range []struct {
		name, file, content, transcripts string
		code                             int
		errCode                          string
	}{
		{"not a VCF name", "notes.txt", vcfText, "", http.StatusBadRequest, gas.EINVALID},
		{"not a VCF", "x.vcf", "\x00\x01\x02 binary", "", http.StatusBadRequest, gas.EINVALID},
		{"bad transcripts", "x.vcf", vcfText, "most", http.StatusBadRequest, gas.EINVALID},
		{"over the Free limit", "big.vcf", vcfText + strings.Repeat("chr1\t200\t.\tA\tG\t.\t.\t.\n", 1000), "", http.StatusRequestEntityTooLarge, gas.ETOOLARGE},
	} {
		a := f.submit(t, tok, tc.file, tc.content, tc.transcripts)
		if a.code != tc.code || a.errCode(t) != tc.errCode {
			t.Errorf("%s: %d %s", tc.name, a.code, a.body)
		}
	}
	var list struct{ Total int }
	_, reader := f.user(t, "s2@example.org", gas.ScopeJobsRead)
	f.do(t, "GET", "/api/v1/jobs", reader, nil, "").json(t, &list)
	if list.Total != 0 {
		t.Fatal("a refused upload created a job")
	}
}

// TestOwnershipAPI walks every job route as user B against user A's job:
// each must be the same 404 as a missing job.
func TestOwnershipAPI(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, aTok := f.user(t, "a@example.org", gas.ScopeJobsRead, gas.ScopeJobsWrite)
	_, bTok := f.user(t, "b@example.org", gas.ScopeJobsRead, gas.ScopeJobsWrite)
	var j Job
	f.submit(t, aTok, "a.vcf", vcfText, "").json(t, &j)
	for _, rt := range routes {
		if !strings.Contains(rt.path, "{id}") {
			continue
		}
		path := "/api/v1" + strings.Replace(rt.path, "{id}", j.ID, 1)
		if a := f.do(t, rt.method, path, bTok, nil, ""); a.code != http.StatusNotFound || a.errCode(t) != gas.ENOTFOUND {
			t.Errorf("%s %s as another user: %d %s", rt.method, path, a.code, a.body)
		}
	}
	var got Job
	f.do(t, "GET", "/api/v1/jobs/"+j.ID, aTok, nil, "").json(t, &got)
	if got.State != gas.JobPending {
		t.Fatalf("B's requests changed A's job: %+v", got)
	}
}

// The OpenAPI document describes exactly the routes served, with their scopes.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	f := setup(t)
	a := f.do(t, "GET", "/api/v1/openapi.json", "", nil, "")
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	a.json(t, &doc)
	if a.code != http.StatusOK || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json: %d %.200s", a.code, a.body)
	}
	var documented, served []string
	for p, ops := range doc.Paths {
		for m, op := range ops {
			var o struct {
				Scope string `json:"x-scope"`
			}
			json.Unmarshal(op, &o)
			documented = append(documented, strings.ToUpper(m)+" "+p+" "+o.Scope)
		}
	}
	for _, rt := range routes {
		served = append(served, rt.method+" "+rt.path+" "+rt.scope)
	}
	sort.Strings(documented)
	sort.Strings(served)
	if strings.Join(documented, "\n") != strings.Join(served, "\n") {
		t.Fatalf("documented:\n%s\nserved:\n%s", strings.Join(documented, "\n"), strings.Join(served, "\n"))
	}
}

func TestAPIBundleChoice(t *testing.T) {
	t.Parallel()
	db := sqldbtest.SQLite(t, sqldb.Options{})
	ins, err := jobs.NewInserter(db.RiverDriver(), nil)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store := db.JobStore(ins)
	h, err := NewHandler(Config{FreeUploadLimit: 10_000, PremiumUploadLimit: 1_000_000, DefaultBundle: "demo", Bundles: []string{"demo", "grch38"}},
		Deps{Tokens: db, Jobs: store, Update: store, Blobs: blobs})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	f := &fixture{db: db, store: store, blobs: blobs, url: srv.URL}
	_, tok := f.user(t, "b@example.org", gas.ScopeJobsRead, gas.ScopeJobsWrite)
	var me struct{ Bundles []string }
	f.do(t, "GET", "/api/v1/me", tok, nil, "").json(t, &me)
	if strings.Join(me.Bundles, ",") != "demo,grch38" {
		t.Fatalf("bundles offered: %v", me.Bundles)
	}
	for bundle, want := range map[string]string{"": "demo", "grch38": "grch38"} {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		if bundle != "" {
			mw.WriteField("bundle", bundle)
		}
		fw, _ := mw.CreateFormFile("file", "x.vcf")
		io.WriteString(fw, vcfText)
		mw.Close()
		a := f.do(t, http.MethodPost, "/api/v1/jobs", tok, &buf, mw.FormDataContentType())
		var j Job
		a.json(t, &j)
		if a.code != http.StatusCreated || j.Bundle != want {
			t.Fatalf("bundle %q: %d, job bundle %q", bundle, a.code, j.Bundle)
		}
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("bundle", "hg19")
	fw, _ := mw.CreateFormFile("file", "x.vcf")
	io.WriteString(fw, vcfText)
	mw.Close()
	if a := f.do(t, http.MethodPost, "/api/v1/jobs", tok, &buf, mw.FormDataContentType()); a.code != http.StatusBadRequest {
		t.Fatalf("unknown bundle: %d %s", a.code, a.body)
	}
}

// The document's job states are the state machine's, and every schema it
// refers to exists.
func TestOpenAPIStates(t *testing.T) {
	t.Parallel()
	f := setup(t)
	a := f.do(t, "GET", "/api/v1/openapi.json", "", nil, "")
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Enum []gas.JobState `json:"enum"`
			} `json:"schemas"`
		} `json:"components"`
	}
	a.json(t, &doc)
	if got := doc.Components.Schemas["JobState"].Enum; !slices.Equal(got, gas.JobStates()) {
		t.Fatalf("JobState enum %v, want %v", got, gas.JobStates())
	}
	for _, ref := range regexp.MustCompile(`"\$ref":\s*"#/components/schemas/(\w+)"`).FindAllStringSubmatch(string(a.body), -1) {
		if _, ok := doc.Components.Schemas[ref[1]]; !ok {
			t.Errorf("$ref to missing schema %s", ref[1])
		}
	}
}
