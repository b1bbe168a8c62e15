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

// EnqueueShard queues the annotation of piece shard of jobID in tx
// (gas.ShardEnqueuer).
func (in *Inserter) EnqueueShard(ctx context.Context, tx *sql.Tx, jobID string, shard int) error {
	if _, err := in.client.InsertTx(ctx, tx, AnnotateArgs{JobID: jobID, Step: StepShard, Shard: shard}, nil); err != nil {
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
