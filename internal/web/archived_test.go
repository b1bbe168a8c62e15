package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/httpserver"
	"github.com/gas-project/gas/refdata"
)

// TestArchivedResultGated: once a result is archived, everything made from
// it — the download, the variant browser (any view), the TSV, VCF and JSON
// exports — answers 409 with gas.ResultArchived's words (which the API
// uses too) and a link to the plans, while the job page keeps its summary
// and charts. Restoring gives the restore's words the same way; completed
// again, the browser and exports work.
func TestArchivedResultGated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t, nil)
	c := f.client()
	c.signup("archived@example.org", "archived password 1")
	id := jobIDFrom(t, c.upload("demo.vcf", refdata.DemoVCF(), "all"))
	dir := filepath.Join(t.TempDir(), "demo")
	if _, err := refdata.BuildDemo(ctx, dir, "test"); err != nil {
		t.Fatal(err)
	}
	annotateRealNoIndex(t, f, id, dir)
	f.buildIndex(id)
	gated := []string{"/result", "/variants", "/variants?impact=moderate", "/variants.tsv", "/variants.tsv?impact=high",
		"/variants.vcf.gz", "/variants.json"}
	for _, p := range gated {
		if r := c.get("/jobs/" + id + p); r.StatusCode != http.StatusOK {
			t.Fatalf("completed: GET %s = %d", p, r.StatusCode)
		}
	}
	f.clock.Add(time.Minute)
	j, err := f.jobs.TransitionJob(ctx, id, gas.JobChange{From: gas.JobCompleted, To: gas.JobArchived, Actor: "worker:archive"})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := f.blobs.Open(ctx, j.ResultKey)
	if err != nil {
		t.Fatal(err)
	}
	result, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.blobs.Delete(ctx, j.ResultKey); err != nil {
		t.Fatal(err)
	}
	token := newToken(t, c, url.Values{"name": {"script"}, "scope": {gas.ScopeJobsRead}})
	check := func(state string, want string, offer bool) {
		t.Helper()
		for _, p := range gated {
			r := c.get("/jobs/" + id + p)
			doc := r.doc(t)
			if r.StatusCode != http.StatusConflict || text(find(doc, "#error-message")) != want {
				t.Errorf("%s: GET %s = %d %q, want 409 %q", state, p, r.StatusCode, text(find(doc, "#error-message")), want)
			}
			if got := attr(find(doc, "#offer-link"), "href"); (got == "/subscribe") != offer {
				t.Errorf("%s: GET %s: plans link %q, want one: %v", state, p, got, offer)
			}
			if p == "/result" {
				continue // the download is the API's (GET /api/v1/jobs/{id}/result), not a token route of the site
			}
			// A script with a token gets the API's JSON error: code and words.
			code, msg, ctype := tokenError(t, f, "/jobs/"+id+p, token)
			if code != gas.EARCHIVED || msg != want || ctype != "application/json" {
				t.Errorf("%s: GET %s with a token: %s %q (%s), want %s %q as JSON", state, p, code, msg, ctype, gas.EARCHIVED, want)
			}
		}
		doc := c.get("/jobs/" + id).doc(t)
		if find(doc, "#summary-counts") == nil || len(findAll(doc, "#charts svg")) == 0 {
			t.Errorf("%s: the job page lost its summary or charts", state)
		}
	}
	want := gas.ErrorMessage(gas.ResultArchived(j, gas.PlanFree))
	if !strings.Contains(want, "archived — restore by upgrading") {
		t.Fatalf("the archived message %q does not say how to restore", want)
	}
	check("archived", want, true)

	ready := f.clock.Now().Add(time.Hour)
	if j, err = f.jobs.TransitionJob(ctx, id, gas.JobChange{From: gas.JobArchived, To: gas.JobRestoring, Actor: "worker:restore",
		Restore: &gas.Retrieval{Tier: gas.TierStandard, ReadyAt: ready}}); err != nil {
		t.Fatal(err)
	}
	check("restoring", gas.ErrorMessage(gas.ResultArchived(j, gas.PlanFree)), false)

	if _, err := f.blobs.Put(ctx, j.ResultKey, bytes.NewReader(result)); err != nil {
		t.Fatal(err)
	}
	if _, err = f.jobs.TransitionJob(ctx, id, gas.JobChange{From: gas.JobRestoring, To: gas.JobCompleted, Actor: "worker:thaw"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range gated {
		if r := c.get("/jobs/" + id + p); r.StatusCode != http.StatusOK {
			t.Errorf("restored: GET %s = %d", p, r.StatusCode)
		}
	}
}

// tokenError GETs path with an API token and decodes the JSON error the
// site answers scripts with, returning its code, message and Content-Type.
func tokenError(t *testing.T, f *fixture, path, token string) (code, msg, ctype string) {
	t.Helper()
	req, err := http.NewRequest("GET", f.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	r := f.client().do(req)
	var b httpserver.ErrorBody
	if err := json.Unmarshal(r.body, &b); err != nil {
		t.Fatalf("GET %s with a token: %d, not a JSON error: %v\n%.300s", path, r.StatusCode, err, r.body)
	}
	if b.Error.RequestID == "" {
		t.Errorf("GET %s with a token: no request_id in %s", path, r.body)
	}
	return b.Error.Code, b.Error.Message, r.Header.Get("Content-Type")
}
