// Package notify emails users when their annotation jobs end or their
// archived results come back. It is a transactional outbox: a transition
// hook writes the notification row and queues its delivery (a River job) in
// the transaction of the job change, so a committed change always gets its
// email and a rolled-back one never does. The delivery worker sends it by
// SMTP (or writes an .eml file when no mail server is configured), retries
// with backoff while the server is down, and after its last attempt leaves
// the row FAILED for the administrator (gas admin notifications).
package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"path/filepath"
	"time"

	"github.com/gas-project/gas"
	"github.com/riverqueue/river"
)

// Queue is the River queue of deliveries, apart from annotation so a slow
// mail server never holds up the annotate workers or the reverse.
const Queue = gas.QueueNotify

// Defaults of Config. Ten attempts with a 7 s base doubling each time wait
// 7 s × (2⁹ − 1) ≈ 60 min in all before the row is FAILED: long enough to
// ride out a mail server restart, short enough for the admin to notice today.
const (
	DefaultMaxAttempts = 10
	DefaultRetryBase   = 7 * time.Second
	DefaultRetryMax    = 30 * time.Minute
	DefaultTimeout     = 30 * time.Second
	DefaultWorkers     = 2
)

// Inserter queues a River job inside the caller's transaction;
// jobs.Inserter satisfies it.
type Inserter interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) error
}

// Store is the outbox (sqldb.DB implements it). The Tx methods work in the
// transaction of a job change (the hook) or of a retry.
type Store interface {
	UserEmailTx(ctx context.Context, tx *sql.Tx, userID int64) (string, error)
	// UserPlanTx is the user's plan (lock: FOR UPDATE; the hook reads only).
	UserPlanTx(ctx context.Context, tx *sql.Tx, userID int64, lock bool) (gas.Plan, error)
	InsertNotificationTx(ctx context.Context, tx *sql.Tx, n *gas.Notification) error
	RetryNotificationTx(ctx context.Context, tx *sql.Tx, id int64) error
	Notification(ctx context.Context, id int64) (*gas.Notification, error)
	MarkNotificationSent(ctx context.Context, id int64, at time.Time) error
	RecordNotificationFailure(ctx context.Context, id int64, errText string, final bool) error
	// InTx runs fn in one transaction, committing when it returns nil.
	InTx(ctx context.Context, fn func(tx *sql.Tx) error) error
}

// NotifyArgs is the delivery job of one outbox row.
type NotifyArgs struct {
	ID int64 `json:"id"`
}

// Kind names the job kind in River's table.
func (NotifyArgs) Kind() string { return "gas_notify" }

// Config tunes notifications; it is filled from the service configuration.
type Config struct {
	// BaseURL is the public URL of the site, for the job links in emails.
	BaseURL string
	// FreeRetention is how long a Free user's result stays before the
	// archive takes it (config FreeRetention, as the lifecycle schedules
	// it): the completion email of a Free user's job gives the time. Zero
	// leaves it out.
	FreeRetention time.Duration
	// From is the sender address (config MailFrom), e.g. "GAS <gas@example.org>".
	From string
	// SMTPURL is the mail server (smtp:// or smtps://); empty writes .eml
	// files to OutboxDir instead.
	SMTPURL string
	// OutboxDir receives .eml files when SMTPURL is empty; normally
	// <DataDir>/outbox (see OutboxDir).
	OutboxDir string
	// MaxAttempts is how many deliveries are tried before the row is
	// FAILED; zero means DefaultMaxAttempts.
	MaxAttempts int
	// RetryBase is the wait after the first failed attempt; each later one
	// doubles it up to RetryMax. Zero means the defaults; tests use ~50 ms.
	RetryBase, RetryMax time.Duration
	// Timeout bounds one SMTP conversation (dial, TLS, send); zero means
	// DefaultTimeout.
	Timeout time.Duration
	// Workers is how many deliveries run at once; zero means DefaultWorkers.
	Workers int
	// Logger receives delivery outcomes; nil discards.
	Logger *slog.Logger
	// Now is the clock for sent times; nil means time.Now.
	Now func() time.Time
	// Sender replaces the sender chosen from SMTPURL/OutboxDir (tests).
	Sender Sender
}

// OutboxDir is where .eml files go for a data directory.
func OutboxDir(dataDir string) string { return filepath.Join(dataDir, "outbox") }

// Service composes, queues and delivers notifications.
type Service struct {
	cfg    Config
	db     Store
	ins    Inserter
	sender Sender
	logger *slog.Logger
	now    func() time.Time
}

// New checks cfg and chooses the sender: SMTP when SMTPURL is set, else
// .eml files in OutboxDir. It does not contact the mail server. ins may be
// nil in a process that only delivers (no hook); Hook then refuses to run.
func New(db Store, ins Inserter, cfg Config) (*Service, error) {
	if db == nil {
		return nil, errors.New("notify: a database is required")
	}
	if cfg.BaseURL == "" {
		return nil, errors.New("notify: BaseURL is required for the links in emails")
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("notify: sender address %q: %w", cfg.From, err)
	}
	if cfg.MaxAttempts < 0 || cfg.RetryBase < 0 || cfg.RetryMax < 0 || cfg.Timeout < 0 || cfg.Workers < 0 {
		return nil, errors.New("notify: attempts, retry times, timeout and workers must not be negative")
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.RetryBase == 0 {
		cfg.RetryBase = DefaultRetryBase
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMax = max(DefaultRetryMax, cfg.RetryBase)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers
	}
	s := &Service{cfg: cfg, db: db, ins: ins, sender: cfg.Sender, logger: cfg.Logger, now: cfg.Now}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.sender == nil {
		var err error
		switch {
		case cfg.SMTPURL != "":
			s.sender, err = NewSMTPSender(cfg.SMTPURL, SMTPOptions{Timeout: cfg.Timeout})
		case cfg.OutboxDir != "":
			s.sender, err = NewFileSender(cfg.OutboxDir)
		default:
			err = errors.New("neither an SMTP URL nor an outbox directory is set")
		}
		if err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
	}
	return s, nil
}

// Sender returns the sender in use, e.g. to log where mail goes.
func (s *Service) Sender() Sender { return s.sender }

// Queues is the River queue the delivery worker needs, for
// jobs.RunnerConfig.Queues.
func (s *Service) Queues() map[string]river.QueueConfig {
	return map[string]river.QueueConfig{Queue: {MaxWorkers: s.cfg.Workers}}
}

// Register adds the delivery worker, for jobs.RunnerConfig.Register.
func (s *Service) Register(w *river.Workers) error {
	return river.AddWorkerSafely(w, &worker{s: s})
}

// insertOpts queue a delivery. Each row gets one delivery job: the hook
// inserts it with the row, and Retry only after moving the row FAILED →
// PENDING with a conditional update, so two retries cannot queue two jobs.
// River's unique options are not used on purpose: a row's previous job can
// still be "running" in River for a moment after it recorded its final
// failure, and a unique insert would then be skipped silently, leaving a
// PENDING row that nothing delivers.
func (s *Service) insertOpts() *river.InsertOpts {
	return &river.InsertOpts{Queue: Queue, MaxAttempts: s.cfg.MaxAttempts}
}

// Retry puts a FAILED notification back to PENDING and queues its delivery,
// in one transaction (the admin's retry, from the site or gas admin
// notifications retry). ENOTFOUND for a missing row, ECONFLICT when it is
// not FAILED. A running worker picks the delivery up.
func (s *Service) Retry(ctx context.Context, id int64) error {
	if s.ins == nil {
		return errors.New("notify: retry: no queue inserter configured")
	}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.db.RetryNotificationTx(ctx, tx, id); err != nil {
			return err
		}
		return s.ins.InsertTx(ctx, tx, NotifyArgs{ID: id}, s.insertOpts())
	})
	if err != nil && gas.ErrorCode(err) == gas.EINTERNAL {
		return fmt.Errorf("notify: retry: %w", err)
	}
	return err
}
