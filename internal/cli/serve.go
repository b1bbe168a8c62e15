package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/blob"
	"github.com/gas-project/gas/internal/config"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/web"
)

// openDB opens the configured database: SQLite by default, PostgreSQL for a
// postgres:// URL.
func openDB(ctx context.Context, cfg config.Config, logger *slog.Logger) (*sqldb.DB, error) {
	kind, target, err := config.Database(cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if kind == config.Postgres {
		return sqldb.OpenPostgres(ctx, target, sqldb.Options{Logger: logger})
	}
	return sqldb.OpenSQLite(ctx, target, sqldb.Options{Logger: logger})
}

// role says which parts of GAS a process runs.
type role struct {
	name   string
	web    bool // the HTTP site
	worker bool // the annotation workers
	// all marks `gas serve`: the embedded single-machine mode, which
	// migrates by itself and owns its data dir and queue alone.
	all bool
}

func runServe(ctx context.Context, e *env, args []string) error {
	return runRole(ctx, e, args, role{name: "serve", web: true, worker: true, all: true},
		"Run the web site and the annotation workers in one process, with everything\n"+
			"(SQLite database, files, reference bundles) under the data directory.")
}

func runWeb(ctx context.Context, e *env, args []string) error {
	return runRole(ctx, e, args, role{name: "web", web: true},
		"Run only the web site (stateless: start any number behind a load balancer). Jobs are\n"+
			"queued in the database for 'gas worker' processes. The schema must be migrated ('gas migrate').")
}

func runWorker(ctx context.Context, e *env, args []string) error {
	return runRole(ctx, e, args, role{name: "worker", worker: true},
		"Run only the annotation workers (any number, sharing the database's queue), with\n"+
			"GET /healthz on --addr. The schema must be migrated ('gas migrate').")
}

func runRole(ctx context.Context, e *env, args []string, r role, about string) error {
	fs := newFlagSet(e, r.name, "", about)
	cfg, err := loadConfig(e, fs, args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	logger := newLogger(cfg, e.stderr).With("role", r.name)
	return serve(ctx, e, cfg, logger, r)
}

// serve runs the parts of r until ctx is cancelled, then stops gracefully:
// the HTTP server stops accepting and finishes requests, the workers finish
// or hand back their jobs, and the database is closed.
func serve(ctx context.Context, e *env, cfg config.Config, logger *slog.Logger, r role) (err error) {
	logger.Info("starting gas", "version", version(), "config", strings.Join(cfg.Redacted(), " "))
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	if r.all {
		unlock, err := lockDataDir(cfg.DataDir)
		if err != nil {
			return err
		}
		defer unlock()
	}
	db, err := openDB(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	if r.all {
		if _, err := db.Migrate(ctx); err != nil {
			return err
		}
	} else if err := db.CheckSchema(ctx); err != nil {
		// Separate roles never change the schema behind each other's back.
		return err
	}

	// Listen before wiring, so the public URL (for links in emails) is known
	// even when the port is picked by the system.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	url := "http://" + ln.Addr().String()
	baseURL := cfg.BaseURL
	if baseURL == "" {
		baseURL = url
	}
	svc, err := buildServices(cfg, db, logger, baseURL)
	if err != nil {
		return err
	}
	if fsb, ok := svc.blobs.(*blob.FS); ok {
		// Writes cut short by a crash leave temporary files. serve owns the
		// store and can drop them all; other roles may share it with writers
		// still running, so they only drop ones idle for a day.
		tempAge := 24 * time.Hour
		if r.all {
			tempAge = 0
		}
		if n, err := fsb.RemoveTemp(ctx, tempAge); err != nil {
			logger.Warn("removing unfinished temporary files", "err", err)
		} else if n > 0 {
			logger.Info("removed temporary files of unfinished writes", "count", n)
		}
	}
	logger.Info("notifications", "via", svc.notify.Sender().String())

	var runner *jobs.Runner
	var bundles *jobs.BundleDir
	workersStopped := false // set once the runner has stopped cleanly
	refDir := filepath.Join(cfg.DataDir, refdataDirName)
	demoNote := ""
	if r.worker {
		if err := os.MkdirAll(refDir, 0o750); err != nil {
			return fmt.Errorf("create bundle dir: %w", err)
		}
		if demoNote, err = ensureDemoBundle(ctx, refDir, logger); err != nil {
			return err
		}
		bundles = jobs.NewBundleDir(refDir, openBundle)
		defer func() {
			// Unmapping a bundle under a job that is still running would
			// crash it; if the workers did not stop, the exit frees them.
			if workersStopped {
				bundles.Close()
			}
		}()
		worker, err := jobs.NewAnnotateWorker(svc.store, svc.blobs, bundles, jobs.AnnotateConfig{
			Version: version(),
			Logger:  logger,
			// Each job may use every core: a lone large upload then finishes as
			// fast as the machine allows, and when several jobs run at once the
			// Go scheduler shares the cores between their pipelines.
			EngineWorkers: 0,
			MaxInputBytes: cfg.MaxInputSize,
			Timeout:       cfg.JobTimeout,
			// Large inputs are split into pieces any annotate worker takes.
			Shards:       db.Shards(svc.ins),
			ShardRecords: cmp.Or(cfg.ShardRecords, -1), // 0 in the settings: never split
			Progress:     jobs.NewProgressReporter(db, 0, logger),
		})
		if err != nil {
			return err
		}
		// In serve mode with SQLite we hold the data-dir lock and are the
		// queue's only worker, so jobs River still marks running were
		// interrupted by a crash of the previous server: resume them now. (A
		// shared queue may have other live workers; there River's rescuer decides.)
		if r.all && db.Local() {
			if n, err := db.RequeueOrphans(ctx); err != nil {
				return err
			} else if n > 0 {
				logger.Warn("resuming queued work interrupted by a previous stop", "count", n)
			}
			if err := db.ClearLeader(ctx); err != nil {
				return err
			}
		}
		rc, err := svc.runnerConfig(cfg, logger)
		if err != nil {
			return err
		}
		if runner, err = jobs.NewRunner(db.RiverDriver(), worker, rc); err != nil {
			return err
		}
	}

	handler, err := siteHandler(ctx, cfg, svc, r, baseURL, bundles, logger)
	if err != nil {
		return err
	}
	checks := []check{{"database", db.Ping}, {"queue", db.CheckQueue}, {"storage", func(ctx context.Context) error {
		// A tiny write proves the store accepts data, not only that it exists.
		_, err := svc.blobs.Put(ctx, "_health/probe", strings.NewReader("ok"))
		return err
	}}}
	if bundles != nil && slices.Contains(cfg.Queues, jobs.QueueAnnotate) {
		checks = append(checks, check{"bundle " + cfg.DefaultBundle, func(ctx context.Context) error {
			_, err := bundles.Bundle(ctx, cfg.DefaultBundle)
			return err
		}})
	}
	srv := &http.Server{
		Handler:           svc.metrics.Middleware(ops{checks: checks, metrics: svc.metrics.Handler()}.wrap(handler)),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	if runner != nil {
		// The runner's context is not ctx: on shutdown it gets a soft stop
		// first, so jobs in progress can finish.
		if err := runner.Start(context.WithoutCancel(ctx)); err != nil {
			return err
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if serr := runner.Stop(sctx); serr != nil {
				logger.Error("stopping workers", "err", serr)
				return
			}
			workersStopped = true
		}()
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	if r.web {
		go sweepSessions(ctx, db, logger)
		go sweepUploads(ctx, db, svc.blobs, logger)
	}

	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	if r.web {
		fmt.Fprintf(e.stdout, "GAS is running at %s\n", url)
	} else {
		fmt.Fprintf(e.stdout, "GAS worker is running (health check at %s/healthz)\n", url)
	}
	fmt.Fprintf(e.stdout, "  database:  %s\n", abs(db.String()))
	if fsb, ok := svc.blobs.(*blob.FS); ok {
		fmt.Fprintf(e.stdout, "  files:     %s\n", fsb.Root())
	} else {
		fmt.Fprintf(e.stdout, "  files:     S3 bucket %s\n", cfg.S3Bucket)
	}
	fmt.Fprintf(e.stdout, "  email:     %s\n", svc.notify.Sender().String())
	if r.worker {
		fmt.Fprintf(e.stdout, "  bundles:   %s (%s)\n", abs(refDir), demoNote)
		fmt.Fprintf(e.stdout, "  workers:   %d annotation jobs at once\n", cfg.Workers)
	}
	fmt.Fprintf(e.stdout, "Press Ctrl+C to stop.\n")
	logger.Info("gas is running", "url", url)

	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case err := <-serveErr:
		return fmt.Errorf("http server: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("http shutdown", "err", err)
	}
	return nil
}

// sweepUploads deletes, hourly, the uploads whose pre-flight report nobody
// answered within a day (row and stored file), so abandoned checks do not
// pile up in storage.
func sweepUploads(ctx context.Context, db *sqldb.DB, blobs gas.BlobStore, logger *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := web.CleanAbandonedUploads(ctx, db, blobs, time.Now().Add(-web.AbandonedUploadAge)); err != nil {
				logger.Warn("sweep abandoned uploads", "err", err)
			} else if n > 0 {
				logger.Info("deleted abandoned uploads", "count", n)
			}
		}
	}
}

// sweepSessions deletes expired sessions hourly so the table does not grow
// with every abandoned browser.
func sweepSessions(ctx context.Context, db *sqldb.DB, logger *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := db.DeleteExpiredSessions(ctx); err != nil {
				logger.Warn("sweep sessions", "err", err)
			} else if n > 0 {
				logger.Info("swept expired sessions", "count", n)
			}
		}
	}
}
