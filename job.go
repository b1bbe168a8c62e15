package gas

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Job is one annotation request: an uploaded VCF and what became of it.
// Its files are blobs under JobKey(UserID, ID, name).
type Job struct {
	ID         string // UUID
	UserID     int64
	State      JobState
	Name       string // what the user calls it (DefaultJobName unless chosen); "" before names: see Title
	InputName  string // the file name the user uploaded
	InputKey   string
	InputSize  int64
	Bundle     string // reference bundle name requested/used
	BundleSum  string // checksum of the bundle that annotated it (set on completion)
	Options    string // JSON of the annotation options chosen at submit time
	ResultKey  string // annotated .vcf.gz
	LogKey     string // human-readable log
	SummaryKey string // summary JSON
	ResultSize int64
	ResultSum  string // hex SHA-256 of the result object, checked on archive and restore
	Records    int64  // data records annotated
	// InputRecords is the upload check's record count of the input (0: not
	// known), written with the job so the worker can compare what it reads
	// with it from its first run on (issue 17).
	InputRecords int64
	FailReason   string // user-readable reason, for FAILED and CANCELLED
	CreatedAt    time.Time
	StartedAt    time.Time // zero until RUNNING
	CompletedAt  time.Time // zero until the annotation ends (COMPLETED, FAILED, CANCELLED)
	// ArchivedAt is when the result moved to the cold archive (zero when it
	// never did or was restored); the archive object has the key ResultKey.
	ArchivedAt time.Time
	// RestoreTier and RestoreReadyAt describe the retrieval of a RESTORING
	// job: the tier asked for and when the archive expects it ready.
	RestoreTier    RetrievalTier
	RestoreReadyAt time.Time
}

// MaxJobNameLen is the longest job name, in characters.
const MaxJobNameLen = 100

// DefaultJobName is the name of a job whose owner chose none: the file
// name and the first characters of the job ID, so jobs of files with the
// same name differ ("test.vcf · 3f2a9c").
func DefaultJobName(inputName, jobID string) string {
	suffix := strings.ReplaceAll(jobID, "-", "")
	if len(suffix) > 6 {
		suffix = suffix[:6]
	}
	if suffix == "" {
		return inputName
	}
	return inputName + " · " + suffix
}

// Title is how pages and lists name the job: its name, or for a job from
// before names its input file's.
func (j *Job) Title() string {
	if j.Name != "" {
		return j.Name
	}
	return j.InputName
}

// HasResult reports whether the job's result can be downloaded now: it
// completed and the result is in hot storage (not archived).
func (j *Job) HasResult() bool { return j.State == JobCompleted && j.ResultKey != "" }

// Key is where the job's file name lives in the blob store (JobKey).
func (j *Job) Key(name string) string { return JobKey(j.UserID, j.ID, name) }

// JobKey is where file name of job jobID of user userID lives in the blob
// store. Every file of a job is under one prefix, so an account's or a
// job's files are found together, and a key depends only on the job, so a
// re-run overwrites instead of adding.
func JobKey(userID int64, jobID, name string) string {
	return "user/" + strconv.FormatInt(userID, 10) + "/" + jobID + "/" + name
}

// ResultName is the name the annotated file is downloaded as, made from
// the input's: "sample.vcf.gz" gives "sample.annotated.vcf.gz".
func (j *Job) ResultName() string {
	stem := j.InputName
	for _, ext := range []string{".vcf.gz", ".vcf.bgz", ".vcf"} {
		if strings.HasSuffix(strings.ToLower(stem), ext) {
			stem = stem[:len(stem)-len(ext)]
			break
		}
	}
	if stem == "" {
		stem = "result"
	}
	return stem + ".annotated.vcf.gz"
}

// Names of a job's files in the blob store, under JobKey. The input keeps
// the name the user gave it.
const (
	FileResult  = "result.vcf.gz"   // the annotated VCF
	FileLog     = "log.txt"         // the human-readable log
	FileSummary = "summary.json"    // the engine's summary
	FileIndex   = "variants.sqlite" // the variant index of the result (internal/variantdb)
)

// Event is one entry of a job's append-only history.
type Event struct {
	JobID  string
	At     time.Time
	From   JobState
	To     JobState
	Actor  string // "user:<id>", "worker:annotate", "admin", …
	Reason string
}

// JobStore keeps annotation jobs. Implementations enqueue the annotate work in
// the same transaction that inserts the job, so a saved job is always queued.
type JobStore interface {
	// CreateJob inserts j in state PENDING, records a creation event and enqueues
	// the annotation, all in one transaction. It sets j.ID when empty and CreatedAt.
	CreateJob(ctx context.Context, j *Job) error
	// Job returns a job by ID; ENOTFOUND when absent.
	Job(ctx context.Context, id string) (*Job, error)
	// UserJob returns a job only if userID owns it; ENOTFOUND otherwise, so
	// another user's job is indistinguishable from a missing one.
	UserJob(ctx context.Context, userID int64, id string) (*Job, error)
	// ListJobs returns the user's jobs newest first and the total count.
	ListJobs(ctx context.Context, userID int64, p Page) ([]*Job, int, error)
	// Events returns a job's history, oldest first.
	Events(ctx context.Context, jobID string) ([]Event, error)
}

// JobResult is what a completed annotation produced. It is written together
// with the COMPLETED state so a job never shows as done without its files.
type JobResult struct {
	ResultKey  string
	LogKey     string
	SummaryKey string
	ResultSize int64
	ResultSum  string // hex SHA-256 of the result object
	Records    int64
	BundleSum  string
}

// JobUpdater is the worker side of the job store: conditional transitions,
// each recorded as an Event in the same transaction.
type JobUpdater interface {
	// TransitionJob applies c to job id and returns the updated job. A job that
	// is not in c.From is left alone and the error has code ECONFLICT; a
	// missing job is ENOTFOUND.
	TransitionJob(ctx context.Context, id string, c JobChange) (*Job, error)
}

// TransitionHook runs inside the transaction of a successful state change,
// after the job row and its event are written. Later work (notification
// outbox, archive timers, index builds) hooks in here so it commits or
// rolls back with the change that causes it. A hook must use tx only: on
// SQLite the pool has a single connection, which tx holds, so any other
// query would wait forever. It is a *sql.Tx because River, which queues
// the work, joins a database/sql transaction.
type TransitionHook func(ctx context.Context, tx *sql.Tx, j *Job, c JobChange) error

// Enqueuer puts the annotation of a job on the queue inside the caller's
// transaction (River's InsertTx), so a job row never exists without its
// queue entry and vice versa. Like a TransitionHook it must use tx only.
type Enqueuer interface {
	EnqueueAnnotate(ctx context.Context, tx *sql.Tx, jobID string) error
}

// JobFilter narrows an administrator's list of jobs; zero fields match all.
type JobFilter struct {
	State  JobState
	UserID int64
}

// BundleUse is a reference bundle as completed jobs recorded it.
type BundleUse struct {
	Name, Checksum string
	Jobs           int
}

// EARCHIVED marks a request for something only the hot result of a job
// gives (the download, the variant browser, its exports) while that result
// is in the cold archive or on its way back. Front ends answer it with 409
// Conflict: the job's state, not the request, is the problem.
const EARCHIVED = "archived"

// archiveTimeLayout is how the archive messages write times, as the site does.
const archiveTimeLayout = "2006-01-02 15:04:05 UTC"

// ResultArchived is the one answer every front end (site, exports, API)
// gives when asked for the result of a job whose result is archived or
// being restored, so the words and the status agree everywhere; nil when
// the result is not archived. plan is the owner's plan now: a Free owner is
// told to upgrade, a Premium owner that the restore is under way. The job's
// summary and charts are kept in hot storage and stay available.
func ResultArchived(j *Job, plan Plan) error {
	if !j.State.Archived() {
		return nil
	}
	var msg string
	switch {
	case j.State == JobRestoring:
		msg = fmt.Sprintf("The result of this annotation is being restored from the archive (%s retrieval, expected ready by %s); "+
			"it can be used again once the restore finishes. The summary and charts stay on the job page.",
			j.RestoreTier, j.RestoreReadyAt.UTC().Format(archiveTimeLayout))
	case plan == PlanPremium:
		msg = fmt.Sprintf("The result of this annotation was moved to the archive on %s: archived — your account is Premium, "+
			"so it is being restored and can be used again once the restore finishes. The summary and charts stay on the job page.",
			j.ArchivedAt.UTC().Format(archiveTimeLayout))
	default:
		msg = fmt.Sprintf("The result of this annotation was moved to the archive on %s: archived — restore by upgrading to Premium "+
			"(archived results come back automatically when an account becomes Premium). The summary and charts stay on the job page.",
			j.ArchivedAt.UTC().Format(archiveTimeLayout))
	}
	return &Error{Code: EARCHIVED, Message: msg}
}
