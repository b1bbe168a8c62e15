package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/httpserver"
	"github.com/gas-project/gas/internal/submit"
)

// multipartSlack is what a browser adds around the file in a multipart body
// (boundaries, part headers, the mode field).
const multipartSlack = 64 << 10

// upload answers POST /annotate: the multipart body is streamed part by part
// (never buffered whole), the file goes straight into the blob store under
// the plan limit, the stored file is checked, and only then is a job created.
func (s *server) upload(w http.ResponseWriter, r *http.Request, u *gas.User) {
	limit := s.uploadLimit(u)
	if err := s.submitter().CheckQuota(r.Context(), u); err != nil {
		// Over the plan's jobs at once or uploads per hour: 429 before a
		// byte is stored. The browser is still sending; read on (within
		// the plan limit) so it receives the page, not a reset.
		_, _ = io.CopyN(io.Discard, r.Body, min(limit, 8<<20))
		s.uploadError(w, r, u, annotate.AllTranscripts, err)
		return
	}
	if r.ContentLength > limit+multipartSlack {
		// The browser announced a body that cannot fit: refuse before
		// storing a byte of it.
		s.tooLarge(w, r, u, r.ContentLength, true)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+multipartSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		s.uploadError(w, r, u, annotate.AllTranscripts, invalid("The upload was not a file form."))
		return
	}
	mode := annotate.AllTranscripts
	// The form asks for the pre-flight report (the browser form does, in a
	// field before the file, so it is known when the file arrives).
	check := false
	bundle := s.cfg.DefaultBundle
	name := ""    // the job's name; "" is the default
	paste := ""   // the variants pasted in the box, if any
	skip := false // malformed records are skipped, not fatal (a field before the file)
	var job *gas.Job
	var records int64 = -1
	var report *preflight
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.abandon(r.Context(), job)
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				s.tooLarge(w, r, u, r.ContentLength, true)
				return
			}
			if errors.Is(err, httpserver.ErrSlowBody) {
				s.uploadError(w, r, u, mode, submit.SlowUpload(err))
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
		case "bundle":
			b, _ := io.ReadAll(io.LimitReader(part, 128))
			name, err := s.chosenBundle(string(b))
			if err != nil {
				s.abandon(r.Context(), job)
				s.uploadError(w, r, u, mode, err)
				return
			}
			bundle = name
		case "preflight":
			b, _ := io.ReadAll(io.LimitReader(part, 8))
			check = strings.TrimSpace(string(b)) == "1"
		case "skip_malformed":
			b, _ := io.ReadAll(io.LimitReader(part, 8))
			skip = strings.TrimSpace(string(b)) == "1"
		case "job_name":
			// Read one byte more than a name may take (4 per character),
			// so a longer one is refused by JobName, not cut silently.
			b, _ := io.ReadAll(io.LimitReader(part, 4*gas.MaxJobNameLen+1))
			n, err := submit.JobName(string(b))
			if err != nil {
				s.abandon(r.Context(), job)
				s.uploadError(w, r, u, mode, err)
				return
			}
			name = n
		case "paste":
			// Pasted variants count against the plan limit as a file does.
			b, err := io.ReadAll(io.LimitReader(part, limit+1))
			if err != nil || int64(len(b)) > limit {
				s.abandon(r.Context(), job)
				var mbe *http.MaxBytesError
				if err == nil || errors.As(err, &mbe) {
					s.tooLarge(w, r, u, r.ContentLength, true)
					return
				}
				s.uploadError(w, r, u, mode, invalid("The upload was cut off. Please try again."))
				return
			}
			if len(bytes.TrimSpace(b)) == 0 {
				break // the box left empty
			}
			paste = string(b)
			if job != nil {
				s.abandon(r.Context(), job)
				s.pasteError(w, r, u, mode, paste, invalid("Upload a file or paste variants, not both."))
				return
			}
			text, _, err := submit.PasteToVCF(b)
			if err != nil {
				s.pasteError(w, r, u, mode, paste, err)
				return
			}
			if check && s.d.Uploads != nil {
				job, report, err = s.storeChecked(r.Context(), u, submit.PasteName, bytes.NewReader(text), limit, bundle)
			} else {
				job, records, err = s.store(r.Context(), u, submit.PasteName, bytes.NewReader(text), limit)
			}
			if err != nil {
				if submit.IsTooLarge(err) {
					s.tooLarge(w, r, u, r.ContentLength, true)
					return
				}
				s.pasteError(w, r, u, mode, paste, err)
				return
			}
		case "file":
			if part.FileName() == "" {
				// An empty file input: browsers still send the part.
				break
			}
			if job != nil {
				s.abandon(r.Context(), job)
				s.uploadError(w, r, u, mode, invalid(map[bool]string{true: "Upload a file or paste variants, not both.",
					false: "Upload one file at a time."}[paste != ""]))
				return
			}
			if check && s.d.Uploads != nil {
				var fname string
				if fname, err = submit.SanitizeFilename(part.FileName()); err == nil {
					job, report, err = s.storeChecked(r.Context(), u, fname, part, limit, bundle)
				}
			} else {
				job, records, err = s.storeUpload(r.Context(), u, part, limit, skip)
			}
			if err != nil {
				if submit.IsTooLarge(err) {
					s.tooLarge(w, r, u, r.ContentLength, true)
					return
				}
				s.uploadError(w, r, u, mode, err)
				return
			}
		}
		part.Close()
	}
	if job == nil {
		s.uploadError(w, r, u, mode, invalid("Choose a VCF file to upload, or paste variants."))
		return
	}
	job.Bundle, job.Name = bundle, name
	opt := submit.Options{Transcripts: mode, SkipMalformed: skip}
	if report != nil {
		s.holdUpload(w, r, u, job, report, opt)
		return
	}
	s.createJob(w, r, job, opt, records)
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
	if err := s.submitter().CheckQuota(r.Context(), u); err != nil {
		s.uploadError(w, r, u, mode, err)
		return
	}
	// The example is ours and small; it is not held to the plan limit.
	job, records, err := s.store(r.Context(), u, "example.vcf", bytes.NewReader(s.example), int64(len(s.example)))
	if err != nil {
		s.uploadError(w, r, u, mode, err)
		return
	}
	s.createJob(w, r, job, submit.Options{Transcripts: mode}, records)
}

// submitter stores, checks and queues uploads the same way as the API.
func (s *server) submitter() *submit.Submitter {
	return &submit.Submitter{Blobs: s.d.Blobs, Jobs: s.d.Jobs, Bundle: s.cfg.DefaultBundle, Logger: s.logger,
		Limits: s.cfg.Limits, Quota: s.d.Quota, Pending: s.pending()}
}

// pending is the upload store as the submitter's Pending (a nil
// interface when there is none).
func (s *server) pending() submit.Pending {
	if s.d.Uploads == nil {
		return nil
	}
	return s.d.Uploads
}

// storeUpload streams one file part into the blob store.
// With skip (the job skips malformed records) the check lets them through.
func (s *server) storeUpload(ctx context.Context, u *gas.User, part *multipart.Part, limit int64, skip bool) (*gas.Job, int64, error) {
	name, err := submit.SanitizeFilename(part.FileName())
	if err != nil {
		return nil, 0, err
	}
	sub := s.submitter()
	sub.SkipMalformed = skip
	return sub.Store(ctx, u, name, part, limit)
}

// store puts the file in the blob store and checks it, returning the job
// to create and the file's record count (see submit.Store).
func (s *server) store(ctx context.Context, u *gas.User, name string, r io.Reader, limit int64) (*gas.Job, int64, error) {
	return s.submitter().Store(ctx, u, name, r, limit)
}

// finishUpload records a job whose input's record count is not known yet
// (a copy of an earlier input), counting it first.
func (s *server) finishUpload(w http.ResponseWriter, r *http.Request, u *gas.User, job *gas.Job, opt submit.Options) {
	s.createJob(w, r, job, opt, s.countRecords(r.Context(), job))
}

// createJob records the job with its options, and the input's record
// count (the progress bar's total; < 0: unknown), and shows the job's page.
func (s *server) createJob(w http.ResponseWriter, r *http.Request, job *gas.Job, opt submit.Options, records int64) {
	// The count is the progress bar's total and what the worker checks its
	// reading against; it is written with the job, before any worker can
	// start it.
	job.InputRecords = max(records, 0)
	if err := s.submitter().Create(r.Context(), job, opt); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/jobs/"+job.ID, http.StatusSeeOther)
}

// abandon deletes the stored input of a job that will not be created.
func (s *server) abandon(ctx context.Context, job *gas.Job) { s.submitter().Abandon(ctx, job) }

// uploadError shows the upload form again with the reason, for errors the
// user can fix; anything else is a 500 page.
func (s *server) uploadError(w http.ResponseWriter, r *http.Request, u *gas.User, mode annotate.TranscriptMode, err error) {
	s.pasteError(w, r, u, mode, "", err)
}

// pasteError is uploadError that keeps the pasted text in its box, so the
// lines the message names can be fixed there.
func (s *server) pasteError(w http.ResponseWriter, r *http.Request, u *gas.User, mode annotate.TranscriptMode, paste string, err error) {
	status := httpserver.StatusFor(err)
	if status >= 500 {
		s.serverError(w, r, err)
		return
	}
	httpserver.SetRetryAfter(w, err)
	v := s.annotateView(r, u, mode)
	v.Error = gas.ErrorMessage(err)
	v.Paste = paste
	s.render(w, r, status, "annotate", v)
}

// tooLarge answers 413 with an offer of Premium to Free users. The rest of
// the body is read (up to a bound) so the browser, still sending, receives
// the page instead of a reset connection.
//
// size is the file's size when known: exact for a stored file, or the
// request's announced length for an upload (the file with the little form
// around it, so "about"); < 0 when unknown (a chunked body).
func (s *server) tooLarge(w http.ResponseWriter, r *http.Request, u *gas.User, size int64, about bool) {
	_, _ = io.CopyN(io.Discard, r.Body, 8<<20)
	limit := formatBytes(s.uploadLimit(u))
	msg := fmt.Sprintf("The file is larger than your %s plan allows (%s).", planName(u.Plan), limit)
	switch {
	case size > 0 && about:
		msg = fmt.Sprintf("The upload is about %s; your %s plan allows files up to %s.", formatBytes(size), planName(u.Plan), limit)
	case size > 0:
		msg = fmt.Sprintf("The file is %s; your %s plan allows files up to %s.", formatBytes(size), planName(u.Plan), limit)
	}
	v := errorView{Status: http.StatusRequestEntityTooLarge, Message: msg, Back: "/annotate", BackLabel: "Back to the upload form"}
	if u.Plan != gas.PlanPremium {
		v.Offer = fmt.Sprintf("Premium accounts can upload files up to %s and keep their results forever. "+
			"Upgrade to Premium, or compress the file with bgzip and try again.", formatBytes(s.cfg.PremiumUploadLimit))
		v.OfferLink, v.OfferLabel = "/subscribe", "See the plans"
	}
	s.renderErrorView(w, r, v)
}

// countRecords counts the data records of a stored input, the total of the
// progress bar; -1 when it cannot be read (the job is queued anyway: the
// worker reports the real problem).
func (s *server) countRecords(ctx context.Context, job *gas.Job) int64 {
	rc, err := s.d.Blobs.Open(ctx, job.InputKey)
	if err != nil {
		return -1
	}
	defer rc.Close()
	p, err := runPreflight(ctx, rc, s.submitter().InputLimits(gas.PlanPremium, s.cfg.PremiumUploadLimit).Bytes, nil)
	if err != nil {
		return -1
	}
	return p.Records
}
