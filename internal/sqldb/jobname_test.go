package sqldb

import (
	"context"
	"fmt"
	"testing"

	"github.com/gas-project/gas"
)

func TestJobNameStoredSQLite(t *testing.T) {
	t.Parallel()
	testJobNameStored(t, setup(t, openSQLiteForTest))
}

func TestJobNameStoredPostgres(t *testing.T) {
	t.Parallel()
	testJobNameStored(t, setup(t, openPostgresForTest))
}

// testJobNameStored: a job's name (migration 0020) is written by CreateJob
// and read back by Job, UserJob and ListJobs; a pending upload keeps the
// chosen name and malformed-record policy until it is released.
func testJobNameStored(t *testing.T, f fixture) {
	ctx := context.Background()
	u := mustUser(t, f, fmt.Sprintf("n%d@example.org", testDBSeq.Add(1)))
	j := &gas.Job{UserID: u.ID, Name: "Trio · chr21 ✓", InputName: "in.vcf", InputKey: "k", Bundle: "demo"}
	if err := f.jobs.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if got, err := f.jobs.Job(ctx, j.ID); err != nil || got.Name != j.Name {
		t.Fatalf("Job: %+v, %v", got, err)
	}
	if got, err := f.jobs.UserJob(ctx, u.ID, j.ID); err != nil || got.Name != j.Name {
		t.Fatalf("UserJob: %+v, %v", got, err)
	}
	if list, _, err := f.jobs.ListJobs(ctx, u.ID, gas.Page{}); err != nil || len(list) != 1 || list[0].Name != j.Name {
		t.Fatalf("ListJobs: %v, %v", list, err)
	}
	p := &gas.PendingUpload{ID: fmt.Sprintf("up-name-%d", testDBSeq.Add(1)), UserID: u.ID, InputKey: "k2", InputName: "b.vcf",
		InputSize: 1, Name: "my run", OnError: "skip"}
	if err := f.db.HoldUpload(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got, err := f.db.PendingUpload(ctx, u.ID, p.ID); err != nil || got.Name != "my run" || got.OnError != "skip" {
		t.Fatalf("PendingUpload: %+v, %v", got, err)
	}
	if got, err := f.db.ReleaseUpload(ctx, u.ID, p.ID); err != nil || got.Name != "my run" || got.OnError != "skip" {
		t.Fatalf("ReleaseUpload: %+v, %v", got, err)
	}
}
