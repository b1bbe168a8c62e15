package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/gas-project/gas"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recordingEnqueuer writes its own marker row inside the caller's
// transaction, so a test can see that enqueue and insert commit together.
type recordingEnqueuer struct {
	fail atomic.Bool
	db   *DB
}

func (e *recordingEnqueuer) EnqueueAnnotate(ctx context.Context, tx *sql.Tx, jobID string) error {
	if e.fail.Load() {
		return errors.New("queue unavailable")
	}
	_, err := tx.ExecContext(ctx, e.db.q(`INSERT INTO test_queue (job_id) VALUES (?)`), jobID)
	return err
}

type fixture struct {
	db    *DB
	jobs  *Jobs
	enq   *recordingEnqueuer
	clock *clock
}

// opener makes a fresh, migrated database for one test. The suite runs on
// every dialect through one of these.
type opener func(t *testing.T, opt Options) *DB

func openSQLiteForTest(t *testing.T, opt Options) *DB {
	t.Helper()
	db, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "gas.db"), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func setup(t *testing.T, open opener) fixture {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)}
	db := open(t, Options{Now: clk.Now})
	if _, err := db.SQL().Exec(`CREATE TABLE test_queue (job_id TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	enq := &recordingEnqueuer{db: db}
	return fixture{db: db, jobs: db.JobStore(enq), enq: enq, clock: clk}
}

func TestStoresSQLite(t *testing.T) {
	t.Parallel()
	runStoreSuite(t, openSQLiteForTest)
}

// TestStoresPostgres runs the same suite on PostgreSQL when
// GAS_TEST_POSTGRES_URL names a server (each test gets its own database).
func TestStoresPostgres(t *testing.T) {
	t.Parallel()
	runStoreSuite(t, openPostgresForTest)
}

func openPostgresForTest(t *testing.T, opt Options) *DB {
	t.Helper()
	db := openPostgresEmpty(t, opt)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// openPostgresEmpty is a new, unmigrated database on the test server.
func openPostgresEmpty(t *testing.T, opt Options) *DB {
	t.Helper()
	base := os.Getenv("GAS_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("PostgreSQL store tests skipped: set GAS_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	if err := admin.PingContext(ctx); err != nil {
		// The named database may not exist on a fresh server; any database
		// will do for creating ours, so fall back to the maintenance one.
		admin.Close()
		fallback, _ := url.Parse(base)
		fallback.Path = "/postgres"
		if admin, err = sql.Open("pgx", fallback.String()); err == nil {
			err = admin.PingContext(ctx)
		}
		if err != nil {
			t.Skipf("PostgreSQL store tests skipped: %s not reachable: %v", redact(base), err)
		}
	}
	name := fmt.Sprintf("gas_test_%d_%d", os.Getpid(), testDBSeq.Add(1))
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	db, err := OpenPostgres(ctx, u.String(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var testDBSeq atomic.Int64

func runStoreSuite(t *testing.T, open opener) {
	t.Run("Users", func(t *testing.T) { t.Parallel(); testUsers(t, setup(t, open)) })
	t.Run("Sessions", func(t *testing.T) { t.Parallel(); testSessions(t, setup(t, open)) })
	t.Run("CreateJobIsAtomic", func(t *testing.T) { t.Parallel(); testCreateJobAtomic(t, setup(t, open)) })
	t.Run("ListAndOwnership", func(t *testing.T) { t.Parallel(); testListAndOwnership(t, setup(t, open)) })
	t.Run("Transitions", func(t *testing.T) { t.Parallel(); testTransitions(t, setup(t, open)) })
	t.Run("ConcurrentStart", func(t *testing.T) { t.Parallel(); testConcurrentStart(t, setup(t, open)) })
}

func mustUser(t *testing.T, f fixture, email string) *gas.User {
	t.Helper()
	u := &gas.User{Email: email, Name: "Test", PasswordHash: "$argon2id$x"}
	if err := f.db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func mustJob(t *testing.T, f fixture, uid int64, name string) *gas.Job {
	t.Helper()
	j := &gas.Job{UserID: uid, InputName: name, InputKey: "user/x/" + name, InputSize: 10, Bundle: "demo"}
	if err := f.jobs.CreateJob(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	return j
}

func testUsers(t *testing.T, f fixture) {
	ctx := context.Background()
	u := mustUser(t, f, "Ada@Example.org")
	if u.ID == 0 || u.Plan != gas.PlanFree || !u.CreatedAt.Equal(f.clock.Now()) {
		t.Fatalf("created user = %+v", u)
	}
	if err := f.db.CreateUser(ctx, &gas.User{Email: "ada@example.ORG"}); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("duplicate email (other case): %v", err)
	}
	if err := f.db.CreateUser(ctx, &gas.User{Email: "not-an-email"}); gas.ErrorCode(err) != gas.EINVALID {
		t.Fatalf("bad email: %v", err)
	}
	got, err := f.db.UserByEmail(ctx, "ADA@example.org")
	if err != nil || got.ID != u.ID || got.Email != "Ada@Example.org" || got.PasswordHash != u.PasswordHash {
		t.Fatalf("by email = %+v, %v", got, err)
	}
	if _, err := f.db.UserByEmail(ctx, "nobody@example.org"); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("missing by email: %v", err)
	}
	if _, err := f.db.UserByID(ctx, 9999); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("missing by id: %v", err)
	}
	if err := f.db.SetPlan(ctx, u.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.db.UserByID(ctx, u.ID); got.Plan != gas.PlanPremium {
		t.Fatalf("plan = %q", got.Plan)
	}
	if err := f.db.SetPlan(ctx, u.ID, "gold"); gas.ErrorCode(err) != gas.EINVALID {
		t.Fatalf("bad plan: %v", err)
	}
	if err := f.db.SetPlan(ctx, 9999, gas.PlanFree); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("set plan on missing user: %v", err)
	}
	admin := &gas.User{Email: "root@example.org", Admin: true}
	if err := f.db.CreateUser(ctx, admin); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.db.UserByID(ctx, admin.ID); !got.Admin {
		t.Fatal("admin flag lost")
	}
	if n, err := f.db.CountUsers(ctx); err != nil || n != 2 {
		t.Fatalf("count = %d, %v", n, err)
	}
}

func testSessions(t *testing.T, f fixture) {
	ctx := context.Background()
	u := mustUser(t, f, "s@example.org")
	tok, err := f.db.CreateSession(ctx, u.ID, f.clock.Now().Add(time.Hour), gas.SessionClient{})
	if err != nil || len(tok) < 40 {
		t.Fatalf("token %q, %v", tok, err)
	}
	// Only a hash is stored: the token itself must not be in the table.
	var n int
	if err := f.db.SQL().QueryRow(f.db.q(`SELECT COUNT(*) FROM sessions WHERE token_hash = ?`), tok).Scan(&n); err != nil || n != 0 {
		t.Fatalf("raw token stored (n=%d, %v)", n, err)
	}
	got, err := f.db.SessionUser(ctx, tok)
	if err != nil || got.ID != u.ID {
		t.Fatalf("session user = %+v, %v", got, err)
	}
	if _, err := f.db.SessionUser(ctx, tok+"x"); gas.ErrorCode(err) != gas.EUNAUTH {
		t.Fatalf("wrong token: %v", err)
	}
	if _, err := f.db.SessionUser(ctx, ""); gas.ErrorCode(err) != gas.EUNAUTH {
		t.Fatalf("empty token: %v", err)
	}
	f.clock.Add(time.Hour)
	if _, err := f.db.SessionUser(ctx, tok); gas.ErrorCode(err) != gas.EUNAUTH {
		t.Fatalf("expired session: %v", err)
	}
	tok2, _ := f.db.CreateSession(ctx, u.ID, f.clock.Now().Add(time.Hour), gas.SessionClient{})
	if err := f.db.DeleteSession(ctx, tok2); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.SessionUser(ctx, tok2); gas.ErrorCode(err) != gas.EUNAUTH {
		t.Fatalf("deleted session: %v", err)
	}
	if _, err := f.db.CreateSession(ctx, u.ID, f.clock.Now().Add(-time.Second), gas.SessionClient{}); err != nil {
		t.Fatal(err)
	}
	if n, err := f.db.DeleteExpiredSessions(ctx); err != nil || n != 1 {
		t.Fatalf("expired sweep = %d, %v", n, err)
	}
}

func count(t *testing.T, db *DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(db.q(query), args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func testCreateJobAtomic(t *testing.T, f fixture) {
	ctx := context.Background()
	u := mustUser(t, f, "j@example.org")
	j := mustJob(t, f, u.ID, "a.vcf")
	if j.ID == "" || j.State != gas.JobPending || j.Options != "{}" {
		t.Fatalf("job = %+v", j)
	}
	if count(t, f.db, `SELECT COUNT(*) FROM test_queue WHERE job_id = ?`, j.ID) != 1 {
		t.Fatal("job not enqueued")
	}
	ev, err := f.jobs.Events(ctx, j.ID)
	if err != nil || len(ev) != 1 || ev[0].To != gas.JobPending || ev[0].Actor != fmt.Sprintf("user:%d", u.ID) {
		t.Fatalf("events = %+v, %v", ev, err)
	}

	// A failed enqueue must leave neither a job nor an event behind.
	f.enq.fail.Store(true)
	bad := &gas.Job{UserID: u.ID, InputName: "b.vcf", InputKey: "k", Bundle: "demo"}
	if err := f.jobs.CreateJob(ctx, bad); err == nil {
		t.Fatal("create succeeded without a queue")
	}
	f.enq.fail.Store(false)
	if n := count(t, f.db, `SELECT COUNT(*) FROM jobs`); n != 1 {
		t.Fatalf("jobs = %d after failed enqueue, want 1", n)
	}
	if n := count(t, f.db, `SELECT COUNT(*) FROM job_events`); n != 1 {
		t.Fatalf("events = %d after failed enqueue, want 1", n)
	}
	if err := f.jobs.CreateJob(ctx, &gas.Job{UserID: u.ID, InputKey: "k"}); gas.ErrorCode(err) != gas.EINVALID {
		t.Fatalf("job without bundle: %v", err)
	}
	if err := f.jobs.CreateJob(ctx, &gas.Job{ID: j.ID, UserID: u.ID, InputKey: "k", Bundle: "demo"}); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("duplicate id: %v", err)
	}
}

func testListAndOwnership(t *testing.T, f fixture) {
	ctx := context.Background()
	a := mustUser(t, f, "a@example.org")
	b := mustUser(t, f, "b@example.org")
	var ids []string
	for i := range 5 {
		f.clock.Add(time.Second)
		ids = append(ids, mustJob(t, f, a.ID, fmt.Sprintf("%d.vcf", i)).ID)
	}
	bj := mustJob(t, f, b.ID, "b.vcf")

	page, total, err := f.jobs.ListJobs(ctx, a.ID, gas.Page{Offset: 1, Limit: 2})
	if err != nil || total != 5 || len(page) != 2 {
		t.Fatalf("page = %d jobs, total %d, %v", len(page), total, err)
	}
	if page[0].ID != ids[3] || page[1].ID != ids[2] {
		t.Fatalf("not newest first: %s %s", page[0].InputName, page[1].InputName)
	}
	if all, _, _ := f.jobs.ListJobs(ctx, a.ID, gas.Page{}); len(all) != 5 {
		t.Fatalf("default page has %d jobs", len(all))
	}
	if _, err := f.jobs.UserJob(ctx, a.ID, ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.jobs.UserJob(ctx, a.ID, bj.ID); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("other user's job: %v", err)
	}
	if _, err := f.jobs.Job(ctx, "no-such-job"); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("missing job: %v", err)
	}
}

func testTransitions(t *testing.T, f fixture) {
	ctx := context.Background()
	u := mustUser(t, f, "t@example.org")
	j := mustJob(t, f, u.ID, "t.vcf")
	f.clock.Add(time.Second)
	run, err := f.jobs.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "worker:annotate"})
	if err != nil || run.State != gas.JobRunning || !run.StartedAt.Equal(f.clock.Now()) {
		t.Fatalf("start = %+v, %v", run, err)
	}
	// A second start from PENDING is refused and leaves the job alone.
	if _, err := f.jobs.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning}); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("double start: %v", err)
	}
	if _, err := f.jobs.TransitionJob(ctx, "nope", gas.JobChange{From: gas.JobPending, To: gas.JobRunning}); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("missing job: %v", err)
	}
	if _, err := f.jobs.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted}); gas.ErrorCode(err) != gas.EINVALID {
		t.Fatalf("completion without result: %v", err)
	}
	f.clock.Add(2 * time.Second)
	res := &gas.JobResult{ResultKey: "r", LogKey: "l", SummaryKey: "s", ResultSize: 99, Records: 7, BundleSum: "abc"}
	done, err := f.jobs.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted, Actor: "worker:annotate", Result: res})
	if err != nil {
		t.Fatal(err)
	}
	if done.ResultKey != "r" || done.LogKey != "l" || done.SummaryKey != "s" || done.ResultSize != 99 || done.Records != 7 ||
		done.BundleSum != "abc" || !done.CompletedAt.Equal(f.clock.Now()) || done.CompletedAt.Sub(done.StartedAt) != 2*time.Second {
		t.Fatalf("completed = %+v", done)
	}
	if _, err := f.jobs.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobRunning, To: gas.JobFailed, Reason: "late"}); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("fail after complete: %v", err)
	}
	ev, err := f.jobs.Events(ctx, j.ID)
	if err != nil || len(ev) != 3 {
		t.Fatalf("events = %+v, %v", ev, err)
	}
	if ev[1].From != gas.JobPending || ev[1].To != gas.JobRunning || ev[2].To != gas.JobCompleted || ev[2].Actor != "worker:annotate" {
		t.Fatalf("events = %+v", ev)
	}

	k := mustJob(t, f, u.ID, "k.vcf")
	if _, err := f.jobs.TransitionJob(ctx, k.ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning}); err != nil {
		t.Fatal(err)
	}
	failed, err := f.jobs.TransitionJob(ctx, k.ID, gas.JobChange{From: gas.JobRunning, To: gas.JobFailed, Reason: "line 3: bad POS"})
	if err != nil || failed.FailReason != "line 3: bad POS" || failed.State != gas.JobFailed || failed.CompletedAt.IsZero() {
		t.Fatalf("failed = %+v, %v", failed, err)
	}
	if _, err := f.jobs.TransitionJob(ctx, k.ID, gas.JobChange{From: "BOGUS", To: gas.JobFailed}); gas.ErrorCode(err) != gas.EINVALID {
		t.Fatalf("bogus state: %v", err)
	}
}

// testConcurrentStart races many workers for one job: exactly one wins.
func testConcurrentStart(t *testing.T, f fixture) {
	ctx := context.Background()
	u := mustUser(t, f, "c@example.org")
	j := mustJob(t, f, u.ID, "c.vcf")
	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, err := f.jobs.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning})
			switch gas.ErrorCode(err) {
			case "":
				wins.Add(1)
			case gas.ECONFLICT:
				conflicts.Add(1)
			default:
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != 7 {
		t.Fatalf("wins %d conflicts %d", wins.Load(), conflicts.Load())
	}
}

// riverEnqueuer inserts a real River job in the caller's transaction.
type riverEnqueuer struct{ client *river.Client[*sql.Tx] }

type testArgs struct {
	JobID string `json:"job_id"`
}

func (testArgs) Kind() string { return "test_annotate" }

func (e riverEnqueuer) EnqueueAnnotate(ctx context.Context, tx *sql.Tx, jobID string) error {
	_, err := e.client.InsertTx(ctx, tx, testArgs{JobID: jobID}, nil)
	return err
}

func TestRiverInsertCommitsWithJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openSQLiteForTest(t, Options{})
	client, err := river.NewClient(riversqlite.New(db.SQL()), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	store := db.JobStore(riverEnqueuer{client})
	u := &gas.User{Email: "r@example.org"}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	j := &gas.Job{UserID: u.ID, InputKey: "k", Bundle: "demo"}
	if err := store.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM river_job WHERE kind = 'test_annotate' AND json_extract(args, '$.job_id') = ?`, j.ID); n != 1 {
		t.Fatalf("river jobs for %s = %d", j.ID, n)
	}
	// A failure after the River insert (here: a duplicate job ID) rolls the queue entry back too.
	if err := store.CreateJob(ctx, &gas.Job{ID: j.ID, UserID: u.ID, InputKey: "k", Bundle: "demo"}); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("duplicate: %v", err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM river_job`); n != 1 {
		t.Fatalf("river jobs = %d, want 1", n)
	}
}

func TestMigrateIsIdempotentAndRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gas.db")
	db, err := OpenSQLite(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("unmigrated db passed the check: %v", err)
	}
	applied, err := db.Migrate(ctx)
	if err != nil || len(applied) == 0 {
		t.Fatalf("first migrate applied %v, %v", applied, err)
	}
	if again, err := db.Migrate(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second migrate applied %v, %v", again, err)
	}
	if err := db.CheckSchema(ctx); err != nil {
		t.Fatal(err)
	}
	_, known, _ := db.SchemaVersion(ctx)
	if _, err := db.SQL().Exec(`INSERT INTO gas_schema_version (version, name, applied_at) VALUES (?, 'future', 0)`, known+1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("migrate on newer schema: %v", err)
	}
	if err := db.CheckSchema(ctx); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("check on newer schema: %v", err)
	}
}
