package cli

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/riverqueue/river"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/archive"
	"github.com/gas-project/gas/internal/archive/s3archive"
	"github.com/gas-project/gas/internal/blob"
	"github.com/gas-project/gas/internal/blob/s3blob"
	"github.com/gas-project/gas/internal/config"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/lifecycle"
	"github.com/gas-project/gas/internal/metrics"
	"github.com/gas-project/gas/internal/notify"
	"github.com/gas-project/gas/internal/sqldb"
)

// Layout of the data directory.
const (
	blobDirName    = "blobs"
	refdataDirName = "refdata"
	archiveDirName = "archive"
)

// services are the stores and hooks every process builds the same way, so
// that a job or plan change made anywhere — by a worker, the web site or an
// admin command — queues the same follow-up work in its transaction: the
// notification email, the archive timer, the restore of an upgraded user's
// results.
type services struct {
	db    *sqldb.DB
	ins   *jobs.Inserter
	store *sqldb.Jobs
	blobs gas.BlobStore
	// presign is blobs' capability to presign requests (S3); nil for
	// local files.
	presign gas.Presigner
	cold    gas.ColdStore
	notify  *notify.Service
	hooks   *lifecycle.Hooks
	metrics *metrics.Metrics
}

// buildServices wires the stores on db. baseURL is the site's public URL,
// for links in emails.
func buildServices(cfg config.Config, db *sqldb.DB, logger *slog.Logger, baseURL string) (*services, error) {
	s := &services{db: db}
	var err error
	if s.ins, err = jobs.NewInserter(db.RiverDriver(), logger); err != nil {
		return nil, err
	}
	if s.blobs, s.presign, err = openBlobs(cfg); err != nil {
		return nil, err
	}
	if s.cold, err = openArchive(cfg); err != nil {
		return nil, err
	}
	s.metrics = metrics.New(db, logger)
	s.notify, err = notify.New(db, s.ins, notify.Config{BaseURL: baseURL, From: cfg.MailFrom, SMTPURL: cfg.SMTPURL,
		FreeRetention: cfg.FreeRetention,
		OutboxDir:     notify.OutboxDir(cfg.DataDir), Logger: logger})
	if err != nil {
		return nil, err
	}
	s.hooks, err = lifecycle.NewHooks(lifecycle.HooksConfig{DB: db, Inserter: s.ins, FreeRetention: cfg.FreeRetention})
	if err != nil {
		return nil, err
	}
	observe := func(_ context.Context, _ *sql.Tx, j *gas.Job, c gas.JobChange) error {
		s.metrics.ObserveTransition(j, c)
		return nil
	}
	// Each user's jobs take at most their plan's share of the annotate
	// queue, the rest wait their turn, and uploads over the plan's limits
	// are refused (docs/lifecycle.md, "Scheduling and limits").
	db.Limit(s.ins, cfg.Limits)
	s.store = db.JobStore(s.ins, observe, s.notify.Hook(), s.hooks.TransitionHook(), jobs.IndexHook(s.ins))
	db.OnPlanChange(s.hooks.PlanHook())
	return s, nil
}

// runnerConfig adds the notification and lifecycle queues and workers to
// the annotate runner of a worker process.
func (s *services) runnerConfig(cfg config.Config, logger *slog.Logger) (jobs.RunnerConfig, error) {
	lc, err := lifecycle.New(lifecycle.Config{DB: s.db, Jobs: s.store, Inserter: s.ins, Blobs: s.blobs, Cold: s.cold, Logger: logger})
	if err != nil {
		return jobs.RunnerConfig{}, err
	}
	queues := map[string]river.QueueConfig{}
	all := maps.Clone(s.notify.Queues())
	maps.Copy(all, lc.Queues())
	for _, q := range cfg.Queues {
		if qc, ok := all[q]; ok {
			queues[q] = qc
		}
	}
	iw, err := jobs.NewIndexWorker(s.store, s.db, s.blobs, jobs.IndexConfig{Logger: logger})
	if err != nil {
		return jobs.RunnerConfig{}, err
	}
	return jobs.RunnerConfig{
		Workers: cfg.Workers, Logger: logger, Queues: queues, NoAnnotate: !slices.Contains(cfg.Queues, jobs.QueueAnnotate),
		// Heartbeats hand a killed worker's running jobs to the others
		// within a minute (River alone waits longer than the job timeout).
		Liveness: s.db, DeadAfter: cfg.WorkerDeadAfter,
		// Held jobs that gained a place without a job change (a limit
		// raised, an upgrade) are queued within half a minute.
		Shares: s.db,
		// Beat several times per dead-after period, and at most every 5 s.
		HeartbeatEvery: min(5*time.Second, cfg.WorkerDeadAfter/4),
		Register: func(w *river.Workers) error {
			if err := s.notify.Register(w); err != nil {
				return err
			}
			if err := river.AddWorkerSafely(w, iw); err != nil {
				return err
			}
			return lc.Register(w)
		},
	}, nil
}

// s3Config is the S3 connection of the settings, for bucket and prefix.
func s3Config(cfg config.Config, bucket, prefix string) s3blob.Config {
	return s3blob.Config{Endpoint: cfg.S3Endpoint, PublicEndpoint: cfg.S3PublicEndpoint, Region: cfg.S3Region,
		AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey, Bucket: bucket, Prefix: prefix}
}

// openBlobs returns the job file store: S3 when a bucket is configured,
// else files under the data directory. S3 can also presign requests, so
// clients reach it directly; local files cannot (nil).
func openBlobs(cfg config.Config) (gas.BlobStore, gas.Presigner, error) {
	if cfg.S3Bucket != "" {
		st, err := s3blob.New(s3Config(cfg, cfg.S3Bucket, cfg.S3Prefix))
		if err != nil {
			return nil, nil, err
		}
		return st, st, nil
	}
	st, err := blob.NewFS(filepath.Join(cfg.DataDir, blobDirName))
	return st, nil, err
}

// openArchive returns the cold archive: S3 (Glacier or emulated) when an
// archive bucket is configured or S3 holds the job files, else compressed
// files under the data directory. Either way the retrieval delays of the
// settings apply where no real Glacier decides them.
func openArchive(cfg config.Config) (gas.ColdStore, error) {
	delays := map[gas.RetrievalTier]time.Duration{
		gas.TierExpedited: cfg.ArchiveExpeditedDelay,
		gas.TierStandard:  cfg.ArchiveStandardDelay,
		gas.TierBulk:      cfg.ArchiveStandardDelay,
	}
	bucket := cfg.ArchiveBucket
	if bucket == "" {
		bucket = cfg.S3Bucket
	}
	if bucket == "" {
		return archive.NewLocal(archive.LocalConfig{Dir: filepath.Join(cfg.DataDir, archiveDirName), Delays: delays})
	}
	prefix := cfg.ArchivePrefix
	if prefix == "" && bucket == cfg.S3Bucket {
		// Same bucket as the live files: the archive must not share their
		// keys, or archiving would overwrite a result and thawing delete it.
		prefix = strings.Trim(strings.TrimSuffix(cfg.S3Prefix, "/")+"/archive", "/")
	}
	ac := s3Config(cfg, bucket, prefix)
	ac.StorageClass = types.StorageClass(strings.ToUpper(cfg.ArchiveStorageClass))
	if cfg.S3Bucket != "" {
		if err := s3archive.CheckSeparate(s3Config(cfg, cfg.S3Bucket, cfg.S3Prefix), ac); err != nil {
			return nil, err
		}
	}
	glacier := ac.StorageClass == types.StorageClassGlacier || ac.StorageClass == types.StorageClassDeepArchive
	if glacier {
		delays = nil // Glacier's own documented times
	}
	st, err := s3archive.New(s3archive.Config{S3: ac, Delays: delays, RestoreDays: int32(cfg.ArchiveRestoreDays)})
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	return st, nil
}
