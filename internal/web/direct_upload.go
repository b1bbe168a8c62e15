package web

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/httpserver"
	"github.com/gas-project/gas/internal/submit"
)

// Direct uploads: when job files live in object storage, the upload form's
// script asks for a presigned request (POST /annotate/direct), sends the
// file straight to storage with it, then submits the form's other fields
// (POST /annotate/direct/finish). The file never passes through the web
// servers, as in the original service; the checks and the pre-flight report
// are the same as for a form upload, run on the stored object.

// directUploadTTL is how long a presigned upload request stays valid.
const directUploadTTL = 15 * time.Minute

// directStart answers POST /annotate/direct with JSON {"name", "size"}: the
// upload ID and the request that puts exactly size bytes into storage. Its
// answers are JSON, for the form's script.
func (s *server) directStart(w http.ResponseWriter, r *http.Request, u *gas.User) {
	if s.d.Presigner == nil {
		s.renderError(w, r, http.StatusNotFound, "")
		return
	}
	answer := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	refuse := func(status int, msg string) { answer(status, map[string]string{"error": msg}) }
	var in struct {
		Name string `json:"name"`
		Size int64  `json:"size"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<10)).Decode(&in); err != nil {
		refuse(http.StatusBadRequest, "The upload request could not be read.")
		return
	}
	name, err := submit.SanitizeFilename(in.Name)
	if err != nil {
		refuse(http.StatusBadRequest, gas.ErrorMessage(err))
		return
	}
	if in.Size <= 0 {
		refuse(http.StatusBadRequest, "The file is empty.")
		return
	}
	if err := s.submitter().CheckQuota(r.Context(), u); err != nil {
		httpserver.SetRetryAfter(w, err)
		refuse(httpserver.StatusFor(err), gas.ErrorMessage(err))
		return
	}
	if limit := s.uploadLimit(u); in.Size > limit {
		refuse(http.StatusRequestEntityTooLarge, "The file is "+formatBytes(in.Size)+"; your "+planName(u.Plan)+" plan allows files up to "+formatBytes(limit)+".")
		return
	}
	id := uuid.NewString()
	p, err := s.d.Presigner.PresignPut(r.Context(), gas.JobKey(u.ID, id, name), in.Size, directUploadTTL)
	if err != nil {
		s.logger.ErrorContext(r.Context(), "presign upload", "err", err, "request_id", httpserver.RequestIDFrom(r.Context()))
		refuse(http.StatusServiceUnavailable, "Uploads are unavailable right now. Please try again later.")
		return
	}
	answer(http.StatusOK, map[string]any{"upload_id": id, "name": name, "method": p.Method, "url": p.URL,
		"headers": p.Header, "finish": "/annotate/direct/finish"})
}

// directFinish answers POST /annotate/direct/finish (form: upload_id, name,
// mode, preflight) once the browser has stored the file: the object is
// checked as an upload would be, then held for its pre-flight report or
// queued, exactly as after a form upload.
func (s *server) directFinish(w http.ResponseWriter, r *http.Request, u *gas.User) {
	if s.d.Presigner == nil {
		s.renderError(w, r, http.StatusNotFound, "")
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	mode, ok := parseMode(r.PostFormValue("mode"))
	if !ok {
		s.uploadError(w, r, u, annotate.AllTranscripts, invalid("Unknown transcript mode."))
		return
	}
	bundle, err := s.chosenBundle(r.PostFormValue("bundle"))
	if err != nil {
		s.uploadError(w, r, u, mode, err)
		return
	}
	jobName, err := submit.JobName(r.PostFormValue("job_name"))
	if err != nil {
		s.uploadError(w, r, u, mode, err)
		return
	}
	opt := submit.Options{Transcripts: mode, SkipMalformed: r.PostFormValue("skip_malformed") == "1"}
	limit := s.uploadLimit(u)
	id, name := r.PostFormValue("upload_id"), r.PostFormValue("name")
	if r.PostFormValue("preflight") == "1" && s.d.Uploads != nil {
		job, err := s.stored(r, u, id, name, limit)
		if err != nil {
			s.directError(w, r, u, mode, err)
			return
		}
		job.Bundle, job.Name = bundle, jobName
		p, err := s.preflightStored(r.Context(), job, s.submitter().InputLimits(u.Plan, limit))
		if err != nil {
			s.uploadError(w, r, u, mode, err)
			return
		}
		s.holdUpload(w, r, u, job, p, opt)
		return
	}
	sub := s.submitter()
	sub.SkipMalformed = opt.SkipMalformed
	job, records, err := sub.Adopt(r.Context(), u, id, name, limit)
	if err != nil {
		s.directError(w, r, u, mode, err)
		return
	}
	job.Bundle, job.Name = bundle, jobName
	s.createJob(w, r, job, opt, records)
}

// stored describes the object a direct upload put into storage as a job
// not yet created; an object over the plan limit is deleted and refused.
func (s *server) stored(r *http.Request, u *gas.User, id, name string, limit int64) (*gas.Job, error) {
	if uuid.Validate(id) != nil {
		return nil, invalid("Unknown upload.")
	}
	name, err := submit.SanitizeFilename(name)
	if err != nil {
		return nil, err
	}
	if _, err := s.d.Jobs.UserJob(r.Context(), u.ID, id); err == nil {
		return nil, &gas.Error{Code: gas.ECONFLICT, Message: "This upload was already submitted."}
	}
	job := &gas.Job{ID: id, UserID: u.ID, InputName: name, InputKey: gas.JobKey(u.ID, id, name)}
	info, err := s.d.Blobs.Stat(r.Context(), job.InputKey)
	if gas.ErrorCode(err) == gas.ENOTFOUND {
		return nil, invalid("The file did not arrive in storage. Please try again.")
	}
	if err != nil {
		return nil, err
	}
	if info.Size > limit {
		s.abandon(r.Context(), job)
		return nil, &submit.TooLargeError{Size: info.Size}
	}
	job.InputSize = info.Size
	return job, nil
}

// directError shows a refused direct upload like a refused form upload.
func (s *server) directError(w http.ResponseWriter, r *http.Request, u *gas.User, mode annotate.TranscriptMode, err error) {
	if submit.IsTooLarge(err) {
		s.tooLarge(w, r, u, submit.TooLargeSize(err), false)
		return
	}
	s.uploadError(w, r, u, mode, err)
}
