package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/blob/s3blob"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/s3test"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
)

// setupS3 is the API on an S3 blob store (versitygw) with direct uploads.
func setupS3(t *testing.T) (*fixture, *s3blob.Store) {
	t.Helper()
	srv := s3test.Start(t)
	st, err := s3blob.New(s3blob.Config{Endpoint: srv.Endpoint, Region: srv.Region, AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey, Bucket: srv.Bucket, Prefix: "gas"})
	if err != nil {
		t.Fatal(err)
	}
	db := sqldbtest.SQLite(t, sqldb.Options{})
	ins, err := jobs.NewInserter(db.RiverDriver(), nil)
	if err != nil {
		t.Fatal(err)
	}
	store := db.JobStore(ins)
	h, err := NewHandler(Config{FreeUploadLimit: 10_000, PremiumUploadLimit: 1_000_000, DefaultBundle: "demo"},
		Deps{Tokens: db, Jobs: store, Update: store, Blobs: st, Presign: st})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return &fixture{db: db, store: store, url: hs.URL}, st
}

type upload struct {
	UploadID string      `json:"upload_id"`
	Name     string      `json:"name"`
	Method   string      `json:"method"`
	URL      string      `json:"url"`
	Headers  http.Header `json:"headers"`
}

func (f *fixture) postJSON(t *testing.T, path, token string, v any) answer {
	t.Helper()
	b, _ := json.Marshal(v)
	return f.do(t, http.MethodPost, path, token, bytes.NewReader(b), "application/json")
}

// put sends the file as the browser or gas client would: straight to S3.
func put(t *testing.T, up upload, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(up.Method, up.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range up.Headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestDirectUploadToS3(t *testing.T) {
	t.Parallel()
	f, st := setupS3(t)
	u, tok := f.user(t, "d@example.org", gas.ScopeJobsRead, gas.ScopeJobsWrite)
	var me map[string]any
	f.do(t, "GET", "/api/v1/me", tok, nil, "").json(t, &me)
	if me["direct_uploads"] != true {
		t.Fatalf("me = %v", me)
	}
	var up upload
	a := f.postJSON(t, "/api/v1/uploads", tok, map[string]any{"name": "direct sample.vcf", "size": len(vcfText)})
	if a.code != http.StatusCreated {
		t.Fatalf("POST /uploads: %d %s", a.code, a.body)
	}
	a.json(t, &up)
	if up.Name != "direct_sample.vcf" || up.Method != http.MethodPut {
		t.Fatalf("upload = %+v", up)
	}
	// Nothing uploaded yet: submitting is refused and creates nothing.
	if a := f.postJSON(t, "/api/v1/jobs", tok, map[string]any{"upload_id": up.UploadID, "name": up.Name}); a.code != http.StatusBadRequest {
		t.Fatalf("submit before upload: %d %s", a.code, a.body)
	}
	if code := put(t, up, []byte(vcfText)); code != http.StatusOK {
		t.Fatalf("PUT to S3: %d", code)
	}
	a = f.postJSON(t, "/api/v1/jobs", tok, map[string]any{"upload_id": up.UploadID, "name": up.Name, "transcripts": "pick"})
	if a.code != http.StatusCreated {
		t.Fatalf("submit: %d %s", a.code, a.body)
	}
	var j Job
	a.json(t, &j)
	if j.ID != up.UploadID || j.State != gas.JobPending || j.InputSize != int64(len(vcfText)) || j.Transcripts != "pick" {
		t.Fatalf("job = %+v", j)
	}
	// Submitting the same upload again is a conflict that keeps the input.
	if a := f.postJSON(t, "/api/v1/jobs", tok, map[string]any{"upload_id": up.UploadID, "name": up.Name}); a.code != http.StatusConflict {
		t.Fatalf("second submit: %d %s", a.code, a.body)
	}
	key := "user/" + strconv.FormatInt(u.ID, 10) + "/" + up.UploadID + "/direct_sample.vcf"
	if _, err := st.Stat(context.Background(), key); err != nil {
		t.Fatalf("input gone after a duplicate submit: %v", err)
	}
	// Another user cannot adopt it.
	_, other := f.user(t, "o@example.org", gas.ScopeJobsWrite)
	if a := f.postJSON(t, "/api/v1/jobs", other, map[string]any{"upload_id": up.UploadID, "name": up.Name}); a.code != http.StatusConflict && a.code != http.StatusBadRequest {
		t.Fatalf("other user's submit: %d %s", a.code, a.body)
	}
}

func TestDirectUploadRefusals(t *testing.T) {
	t.Parallel()
	f, _ := setupS3(t)
	_, tok := f.user(t, "r@example.org", gas.ScopeJobsWrite)
	if a := f.postJSON(t, "/api/v1/uploads", tok, map[string]any{"name": "big.vcf", "size": 20_000}); a.code != http.StatusRequestEntityTooLarge {
		t.Fatalf("over the Free limit: %d %s", a.code, a.body)
	}
	if a := f.postJSON(t, "/api/v1/uploads", tok, map[string]any{"name": "x.txt", "size": 10}); a.code != http.StatusBadRequest {
		t.Fatalf("bad name: %d", a.code)
	}
	// A file that is not a VCF is refused at submit and removed from S3.
	var up upload
	f.postJSON(t, "/api/v1/uploads", tok, map[string]any{"name": "bad.vcf", "size": 11}).json(t, &up)
	// S3 holds the signed size: a body of another length is refused.
	if code := put(t, up, []byte("not a vcf")); code == http.StatusOK {
		t.Fatal("S3 accepted a body of another size than signed")
	}
	if code := put(t, up, []byte("not a vcf\x00\x01")); code != http.StatusOK {
		t.Fatalf("PUT: %d", code)
	}
	a := f.postJSON(t, "/api/v1/jobs", tok, map[string]any{"upload_id": up.UploadID, "name": up.Name})
	if a.code != http.StatusBadRequest || !strings.Contains(string(a.body), "cannot be annotated") {
		t.Fatalf("bad content: %d %s", a.code, a.body)
	}
	if a := f.postJSON(t, "/api/v1/jobs", tok, map[string]any{"upload_id": up.UploadID, "name": up.Name}); a.code != http.StatusBadRequest {
		t.Fatalf("refused upload still there: %d %s", a.code, a.body)
	}
	// The server's own store has no direct uploads.
	lf := setup(t)
	_, ltok := lf.user(t, "l@example.org", gas.ScopeJobsWrite)
	if a := lf.postJSON(t, "/api/v1/uploads", ltok, map[string]any{"name": "x.vcf", "size": 10}); a.code != http.StatusBadRequest {
		t.Fatalf("uploads on a file store: %d", a.code)
	}
}
