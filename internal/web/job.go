package web

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/httpserver"
	"github.com/gas-project/gas/internal/jobs"
)

// maxSummaryBytes bounds the summary JSON read for a page; the engine caps
// its lists, so a real summary is a few kilobytes.
const maxSummaryBytes = 4 << 20

// jobView is the model of the job details page.
type jobView struct {
	base
	Job          *gas.Job
	ModeLabel    string
	HasResult    bool
	HasLog       bool
	Summary      *annotate.Summary
	SummaryError string
	Events       []gas.Event
}

func (s *server) jobDetails(w http.ResponseWriter, r *http.Request, u *gas.User) {
	job, ok := s.userJob(w, r, u)
	if !ok {
		return
	}
	v := jobView{
		base:      s.baseFor(r, "Annotation of "+job.InputName),
		Job:       job,
		ModeLabel: modeLabel(jobMode(job)),
		HasResult: job.State == gas.JobCompleted && job.ResultKey != "",
		HasLog:    job.LogKey != "",
	}
	if job.SummaryKey != "" {
		sum, err := s.readSummary(r, job)
		if err != nil {
			s.logger.LogAttrs(r.Context(), slog.LevelError, "read job summary",
				slog.String("request_id", httpserver.RequestIDFrom(r.Context())),
				slog.String("job_id", job.ID), slog.String("err", err.Error()))
			v.SummaryError = "The summary of this annotation could not be read."
		}
		v.Summary = sum
	}
	// The history is secondary: a failure to read it should not hide the job.
	if evs, err := s.d.Jobs.Events(r.Context(), job.ID); err != nil {
		s.logger.LogAttrs(r.Context(), slog.LevelError, "read job events",
			slog.String("request_id", httpserver.RequestIDFrom(r.Context())),
			slog.String("job_id", job.ID), slog.String("err", err.Error()))
	} else {
		v.Events = evs
	}
	s.render(w, r, http.StatusOK, "job", v)
}

func (s *server) readSummary(r *http.Request, job *gas.Job) (*annotate.Summary, error) {
	rc, err := s.d.Blobs.Open(r.Context(), job.SummaryKey)
	if err != nil {
		return nil, fmt.Errorf("open summary: %w", err)
	}
	defer rc.Close()
	var sum annotate.Summary
	if err := json.NewDecoder(io.LimitReader(rc, maxSummaryBytes)).Decode(&sum); err != nil {
		return nil, fmt.Errorf("decode summary: %w", err)
	}
	return &sum, nil
}

// userJob loads the {id} job if u owns it; otherwise it has answered 404
// (the same page whether the job is missing or someone else's).
func (s *server) userJob(w http.ResponseWriter, r *http.Request, u *gas.User) (*gas.Job, bool) {
	job, err := s.d.Jobs.UserJob(r.Context(), u.ID, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return job, true
}

// jobMode reads the transcript mode back from the job's options, the way
// the worker reads them.
func jobMode(job *gas.Job) annotate.TranscriptMode {
	opt, err := jobs.ParseJobOptions(job.Options)
	if err != nil {
		return annotate.AllTranscripts
	}
	return opt.Transcripts
}
