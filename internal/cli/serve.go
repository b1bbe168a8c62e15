package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
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
	"github.com/gas-project/gas/internal/httpserver"
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
	m := &Main{Config: cfg, Role: r, Logger: newLogger(cfg, e.stderr).With("role", r.name), Stdout: e.stdout}
	return m.Run(ctx)
}

// Main is one gas process — serve, web or worker — as its parts: Open
// builds them in order (data dir, database, listener, services, workers,
// HTTP server) and Close takes them down in reverse. The roles differ only
// in which parts they open, so a web and a worker process wire the stores
// exactly as `gas serve` does.
type Main struct {
	Config config.Config
	Role   role
	Logger *slog.Logger
	Stdout io.Writer // where the start-up summary goes; nil: nowhere

	closers  []func()        // undo each opened part, in opening order
	bg       context.Context // background loops and River UI's services; ended by Close
	db       *sqldb.DB
	ln       net.Listener
	url      string // where the listener is, http://host:port
	svc      *services
	bundles  *jobs.BundleDir
	runner   *jobs.Runner
	srv      *http.Server
	serveErr chan error
	refDir   string
	demoNote string // which demo bundle the worker uses
}

// Run opens the process, serves until ctx is cancelled or the HTTP server
// fails, then closes it gracefully: the server stops accepting and
// finishes requests, the workers finish or hand back their jobs, and the
// database is closed.
func (m *Main) Run(ctx context.Context) error {
	if err := m.Open(ctx); err != nil {
		m.Close()
		return err
	}
	m.printSummary()
	var err error
	select {
	case <-ctx.Done():
		m.Logger.Info("shutting down")
	case serr := <-m.serveErr:
		err = fmt.Errorf("http server: %w", serr)
	}
	m.Close()
	return err
}

// onClose registers the undoing of a part just opened.
func (m *Main) onClose(f func()) { m.closers = append(m.closers, f) }

// Open builds the parts of the role and starts serving. On error the
// parts opened so far stay registered: call Close.
func (m *Main) Open(ctx context.Context) error {
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}
	m.Logger.Info("starting gas", "version", version(), "config", strings.Join(m.Config.Redacted(), " "))
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.bg = bg
	m.onClose(stop)
	for _, open := range []func(context.Context) error{
		m.openDataDir, m.openDB, m.listen, m.openServices, m.openWorker, m.openHTTP,
	} {
		if err := open(ctx); err != nil {
			return err
		}
	}
	if m.Role.web {
		// Expired sessions, so the table does not grow with every
		// abandoned browser; uploads whose pre-flight report nobody
		// answered within a day (row and file), so abandoned checks do not
		// pile up in storage.
		go hourly(m.bg, m.Logger, "expired sessions", m.db.DeleteExpiredSessions)
		go hourly(m.bg, m.Logger, "abandoned uploads", func(ctx context.Context) (int64, error) {
			n, err := web.CleanAbandonedUploads(ctx, m.db, m.svc.blobs, time.Now().Add(-web.AbandonedUploadAge))
			return int64(n), err
		})
	}
	// Background work ends first on Close, before what it uses closes.
	m.onClose(stop)
	m.Logger.Info("gas is running", "url", m.url)
	return nil
}

// Close takes the opened parts down in reverse order. It is safe to call
// after a failed Open, and more than once.
func (m *Main) Close() {
	for i := len(m.closers) - 1; i >= 0; i-- {
		m.closers[i]()
	}
	m.closers = nil
}

// openDataDir creates the data directory; serve locks it, since it owns
// the files and the queue alone.
func (m *Main) openDataDir(context.Context) error {
	if err := os.MkdirAll(m.Config.DataDir, 0o750); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	if !m.Role.all {
		return nil
	}
	unlock, err := lockDataDir(m.Config.DataDir)
	if err != nil {
		return err
	}
	m.onClose(unlock)
	return nil
}

// openDB opens the database. Serve migrates it; the separate roles only
// check it, so they never change the schema behind each other's back.
func (m *Main) openDB(ctx context.Context) error {
	db, err := openDB(ctx, m.Config, m.Logger)
	if err != nil {
		return err
	}
	m.db = db
	m.onClose(func() { db.Close() })
	if m.Role.all {
		_, err = db.Migrate(ctx)
		return err
	}
	return db.CheckSchema(ctx)
}

// listen opens the HTTP port before the services are wired, so the public
// URL (for links in emails) is known even when the system picks the port.
func (m *Main) listen(context.Context) error {
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.ln, m.url = ln, "http://"+ln.Addr().String()
	m.onClose(func() { ln.Close() })
	return nil
}

// baseURL is the site's public URL: configured, or where it listens.
func (m *Main) baseURL() string { return cmp.Or(m.Config.BaseURL, m.url) }

// openServices wires the stores and hooks every role shares.
func (m *Main) openServices(ctx context.Context) error {
	svc, err := buildServices(m.Config, m.db, m.Logger, m.baseURL())
	if err != nil {
		return err
	}
	m.svc = svc
	if fsb, ok := svc.blobs.(*blob.FS); ok {
		// Writes cut short by a crash leave temporary files. serve owns the
		// store and can drop them all; other roles may share it with writers
		// still running, so they only drop ones idle for a day.
		tempAge := 24 * time.Hour
		if m.Role.all {
			tempAge = 0
		}
		if n, err := fsb.RemoveTemp(ctx, tempAge); err != nil {
			m.Logger.Warn("removing unfinished temporary files", "err", err)
		} else if n > 0 {
			m.Logger.Info("removed temporary files of unfinished writes", "count", n)
		}
	}
	m.Logger.Info("notifications", "via", svc.notify.Sender().String())
	return nil
}

// openWorker builds the annotation workers of a worker role (not started
// before openHTTP): the bundle directory, with the demo bundle in it, and
// the runner of every configured queue.
func (m *Main) openWorker(ctx context.Context) error {
	if !m.Role.worker {
		return nil
	}
	cfg := m.Config
	m.refDir = filepath.Join(cfg.DataDir, refdataDirName)
	if err := os.MkdirAll(m.refDir, 0o750); err != nil {
		return fmt.Errorf("create bundle dir: %w", err)
	}
	var err error
	if m.demoNote, err = ensureDemoBundle(ctx, m.refDir, m.Logger); err != nil {
		return err
	}
	m.bundles = jobs.NewBundleDir(m.refDir, openBundle)
	// Registered before the runner's stop, so it runs after it.
	stopped := false
	m.onClose(func() {
		// Unmapping a bundle under a job that is still running would
		// crash it; if the workers did not stop, the exit frees them.
		if stopped {
			m.bundles.Close()
		}
	})
	worker, err := jobs.NewAnnotateWorker(m.svc.store, m.svc.blobs, m.bundles, jobs.AnnotateConfig{
		Version: version(),
		Logger:  m.Logger,
		// Each job may use every core: a lone large upload then finishes as
		// fast as the machine allows, and when several jobs run at once the
		// Go scheduler shares the cores between their pipelines.
		EngineWorkers: 0,
		MaxInputBytes: cfg.MaxInputSize,
		Timeout:       cfg.JobTimeout,
		// Large inputs are split into pieces any annotate worker takes.
		Shards:       m.db.Shards(m.svc.ins),
		ShardRecords: cmp.Or(cfg.ShardRecords, -1), // 0 in the settings: never split
		Progress:     jobs.NewProgressReporter(m.db, 0, m.Logger),
		// A run that read another number of records than the upload
		// check counted fails instead of completing with part of a file.
		Counts: m.db,
		// The variant index is built while annotating, so a completed job
		// can be browsed at once.
		Index: m.db,
	})
	if err != nil {
		return err
	}
	// In serve mode on a local database we hold the data-dir lock and are
	// the queue's only worker, so jobs River still marks running were
	// interrupted by a crash of the previous server: resume them now. (A
	// shared queue may have other live workers; there River's rescuer decides.)
	if m.Role.all && m.db.Local() {
		if n, err := m.db.RequeueOrphans(ctx); err != nil {
			return err
		} else if n > 0 {
			m.Logger.Warn("resuming queued work interrupted by a previous stop", "count", n)
		}
		if err := m.db.ClearLeader(ctx); err != nil {
			return err
		}
	}
	rc, err := m.svc.runnerConfig(cfg, m.Logger)
	if err != nil {
		return err
	}
	if m.runner, err = jobs.NewRunner(m.db.RiverDriver(), worker, rc); err != nil {
		return err
	}
	// The runner's context is not ctx: on shutdown it gets a soft stop
	// first, so jobs in progress can finish.
	if err := m.runner.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	m.onClose(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := m.runner.Stop(sctx); err != nil {
			m.Logger.Error("stopping workers", "err", err)
			return
		}
		stopped = true
	})
	return nil
}

// openHTTP starts serving: the site of a web role, and for every role the
// health, readiness and metrics endpoints.
func (m *Main) openHTTP(ctx context.Context) error {
	handler := http.NotFoundHandler()
	if m.Role.web {
		bundles := m.bundles
		if bundles == nil {
			// A web-only process reads the bundles when the data dir has
			// them (one host, separate processes) to say what each covers
			// and to check uploads against them; without them (a farm's web
			// pods) it says coverage was not checked. A bundle installed
			// later is found then: failed opens are not cached.
			bundles = jobs.NewBundleDir(filepath.Join(m.Config.DataDir, refdataDirName), openBundle)
			m.onClose(func() { _ = bundles.Close() }) // registered before the server's shutdown, so it runs after
		}
		var err error
		if handler, err = siteHandler(m.bg, m.Config, m.svc, m.baseURL(), bundles, m.Logger); err != nil {
			return err
		}
	}
	checks := []check{{"database", m.db.Ping}, {"queue", m.db.CheckQueue}, {"storage", func(ctx context.Context) error {
		// A tiny write proves the store accepts data, not only that it exists.
		_, err := m.svc.blobs.Put(ctx, "_health/probe", strings.NewReader("ok"))
		return err
	}}}
	if m.bundles != nil && slices.Contains(m.Config.Queues, gas.QueueAnnotate) {
		// Every bundle users may choose must open and look usable here, or
		// their jobs would fail; each is named in the answer.
		for _, name := range m.Config.OfferedBundles() {
			checks = append(checks, check{"bundle " + name, bundleCheck(m.bundles, name)})
		}
	}
	// Every request body has a deadline (uploads a minimum rate), so a
	// client trickling bytes cannot hold connections and handlers open.
	deadlines := httpserver.BodyDeadline(httpserver.BodyDeadlines{
		Request: m.Config.RequestTimeout, MinRate: m.Config.UploadMinRate, Window: m.Config.UploadRateWindow,
		IsUpload: isUpload, OnSlow: m.svc.metrics.ObserveSlowClient,
	})
	m.srv = &http.Server{
		Handler:           m.svc.metrics.Middleware(deadlines(ops{checks: checks, metrics: m.svc.metrics.Handler(), logger: m.Logger}.wrap(handler))),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	m.serveErr = make(chan error, 1)
	go func() { m.serveErr <- m.srv.Serve(m.ln) }()
	m.onClose(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("http shutdown", "err", err)
		}
	})
	return nil
}

// printSummary tells the person who started the process where things are.
func (m *Main) printSummary() {
	w := m.Stdout
	if w == nil {
		return
	}
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	if m.Role.web {
		fmt.Fprintf(w, "GAS is running at %s\n", m.url)
	} else {
		fmt.Fprintf(w, "GAS worker is running (health check at %s/healthz)\n", m.url)
	}
	fmt.Fprintf(w, "  database:  %s\n", abs(m.db.String()))
	if fsb, ok := m.svc.blobs.(*blob.FS); ok {
		fmt.Fprintf(w, "  files:     %s\n", fsb.Root())
	} else {
		fmt.Fprintf(w, "  files:     S3 bucket %s\n", m.Config.S3Bucket)
	}
	fmt.Fprintf(w, "  email:     %s\n", m.svc.notify.Sender().String())
	if m.Role.worker {
		fmt.Fprintf(w, "  bundles:   %s (%s)\n", abs(m.refDir), m.demoNote)
		fmt.Fprintf(w, "  workers:   %d annotation jobs at once\n", m.Config.Workers)
	}
	fmt.Fprintf(w, "Press Ctrl+C to stop.\n")
}

// hourly runs sweep every hour until ctx ends, logging what it did: a
// failure is logged and retried at the next hour.
func hourly(ctx context.Context, logger *slog.Logger, what string, sweep func(ctx context.Context) (int64, error)) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := sweep(ctx); err != nil {
				logger.Warn("sweep "+what, "err", err)
			} else if n > 0 {
				logger.Info("swept "+what, "count", n)
			}
		}
	}
}
