package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/sqldb"
)

// TestDirectUploadEndpoints drives the two requests of a direct upload as
// the form's script sends them. The "object store" here is the fixture's
// file store, written by the test where a browser would PUT to S3 (the
// real S3 path runs in TestBrowserDirectUploadToS3); the presigner records
// what it was asked.
func TestDirectUploadEndpoints(t *testing.T) {
	t.Parallel()
	var signed []string
	f := setupDeps(t, func(c *Config) { c.DirectUploadOrigin = "https://s3.example.org" }, nil, func(_ *sqldb.DB, d *Deps) {
		d.Presigner = fakePresigner(func(key string) { signed = append(signed, key) })
	})
	c := f.client()
	c.signup("ada@example.org", "correct horse battery")
	form := c.get("/annotate")
	if !strings.Contains(form.Header.Get("Content-Security-Policy"), "connect-src 'self' https://s3.example.org") ||
		!strings.Contains(string(form.body), `data-direct-upload="/annotate/direct"`) {
		t.Fatalf("the form does not offer direct uploads (CSP %q)", form.Header.Get("Content-Security-Policy"))
	}
	start := func(name string, size int) (*resp, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/annotate/direct", strings.NewReader(`{"name":"`+name+`","size":`+itoa(size)+`}`))
		req.Header.Set("Content-Type", "application/json")
		r := c.do(req)
		var m map[string]any
		_ = json.Unmarshal(r.body, &m)
		return r, m
	}
	if r, m := start("big.vcf", 1<<30); r.StatusCode != http.StatusRequestEntityTooLarge ||
		!strings.HasPrefix(fmt.Sprint(m["error"]), "The file is "+formatBytes(1<<30)+"; your Free plan allows files up to") {
		t.Fatalf("over the limit: %d %v", r.StatusCode, m)
	}
	if r, _ := start("notes.txt", 10); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad name: %d", r.StatusCode)
	}

	for _, preflight := range []bool{false, true} {
		r, up := start("my sample.vcf", len(miniVCF))
		if r.StatusCode != http.StatusOK || up["method"] != "PUT" || up["finish"] != "/annotate/direct/finish" {
			t.Fatalf("start: %d %v", r.StatusCode, up)
		}
		id, name := up["upload_id"].(string), up["name"].(string)
		if name != "my_sample.vcf" || !strings.HasSuffix(signed[len(signed)-1], id+"/my_sample.vcf") {
			t.Fatalf("signed %v for %q", signed, name)
		}
		finish := url.Values{"upload_id": {id}, "name": {name}, "mode": {"canonical"}}
		if preflight {
			finish.Set("preflight", "1")
		}
		if r := c.postForm("/annotate/direct/finish", finish); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("finish before the file arrived: %d", r.StatusCode)
		}
		// The browser's PUT.
		if _, err := f.blobs.Put(context.Background(), signed[len(signed)-1], strings.NewReader(miniVCF)); err != nil {
			t.Fatal(err)
		}
		r = c.postForm("/annotate/direct/finish", finish)
		switch {
		case preflight && r.StatusCode == http.StatusSeeOther && r.Header.Get("Location") == "/uploads/"+id:
			if find(c.get(r.Header.Get("Location")).doc(t), "#preflight-report") == nil {
				t.Fatal("no pre-flight report for the direct upload")
			}
		case !preflight && r.StatusCode == http.StatusSeeOther && r.Header.Get("Location") == "/jobs/"+id:
			j, err := f.jobs.Job(context.Background(), id)
			if err != nil || j.State != gas.JobPending || j.InputSize != int64(len(miniVCF)) || !strings.Contains(j.Options, "canonical") {
				t.Fatalf("job = %+v, %v", j, err)
			}
			if r := c.postForm("/annotate/direct/finish", finish); r.StatusCode != http.StatusConflict {
				t.Fatalf("second finish: %d", r.StatusCode)
			}
		default:
			t.Fatalf("finish (preflight %v): %d %s", preflight, r.StatusCode, r.Header.Get("Location"))
		}
	}
	// Without a presigner the endpoints do not exist.
	plain := setup(t, nil).client()
	plain.signup("bob@example.org", "correct horse battery")
	if r := plain.postForm("/annotate/direct/finish", url.Values{}); r.StatusCode != http.StatusNotFound {
		t.Fatalf("direct upload on a file store: %d", r.StatusCode)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// fakePresigner signs for a made-up bucket and reports each key it signs
// an upload for.
type fakePresigner func(key string)

func (f fakePresigner) PresignPut(_ context.Context, key string, _ int64, _ time.Duration) (gas.PresignedRequest, error) {
	f(key)
	return gas.PresignedRequest{URL: "https://s3.example.org/bucket/" + key, Method: http.MethodPut, Header: http.Header{}}, nil
}

func (f fakePresigner) PresignGet(_ context.Context, key, _ string, _ time.Duration) (string, error) {
	return "https://s3.example.org/bucket/" + key + "?signed", nil
}
