package jobs

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/riverqueue/river"
)

// Steps of an annotation. Shard and merge jobs are annotate jobs (same
// kind, queue, attempts and timeout) with a step, so every process that
// works the annotate queue also works the pieces of a split input, with no
// other worker to register.
const (
	StepShard = "shard" // annotate one piece of a split input
	StepMerge = "merge" // join the annotated pieces into the result
)

// ShardPriority is the River priority of the pieces of a split input: one
// below every other annotate job (River works priority 1 first). Fair
// sharing admits a user's jobs a few at a time, but a split job puts all
// its pieces in the queue at once; at the same priority a job of another
// user would wait behind every piece. Below them it waits only for the
// pieces already running, while the pieces still fill every free worker.
// Merges keep priority 1: they finish a job whose pieces are done.
const ShardPriority = 2

// EnqueueShard queues the annotation of piece shard of jobID in tx
// (gas.ShardEnqueuer).
func (in *Inserter) EnqueueShard(ctx context.Context, tx *sql.Tx, jobID string, shard int) error {
	opts := &river.InsertOpts{Priority: ShardPriority}
	if _, err := in.client.InsertTx(ctx, tx, AnnotateArgs{JobID: jobID, Step: StepShard, Shard: shard}, opts); err != nil {
		return fmt.Errorf("jobs: enqueue shard %d of %s: %w", shard, jobID, err)
	}
	return nil
}

// EnqueueMerge queues the merge of jobID's pieces in tx. It is unique per
// job: the store queues it once already, and River refuses a second one
// should anything else try (gas.ShardEnqueuer).
func (in *Inserter) EnqueueMerge(ctx context.Context, tx *sql.Tx, jobID string) error {
	opts := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
	if _, err := in.client.InsertTx(ctx, tx, AnnotateArgs{JobID: jobID, Step: StepMerge}, opts); err != nil {
		return fmt.Errorf("jobs: enqueue merge of %s: %w", jobID, err)
	}
	return nil
}
