package gas

import (
	"context"
	"io"
	"time"
)

// Plan is a user's subscription level.
type Plan string

// Plans. Limits per plan are configuration, not constants.
const (
	PlanFree    Plan = "free"
	PlanPremium Plan = "premium"
)

// User is an account.
type User struct {
	ID           int64
	Email        string
	Name         string
	PasswordHash string // argon2id PHC string; empty for accounts that only sign in via OIDC
	Institution  string // from the identity provider, when it tells
	Plan         Plan
	Admin        bool
	CreatedAt    time.Time
}

// Identity is an account at an OpenID Connect provider (Globus Auth or any
// other), as its verified ID token describes it. Issuer + Subject name it
// for good; the email may change.
type Identity struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Institution   string
	CreatedAt     time.Time // when it was first linked
	LastLogin     time.Time
}

// LoginFlow is what a sign-in through a provider must remember between
// sending the browser away and its return: the nonce expected in the ID
// token, the PKCE verifier and where to go afterwards. It is found by the
// state parameter and used once.
type LoginFlow struct {
	Nonce    string
	Verifier string
	Next     string
	Expires  time.Time
}

// JobState is where an annotation job is in its life.
type JobState string

// Job states. Transitions are made by conditional updates (UPDATE … WHERE
// state = expected) so two workers can never both move the same job.
const (
	JobPending   JobState = "PENDING"
	JobRunning   JobState = "RUNNING"
	JobCompleted JobState = "COMPLETED"
	JobFailed    JobState = "FAILED"
	JobArchived  JobState = "ARCHIVED"
	JobRestoring JobState = "RESTORING"
)

// Terminal reports whether no worker will move the job without a user action.
func (s JobState) Terminal() bool {
	return s == JobCompleted || s == JobFailed || s == JobArchived
}

// Job is one annotation request: an uploaded VCF and what became of it.
// Blob keys name objects in the BlobStore; they are "user/<uid>/<jobid>/<file>".
type Job struct {
	ID          string // UUID
	UserID      int64
	State       JobState
	InputName   string // the file name the user uploaded
	InputKey    string
	InputSize   int64
	Bundle      string // reference bundle name requested/used
	BundleSum   string // checksum of the bundle that annotated it (set on completion)
	Options     string // JSON of the annotation options chosen at submit time
	ResultKey   string // annotated .vcf.gz
	LogKey      string // human-readable log
	SummaryKey  string // summary JSON
	ResultSize  int64
	ResultSum   string // hex SHA-256 of the result object, checked on archive and restore
	Records     int64  // data records annotated
	FailReason  string // user-readable reason, for FAILED
	CreatedAt   time.Time
	StartedAt   time.Time // zero until RUNNING
	CompletedAt time.Time // zero until COMPLETED/FAILED
	// ArchivedAt is when the result moved to the cold archive (zero when it
	// never did or was restored); the archive object has the key ResultKey.
	ArchivedAt time.Time
	// RestoreTier and RestoreReadyAt describe the retrieval of a RESTORING
	// job: the tier asked for and when the archive expects it ready.
	RestoreTier    RetrievalTier
	RestoreReadyAt time.Time
}

// Event is one entry of a job's append-only history.
type Event struct {
	JobID  string
	At     time.Time
	From   JobState
	To     JobState
	Actor  string // "user:<id>", "worker:annotate", "admin", …
	Reason string
}

// Page selects a slice of a list, newest first.
type Page struct {
	Offset int
	Limit  int
}

// UserStore keeps accounts.
type UserStore interface {
	// CreateUser inserts u and sets its ID and CreatedAt. An existing email is ECONFLICT.
	CreateUser(ctx context.Context, u *User) error
	UserByID(ctx context.Context, id int64) (*User, error)        // ENOTFOUND when absent
	UserByEmail(ctx context.Context, email string) (*User, error) // ENOTFOUND when absent; case-insensitive
	SetPlan(ctx context.Context, id int64, plan Plan) error
	CountUsers(ctx context.Context) (int, error)
}

// SessionStore keeps browser sessions in the database, so web servers stay stateless.
type SessionStore interface {
	// CreateSession stores a session for the user and returns its secret token.
	CreateSession(ctx context.Context, userID int64, expires time.Time) (token string, err error)
	// SessionUser returns the user of a live session; ENOTFOUND/EUNAUTH when absent or expired.
	SessionUser(ctx context.Context, token string) (*User, error)
	DeleteSession(ctx context.Context, token string) error
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

// BlobInfo describes a stored object.
type BlobInfo struct {
	Key    string
	Size   int64
	SHA256 string // hex
}

// BlobStore keeps job files (inputs, results, logs, summaries).
type BlobStore interface {
	// Put stores r under key, replacing any object there atomically, and
	// returns its size and checksum. A partial write never becomes visible.
	Put(ctx context.Context, key string, r io.Reader) (BlobInfo, error)
	// Open reads an object; ENOTFOUND when absent.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	Stat(ctx context.Context, key string) (BlobInfo, error)
	// Delete removes an object; deleting a missing object is not an error.
	Delete(ctx context.Context, key string) error
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

// JobChange is one conditional state change of a job, made by a worker or an
// administrator. It applies only when the job is in From, which is how two
// workers are kept from both moving the same job.
type JobChange struct {
	From   JobState
	To     JobState
	Actor  string // "worker:annotate", "admin", …
	Reason string // recorded in the event; for FAILED also the user-readable FailReason
	// At is when the change happened; it becomes StartedAt when To is RUNNING
	// and CompletedAt when To is COMPLETED or FAILED. Zero means now.
	At time.Time
	// Result is stored with a change to COMPLETED and ignored otherwise.
	// A restored job (RESTORING → COMPLETED) keeps its stored result, so
	// Result may be nil there.
	Result *JobResult
	// Restore is stored with a change to RESTORING and required there.
	Restore *Retrieval
}

// JobUpdater is the worker side of the job store: conditional transitions,
// each recorded as an Event in the same transaction.
type JobUpdater interface {
	// TransitionJob applies c to job id and returns the updated job. A job that
	// is not in c.From is left alone and the error has code ECONFLICT; a
	// missing job is ENOTFOUND.
	TransitionJob(ctx context.Context, id string, c JobChange) (*Job, error)
}

// NotificationKind says which event a notification tells the user about.
type NotificationKind string

// Notification kinds.
const (
	NotifyJobCompleted NotificationKind = "job_completed"
	NotifyJobFailed    NotificationKind = "job_failed"
	NotifyJobRestored  NotificationKind = "job_restored"
)

// DeliveryState is where a notification is in its delivery.
type DeliveryState string

// Delivery states. A PENDING notification is retried with backoff until it
// is SENT or its attempts run out (FAILED, shown to the admin).
const (
	DeliveryPending DeliveryState = "PENDING"
	DeliverySent    DeliveryState = "SENT"
	DeliveryFailed  DeliveryState = "FAILED"
)

// Notification is one email to a user, kept in an outbox table that is
// written in the same transaction as the job change it reports.
type Notification struct {
	ID        int64
	UserID    int64
	JobID     string
	Kind      NotificationKind
	To        string // recipient address
	Subject   string
	Body      string // plain text
	State     DeliveryState
	Attempts  int
	LastError string // why the last attempt failed; shown to the admin
	CreatedAt time.Time
	SentAt    time.Time // zero until SENT
}

// BillingEvent is a payment provider's notification (a Stripe webhook event)
// reduced to what decides a user's plan. Events are applied at most once
// (by ID) and never over a newer one (by Created), because providers retry
// deliveries and do not promise their order.
type BillingEvent struct {
	ID         string
	Type       string
	Created    time.Time
	UserID     int64  // set when the event names our user (Checkout's client reference)
	CustomerID string // the provider's customer; finds the user otherwise
	Status     string // subscription status, e.g. active, past_due, canceled
	PeriodEnd  time.Time
	// Plan is the plan the event puts the user on; empty leaves it.
	Plan Plan
}

// Billing outcomes of applying an event.
const (
	BillingApplied   = "applied"
	BillingDuplicate = "duplicate" // this event ID was seen before
	BillingStale     = "stale"     // older than an event already applied for the user
	BillingIgnored   = "ignored"   // names no known user
)

// Token scopes of personal access tokens.
const (
	ScopeJobsRead  = "jobs:read"  // list and read jobs, download results and logs
	ScopeJobsWrite = "jobs:write" // submit and cancel jobs
)

// Token is a personal access token for the API, as listed to its owner. The
// secret itself is shown once, at creation, and never stored.
type Token struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string // the first characters of the secret, to tell tokens apart
	Scopes     []string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	ExpiresAt  time.Time // zero: never expires
	RevokedAt  time.Time // zero: live
}

// HasScope reports whether the token grants scope.
func (t *Token) HasScope(scope string) bool {
	for _, s := range t.Scopes {
		if s == scope {
			return true
		}
	}
	return false
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
