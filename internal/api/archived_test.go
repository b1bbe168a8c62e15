package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gas-project/gas"
)

// TestArchivedResultAPI: the API answers the result of an archived job
// with gas.ResultArchived — status 409, code "archived" and the very words
// the site's pages and exports use — while GET /jobs/{id} still carries the
// summary; a Premium owner is told the restore is under way.
func TestArchivedResultAPI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	u, tok := f.user(t, "arch@example.org", gas.ScopeJobsRead, gas.ScopeJobsWrite)
	var j Job
	f.submit(t, tok, "a.vcf", vcfText, "").json(t, &j)
	sum, err := f.blobs.Put(ctx, fmt.Sprintf("user/%d/%s/summary.json", u.ID, j.ID), strings.NewReader(`{"records":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted, Actor: "test",
		Result: &gas.JobResult{ResultKey: "r", SummaryKey: sum.Key, LogKey: "l", Records: 1}}); err != nil {
		t.Fatal(err)
	}
	archived, err := f.store.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobCompleted, To: gas.JobArchived, Actor: "worker:archive"})
	if err != nil {
		t.Fatal(err)
	}
	for _, plan := range []gas.Plan{gas.PlanFree, gas.PlanPremium} {
		if err := f.db.SetPlan(ctx, u.ID, plan); err != nil {
			t.Fatal(err)
		}
		a := f.do(t, "GET", "/api/v1/jobs/"+j.ID+"/result", tok, nil, "")
		var e ErrorBody
		a.json(t, &e)
		want := gas.ErrorMessage(gas.ResultArchived(archived, plan))
		if a.code != http.StatusConflict || e.Error.Code != gas.EARCHIVED || e.Error.Message != want {
			t.Fatalf("%s: result of an archived job: %d %s %q, want 409 archived %q", plan, a.code, e.Error.Code, e.Error.Message, want)
		}
	}
	if m := gas.ErrorMessage(gas.ResultArchived(archived, gas.PlanFree)); !strings.Contains(m, "archived — restore by upgrading") {
		t.Fatalf("Free message %q", m)
	}
	var got Job
	f.do(t, "GET", "/api/v1/jobs/"+j.ID, tok, nil, "").json(t, &got)
	var gs struct{ Records int }
	if got.State != gas.JobArchived || json.Unmarshal(got.Summary, &gs) != nil || gs.Records != 1 || got.Links["result"] != "" {
		t.Fatalf("archived job: %+v", got)
	}
}
