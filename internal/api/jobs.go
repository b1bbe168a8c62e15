package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/httpserver"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/submit"
)

func ts(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func toJSON(j *gas.Job) Job {
	var opt jobs.JobOptions
	_ = json.Unmarshal([]byte(j.Options), &opt)
	if opt.Transcripts == "" {
		opt.Transcripts = string(annotate.AllTranscripts)
	}
	self := Prefix + "/jobs/" + j.ID
	links := map[string]string{"self": self, "log": self + "/log", "page": "/jobs/" + j.ID}
	if j.HasResult() {
		links["result"] = self + "/result"
	}
	if j.State.CanMoveTo(gas.JobCancelled) {
		links["cancel"] = self + "/cancel"
	}
	return Job{ID: j.ID, Name: j.Title(), State: j.State, Terminal: j.State.Terminal(), InputName: j.InputName, InputSize: j.InputSize,
		Bundle: j.Bundle, Transcripts: opt.Transcripts, SkipMalformed: opt.OnError == string(annotate.Skip), Records: j.Records, ResultSize: j.ResultSize, ResultSHA256: j.ResultSum,
		FailReason: j.FailReason, CreatedAt: ts(j.CreatedAt), StartedAt: ts(j.StartedAt), CompletedAt: ts(j.CompletedAt),
		ArchivedAt: ts(j.ArchivedAt), RestoreTier: string(j.RestoreTier), RestoreReadyAt: ts(j.RestoreReadyAt), Links: links}
}

func (s *server) limit(u *gas.User) int64 {
	if u.Plan == gas.PlanPremium {
		return s.cfg.PremiumUploadLimit
	}
	return s.cfg.FreeUploadLimit
}

// submitter stores, checks and queues uploads the same way as the site.
func (s *server) submitter(bundle string) *submit.Submitter {
	return &submit.Submitter{Blobs: s.d.Blobs, Jobs: s.d.Jobs, Bundle: bundle, Logger: s.log, Limits: s.cfg.Limits, Quota: s.d.Quota, Pending: s.d.Pending}
}

func (s *server) me(w http.ResponseWriter, r *http.Request, u *gas.User) {
	s.json(w, http.StatusOK, Me{ID: u.ID, Email: u.Email, Name: u.Name, Plan: u.Plan,
		UploadLimit: s.limit(u), DirectUploads: s.d.Presign != nil, Bundles: s.cfg.Bundles})
}

// bundle checks a requested reference bundle; empty means the default.
func (s *server) bundle(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return s.cfg.DefaultBundle, nil
	}
	if !slices.Contains(s.cfg.Bundles, name) {
		return "", gas.Errorf(gas.EINVALID, "Unknown reference bundle %q (this server offers: %s).", name, strings.Join(s.cfg.Bundles, ", "))
	}
	return name, nil
}

// uploadTTL is how long a presigned upload URL stays valid.
const uploadTTL = 15 * time.Minute

// createUpload answers POST /uploads {"name": "x.vcf.gz", "size": N}: a
// presigned request that puts exactly N bytes straight into storage, and the
// upload ID to submit the job with (POST /jobs {"upload_id", "name"}). Large
// files then never pass through the web servers, as in the original service.
func (s *server) createUpload(w http.ResponseWriter, r *http.Request, u *gas.User) {
	if s.d.Presign == nil {
		s.error(w, r, gas.Errorf(gas.EINVALID, "This server keeps files itself; upload with a multipart POST /api/v1/jobs."))
		return
	}
	var in UploadRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&in); err != nil {
		s.error(w, r, gas.Errorf(gas.EINVALID, "Send JSON {\"name\": \"file.vcf.gz\", \"size\": bytes}."))
		return
	}
	name, err := submit.SanitizeFilename(in.Name)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if in.Size <= 0 {
		s.error(w, r, gas.Errorf(gas.EINVALID, "size must be the file's size in bytes."))
		return
	}
	if limit := s.limit(u); in.Size > limit {
		s.tooLarge(w, r, u, limit)
		return
	}
	if err := s.submitter("").CheckQuota(r.Context(), u); err != nil {
		s.error(w, r, err)
		return
	}
	id := uuid.NewString()
	p, err := s.d.Presign.PresignPut(r.Context(), gas.JobKey(u.ID, id, name), in.Size, uploadTTL)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.json(w, http.StatusCreated, Upload{UploadID: id, Name: name, Method: p.Method, URL: p.URL,
		Headers: p.Header, ExpiresAt: s.cfg.Now().Add(uploadTTL).UTC()})
}

// submitUploaded answers POST /jobs with JSON {"upload_id", "name",
// "transcripts"}: the job of a direct upload.
func (s *server) submitUploaded(w http.ResponseWriter, r *http.Request, u *gas.User) {
	if s.d.Presign == nil {
		// No direct uploads here, so no upload ID of this API's to take:
		// the only objects such an ID could name are the site's uploads
		// waiting on their pre-flight report (issue 17).
		s.error(w, r, gas.Errorf(gas.EINVALID, "This server keeps files itself; upload with a multipart POST /api/v1/jobs."))
		return
	}
	var in SubmitRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&in); err != nil {
		s.error(w, r, gas.Errorf(gas.EINVALID, "Send JSON {\"upload_id\": …, \"name\": …} or a multipart upload."))
		return
	}
	mode, ok := submit.ParseMode(in.Transcripts)
	if !ok {
		s.error(w, r, gas.Errorf(gas.EINVALID, "Unknown transcripts choice %q (use all, canonical, mane or pick).", in.Transcripts))
		return
	}
	bundle, err := s.bundle(in.Bundle)
	if err != nil {
		s.error(w, r, err)
		return
	}
	jobName, err := submit.JobName(in.JobName)
	if err != nil {
		s.error(w, r, err)
		return
	}
	sub := s.submitter(bundle)
	sub.SkipMalformed = in.SkipMalformed
	job, records, err := sub.Adopt(r.Context(), u, in.UploadID, in.Name, s.limit(u))
	if err != nil {
		if submit.IsTooLarge(err) {
			s.tooLarge(w, r, u, s.limit(u))
			return
		}
		s.error(w, r, err)
		return
	}
	job.Name = jobName
	s.create(w, r, sub, job, submit.Options{Transcripts: mode, SkipMalformed: in.SkipMalformed}, records)
}

// maxPage bounds ?page=: (page-1)*per_page must not overflow, or a huge
// page would wrap around to a negative offset and answer page 1 (issue 17).
const maxPage = 1_000_000

// listJobs answers GET /jobs?page=N&per_page=M (newest first; 20 per page
// by default, at most 200; pages 1 to 1,000,000, those past the last one
// empty).
func (s *server) listJobs(w http.ResponseWriter, r *http.Request, u *gas.User) {
	page, per := 1, 20
	for _, p := range []struct {
		name string
		dst  *int
		hi   int
	}{{"page", &page, maxPage}, {"per_page", &per, 200}} {
		if v := r.URL.Query().Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > p.hi {
				s.error(w, r, gas.Errorf(gas.EINVALID, "%s must be a whole number from 1 to %d.", p.name, p.hi))
				return
			}
			*p.dst = n
		}
	}
	list, total, err := s.d.Jobs.ListJobs(r.Context(), u.ID, gas.Page{Offset: (page - 1) * per, Limit: per})
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := JobList{Jobs: make([]Job, 0, len(list)), Total: total, Page: page, PerPage: per}
	for _, j := range list {
		out.Jobs = append(out.Jobs, toJSON(j))
	}
	s.json(w, http.StatusOK, out)
}

// submitJob answers POST /jobs: multipart/form-data with a `file` part
// (.vcf or .vcf.gz) and an optional `transcripts` (all, canonical, mane,
// pick); the file streams into storage under the plan's limit.
func (s *server) submitJob(w http.ResponseWriter, r *http.Request, u *gas.User) {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/json" {
		s.submitUploaded(w, r, u)
		return
	}
	limit := s.limit(u)
	if err := s.submitter("").CheckQuota(r.Context(), u); err != nil {
		// Refused before the body is read: a client over its limits
		// costs no storage and no check.
		s.error(w, r, err)
		return
	}
	const slack = 64 << 10 // multipart framing and the small fields
	if r.ContentLength > limit+slack {
		s.tooLarge(w, r, u, limit)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+slack)
	mr, err := r.MultipartReader()
	if err != nil {
		s.error(w, r, gas.Errorf(gas.EINVALID, "Send multipart/form-data with a file part named \"file\"."))
		return
	}
	sub := s.submitter(s.cfg.DefaultBundle)
	mode := annotate.AllTranscripts
	jobName := ""
	var job *gas.Job
	var records int64
	fail := func(err error) {
		sub.Abandon(r.Context(), job)
		if submit.IsTooLarge(err) {
			s.tooLarge(w, r, u, limit)
			return
		}
		s.error(w, r, err)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if submit.IsTooLarge(err) {
				fail(err)
				return
			}
			if errors.Is(err, httpserver.ErrSlowBody) {
				fail(submit.SlowUpload(err))
				return
			}
			fail(gas.Errorf(gas.EINVALID, "The upload was cut off or malformed."))
			return
		}
		switch part.FormName() {
		case "bundle":
			b, _ := io.ReadAll(io.LimitReader(part, 128))
			name, err := s.bundle(string(b))
			if err != nil {
				fail(err)
				return
			}
			sub.Bundle = name
		case "transcripts", "mode":
			b, _ := io.ReadAll(io.LimitReader(part, 64))
			m, ok := submit.ParseMode(string(b))
			if !ok {
				fail(gas.Errorf(gas.EINVALID, "Unknown transcripts choice %q (use all, canonical, mane or pick).", strings.TrimSpace(string(b))))
				return
			}
			mode = m
		case "skip_malformed":
			// Before the file part, so the upload check lets them through.
			b, _ := io.ReadAll(io.LimitReader(part, 8))
			switch v := strings.TrimSpace(string(b)); v {
			case "1", "true":
				sub.SkipMalformed = true
			case "", "0", "false":
				sub.SkipMalformed = false
			default:
				fail(gas.Errorf(gas.EINVALID, "skip_malformed is 1/true or 0/false, not %q.", v))
				return
			}
		case "job_name":
			b, _ := io.ReadAll(io.LimitReader(part, 4*gas.MaxJobNameLen+1))
			n, err := submit.JobName(string(b))
			if err != nil {
				fail(err)
				return
			}
			jobName = n
		case "paste":
			// Variants as text, as the site's paste box takes them; they
			// count against the plan limit as a file does.
			b, err := io.ReadAll(io.LimitReader(part, limit+1))
			switch {
			case err == nil:
			case submit.IsTooLarge(err):
				fail(err)
				return
			case errors.Is(err, httpserver.ErrSlowBody):
				fail(submit.SlowUpload(err))
				return
			default:
				fail(gas.Errorf(gas.EINVALID, "The upload was cut off or malformed."))
				return
			}
			if int64(len(b)) > limit {
				fail(submit.ErrTooLarge)
				return
			}
			if job != nil {
				fail(gas.Errorf(gas.EINVALID, "Send a file or pasted variants, not both."))
				return
			}
			text, _, err := submit.PasteToVCF(b)
			if err != nil {
				fail(err)
				return
			}
			if job, records, err = sub.Store(r.Context(), u, submit.PasteName, bytes.NewReader(text), limit); err != nil {
				fail(err)
				return
			}
		case "file":
			if job != nil {
				fail(gas.Errorf(gas.EINVALID, "Send one file per job, or pasted variants."))
				return
			}
			name, err := submit.SanitizeFilename(part.FileName())
			if err != nil {
				fail(err)
				return
			}
			if job, records, err = sub.Store(r.Context(), u, name, part, limit); err != nil {
				fail(err)
				return
			}
		}
		part.Close()
	}
	if job == nil {
		s.error(w, r, gas.Errorf(gas.EINVALID, "No file part named \"file\" (or \"paste\" with variants as text) in the upload."))
		return
	}
	job.Name = jobName
	s.create(w, r, sub, job, submit.Options{Transcripts: mode, SkipMalformed: sub.SkipMalformed}, records)
}

// create records a checked upload as a job, with its record count (the
// total of the job page's progress bar), and answers 201 with the job.
func (s *server) create(w http.ResponseWriter, r *http.Request, sub *submit.Submitter, job *gas.Job, opt submit.Options, records int64) {
	// Written with the job (the progress total, and what the worker checks
	// its reading against), before any worker can start it.
	job.InputRecords = max(records, 0)
	if err := sub.Create(r.Context(), job, opt); err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", Prefix+"/jobs/"+job.ID)
	s.json(w, http.StatusCreated, toJSON(job))
}

func (s *server) tooLarge(w http.ResponseWriter, r *http.Request, u *gas.User, limit int64) {
	msg := fmt.Sprintf("The file is larger than your %s plan allows (%d bytes).", u.Plan, limit)
	s.errorStatus(w, r, http.StatusRequestEntityTooLarge, gas.ETOOLARGE, msg)
}

// userJob loads the {id} job when u owns it; another user's job is the
// same 404 as a missing one.
func (s *server) userJob(w http.ResponseWriter, r *http.Request, u *gas.User) (*gas.Job, bool) {
	j, err := s.d.Jobs.UserJob(r.Context(), u.ID, r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return nil, false
	}
	return j, true
}

// maxSummaryBytes bounds the summary embedded in a job answer.
const maxSummaryBytes = 4 << 20

func (s *server) getJob(w http.ResponseWriter, r *http.Request, u *gas.User) {
	j, ok := s.userJob(w, r, u)
	if !ok {
		return
	}
	out := toJSON(j)
	if j.SummaryKey != "" {
		if rc, err := s.d.Blobs.Open(r.Context(), j.SummaryKey); err == nil {
			b, err := io.ReadAll(io.LimitReader(rc, maxSummaryBytes))
			rc.Close()
			if err == nil && json.Valid(b) {
				out.Summary = b
			}
		}
	}
	evs, err := s.d.Jobs.Events(r.Context(), j.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, e := range evs {
		out.Events = append(out.Events, Event{At: e.At.UTC(), From: e.From, To: e.To, Actor: e.Actor, Reason: e.Reason})
	}
	s.json(w, http.StatusOK, out)
}

func (s *server) jobResult(w http.ResponseWriter, r *http.Request, u *gas.User) {
	j, ok := s.userJob(w, r, u)
	if !ok {
		return
	}
	if err := gas.ResultArchived(j, u.Plan); err != nil {
		// The same code, status and words as the site's pages and exports.
		s.error(w, r, err)
		return
	}
	switch {
	case !j.HasResult():
		s.error(w, r, gas.Errorf(gas.ECONFLICT, "The job is %s; a result exists only once it is COMPLETED.", j.State))
		return
	}
	s.stream(w, r, j.ResultKey, j.ResultName(), "application/gzip")
}

func (s *server) jobLog(w http.ResponseWriter, r *http.Request, u *gas.User) {
	j, ok := s.userJob(w, r, u)
	if !ok {
		return
	}
	if j.LogKey == "" {
		s.error(w, r, gas.Errorf(gas.ECONFLICT, "The job is %s and has no log yet.", j.State))
		return
	}
	s.stream(w, r, j.LogKey, "", "text/plain; charset=utf-8")
}

// stream copies an object to the client; a non-empty name makes it an attachment.
func (s *server) stream(w http.ResponseWriter, r *http.Request, key, name, ctype string) {
	info, err := s.d.Blobs.Stat(r.Context(), key)
	if err != nil {
		s.error(w, r, err)
		return
	}
	rc, err := s.d.Blobs.Open(r.Context(), key)
	if err != nil {
		s.error(w, r, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.FormatInt(info.Size, 10))
	w.Header().Set("X-Content-SHA256", info.SHA256)
	if name != "" {
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	}
	if _, err := io.Copy(w, rc); err != nil {
		s.log.WarnContext(r.Context(), "api: download cut short", "key", key, "err", err)
	}
}

// cancelJob answers POST /jobs/{id}/cancel: a job the state machine lets
// be cancelled (PENDING or RUNNING) becomes CANCELLED with the reason
// "Cancelled by the user." (a running annotation notices when it tries to
// complete, and drops its result). Any other job is 409.
func (s *server) cancelJob(w http.ResponseWriter, r *http.Request, u *gas.User) {
	j, ok := s.userJob(w, r, u)
	if !ok {
		return
	}
	if !j.State.CanMoveTo(gas.JobCancelled) {
		s.error(w, r, gas.Errorf(gas.ECONFLICT, "The job is %s and can no longer be cancelled.", j.State))
		return
	}
	updated, err := s.d.Update.TransitionJob(r.Context(), j.ID, gas.JobChange{From: j.State, To: gas.JobCancelled,
		Actor: fmt.Sprintf("user:%d", u.ID), Reason: "Cancelled by the user."})
	if err != nil {
		// ECONFLICT: it moved meanwhile (started or finished); say so.
		s.error(w, r, err)
		return
	}
	s.json(w, http.StatusOK, toJSON(updated))
}
