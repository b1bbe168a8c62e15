package gas

import (
	"context"
	"database/sql"
	"time"
)

// ShardState is where one piece of a split input stands.
type ShardState string

// Shard states. A shard has no failed state: an input error in any piece
// fails the whole job, which is what the user sees.
const (
	ShardQueued ShardState = "queued"
	ShardDone   ShardState = "done"
)

// Shard is one contiguous piece of a job's input, annotated by its own
// queue job and merged back in order.
type Shard struct {
	JobID      string
	Index      int    // 0-based position in the input
	InputKey   string // the piece, with the input's header
	OutputKey  string // its annotated output
	Records    int64
	LineOffset int64  // piece line number + LineOffset = line in the whole input (records only)
	Region     string // first and last record position, for people
	State      ShardState
	Summary    string // the engine's summary JSON once done
	Worker     string // the process that annotated it
	DoneAt     time.Time
}

// ShardEnqueuer queues the work of shards inside the caller's transaction,
// like Enqueuer, so that a shard row never exists without its queue job.
type ShardEnqueuer interface {
	EnqueueShard(ctx context.Context, tx *sql.Tx, jobID string, shard int) error
	EnqueueMerge(ctx context.Context, tx *sql.Tx, jobID string) error
}
