package web

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/submit"
)

// UploadStore keeps uploads that wait on their pre-flight report
// (sqldb.DB implements it).
type UploadStore interface {
	HoldUpload(ctx context.Context, p *gas.PendingUpload) error
	PendingUpload(ctx context.Context, userID int64, id string) (*gas.PendingUpload, error)
	ReleaseUpload(ctx context.Context, userID int64, id string) (*gas.PendingUpload, error)
}

// UploadCleaner lists abandoned uploads (sqldb.DB implements it).
type UploadCleaner interface {
	StaleUploads(ctx context.Context, before time.Time, limit int) ([]*gas.PendingUpload, error)
	ReleaseUpload(ctx context.Context, userID int64, id string) (*gas.PendingUpload, error)
}

// AbandonedUploadAge is how long a pre-flight report waits for an answer
// before the cleaner deletes the upload.
const AbandonedUploadAge = 24 * time.Hour

// CleanAbandonedUploads deletes the uploads whose pre-flight report got no
// answer since before (row and file), and returns how many. The service
// runs it from time to time (e.g. hourly, with now - AbandonedUploadAge).
func CleanAbandonedUploads(ctx context.Context, store UploadCleaner, blobs gas.BlobStore, before time.Time) (int, error) {
	n := 0
	for {
		stale, err := store.StaleUploads(ctx, before, 100)
		if err != nil {
			return n, err
		}
		if len(stale) == 0 {
			return n, nil
		}
		for _, p := range stale {
			if _, err := store.ReleaseUpload(ctx, p.UserID, p.ID); gas.ErrorCode(err) == gas.ENOTFOUND {
				continue // answered meanwhile
			} else if err != nil {
				return n, err
			}
			if err := blobs.Delete(ctx, p.InputKey); err != nil {
				return n, fmt.Errorf("clean upload %s: %w", p.ID, err)
			}
			n++
		}
	}
}

// preflightView is the model of the pre-flight report page.
type preflightView struct {
	base
	Upload      *gas.PendingUpload
	Report      *preflight
	ModeLabel   string
	Bundle      string
	BundleBuild string
	Mismatch    bool // the file's build is not the bundle's
	JobName     string
	Skip        bool // malformed records will be skipped, not fatal
}

// holdUpload records a stored upload as waiting on its pre-flight report
// and shows the report (303 → GET /uploads/{id}).
func (s *server) holdUpload(w http.ResponseWriter, r *http.Request, u *gas.User, job *gas.Job, p *preflight, opt submit.Options) {
	rep, err := json.Marshal(p)
	if err != nil {
		s.abandon(r.Context(), job)
		s.serverError(w, r, err)
		return
	}
	pu := &gas.PendingUpload{ID: job.ID, UserID: u.ID, InputKey: job.InputKey, InputName: job.InputName,
		InputSize: job.InputSize, Mode: string(opt.Transcripts), Bundle: job.Bundle, Name: job.Name, Report: string(rep)}
	if opt.SkipMalformed {
		pu.OnError = string(annotate.Skip)
	}
	if err := s.d.Uploads.HoldUpload(r.Context(), pu); err != nil {
		s.abandon(r.Context(), job)
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/uploads/"+job.ID, http.StatusSeeOther)
}

// uploadGone answers for an upload that is no longer waiting: its job when
// it was queued, else the same 404 as for another user's upload.
func (s *server) uploadGone(w http.ResponseWriter, r *http.Request, u *gas.User, err error) {
	if gas.ErrorCode(err) != gas.ENOTFOUND {
		s.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	if _, jerr := s.d.Jobs.UserJob(r.Context(), u.ID, id); jerr == nil {
		http.Redirect(w, r, "/jobs/"+id, http.StatusSeeOther)
		return
	}
	s.renderError(w, r, http.StatusNotFound, "")
}

// uploadReport answers GET /uploads/{id}: the pre-flight report with
// "go on" and "cancel".
func (s *server) uploadReport(w http.ResponseWriter, r *http.Request, u *gas.User) {
	if s.d.Uploads == nil {
		s.renderError(w, r, http.StatusNotFound, "")
		return
	}
	pu, err := s.d.Uploads.PendingUpload(r.Context(), u.ID, r.PathValue("id"))
	if err != nil {
		s.uploadGone(w, r, u, err)
		return
	}
	var p preflight
	if err := json.Unmarshal([]byte(pu.Report), &p); err != nil {
		s.serverError(w, r, fmt.Errorf("pre-flight report of %s: %w", pu.ID, err))
		return
	}
	bundle := cmp.Or(pu.Bundle, s.cfg.DefaultBundle)
	v := preflightView{base: s.baseFor(r, "Check of "+pu.InputName), Upload: pu, Report: &p,
		ModeLabel: modeLabel(annotate.TranscriptMode(pu.Mode)), Bundle: bundle, BundleBuild: s.bundleAssembly(r.Context(), bundle),
		JobName: cmp.Or(pu.Name, gas.DefaultJobName(pu.InputName, pu.ID)), Skip: pu.OnError == string(annotate.Skip)}
	v.Mismatch = p.Build != "" && v.BundleBuild != "" && p.Build != v.BundleBuild
	s.render(w, r, http.StatusOK, "preflight", v)
}

// uploadStart answers POST /uploads/{id}/start: the upload becomes a job.
func (s *server) uploadStart(w http.ResponseWriter, r *http.Request, u *gas.User) {
	if s.d.Uploads == nil {
		s.renderError(w, r, http.StatusNotFound, "")
		return
	}
	// Over the plan's jobs at once: 429 while the upload still waits, so
	// the user can start it later (once released, a refused job's file
	// would be deleted).
	if err := s.submitter().CheckStart(r.Context(), u, r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	pu, err := s.d.Uploads.ReleaseUpload(r.Context(), u.ID, r.PathValue("id"))
	if err != nil {
		s.uploadGone(w, r, u, err)
		return
	}
	mode, ok := parseMode(pu.Mode)
	if !ok {
		mode = annotate.AllTranscripts
	}
	var p preflight
	records := int64(-1)
	if json.Unmarshal([]byte(pu.Report), &p) == nil {
		records = p.Records
	}
	job := &gas.Job{ID: pu.ID, UserID: u.ID, Name: pu.Name, InputName: pu.InputName, InputKey: pu.InputKey, InputSize: pu.InputSize, Bundle: pu.Bundle}
	s.createJob(w, r, job, submit.Options{Transcripts: mode, SkipMalformed: pu.OnError == string(annotate.Skip)}, records)
}

// uploadCancel answers POST /uploads/{id}/cancel: the stored file is deleted.
func (s *server) uploadCancel(w http.ResponseWriter, r *http.Request, u *gas.User) {
	if s.d.Uploads == nil {
		s.renderError(w, r, http.StatusNotFound, "")
		return
	}
	pu, err := s.d.Uploads.ReleaseUpload(r.Context(), u.ID, r.PathValue("id"))
	if err != nil {
		s.uploadGone(w, r, u, err)
		return
	}
	s.abandon(r.Context(), &gas.Job{ID: pu.ID, InputKey: pu.InputKey})
	http.Redirect(w, r, "/annotate?cancelled=1", http.StatusSeeOther)
}

// capped passes at most n bytes of r and fails with submit.ErrTooLarge on
// the next one; srcErr keeps an error of the client's stream.
type capped struct {
	r      io.Reader
	n      int64
	srcErr error
}

func (c *capped) Read(p []byte) (int, error) {
	if c.n < 0 {
		return 0, submit.ErrTooLarge
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
		return n, submit.ErrTooLarge
	}
	return n, err
}

// storeChecked stores an upload for the pre-flight report. Unlike the
// plain upload it lets through files whose records the engine will refuse
// and files without records: the report shows that, and the user decides
// (a refused record then fails the job with its reason; an empty file
// completes with an empty summary). A file that is not VCF at all (no
// header, broken compression, over the size guard) is refused as before,
// with the upload check's message.
func (s *server) storeChecked(ctx context.Context, u *gas.User, name string, r io.Reader, limit int64, bundle string) (*gas.Job, *preflight, error) {
	id := uuid.NewString()
	job := &gas.Job{ID: id, UserID: u.ID, InputName: name, InputKey: gas.JobKey(u.ID, id, name), Bundle: bundle}
	cr := &capped{r: r, n: limit}
	info, err := s.d.Blobs.Put(ctx, job.InputKey, cr)
	if err != nil {
		s.abandon(ctx, job)
		switch {
		case submit.IsTooLarge(err) || submit.IsTooLarge(cr.srcErr):
			return nil, nil, submit.ErrTooLarge
		case cr.srcErr != nil:
			return nil, nil, &gas.Error{Code: gas.EINVALID, Message: "The upload was interrupted. Please try again.", Err: err}
		default:
			return nil, nil, fmt.Errorf("store upload: %w", err)
		}
	}
	job.InputSize = info.Size
	p, err := s.preflightStored(ctx, job, s.submitter().InputLimits(u.Plan, limit))
	if err != nil {
		return nil, nil, err
	}
	return job, p, nil
}

// preflightStored runs the pre-flight check on a job's stored input,
// against the job's bundle when the site can read it, within the plan's
// limits after decompression (lim). A file that is not readable as VCF, or
// over a limit, is deleted and refused with the upload check's message.
func (s *server) preflightStored(ctx context.Context, job *gas.Job, lim submit.InputLimits) (*preflight, error) {
	rc, err := s.d.Blobs.Open(ctx, job.InputKey)
	if err != nil {
		s.abandon(ctx, job)
		return nil, fmt.Errorf("pre-flight: open: %w", err)
	}
	p, err := runPreflight(ctx, rc, lim.Bytes, newCoverage(s.openBundle(ctx, cmp.Or(job.Bundle, s.cfg.DefaultBundle))))
	rc.Close()
	if err == nil && (lim.Records <= 0 || p.Records <= lim.Records) {
		return p, nil
	}
	if err == nil {
		err = errors.New("pre-flight: over the record limit")
	}
	// Not readable as VCF, or over a limit: the upload check words the
	// reason for the user.
	if rc, oerr := s.d.Blobs.Open(ctx, job.InputKey); oerr == nil {
		_, cerr := submit.CheckInput(ctx, rc, lim)
		rc.Close()
		if c := gas.ErrorCode(cerr); c == gas.EINVALID || c == gas.ETOOLARGE {
			err = cerr
		}
	}
	s.abandon(ctx, job)
	if c := gas.ErrorCode(err); c != gas.EINVALID && c != gas.ETOOLARGE {
		err = &gas.Error{Code: gas.EINVALID, Message: "This file cannot be read as VCF.", Err: err}
	}
	return nil, err
}

// bundleAssembly is the assembly of a bundle: as the service says, else
// from its manifest, else guessed from the name.
func (s *server) bundleAssembly(ctx context.Context, name string) string {
	if s.cfg.BundleAssembly != nil {
		if a := s.cfg.BundleAssembly(name); a != "" {
			return a
		}
	}
	if b := s.openBundle(ctx, name); b != nil && b.Manifest().Assembly != "" {
		return b.Manifest().Assembly
	}
	return bundleBuild(name)
}
