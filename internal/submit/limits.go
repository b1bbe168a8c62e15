package submit

import (
	"context"
	"fmt"
	"io"

	"github.com/dustin/go-humanize"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/vcf"
)

// Quota refuses a user's upload while they are over their plan's limits
// of jobs at once or uploads per hour (sqldb.DB implements it). The store
// checks again when it records the job, which decides; asking first only
// spares reading a body that would be refused.
type Quota interface {
	CheckQuota(ctx context.Context, userID int64, uploadID string) error
}

// CheckQuota returns the ETOOMANY error (429 with Retry-After) of a user
// who may not upload now, or nil; without a Quota, nil.
func (s *Submitter) CheckQuota(ctx context.Context, u *gas.User) error {
	return s.CheckStart(ctx, u, "")
}

// CheckStart is CheckQuota for starting upload id, which was counted when
// it was held for its pre-flight report.
func (s *Submitter) CheckStart(ctx context.Context, u *gas.User, id string) error {
	if s.Quota == nil {
		return nil
	}
	return s.Quota.CheckQuota(ctx, u.ID, id)
}

// InputLimits are what the upload check reads of one input.
type InputLimits struct {
	Plan    gas.Plan
	Bytes   int64 // after decompression; <= 0: no limit
	Records int64 // data records; <= 0: no limit
	// SkipMalformed lets records the annotator cannot parse through (the
	// job skips them, Options.SkipMalformed); they count as records.
	SkipMalformed bool
}

// InputLimits are the limits of an input of plan, whose upload limit (the
// bytes sent) is upload. Without Limits the old guard stays: 100 times the
// upload limit, at least 64 MiB.
func (s *Submitter) InputLimits(plan gas.Plan, upload int64) InputLimits {
	if s.Limits == nil {
		return InputLimits{Plan: plan, Bytes: max(upload*100, 64<<20)}
	}
	l := s.Limits(plan)
	return InputLimits{Plan: plan, Bytes: l.InputBytes, Records: l.InputRecords}
}

// CheckInput is CheckVCF within lim: it never decompresses more than
// lim.Bytes (plus one byte, to know the input is longer), so neither a
// plan's limit nor the service's max-input-size can be stretched by
// compression. An input over a limit is an ETOOLARGE error (413) whose
// message names the limit.
func CheckInput(ctx context.Context, r io.Reader, lim InputLimits) (int64, error) {
	n, err := checkVCF(ctx, r, lim.Bytes, lim.Records, lim.SkipMalformed)
	switch {
	case vcf.IsTooLarge(err):
		return 0, &gas.Error{Code: gas.ETOOLARGE, Message: lim.bytesMessage(), Err: err}
	case err == errTooManyRecords:
		return 0, &gas.Error{Code: gas.ETOOLARGE, Message: fmt.Sprintf("The file has more than %s variant records, the most %s allows in one job.",
			humanize.Comma(lim.Records), lim.who())}
	}
	return n, err
}

func (lim InputLimits) who() string {
	if lim.Plan == gas.PlanPremium {
		return "your Premium plan"
	}
	return "your Free plan"
}

func (lim InputLimits) bytesMessage() string {
	msg := fmt.Sprintf("Once decompressed, the file is larger than %s allows (%s of VCF text; compressing the file does not change the limit).",
		lim.who(), humanize.Bytes(uint64(lim.Bytes)))
	if lim.Plan != gas.PlanPremium {
		msg += " Premium accounts can annotate much larger files."
	}
	return msg
}
