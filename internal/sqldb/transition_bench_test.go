package sqldb

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/gas-project/gas"
)

type nopEnqueuer struct{}

func (nopEnqueuer) EnqueueAnnotate(context.Context, *sql.Tx, string) error { return nil }

// BenchmarkTransitionJob is one job's life on SQLite: created, started and
// completed (three transactions, two of them transitions with a hook).
func BenchmarkTransitionJob(b *testing.B) {
	ctx := context.Background()
	db, err := OpenSQLite(ctx, filepath.Join(b.TempDir(), "gas.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	u := &gas.User{Email: "bench@example.org"}
	if err := db.CreateUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	hook := func(context.Context, *sql.Tx, *gas.Job, gas.JobChange) error { return nil }
	store := db.JobStore(nopEnqueuer{}, hook)
	res := &gas.JobResult{ResultKey: "r", LogKey: "l", SummaryKey: "s", ResultSize: 1, ResultSum: "x", Records: 1}
	b.ResetTimer()
	for b.Loop() {
		j := &gas.Job{UserID: u.ID, InputKey: "k", Bundle: "demo"}
		if err := store.CreateJob(ctx, j); err != nil {
			b.Fatal(err)
		}
		if _, err := store.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning}); err != nil {
			b.Fatal(err)
		}
		if _, err := store.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted, Result: res}); err != nil {
			b.Fatal(err)
		}
	}
}
