package web

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gas-project/gas"
)

// jobStatus is the JSON of GET /jobs/{id}/status, polled by app.js while a
// job is not finished: the page redraws its badge and progress bar from it,
// and the job page reloads once when the job finishes (to show the result).
type jobStatus struct {
	ID       string       `json:"id"`
	State    gas.JobState `json:"state"`
	Terminal bool         `json:"terminal"`
	// Annotated says the annotation succeeded (its bar is full and green).
	Annotated   bool       `json:"annotated"`
	Records     int64      `json:"records"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	// ArchivedAt is set while the result is in the cold archive
	// (ARCHIVED, RESTORING); the restore fields while it is RESTORING.
	ArchivedAt     *time.Time        `json:"archived_at,omitempty"`
	RestoreTier    gas.RetrievalTier `json:"restore_tier,omitempty"`
	RestoreReadyAt *time.Time        `json:"restore_ready_at,omitempty"`
	// ResultAvailable says GET /jobs/{id}/result serves the result now.
	ResultAvailable bool `json:"result_available"`
	// Live progress: records annotated of the input's records (total 0:
	// unknown), percent (-1: unknown), seconds elapsed and left (eta -1:
	// not known yet), the queue place of a PENDING job and its estimated
	// start, and the same as one line of text for the page.
	RecordsDone    int64      `json:"records_done"`
	RecordsTotal   int64      `json:"records_total"`
	Percent        int        `json:"percent"`
	Elapsed        float64    `json:"elapsed"`
	ETA            float64    `json:"eta"`
	QueuePosition  int        `json:"queue_position,omitempty"`
	EstimatedStart *time.Time `json:"estimated_start,omitempty"`
	ProgressText   string     `json:"progress_text"`
	// BadgeClass is the Bootstrap class of the state badge, so the page
	// can redraw it without knowing the colours.
	BadgeClass string `json:"badge_class"`
	// IndexReady says the variant browser can be opened.
	IndexReady bool `json:"index_ready"`
}

// utcOrNil is nil for the zero time, so the field is left out.
func utcOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func (s *server) jobStatus(w http.ResponseWriter, r *http.Request, u *gas.User) {
	job, ok := s.userJob(w, r, u)
	if !ok {
		return
	}
	st := jobStatus{ID: job.ID, State: job.State, Terminal: job.State.Terminal(), Annotated: job.State.Annotated(), Records: job.Records,
		CompletedAt: utcOrNil(job.CompletedAt), ArchivedAt: utcOrNil(job.ArchivedAt),
		RestoreTier: job.RestoreTier, RestoreReadyAt: utcOrNil(job.RestoreReadyAt),
		ResultAvailable: job.HasResult(), BadgeClass: stateClass(job.State)}
	l := s.liveInfo(r.Context(), true, job)[job.ID]
	st.RecordsDone, st.RecordsTotal, st.Percent, st.ProgressText = l.Done, l.Total, l.Percent, l.Text
	st.Elapsed, st.ETA = l.Elapsed.Seconds(), -1
	if l.ETA >= 0 {
		st.ETA = l.ETA.Seconds()
	}
	if l.QueueAhead >= 0 {
		st.QueuePosition = l.QueueAhead + 1
	}
	if l.StartIn >= 0 {
		st.EstimatedStart = utcOrNil(s.now().Add(l.StartIn))
	}
	st.IndexReady = l.IndexKey != ""
	b, err := json.Marshal(st)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}
