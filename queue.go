package gas

import "time"

// Queues of background work (River queues). Every process names them the
// same way: a worker is told which to work (config Queues), metrics report
// their depth.
const (
	QueueAnnotate  = "annotate"  // annotation, its shards and merge, variant index builds
	QueueLifecycle = "lifecycle" // archive, restore and thaw of results
	QueueNotify    = "notify"    // email deliveries
)

// Queues returns every queue, in the order of a job's life.
func Queues() []string { return []string{QueueAnnotate, QueueLifecycle, QueueNotify} }

// QueueDepth is the backlog of one queue, for metrics.
type QueueDepth struct {
	Queue string
	// Jobs counts its unfinished work by River state: available (waiting
	// for a worker), scheduled, retryable and running.
	Jobs map[string]int64
	// OldestAvailable is when the longest-waiting available job became
	// available; zero when none waits.
	OldestAvailable time.Time
}

// QueueStates are the River job states QueueDepth counts.
func QueueStates() []string { return []string{"available", "scheduled", "retryable", "running"} }
