package sqldb

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gas-project/gas"
)

// TestJobStatesMigration moves a database holding jobs, events and shards
// from the CHECK that listed the states (migration 9) to the job_states
// table (10): every row survives the rebuild SQLite needs, references
// still hold, CANCELLED becomes possible and an unknown state is refused.
func TestJobStatesMigration(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]opener{
		"sqlite": func(t *testing.T, opt Options) *DB {
			db, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "gas.db"), opt)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
		"postgres": openPostgresEmpty,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := open(t, Options{})
			if _, err := db.migrate(ctx, 9); err != nil {
				t.Fatal(err)
			}
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.sql.ExecContext(ctx, db.q(q), args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			exec(`INSERT INTO users (email, email_key, created_at) VALUES ('a@example.org', 'a@example.org', 1)`)
			var uid int64
			if err := db.sql.QueryRowContext(ctx, `SELECT id FROM users`).Scan(&uid); err != nil {
				t.Fatal(err)
			}
			exec(`INSERT INTO jobs (id, user_id, state, input_name, input_key, bundle, created_at, records, index_key)
				VALUES ('j1', ?, 'COMPLETED', 'in.vcf', 'k', 'demo', 5, 42, 'idx')`, uid)
			exec(`INSERT INTO job_events (job_id, at, from_state, to_state, actor) VALUES ('j1', 6, 'RUNNING', 'COMPLETED', 'test')`)
			exec(`INSERT INTO job_shards (job_id, shard, input_key, output_key, records, line_offset) VALUES ('j1', 0, 'a', 'b', 1, 0)`)

			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if err := db.CheckSchema(ctx); err != nil {
				t.Fatal(err)
			}
			j, err := db.JobStore(nil).Job(ctx, "j1")
			if err != nil || j.State != gas.JobCompleted || j.Records != 42 || j.InputName != "in.vcf" {
				t.Fatalf("job after the migration: %+v, %v", j, err)
			}
			if p, err := db.JobProgress(ctx, "j1"); err != nil || p["j1"].IndexKey != "idx" {
				t.Fatalf("progress columns after the migration: %+v, %v", p, err)
			}
			for _, table := range []string{"job_events", "job_shards"} {
				var n int
				if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil || n != 1 {
					t.Fatalf("%s rows after the migration: %d, %v", table, n, err)
				}
			}
			// Foreign keys are on again: deleting the job cascades, and a
			// state the domain does not know is refused.
			if _, err := db.sql.ExecContext(ctx, db.q(`UPDATE jobs SET state = 'BOGUS' WHERE id = ?`), "j1"); err == nil {
				t.Fatal("an unknown state was stored")
			}
			exec(`UPDATE jobs SET state = ? WHERE id = ?`, string(gas.JobCancelled), "j1")
			exec(`DELETE FROM jobs WHERE id = ?`, "j1")
			var events int
			if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM job_events`).Scan(&events); err != nil || events != 0 {
				t.Fatalf("events after deleting their job: %d, %v (cascade lost?)", events, err)
			}
		})
	}
}

// TestCheckSchemaWantsEveryJobState: a database that lacks a state of
// this binary is refused until gas migrate adds it.
func TestCheckSchemaWantsEveryJobState(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openSQLiteForTest(t, Options{Now: func() time.Time { return time.Unix(1, 0) }})
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM job_states WHERE name = ?`, string(gas.JobCancelled)); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckSchema(ctx); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("check without CANCELLED: %v", err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckSchema(ctx); err != nil {
		t.Fatal(err)
	}
}
