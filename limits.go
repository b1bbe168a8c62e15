package gas

import (
	"errors"
	"time"
)

// ETOOMANY is the code of a request refused because the user is over one
// of their plan's limits for now (jobs at once, uploads per hour); the
// HTTP layer answers 429 with Retry-After (see RetryAfter).
const ETOOMANY = "too_many"

// PlanLimits are what one plan lets a user do (configuration, per plan).
// A zero count means no limit.
type PlanLimits struct {
	// UploadBytes caps one upload as sent (compressed or not).
	UploadBytes int64
	// InputBytes and InputRecords cap one input after decompression, so
	// compression does not stretch a plan's limit.
	InputBytes   int64
	InputRecords int64
	// RunningJobs is the user's share of the annotation queue: how many
	// of their jobs are worked at once while the others wait their turn.
	RunningJobs int
	// QueuedJobs caps the jobs waiting or running (PENDING or RUNNING);
	// a further upload is refused until some finish.
	QueuedJobs int
	// UploadsPerHour caps accepted uploads over the last hour.
	UploadsPerHour int
}

// retryAfter is carried inside an ETOOMANY *Error.
type retryAfter time.Duration

func (r retryAfter) Error() string { return "retry after " + time.Duration(r).String() }

// TooMany returns an ETOOMANY error with a message for the user and the
// time after which trying again may succeed.
func TooMany(after time.Duration, message string) *Error {
	return &Error{Code: ETOOMANY, Message: message, Err: retryAfter(after)}
}

// RetryAfter returns the wait an ETOOMANY error carries (at least a
// second), and false for any other error.
func RetryAfter(err error) (time.Duration, bool) {
	var r retryAfter
	if ErrorCode(err) != ETOOMANY || !errors.As(err, &r) {
		return 0, false
	}
	return max(time.Duration(r), time.Second), true
}
