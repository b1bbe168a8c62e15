package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/sharedtest"
)

// TestJobLifecyclePages follows one result through the archive and back:
// what the job page, the list, the download and the status JSON say in
// each state. The transitions are the store calls the lifecycle workers make.
func TestJobLifecyclePages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t, nil)
	c := f.client()
	c.signup("life@example.org", "lifecycle password")
	u := f.user("life@example.org")
	id := jobIDFrom(t, c.upload("s.vcf", []byte(miniVCF), "all"))
	result := sharedtest.Gzip(t, []byte("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"))
	f.complete(id, result, []byte("log\n"), &annotate.Summary{Records: 1})
	j, err := f.jobs.Job(ctx, id)
	if err != nil {
		t.Fatal(err)
	}

	// ARCHIVED: the hot copy is gone; the page says when and offers Premium.
	f.clock.Add(5 * time.Minute)
	archivedAt := f.clock.Now()
	if _, err := f.jobs.TransitionJob(ctx, id, gas.JobChange{From: gas.JobCompleted, To: gas.JobArchived, Actor: "worker:archive",
		Reason: "moved to the cold archive"}); err != nil {
		t.Fatal(err)
	}
	if err := f.blobs.Delete(ctx, j.ResultKey); err != nil {
		t.Fatal(err)
	}
	doc := c.get("/jobs/" + id).doc(t)
	if b := find(doc, "#status .job-state"); attr(b, "data-state") != "ARCHIVED" || !strings.Contains(attr(b, "title"), "archive") {
		t.Fatalf("badge %q title %q", text(b), attr(b, "title"))
	}
	notice := text(find(doc, "#archived-notice"))
	if !strings.Contains(notice, "archived on 2026-11-27 01:05:00 UTC") || !strings.Contains(notice, "Premium users' results are kept") {
		t.Fatalf("archived notice %q", notice)
	}
	if find(doc, "#premium-offer") == nil || find(doc, "#restore-pending") != nil {
		t.Fatal("a Free user's archived job does not offer Premium")
	}
	if find(doc, "#result-link") != nil {
		t.Fatal("an archived job offers a result download")
	}
	if got := text(find(doc, "#archived-at")); got != "2026-11-27 01:05:00 UTC" {
		t.Fatalf("archived at %q", got)
	}
	r := c.get("/jobs/" + id + "/result")
	rd := r.doc(t)
	if r.StatusCode != http.StatusConflict || !strings.Contains(text(find(rd, "#error-message")), "moved to the archive on 2026-11-27 01:05:00 UTC") ||
		!strings.Contains(text(find(rd, "#premium-offer")), "Premium") {
		t.Fatalf("result of an archived job: %d %q / %q", r.StatusCode, text(find(rd, "#error-message")), text(find(rd, "#premium-offer")))
	}
	st := status(t, c, id)
	if st.State != gas.JobArchived || !st.Terminal || st.ArchivedAt == nil || !st.ArchivedAt.Equal(archivedAt) || st.ResultAvailable ||
		st.RestoreTier != "" || st.RestoreReadyAt != nil {
		t.Fatalf("status of an archived job: %+v", st)
	}
	row := find(c.get("/jobs").doc(t), "tr[data-job-id="+id+"]")
	if got := text(find(row, ".archive-note")); got != "archived 2026-11-27 01:05:00 UTC" {
		t.Fatalf("list note %q", got)
	}

	// Premium now, before the restore started: the page says it is coming back.
	if err := f.db.SetPlan(ctx, u.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	doc = c.get("/jobs/" + id).doc(t)
	if find(doc, "#restore-pending") == nil || find(doc, "#premium-offer") != nil {
		t.Fatal("a Premium user's archived job still offers Premium")
	}

	// RESTORING: tier and expected time everywhere; still no download.
	ready := f.clock.Now().Add(10 * time.Second)
	if _, err := f.jobs.TransitionJob(ctx, id, gas.JobChange{From: gas.JobArchived, To: gas.JobRestoring, Actor: "worker:restore",
		Reason: "standard retrieval", Restore: &gas.Retrieval{Tier: gas.TierStandard, ReadyAt: ready}}); err != nil {
		t.Fatal(err)
	}
	doc = c.get("/jobs/" + id).doc(t)
	if b := find(doc, "#status .job-state"); attr(b, "data-state") != "RESTORING" || find(b, "span.spinner-grow") == nil {
		t.Fatalf("restoring badge %q", text(b))
	}
	if attr(find(doc, "#status"), "data-watch-job") != id {
		t.Fatal("a restoring job is not watched for its completion")
	}
	if got, want := text(find(doc, "#restore-tier")), "standard"; got != want {
		t.Fatalf("restore tier %q", got)
	}
	if got := text(find(doc, "#restore-ready")); got != "2026-11-27 01:05:10 UTC" {
		t.Fatalf("restore ready %q", got)
	}
	if got := text(find(doc, "#restore")); got != "standard retrieval, expected ready by 2026-11-27 01:05:10 UTC" {
		t.Fatalf("restore row %q", got)
	}
	if find(doc, "#result-link") != nil {
		t.Fatal("a restoring job offers a result download")
	}
	r = c.get("/jobs/" + id + "/result")
	if msg := text(find(r.doc(t), "#error-message")); r.StatusCode != http.StatusConflict || !strings.Contains(msg, "being restored") ||
		!strings.Contains(msg, "standard") || !strings.Contains(msg, "2026-11-27 01:05:10 UTC") {
		t.Fatalf("result of a restoring job: %d %q", r.StatusCode, msg)
	}
	st = status(t, c, id)
	if st.State != gas.JobRestoring || st.Terminal || st.RestoreTier != gas.TierStandard || st.RestoreReadyAt == nil ||
		!st.RestoreReadyAt.Equal(ready) || st.ArchivedAt == nil || st.ResultAvailable {
		t.Fatalf("status of a restoring job: %+v", st)
	}
	row = find(c.get("/jobs").doc(t), "tr[data-job-id="+id+"]")
	if got := text(find(row, ".archive-note")); got != "ready by 2026-11-27 01:05:10 UTC" {
		t.Fatalf("list note %q", got)
	}

	// Thawed: COMPLETED again with the same bytes to download.
	if _, err := f.blobs.Put(ctx, j.ResultKey, bytes.NewReader(result)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.jobs.TransitionJob(ctx, id, gas.JobChange{From: gas.JobRestoring, To: gas.JobCompleted, Actor: "worker:thaw",
		Reason: "restored from the archive (standard)"}); err != nil {
		t.Fatal(err)
	}
	doc = c.get("/jobs/" + id).doc(t)
	if find(doc, "#result-link") == nil || find(doc, "#archived-notice") != nil || find(doc, "#restoring-notice") != nil {
		t.Fatal("the restored job's page still says archived, or offers no download")
	}
	if rows := findAll(doc, "#history tbody tr"); len(rows) != 6 || !strings.Contains(text(rows[5]), "restored from the archive (standard)") {
		t.Fatalf("history: %d rows", len(rows))
	}
	if r := c.get("/jobs/" + id + "/result"); r.StatusCode != 200 || !bytes.Equal(r.body, result) {
		t.Fatalf("restored download: %d, identical %v", r.StatusCode, bytes.Equal(r.body, result))
	}
	st = status(t, c, id)
	if st.State != gas.JobCompleted || !st.ResultAvailable || st.ArchivedAt != nil || st.RestoreTier != "" {
		t.Fatalf("status after the thaw: %+v", st)
	}
}

func status(t *testing.T, c *client, id string) jobStatus {
	t.Helper()
	r := c.get("/jobs/" + id + "/status")
	var st jobStatus
	if r.StatusCode != 200 || json.Unmarshal(r.body, &st) != nil {
		t.Fatalf("status JSON: %d %s", r.StatusCode, r.body)
	}
	return st
}

// TestArchiveTime: when the job page says a Free result will be archived.
func TestArchiveTime(t *testing.T) {
	t.Parallel()
	done := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)
	free, premium := &gas.User{Plan: gas.PlanFree}, &gas.User{Plan: gas.PlanPremium}
	completed := &gas.Job{State: gas.JobCompleted, CompletedAt: done}
	history := []gas.Event{{To: gas.JobPending}, {To: gas.JobRunning}, {To: gas.JobCompleted}}
	restored := append(append([]gas.Event{}, history...), gas.Event{To: gas.JobArchived}, gas.Event{To: gas.JobRestoring}, gas.Event{To: gas.JobCompleted})
	for _, tc := range []struct {
		name      string
		job       *gas.Job
		owner     *gas.User
		history   []gas.Event
		retention time.Duration
		want      time.Time
	}{
		{"free completed", completed, free, history, 5 * time.Minute, done.Add(5 * time.Minute)},
		{"premium keeps results", completed, premium, history, 5 * time.Minute, time.Time{}},
		{"restored results stay", completed, free, restored, 5 * time.Minute, time.Time{}},
		{"retention unknown", completed, free, history, 0, time.Time{}},
		{"already archived", &gas.Job{State: gas.JobArchived, CompletedAt: done}, free, history, 5 * time.Minute, time.Time{}},
		{"still running", &gas.Job{State: gas.JobRunning}, free, history, 5 * time.Minute, time.Time{}},
	} {
		if got := archiveTime(tc.job, tc.owner, tc.history, tc.retention); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
