package web

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

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
	// Premium is whether the owner (the signed-in user) is Premium now:
	// the page then says an archived result is on its way back instead of
	// offering the upgrade.
	Premium bool
	// ArchiveAt is when a Free user's COMPLETED result moves to the cold
	// archive; zero when it will not (Premium, other states) or when the
	// retention is not known.
	ArchiveAt time.Time
	// Modes are the choices of the "run again" form, the job's own selected.
	Modes []modeOption
	// Charts are drawn from the summary.
	Charts []*chart
	// Live is the progress, queue place and estimates of the job.
	Live *live
	// Coverage is the warning about records the bundle does not cover
	// (nil when there are none); OtherWarnings are the summary's other
	// warnings, listed under it.
	Coverage      *coverageNote
	OtherWarnings []string
	// Skip: the job writes malformed records through and lists them.
	Skip bool
}

// coverageNote is the job page's warning about the records that fell
// outside the bundle's gene models or sequence (annotate.Summary's
// coverage counts), shown whenever there are any.
type coverageNote struct {
	Records, Uncovered, NoSequence int64
	UncoveredPercent               string
	NoSequencePercent              string
	Bundle, Covers                 string
}

// coverageOf returns the coverage warning of a summary, nil when every
// record was covered (or the summary predates the counts).
func coverageOf(sum *annotate.Summary) *coverageNote {
	if sum == nil || (sum.Uncovered == 0 && sum.NoSequence == 0) {
		return nil
	}
	pct := func(n int64) string { return fmt.Sprintf("%.1f%%", percentOf(n, sum.Records)) }
	return &coverageNote{Records: sum.Records, Uncovered: sum.Uncovered, NoSequence: sum.NoSequence,
		UncoveredPercent: pct(sum.Uncovered), NoSequencePercent: pct(sum.NoSequence),
		Bundle: sum.Bundle, Covers: sum.BundleCoverage}
}

func (s *server) jobDetails(w http.ResponseWriter, r *http.Request, u *gas.User) {
	job, ok := s.userJob(w, r, u)
	if !ok {
		return
	}
	v := jobView{
		base:      s.baseFor(r, job.Title()),
		Job:       job,
		ModeLabel: modeLabel(jobMode(job)),
		HasResult: job.HasResult(),
		HasLog:    job.LogKey != "",
		Premium:   u.Plan == gas.PlanPremium,
	}
	if o, err := jobs.ParseJobOptions(job.Options); err == nil {
		v.Skip = o.OnError == annotate.Skip
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
		v.Charts = summaryCharts(sum)
		v.Coverage = coverageOf(sum)
		if sum != nil {
			for _, w := range sum.Warnings {
				if !annotate.IsCoverageWarning(w) {
					v.OtherWarnings = append(v.OtherWarnings, w)
				}
			}
		}
	}
	// The history is secondary: a failure to read it should not hide the job.
	if evs, err := s.d.Jobs.Events(r.Context(), job.ID); err != nil {
		s.logger.LogAttrs(r.Context(), slog.LevelError, "read job events",
			slog.String("request_id", httpserver.RequestIDFrom(r.Context())),
			slog.String("job_id", job.ID), slog.String("err", err.Error()))
	} else {
		v.Events = evs
		v.ArchiveAt = archiveTime(job, u, evs, s.freeRetention())
	}
	v.Live = s.liveInfo(r.Context(), true, job)[job.ID]
	for _, m := range transcriptModes {
		v.Modes = append(v.Modes, modeOption{Value: string(m.mode), Label: m.label, Selected: m.mode == jobMode(job)})
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

// freeRetention is how long a Free user's results stay in hot storage
// before the archive moves them (zero: the page shows the rule without a date).
func (s *server) freeRetention() time.Duration { return s.cfg.FreeRetention }

// archiveTime is when the lifecycle's archive timer, scheduled at
// completion for a Free user's job, moves the result: CompletedAt plus the
// retention. It is zero for a job that timer will not archive: an owner
// who is Premium now (the timer then does nothing), and a result once
// restored from the archive (restored results stay, even after a
// downgrade). The history tells the latter.
func archiveTime(job *gas.Job, owner *gas.User, history []gas.Event, retention time.Duration) time.Time {
	if retention <= 0 || owner.Plan != gas.PlanFree || job.State != gas.JobCompleted || job.CompletedAt.IsZero() {
		return time.Time{}
	}
	for _, e := range history {
		if e.To == gas.JobRestoring {
			return time.Time{}
		}
	}
	return job.CompletedAt.Add(retention)
}
