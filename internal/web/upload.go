package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"path"
	"strings"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/httpserver"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/google/uuid"
)

// multipartSlack is what a browser adds around the file in a multipart body
// (boundaries, part headers, the mode field).
const multipartSlack = 64 << 10

// errTooLarge is returned by capReader past the plan limit.
var errTooLarge = errors.New("upload exceeds the plan limit")

// capReader passes at most n bytes and fails with errTooLarge on the next
// one, so an oversized upload stops as soon as it crosses the limit. It
// remembers an error of the source (the client's request body), so a failed
// Put can be blamed on the client or on storage.
type capReader struct {
	r      io.Reader
	n      int64
	srcErr error
}

// Read implements io.Reader.
func (c *capReader) Read(p []byte) (int, error) {
	if c.n < 0 {
		return 0, errTooLarge
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
		return n, errTooLarge
	}
	return n, err
}

// upload answers POST /annotate: the multipart body is streamed part by part
// (never buffered whole), the file goes straight into the blob store under
// the plan limit, the stored file is checked, and only then is a job created.
func (s *server) upload(w http.ResponseWriter, r *http.Request, u *gas.User) {
	limit := s.uploadLimit(u)
	if r.ContentLength > limit+multipartSlack {
		// The browser announced a body that cannot fit: refuse before
		// storing a byte of it.
		s.tooLarge(w, r, u)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+multipartSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		s.uploadError(w, r, u, annotate.AllTranscripts, invalid("The upload was not a file form."))
		return
	}
	mode := annotate.AllTranscripts
	var job *gas.Job
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.abandon(r.Context(), job)
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				s.tooLarge(w, r, u)
				return
			}
			s.uploadError(w, r, u, mode, invalid("The upload was cut off or malformed. Please try again."))
			return
		}
		switch part.FormName() {
		case "mode":
			b, err := io.ReadAll(io.LimitReader(part, 64))
			if err != nil {
				s.abandon(r.Context(), job)
				s.uploadError(w, r, u, mode, invalid("The upload was cut off. Please try again."))
				return
			}
			m, ok := parseMode(strings.TrimSpace(string(b)))
			if !ok {
				s.abandon(r.Context(), job)
				s.uploadError(w, r, u, mode, invalid("Unknown transcript mode."))
				return
			}
			mode = m
		case "file":
			if part.FileName() == "" {
				// An empty file input: browsers still send the part.
				break
			}
			if job != nil {
				s.abandon(r.Context(), job)
				s.uploadError(w, r, u, mode, invalid("Upload one file at a time."))
				return
			}
			job, err = s.storeUpload(r.Context(), u, part, limit)
			if err != nil {
				if errors.Is(err, errTooLarge) || isMaxBytes(err) {
					s.tooLarge(w, r, u)
					return
				}
				s.uploadError(w, r, u, mode, err)
				return
			}
		}
		part.Close()
	}
	if job == nil {
		s.uploadError(w, r, u, mode, invalid("Choose a VCF file to upload."))
		return
	}
	s.finishUpload(w, r, u, job, mode)
}

// uploadExample answers POST /annotate/example: the demo VCF becomes a job
// exactly as an upload of it would.
func (s *server) uploadExample(w http.ResponseWriter, r *http.Request, u *gas.User) {
	if !s.parseForm(w, r) {
		return
	}
	if len(s.example) == 0 {
		s.renderError(w, r, http.StatusNotFound, "The example is not available in this build.")
		return
	}
	mode, ok := parseMode(r.PostFormValue("mode"))
	if !ok {
		s.uploadError(w, r, u, annotate.AllTranscripts, invalid("Unknown transcript mode."))
		return
	}
	// The example is ours and small; it is not held to the plan limit.
	job, err := s.store(r.Context(), u, "example.vcf", bytes.NewReader(s.example), int64(len(s.example)))
	if err != nil {
		s.uploadError(w, r, u, mode, err)
		return
	}
	s.finishUpload(w, r, u, job, mode)
}

// storeUpload streams one file part into the blob store.
func (s *server) storeUpload(ctx context.Context, u *gas.User, part *multipart.Part, limit int64) (*gas.Job, error) {
	name, err := sanitizeFilename(part.FileName())
	if err != nil {
		return nil, err
	}
	return s.store(ctx, u, name, part, limit)
}

// store puts the file under user/<uid>/<jobid>/<name> and checks it. On any
// failure the blob is deleted, so a refused upload leaves nothing behind.
func (s *server) store(ctx context.Context, u *gas.User, name string, r io.Reader, limit int64) (*gas.Job, error) {
	id := uuid.NewString()
	key := fmt.Sprintf("user/%d/%s/%s", u.ID, id, name)
	job := &gas.Job{ID: id, UserID: u.ID, InputName: name, InputKey: key}
	cr := &capReader{r: r, n: limit}
	info, err := s.d.Blobs.Put(ctx, key, cr)
	if err != nil {
		s.abandon(ctx, job)
		switch {
		case errors.Is(err, errTooLarge) || isMaxBytes(err) || isMaxBytes(cr.srcErr):
			return nil, errTooLarge
		case cr.srcErr != nil:
			// The client stopped sending (connection cut, malformed
			// multipart): its problem to retry, not a server fault.
			return nil, &gas.Error{Code: gas.EINVALID, Message: "The upload was interrupted. Please try again.", Err: err}
		default:
			// Storage failed: a 500, logged with the cause.
			return nil, fmt.Errorf("store upload: %w", err)
		}
	}
	job.InputSize = info.Size
	if err := s.check(ctx, job, limit); err != nil {
		s.abandon(ctx, job)
		return nil, err
	}
	return job, nil
}

// check re-reads the stored file: what is validated is exactly what the
// worker will read.
func (s *server) check(ctx context.Context, job *gas.Job, limit int64) error {
	rc, err := s.d.Blobs.Open(ctx, job.InputKey)
	if err != nil {
		return fmt.Errorf("check upload: open: %w", err)
	}
	defer rc.Close()
	// Compressed VCF rarely shrinks more than ~20×; 100× (at least 64 MiB)
	// leaves room for honest files while refusing compression bombs.
	maxBytes := max(limit*100, 64<<20)
	_, err = checkVCF(ctx, rc, maxBytes)
	return err
}

// finishUpload records the job (which also queues it) and shows its page.
func (s *server) finishUpload(w http.ResponseWriter, r *http.Request, u *gas.User, job *gas.Job, mode annotate.TranscriptMode) {
	// The options are written in the worker's own format (jobs.JobOptions),
	// so what is chosen here is what the annotator will run with.
	opts, err := json.Marshal(jobs.JobOptions{Transcripts: string(mode)})
	if err != nil {
		s.abandon(r.Context(), job)
		s.serverError(w, r, err)
		return
	}
	job.State = gas.JobPending
	job.Bundle = s.cfg.DefaultBundle
	job.Options = string(opts)
	if err := s.d.Jobs.CreateJob(r.Context(), job); err != nil {
		s.abandon(r.Context(), job)
		s.fail(w, r, fmt.Errorf("create job: %w", err))
		return
	}
	http.Redirect(w, r, "/jobs/"+job.ID, http.StatusSeeOther)
}

// abandon deletes the stored input of a job that will not be created.
// It uses a context that outlives a cancelled request, since a client that
// hung up is a common reason to get here.
func (s *server) abandon(ctx context.Context, job *gas.Job) {
	if job == nil || job.InputKey == "" {
		return
	}
	if err := s.d.Blobs.Delete(context.WithoutCancel(ctx), job.InputKey); err != nil {
		s.logger.LogAttrs(ctx, slog.LevelError, "delete abandoned upload",
			slog.String("request_id", httpserver.RequestIDFrom(ctx)),
			slog.String("key", job.InputKey), slog.String("err", err.Error()))
	}
}

// uploadError shows the upload form again with the reason, for errors the
// user can fix; anything else is a 500 page.
func (s *server) uploadError(w http.ResponseWriter, r *http.Request, u *gas.User, mode annotate.TranscriptMode, err error) {
	status := httpserver.StatusFor(err)
	if status >= 500 {
		s.serverError(w, r, err)
		return
	}
	v := s.annotateView(r, u, mode)
	v.Error = gas.ErrorMessage(err)
	s.render(w, r, status, "annotate", v)
}

// tooLarge answers 413 with an offer of Premium to Free users. The rest of
// the body is read (up to a bound) so the browser, still sending, receives
// the page instead of a reset connection.
func (s *server) tooLarge(w http.ResponseWriter, r *http.Request, u *gas.User) {
	_, _ = io.CopyN(io.Discard, r.Body, 8<<20)
	v := errorView{
		Status: http.StatusRequestEntityTooLarge,
		Message: fmt.Sprintf("The file is larger than your %s plan allows (%s).",
			planName(u.Plan), formatBytes(s.uploadLimit(u))),
		Back: "/annotate", BackLabel: "Back to the upload form",
	}
	if u.Plan != gas.PlanPremium {
		v.Offer = fmt.Sprintf("Premium accounts can upload files up to %s and keep their results forever. "+
			"Upgrade to Premium, or compress the file with bgzip and try again.", formatBytes(s.cfg.PremiumUploadLimit))
	}
	s.renderErrorView(w, r, v)
}

func isMaxBytes(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// sanitizeFilename keeps the base name of an uploaded file with only
// letters, digits, dot, dash and underscore, so it is safe as the last part
// of a blob key and in a Content-Disposition header. It must end in .vcf,
// .vcf.gz or .vcf.bgz; the extension is kept as sent.
func sanitizeFilename(name string) (string, error) {
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
