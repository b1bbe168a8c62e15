package web

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/submit"
)

// JobDeleter deletes a user's job row and history (sqldb.DB implements it).
type JobDeleter interface {
	DeleteJob(ctx context.Context, userID int64, jobID string) error
}

// deleteView is the model of the delete confirmation page.
type deleteView struct {
	base
	Job   *gas.Job
	Error string
}

// jobDeleteForm answers GET /jobs/{id}/delete: what deleting removes, and
// the button that does it.
func (s *server) jobDeleteForm(w http.ResponseWriter, r *http.Request, u *gas.User) {
	job, ok := s.userJob(w, r, u)
	if !ok {
		return
	}
	v := deleteView{base: s.baseFor(r, "Delete "+job.InputName), Job: job}
	status := http.StatusOK
	if !job.State.Deletable() {
		v.Error, status = "The annotation "+job.State.About()+"; it can be deleted once it finishes.", http.StatusConflict
	}
	s.render(w, r, status, "job_delete", v)
}

// jobDelete answers POST /jobs/{id}/delete (form: confirm=yes): the job
// and its history go, then its files (input, result, log, summary,
// variant index) and the archived copy of its result. Without the
// confirmation it shows the confirmation page.
func (s *server) jobDelete(w http.ResponseWriter, r *http.Request, u *gas.User) {
	if !s.parseForm(w, r) {
		return
	}
	job, ok := s.userJob(w, r, u)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		http.Redirect(w, r, "/jobs/"+job.ID+"/delete", http.StatusSeeOther)
		return
	}
	if s.d.Deleter == nil {
		s.renderError(w, r, http.StatusNotFound, "Deleting annotations is not available on this server.")
		return
	}
	indexKey := s.indexKey(r, job)
	// The row first: once it is gone no page shows the job, and no worker
	// starts it; files left behind by a failure below are only storage.
	if err := s.d.Deleter.DeleteJob(r.Context(), u.ID, job.ID); err != nil {
		if gas.ErrorCode(err) == gas.ECONFLICT {
			s.render(w, r, http.StatusConflict, "job_delete", deleteView{base: s.baseFor(r, "Delete "+job.InputName), Job: job,
				Error: gas.ErrorMessage(err)})
			return
		}
		s.fail(w, r, err)
		return
	}
	ctx := context.WithoutCancel(r.Context())
	if err := s.deleteJobFiles(ctx, job); err != nil {
		s.logger.ErrorContext(ctx, "delete job files", "job_id", job.ID, "err", err)
	}
	if indexKey != "" {
		if err := s.d.Blobs.Delete(ctx, indexKey); err != nil { // deleteJobFiles deleted the usual key; this is the recorded one
			s.logger.ErrorContext(ctx, "delete variant index", "job_id", job.ID, "err", err)
		}
		if err := s.indexes.drop(indexKey); err != nil {
			s.logger.ErrorContext(ctx, "drop cached variant index", "job_id", job.ID, "err", err)
		}
	}
	http.Redirect(w, r, "/jobs?deleted=1", http.StatusSeeOther)
}

// jobResubmit answers POST /jobs/{id}/resubmit (form: mode): a new job
// annotates the same input with the options chosen now. The input is
// copied, so either job can be deleted without the other losing it. The
// plan limit of today applies.
func (s *server) jobResubmit(w http.ResponseWriter, r *http.Request, u *gas.User) {
	if !s.parseForm(w, r) {
		return
	}
	job, ok := s.userJob(w, r, u)
	if !ok {
		return
	}
	mode, ok := parseMode(r.PostFormValue("mode"))
	if !ok {
		s.renderError(w, r, http.StatusBadRequest, "Unknown transcript mode.")
		return
	}
	if job.InputSize > s.uploadLimit(u) {
		s.tooLarge(w, r, u, job.InputSize, false)
		return
	}
	rc, err := s.d.Blobs.Open(r.Context(), job.InputKey)
	if gas.ErrorCode(err) == gas.ENOTFOUND {
		s.renderError(w, r, http.StatusConflict, "The input of this annotation is no longer stored; upload it again.")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer rc.Close()
	id := uuid.NewString()
	next := &gas.Job{ID: id, UserID: u.ID, InputName: job.InputName, InputKey: gas.JobKey(u.ID, id, job.InputName)}
	info, err := s.d.Blobs.Put(r.Context(), next.InputKey, rc)
	if err != nil {
		s.serverError(w, r, fmt.Errorf("copy input of %s: %w", job.ID, err))
		return
	}
	next.InputSize = info.Size
	// The same options but the mode chosen now; a new default name.
	opt := submit.Options{Transcripts: mode}
	if o, err := jobs.ParseJobOptions(job.Options); err == nil {
		opt.SkipMalformed = o.OnError == annotate.Skip
	}
	s.finishUpload(w, r, u, next, opt)
}
