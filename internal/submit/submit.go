// Package submit turns an uploaded VCF into a queued annotation job. The web
// form and the JSON API both go through it, so a file accepted by one is
// accepted by the other and is stored, checked and queued the same way.
package submit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/httpserver"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/vcf"
)

// ErrTooLarge is returned when an upload crosses the plan limit.
var ErrTooLarge = errors.New("upload exceeds the plan limit")

// Submitter stores, checks and queues uploads.
type Submitter struct {
	Blobs gas.BlobStore
	Jobs  gas.JobStore
	// Bundle is the reference bundle recorded on new jobs.
	Bundle string
	Logger *slog.Logger
	// Limits, when set, gives each plan's limits of one input after
	// decompression (see InputLimits); Quota, when set, refuses uploads
	// over the plan's limits of jobs at once and uploads per hour.
	Limits func(gas.Plan) gas.PlanLimits
	Quota  Quota
	// Pending, when set, lets Adopt refuse the ID of an upload waiting on
	// its pre-flight report (sqldb.DB has it).
	Pending Pending
	// SkipMalformed: the job will skip malformed records
	// (Options.SkipMalformed), so the check of Store and Adopt lets them
	// through; other problems (not a VCF, a broken header) still refuse.
	SkipMalformed bool
}

// Pending finds a user's uploads waiting on their pre-flight report.
type Pending interface {
	PendingUpload(ctx context.Context, userID int64, id string) (*gas.PendingUpload, error)
}

// capReader passes at most n bytes and fails with ErrTooLarge on the next
// one, so an oversized upload stops as soon as it crosses the limit. It
// remembers an error of the source (the client's request body), so a failed
// Put can be blamed on the client or on storage.
type capReader struct {
	r      io.Reader
	n      int64
	srcErr error
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n < 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > c.n+1 {
		p = p[:c.n+1]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		c.srcErr = err
	}
	if c.n < 0 {
		return n, ErrTooLarge
	}
	return n, err
}

// TooLargeError is ErrTooLarge for a stored file whose size is known (a
// direct upload), so the refusal can say how large it is.
type TooLargeError struct{ Size int64 }

func (e *TooLargeError) Error() string { return fmt.Sprintf("%v (%d bytes)", ErrTooLarge, e.Size) }

// Is makes errors.Is(err, ErrTooLarge) hold.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// TooLargeSize is the size a refusal for size states, or -1.
func TooLargeSize(err error) int64 {
	var e *TooLargeError
	if errors.As(err, &e) {
		return e.Size
	}
	return -1
}

// IsTooLarge reports an upload over the limit, whether the cap or an
// http.MaxBytesReader around the request stopped it.
func IsTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.Is(err, ErrTooLarge) || errors.As(err, &mbe)
}

// Store puts the file under user/<uid>/<jobid>/<name> and checks it as a
// VCF, returning the job (not created yet, see Create) and the file's record
// count (the total of the job's progress bar). On any failure the object is
// deleted, so a refused upload leaves nothing behind.
func (s *Submitter) Store(ctx context.Context, u *gas.User, name string, r io.Reader, limit int64) (*gas.Job, int64, error) {
	id := uuid.NewString()
	key := gas.JobKey(u.ID, id, name)
	job := &gas.Job{ID: id, UserID: u.ID, InputName: name, InputKey: key}
	cr := &capReader{r: r, n: limit}
	info, err := s.Blobs.Put(ctx, key, cr)
	if err != nil {
		s.Abandon(ctx, job)
		switch {
		case IsTooLarge(err) || IsTooLarge(cr.srcErr):
			return nil, 0, ErrTooLarge
		case errors.Is(cr.srcErr, httpserver.ErrSlowBody):
			return nil, 0, SlowUpload(cr.srcErr)
		case cr.srcErr != nil:
			// The client stopped sending (connection cut, malformed
			// multipart): its problem to retry, not a server fault.
			return nil, 0, &gas.Error{Code: gas.EINVALID, Message: "The upload was interrupted. Please try again.", Err: err}
		default:
			return nil, 0, fmt.Errorf("store upload: %w", err)
		}
	}
	job.InputSize = info.Size
	records, err := s.check(ctx, job, s.InputLimits(u.Plan, limit))
	if err != nil {
		s.Abandon(ctx, job)
		return nil, 0, err
	}
	return job, records, nil
}

// SlowUpload is the error of an upload cut off because the client sent it
// below the server's minimum rate (httpserver.ErrSlowBody).
func SlowUpload(err error) error {
	return &gas.Error{Code: gas.EINVALID, Message: "The upload arrived too slowly and was stopped. " +
		"Please try again on a faster or steadier connection, or compress the file (bgzip) first.", Err: err}
}

// Adopt takes an input that was uploaded straight to storage (a presigned
// PUT) under gas.JobKey(u.ID, id, name): it checks the object's size against
// the limit and its content as a VCF, and returns the job ready to be
// created and the file's record count. A refused object is deleted.
func (s *Submitter) Adopt(ctx context.Context, u *gas.User, id, name string, limit int64) (*gas.Job, int64, error) {
	if err := uuid.Validate(id); err != nil {
		return nil, 0, gas.Errorf(gas.EINVALID, "Unknown upload ID.")
	}
	name, err := SanitizeFilename(name)
	if err != nil {
		return nil, 0, err
	}
	if _, err := s.Jobs.Job(ctx, id); err == nil {
		return nil, 0, gas.Errorf(gas.ECONFLICT, "This upload was already submitted as a job.")
	} else if gas.ErrorCode(err) != gas.ENOTFOUND {
		return nil, 0, fmt.Errorf("adopt upload: %w", err)
	}
	if s.Pending != nil {
		// Its file belongs to the pre-flight report: neither taken nor
		// deleted from here (CreateJob refuses it too).
		if _, err := s.Pending.PendingUpload(ctx, u.ID, id); err == nil {
			return nil, 0, gas.Errorf(gas.ECONFLICT, "This upload is waiting for its pre-flight report; start or cancel it on its page (/uploads/%s).", id)
		} else if gas.ErrorCode(err) != gas.ENOTFOUND {
			return nil, 0, fmt.Errorf("adopt upload: %w", err)
		}
	}
	job := &gas.Job{ID: id, UserID: u.ID, InputName: name, InputKey: gas.JobKey(u.ID, id, name)}
	info, err := s.Blobs.Stat(ctx, job.InputKey)
	if gas.ErrorCode(err) == gas.ENOTFOUND {
		return nil, 0, gas.Errorf(gas.EINVALID, "Nothing was uploaded for this upload ID (or it was already used).")
	}
	if err != nil {
		return nil, 0, fmt.Errorf("adopt upload: %w", err)
	}
	if info.Size > limit {
		s.Abandon(ctx, job)
		return nil, 0, &TooLargeError{Size: info.Size}
	}
	job.InputSize = info.Size
	records, err := s.check(ctx, job, s.InputLimits(u.Plan, limit))
	if err != nil {
		s.Abandon(ctx, job)
		return nil, 0, err
	}
	return job, records, nil
}

// check re-reads the stored file: what is validated is exactly what the
// worker will read.
func (s *Submitter) check(ctx context.Context, job *gas.Job, lim InputLimits) (int64, error) {
	rc, err := s.Blobs.Open(ctx, job.InputKey)
	if err != nil {
		return 0, fmt.Errorf("check upload: open: %w", err)
	}
	defer rc.Close()
	lim.SkipMalformed = s.SkipMalformed
	return CheckInput(ctx, rc, lim)
}

// Options are the choices of a submission besides the file.
type Options struct {
	Transcripts annotate.TranscriptMode
	// SkipMalformed: a malformed record is written through unannotated and
	// listed, with its line number, in the summary (the engine's
	// OnError=skip) instead of failing the job.
	SkipMalformed bool
}

// jobOptions is the worker's form of o (jobs.JobOptions).
func (o Options) jobOptions() jobs.JobOptions {
	jo := jobs.JobOptions{Transcripts: string(o.Transcripts)}
	if jo.Transcripts == "" {
		jo.Transcripts = string(annotate.AllTranscripts)
	}
	if o.SkipMalformed {
		jo.OnError = string(annotate.Skip)
	}
	return jo
}

// Create records the stored job with its options, which also queues it; a
// job.Bundle chosen by the user is kept, else s.Bundle is used, and a
// job.Name chosen is kept, else it gets gas.DefaultJobName. On failure the
// stored input is deleted.
func (s *Submitter) Create(ctx context.Context, job *gas.Job, o Options) error {
	// The options are written in the worker's own format (jobs.JobOptions),
	// so what is chosen here is what the annotator will run with.
	opts, err := json.Marshal(o.jobOptions())
	if err != nil {
		s.Abandon(ctx, job)
		return fmt.Errorf("encode options: %w", err)
	}
	job.State = gas.JobPending
	if job.Bundle == "" {
		job.Bundle = s.Bundle
	}
	if job.ID == "" {
		job.ID = uuid.NewString()
	}
	if job.Name == "" {
		job.Name = gas.DefaultJobName(job.InputName, job.ID)
	}
	job.Options = string(opts)
	if err := s.Jobs.CreateJob(ctx, job); err != nil {
		// A job with this ID exists (a direct upload submitted twice at
		// once): the input is that job's now and must stay.
		if gas.ErrorCode(err) != gas.ECONFLICT {
			s.Abandon(ctx, job)
		}
		return fmt.Errorf("create job: %w", err)
	}
	return nil
}

// JobName checks a job name a user typed: surrounding space is dropped,
// runs of spaces become one, control characters are refused, and it may
// be at most gas.MaxJobNameLen characters. "" means "the default".
func JobName(v string) (string, error) {
	v = strings.Join(strings.Fields(v), " ")
	if !utf8.ValidString(v) {
		return "", invalid("The job name is not valid text.")
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return "", invalid("The job name may not contain control characters.")
		}
	}
	if n := utf8.RuneCountInString(v); n > gas.MaxJobNameLen {
		return "", invalid(fmt.Sprintf("The job name is %d characters long; at most %d are allowed.", n, gas.MaxJobNameLen))
	}
	return v, nil
}

// Abandon deletes the stored input of a job that will not be created. It
// uses a context that outlives a cancelled request, since a client that
// hung up is a common reason to get here.
func (s *Submitter) Abandon(ctx context.Context, job *gas.Job) {
	if job == nil || job.InputKey == "" {
		return
	}
	if err := s.Blobs.Delete(context.WithoutCancel(ctx), job.InputKey); err != nil && s.Logger != nil {
		s.Logger.ErrorContext(ctx, "delete abandoned upload", "key", job.InputKey, "err", err)
	}
}

// ParseMode reads a transcript mode from a form value; empty is all.
func ParseMode(v string) (annotate.TranscriptMode, bool) {
	switch m := annotate.TranscriptMode(strings.TrimSpace(v)); m {
	case "", annotate.AllTranscripts:
		return annotate.AllTranscripts, true
	case annotate.Canonical, annotate.MANESelect, annotate.Pick:
		return m, true
	}
	return "", false
}

// SanitizeFilename keeps the base name of an uploaded file with only
// letters, digits, dot, dash and underscore, so it is safe as the last part
// of a blob key and in a Content-Disposition header. It must end in .vcf,
// .vcf.gz or .vcf.bgz; the extension is kept as sent.
func SanitizeFilename(name string) (string, error) {
	// Browsers send a base name, but old ones sent full Windows paths.
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	lower := strings.ToLower(name)
	var ext string
	for _, e := range []string{".vcf", ".vcf.gz", ".vcf.bgz"} {
		if strings.HasSuffix(lower, e) {
			ext = name[len(name)-len(e):]
		}
	}
	if ext == "" {
		return "", invalid("Upload a file ending in .vcf or .vcf.gz.")
	}
	var b strings.Builder
	for _, r := range name[:len(name)-len(ext)] {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	// No leading dots: hidden files and "..", whatever the store makes of them.
	stem := strings.TrimLeft(b.String(), ".")
	if len(stem) > 100 {
		stem = stem[:100]
	}
	if stem == "" {
		stem = "input"
	}
	return stem + ext, nil
}

// CheckVCF reads a whole (plain, gzip or BGZF) VCF with the same reader and
// record parser the annotator uses, so an upload that passes here will not
// fail in the worker for its format. It returns the number of data records,
// or the first problem as an EINVALID *gas.Error whose message is written for
// the user. Reading to the end also proves the compression intact (a
// truncated upload fails here, not later). maxBytes caps the decompressed
// size, against compression bombs.
func CheckVCF(ctx context.Context, r io.Reader, maxBytes int64) (int64, error) {
	return checkVCF(ctx, r, maxBytes, 0, false)
}

// errTooManyRecords stops checkVCF at the record limit.
var errTooManyRecords = errors.New("too many records")

// checkVCF is CheckVCF that also stops with errTooManyRecords after
// maxRecords records (<= 0: no limit). With skipMalformed a record that
// does not parse is counted, not refused: the job will write it through
// and list it.
func checkVCF(ctx context.Context, r io.Reader, maxBytes, maxRecords int64, skipMalformed bool) (int64, error) {
	rd, err := vcf.NewReader(r, vcf.ReaderOptions{MaxLineBytes: vcf.DefaultMaxLineBytes, MaxInputBytes: maxBytes, Workers: 1})
	if err != nil {
		return 0, vcfError(err)
	}
	defer rd.Close()
	columns := rd.Header().Columns()
	var (
		blk     vcf.Block
		rec     vcf.Record
		records int64
	)
	for {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("check vcf: %w", err)
		}
		err := rd.ReadBlock(&blk, 0)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, vcfError(err)
		}
		for i := 0; i < blk.Len(); i++ {
			// Sample columns that disagree with the header make output
			// htslib cannot read: refused here, with the line, unless the
			// job will skip malformed records (the engine leaves such a
			// record out). A record that did not parse has no columns to
			// check.
			err := vcf.ParseRecord(blk.Line(i), blk.LineNo(i), &rec)
			if err == nil {
				err = vcf.CheckColumns(&rec, columns)
			}
			if err != nil && !skipMalformed {
				return 0, vcfError(err)
			}
			records++
		}
		if maxRecords > 0 && records > maxRecords {
			return 0, errTooManyRecords
		}
	}
	if records == 0 {
		return 0, invalid("The file has a VCF header but no variant records to annotate.")
	}
	return records, nil
}

// vcfError turns a reader error into a user-facing EINVALID error, or
// passes an I/O error (from the blob store) through as internal.
func vcfError(err error) error {
	var pe *vcf.ParseError
	if errors.As(err, &pe) {
		return &gas.Error{Code: gas.EINVALID, Message: "This file cannot be annotated: " + strings.TrimSuffix(pe.Error(), ".") + ".", Err: err}
	}
	return fmt.Errorf("check vcf: %w", err)
}

func invalid(msg string) error { return &gas.Error{Code: gas.EINVALID, Message: msg} }
