package browsertest

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/blob"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
	"github.com/gas-project/gas/internal/web"
	"github.com/gas-project/gas/refdata"
)

// site is the real GAS site on an httptest server, with a River runner in
// the same process working the annotate queue with the real engine on the
// demo bundle and building variant indexes: what gas serve runs.
type site struct {
	URL string
	db  *sqldb.DB
}

// slowReader paces the engine's input so a run lasts long enough for a
// person (and the test) to watch its progress bar move; the engine and
// its output are the real ones.
type slowReader struct {
	r     io.Reader
	pause time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	time.Sleep(s.pause)
	if len(p) > 32<<10 {
		p = p[:32<<10]
	}
	return s.r.Read(p)
}

// startSite builds and starts the site; everything stops with the test.
func startSite(t *testing.T, pause time.Duration) *site {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db := sqldbtest.SQLite(t, sqldb.Options{})
	blobs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	ins, err := jobs.NewInserter(db.RiverDriver(), nil)
	if err != nil {
		t.Fatal(err)
	}
	store := db.JobStore(ins, jobs.IndexHook(ins))
	refDir := filepath.Join(dir, "refdata")
	if err := os.Mkdir(refDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := refdata.BuildDemo(ctx, filepath.Join(refDir, "demo"), "test"); err != nil {
		t.Fatal(err)
	}

	// The progress reporter hooked around the engine as the annotate
	// worker hooks it; 200 ms so a short run shows several values.
	rep := jobs.NewProgressReporter(db, 200*time.Millisecond, nil)
	engine := func(ctx context.Context, r io.Reader, w io.Writer, b *refdata.Bundle, opt annotate.Options) (*annotate.Summary, error) {
		id, err := runningJob(ctx, db.SQL())
		if err != nil {
			return nil, err
		}
		progress, stop := rep.Start(ctx, id)
		defer stop()
		opt.Progress = progress
		return annotate.Annotate(ctx, &slowReader{r: r, pause: pause}, w, b, opt)
	}
	aw, err := jobs.NewAnnotateWorker(store, blobs, jobs.NewBundleDir(refDir, refdata.Open),
		jobs.AnnotateConfig{EngineWorkers: 1, Annotate: engine})
	if err != nil {
		t.Fatal(err)
	}
	iw, err := jobs.NewIndexWorker(store, db, blobs, jobs.IndexConfig{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	runner, err := jobs.NewRunner(db.RiverDriver(), aw, jobs.RunnerConfig{Workers: 1,
		Register: func(ws *river.Workers) error { return river.AddWorkerSafely(ws, iw) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(stop)
	})

	h, err := web.NewHandler(web.Config{Version: "browsertest", DefaultBundle: "demo",
		FreeUploadLimit: 64 << 20, IndexCacheDir: t.TempDir(),
		Logger: slog.New(slog.DiscardHandler)},
		web.Deps{Users: db, Sessions: db, Jobs: store, Blobs: blobs, Accounts: db, Progress: db, Deleter: db,
			Retrier: store, Uploads: db, IndexKeys: db, Tokens: db})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &site{URL: srv.URL, db: db}
}

// runningJob is the ID of the one RUNNING job: the site in these tests
// annotates one job at a time, and the engine hook is not told the ID.
func runningJob(ctx context.Context, db *sql.DB) (string, error) {
	var id string
	err := db.QueryRowContext(ctx, `SELECT id FROM jobs WHERE state = 'RUNNING' ORDER BY started_at DESC LIMIT 1`).Scan(&id)
	return id, err
}

// demoRecords writes a VCF of the demo's records repeated to at least n
// records, returning its path and record count.
func demoRecords(t *testing.T, n int) (string, int64) {
	t.Helper()
	demo := refdata.DemoVCF()
	i := bytes.Index(demo, []byte("\n#CHROM"))
	j := i + 1 + bytes.IndexByte(demo[i+1:], '\n') + 1
	var b bytes.Buffer
	b.Write(demo[:j])
	var records int64
	per := int64(bytes.Count(demo[j:], []byte("\n")))
	for records < int64(n) {
		b.Write(demo[j:])
		records += per
	}
	path := filepath.Join(t.TempDir(), "cohort.vcf")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, records
}

// chromiumPath is the browser the tests drive (Debian package chromium).
const chromiumPath = "/usr/bin/chromium"

// needChromium skips the test without a browser, unless the run requires
// every server (CI), where a missing browser is a failure.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(chromiumPath); err == nil {
		return
	}
	msg := chromiumPath + " is missing; install it with: apt-get update && apt-get install -y chromium"
	if os.Getenv("GAS_TEST_REQUIRE_SERVERS") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
