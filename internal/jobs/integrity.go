package jobs

import (
	"context"
	"fmt"

	"github.com/gas-project/gas/annotate"
)

// InputCounts gives the number of data records the upload check counted
// in a job's input (sqldb.DB has it); 0 when it is not known (a job made
// before the count was kept, or a copy of another job's input).
type InputCounts interface {
	InputRecords(ctx context.Context, jobID string) (int64, error)
}

// checkRecordCount compares the records the engine read with the upload
// check's count. They come from the same file read by the same parser,
// so a difference means the stored input is not what was checked — cut
// short or replaced in storage (issue 17: a truncated input completed with
// 6,933 of 12,000 records and nobody noticed). The result is then not
// delivered: the error is an input error, so the job fails once with a
// reason instead of completing with part of the file.
//
// Under the skip choice a malformed record is counted in Skipped, and may
// or may not be in Records too (a record refused after parsing is in
// both), so the count must lie between Records and Records + Skipped.
func (w *AnnotateWorker) checkRecordCount(ctx context.Context, jobID string, sum *annotate.Summary) error {
	if w.cfg.Counts == nil || sum == nil {
		return nil
	}
	want, err := w.cfg.Counts.InputRecords(ctx, jobID)
	if err != nil {
		return fmt.Errorf("read the upload check's record count: %w", err)
	}
	if want <= 0 {
		return nil
	}
	got := sum.Records
	if got == want || (sum.Skipped > 0 && got <= want && want <= got+sum.Skipped) {
		return nil
	}
	return &annotate.InputError{Msg: fmt.Sprintf("the annotation read %d records but the upload check counted %d in this file, "+
		"so the stored input is not the file that was checked (cut short or changed in storage); no result was kept. "+
		"Please upload the file again.", got+sum.Skipped, want)}
}
