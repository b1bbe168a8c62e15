package gas

import (
	"fmt"
	"slices"
	"time"
)

// JobState is where an annotation job is in its life.
type JobState string

// Job states. Transitions are made by conditional updates (UPDATE … WHERE
// state = expected) so two workers can never both move the same job.
// docs/architecture.md shows the machine and how to add a state.
const (
	JobPending   JobState = "PENDING"
	JobRunning   JobState = "RUNNING"
	JobCompleted JobState = "COMPLETED"
	JobFailed    JobState = "FAILED"
	JobArchived  JobState = "ARCHIVED"
	JobRestoring JobState = "RESTORING"
	JobCancelled JobState = "CANCELLED"
)

// stateInfo is what the rest of GAS knows about a state. Callers ask these
// questions through the methods of JobState instead of comparing states,
// so a new state is described here once and every page, metric and API
// answer follows. The rows of jobStates use unkeyed fields on purpose: a
// row that forgets one does not compile.
type stateInfo struct {
	state JobState
	// terminal: nothing the user waits for is under way (pages stop
	// watching the job). COMPLETED is terminal although the lifecycle may
	// still archive it: that is not the user's wait.
	terminal bool
	// annotated: the annotation succeeded and its result exists, hot or
	// in the cold archive.
	annotated bool
	// archived: the result is in the cold archive, not downloadable now.
	archived bool
	// deletable: the user may delete the job now. A running job is not:
	// its worker is writing files that would be left without an owner.
	deletable bool
	// about completes "This annotation …" for people.
	about string
	// next are the states a job may move to from this one.
	next []JobState
}

// jobStates is the state machine, in the order of a job's life.
var jobStates = []stateInfo{
	{JobPending, false, false, false, true, "is waiting for a worker",
		[]JobState{JobRunning, JobCancelled}},
	{JobRunning, false, false, false, false, "is running",
		[]JobState{JobRunning, JobCompleted, JobFailed, JobCancelled}}, // RUNNING again: an interrupted run resumes
	{JobCompleted, true, true, false, true, "is complete",
		[]JobState{JobArchived}},
	{JobFailed, true, false, false, true, "failed",
		[]JobState{JobPending}}, // an administrator's retry
	{JobArchived, true, true, true, true, "was moved to the archive",
		[]JobState{JobRestoring}},
	{JobRestoring, false, true, true, true, "is being restored from the archive",
		[]JobState{JobCompleted}},
	{JobCancelled, true, false, false, true, "was cancelled",
		nil},
}

// info returns the row of s; ok is false for an unknown state.
func (s JobState) info() (stateInfo, bool) {
	for _, i := range jobStates {
		if i.state == s {
			return i, true
		}
	}
	return stateInfo{}, false
}

// JobStates returns every job state, in the order of a job's life. Lists
// of states (SQL constraints, metrics, the admin filter, the OpenAPI
// document) are made from it, never written out again.
func JobStates() []JobState {
	out := make([]JobState, len(jobStates))
	for i, info := range jobStates {
		out[i] = info.state
	}
	return out
}

// Valid reports whether s is a known state.
func (s JobState) Valid() bool {
	_, ok := s.info()
	return ok
}

// Terminal reports whether nothing the user waits for is under way: the
// job will not move without a user's, an administrator's or the
// lifecycle's action.
func (s JobState) Terminal() bool {
	i, _ := s.info()
	return i.terminal
}

// Annotated reports whether the annotation succeeded, so a result exists
// (hot, or in the archive).
func (s JobState) Annotated() bool {
	i, _ := s.info()
	return i.annotated
}

// InProgress reports whether the annotation is queued or running: the
// pages show its progress.
func (s JobState) InProgress() bool {
	i, ok := s.info()
	return ok && !i.terminal && !i.annotated
}

// Archived reports whether the job's result is in the cold archive.
func (s JobState) Archived() bool {
	i, _ := s.info()
	return i.archived
}

// Deletable reports whether the owner may delete a job in s now.
func (s JobState) Deletable() bool {
	i, _ := s.info()
	return i.deletable
}

// About completes the sentence "This annotation …" for s, e.g. "failed".
func (s JobState) About() string {
	if i, ok := s.info(); ok {
		return i.about
	}
	return "is in an unknown state"
}

// Next returns the states a job in s may move to.
func (s JobState) Next() []JobState {
	i, _ := s.info()
	return slices.Clone(i.next)
}

// CanMoveTo reports whether the state machine allows s → to.
func (s JobState) CanMoveTo(to JobState) bool {
	i, _ := s.info()
	return slices.Contains(i.next, to)
}

// JobChange is one conditional state change of a job, made by a worker, a
// user or an administrator. It applies only when the job is in From, which
// is how two workers are kept from both moving the same job.
type JobChange struct {
	From   JobState
	To     JobState
	Actor  string // "worker:annotate", "admin", …
	Reason string // recorded in the event; for FAILED and CANCELLED also the user-readable FailReason
	// At is when the change happened; it becomes StartedAt when To is
	// RUNNING and CompletedAt when the annotation ends. Zero means now
	// (the store fills it in).
	At time.Time
	// Result is stored with a change to COMPLETED and ignored otherwise.
	// A restored job (RESTORING → COMPLETED) keeps its stored result, so
	// Result may be nil there.
	Result *JobResult
	// Restore is stored with a change to RESTORING and required there.
	Restore *Retrieval
}

// Validate checks c against the state machine: both states known, the
// transition allowed, and the data the new state needs present. It
// returns an EINVALID *Error otherwise.
func (c JobChange) Validate() error {
	if !c.From.Valid() || !c.To.Valid() || !c.From.CanMoveTo(c.To) {
		return Errorf(EINVALID, "Invalid job transition %s → %s.", c.From, c.To)
	}
	if c.To == JobCompleted && c.Result == nil && c.From != JobRestoring {
		return Errorf(EINVALID, "A completed job needs its result.")
	}
	if c.To == JobRestoring && c.Restore == nil {
		return Errorf(EINVALID, "A restoring job needs its retrieval.")
	}
	return nil
}

// Apply returns a copy of j after change c, which happened at at: c must
// be valid (Validate) and j in c.From, else the error is EINVALID or
// ECONFLICT. Entering RUNNING sets StartedAt; COMPLETED from RUNNING stores
// the result and CompletedAt; COMPLETED from RESTORING (a thawed result)
// clears the archive fields and keeps the original completion; FAILED and
// CANCELLED store the reason and CompletedAt; ARCHIVED sets ArchivedAt;
// RESTORING stores the retrieval; PENDING again (a retry) clears the run. A store
// writes what Apply returns; it decides nothing itself.
func (c JobChange) Apply(j *Job, at time.Time) (*Job, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if j.State != c.From {
		return nil, &Error{Code: ECONFLICT, Message: fmt.Sprintf("The job is %s, not %s.", j.State, c.From)}
	}
	n := *j
	n.State = c.To
	switch c.To {
	case JobPending:
		n.FailReason, n.StartedAt, n.CompletedAt = "", time.Time{}, time.Time{}
	case JobRunning:
		n.StartedAt, n.FailReason = at, ""
	case JobCompleted:
		if c.From == JobRestoring {
			n.ArchivedAt, n.RestoreTier, n.RestoreReadyAt = time.Time{}, "", time.Time{}
		} else {
			n.CompletedAt = at
		}
		if r := c.Result; r != nil {
			n.ResultKey, n.LogKey, n.SummaryKey = r.ResultKey, r.LogKey, r.SummaryKey
			n.ResultSize, n.ResultSum, n.Records, n.BundleSum = r.ResultSize, r.ResultSum, r.Records, r.BundleSum
			n.FailReason = ""
		}
	case JobFailed, JobCancelled:
		n.CompletedAt, n.FailReason = at, c.Reason
	case JobArchived:
		n.ArchivedAt, n.RestoreTier, n.RestoreReadyAt = at, "", time.Time{}
	case JobRestoring:
		n.RestoreTier, n.RestoreReadyAt = c.Restore.Tier, c.Restore.ReadyAt
	}
	return &n, nil
}
