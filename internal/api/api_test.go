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
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
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
	h, err := NewHandler(Config{FreeUploadLimit: 10_000, PremiumUploadLimit: 1_000_000, DefaultBundle: "demo"},
		Deps{Tokens: db, Jobs: store, Update: store, Blobs: blobs, Records: db})
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

func TestTokenGuessingIsRateLimited(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, good := f.user(t, "g@example.org", gas.ScopeJobsRead)
	// Good tokens are never limited.
	for range 30 {
		if a := f.do(t, "GET", "/api/v1/me", good, nil, ""); a.code != http.StatusOK {
			t.Fatalf("good token limited: %d", a.code)
		}
	}
	limited := false
	for i := range 20 {
		a := f.do(t, "GET", "/api/v1/me", fmt.Sprintf("gas_guess%d", i), nil, "")
		if a.code == http.StatusTooManyRequests {
			limited = a.header.Get("Retry-After") != ""
			break
		}
		if a.code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, a.code)
		}
	}
	if !limited {
		t.Fatal("20 wrong tokens in a row were never rate limited")
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
