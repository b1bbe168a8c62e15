package notify_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/notify"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
)

// fixture is a real database with River's tables, the job store wired with
// the notification hook (and any extra hooks after it), and one user.
type fixture struct {
	db    *sqldb.DB
	ins   *jobs.Inserter
	svc   *notify.Service
	store *sqldb.Jobs
	user  *gas.User
}

func newFixture(t *testing.T, db *sqldb.DB, cfg notify.Config, after ...gas.TransitionHook) *fixture {
	t.Helper()
	ins, err := jobs.NewInserter(db.RiverDriver(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://127.0.0.1:8080"
	}
	if cfg.From == "" {
		cfg.From = "GAS <gas@example.org>"
	}
	if cfg.SMTPURL == "" && cfg.OutboxDir == "" && cfg.Sender == nil {
		cfg.OutboxDir = notify.OutboxDir(t.TempDir())
	}
	svc, err := notify.New(db, ins, cfg)
	if err != nil {
		t.Fatal(err)
	}
	store := db.JobStore(ins, append([]gas.TransitionHook{svc.Hook()}, after...)...)
	u := &gas.User{Email: "ada@example.org", Name: "Ada"}
	if err := db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, ins: ins, svc: svc, store: store, user: u}
}

// runningJob submits a job and starts it.
func (f *fixture) runningJob(t *testing.T, name string) *gas.Job {
	t.Helper()
	ctx := context.Background()
	j := &gas.Job{UserID: f.user.ID, InputName: name, InputKey: "user/1/" + name, Bundle: "demo"}
	if err := f.store.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "worker:annotate"}); err != nil {
		t.Fatal(err)
	}
	return j
}

func complete(ctx context.Context, f *fixture, id string) (*gas.Job, error) {
	return f.store.TransitionJob(ctx, id, gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted, Actor: "worker:annotate",
		Result: &gas.JobResult{ResultKey: "r", LogKey: "l", SummaryKey: "s", ResultSize: 10, ResultSum: "ab", Records: 3, BundleSum: "b"}})
}

// counts returns the outbox rows and queued delivery jobs of a job.
func (f *fixture) counts(t *testing.T, jobID string) (rows, queued int) {
	t.Helper()
	ns, _, err := f.db.ListNotifications(context.Background(), f.user.ID, gas.Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, n := range ns {
		if n.JobID == jobID {
			rows++
			ids = append(ids, fmt.Sprint(n.ID))
		}
	}
	var kinds []string
	// River keeps args as JSONB on SQLite (a binary blob); json() shows it as text.
	col := "args"
	if f.db.Dialect() == "sqlite" {
		col = "json(args)"
	}
	r, err := f.db.SQL().Query(`SELECT ` + col + ` FROM river_job WHERE kind = 'gas_notify' AND queue = 'notify'`)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
		var args string
		if err := r.Scan(&args); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, args)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	for _, a := range kinds {
		for _, id := range ids {
			if strings.ReplaceAll(a, " ", "") == `{"id":`+id+`}` {
				queued++
			}
		}
	}
	return rows, queued
}

func TestNotifyHookWritesRowAndJobInTransitionTx(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, sqldbtest.SQLite(t, sqldb.Options{}), notify.Config{})
	j := f.runningJob(t, "trio.vcf")
	if rows, queued := f.counts(t, j.ID); rows != 0 || queued != 0 {
		t.Fatalf("starting a job notified: %d rows, %d jobs", rows, queued)
	}
	if _, err := complete(ctx, f, j.ID); err != nil {
		t.Fatal(err)
	}
	if rows, queued := f.counts(t, j.ID); rows != 1 || queued != 1 {
		t.Fatalf("after COMPLETED: %d rows, %d delivery jobs; want 1 and 1", rows, queued)
	}
	ns, _, err := f.db.ListNotifications(ctx, f.user.ID, gas.Page{})
	if err != nil {
		t.Fatal(err)
	}
	n := ns[0]
	if n.Kind != gas.NotifyJobCompleted || n.To != "ada@example.org" || n.State != gas.DeliveryPending ||
		!strings.Contains(n.Subject, "trio.vcf") || !strings.Contains(n.Body, "http://127.0.0.1:8080/jobs/"+j.ID) {
		t.Fatalf("row = %+v", n)
	}
	// A repeated completion (a re-run worker) is refused by the store and adds nothing.
	if _, err := complete(ctx, f, j.ID); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("second completion: %v", err)
	}
	if rows, queued := f.counts(t, j.ID); rows != 1 || queued != 1 {
		t.Fatalf("after a refused repeat: %d rows, %d jobs", rows, queued)
	}
}

func TestNotifyHookKinds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, sqldbtest.SQLite(t, sqldb.Options{}), notify.Config{})
	failed := f.runningJob(t, "bad.vcf")
	if _, err := f.store.TransitionJob(ctx, failed.ID, gas.JobChange{From: gas.JobRunning, To: gas.JobFailed,
		Actor: "worker:annotate", Reason: "line 3: REF is empty"}); err != nil {
		t.Fatal(err)
	}
	restored := f.runningJob(t, "old.vcf")
	if _, err := complete(ctx, f, restored.ID); err != nil {
		t.Fatal(err)
	}
	steps := []gas.JobChange{
		{From: gas.JobCompleted, To: gas.JobArchived, Actor: "worker:archive"},
		{From: gas.JobArchived, To: gas.JobRestoring, Actor: "user:1", Restore: &gas.Retrieval{Tier: gas.TierStandard}},
		{From: gas.JobRestoring, To: gas.JobCompleted, Actor: "worker:thaw"},
	}
	for _, c := range steps {
		if _, err := f.store.TransitionJob(ctx, restored.ID, c); err != nil {
			t.Fatalf("%s→%s: %v", c.From, c.To, err)
		}
	}
	ns, total, err := f.db.ListNotifications(ctx, f.user.ID, gas.Page{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]gas.NotificationKind{}
	for _, n := range ns {
		got[n.JobID+" "+string(n.Kind)] = n.Kind
		if n.Kind == gas.NotifyJobFailed && !strings.Contains(n.Body, "Reason: line 3: REF is empty") {
			t.Errorf("failure mail lacks the reason:\n%s", n.Body)
		}
	}
	want := []string{failed.ID + " job_failed", restored.ID + " job_completed", restored.ID + " job_restored"}
	if total != 3 || len(got) != 3 {
		t.Fatalf("notifications %v, want %v (archiving and the start of a restore are silent)", got, want)
	}
	for _, w := range want {
		if _, ok := got[w]; !ok {
			t.Fatalf("missing %s in %v", w, got)
		}
	}
}

func TestNotifyHookRollsBackWithTransition(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A later hook fails, so the whole transition rolls back after ours ran.
	boom := func(_ context.Context, _ *sql.Tx, _ *gas.Job, c gas.JobChange) error {
		if c.To == gas.JobCompleted {
			return errors.New("later hook failed")
		}
		return nil
	}
	f := newFixture(t, sqldbtest.SQLite(t, sqldb.Options{}), notify.Config{}, boom)
	j := f.runningJob(t, "trio.vcf")
	if _, err := complete(ctx, f, j.ID); err == nil {
		t.Fatal("transition with a failing hook succeeded")
	}
	if rows, queued := f.counts(t, j.ID); rows != 0 || queued != 0 {
		t.Fatalf("after a rolled-back transition: %d rows, %d delivery jobs; want none", rows, queued)
	}
	if got, err := f.store.Job(ctx, j.ID); err != nil || got.State != gas.JobRunning {
		t.Fatalf("job after rollback: %+v, %v", got, err)
	}
}

func TestNotifyHookPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, sqldbtest.Postgres(t, sqldb.Options{}), notify.Config{})
	j := f.runningJob(t, "trio.vcf")
	if _, err := complete(ctx, f, j.ID); err != nil {
		t.Fatal(err)
	}
	if rows, queued := f.counts(t, j.ID); rows != 1 || queued != 1 {
		t.Fatalf("after COMPLETED on PostgreSQL: %d rows, %d delivery jobs", rows, queued)
	}
}
