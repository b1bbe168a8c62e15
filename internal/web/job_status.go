package web

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gas-project/gas"
)

// jobStatus is the JSON of GET /jobs/{id}/status, polled by app.js while a
// job is not finished so the page can reload once when its state changes.
type jobStatus struct {
	ID          string       `json:"id"`
	State       gas.JobState `json:"state"`
	Terminal    bool         `json:"terminal"`
	Records     int64        `json:"records"`
	CompletedAt *time.Time   `json:"completed_at,omitempty"`
	// ArchivedAt is set while the result is in the cold archive
	// (ARCHIVED, RESTORING); the restore fields while it is RESTORING.
	ArchivedAt     *time.Time        `json:"archived_at,omitempty"`
	RestoreTier    gas.RetrievalTier `json:"restore_tier,omitempty"`
	RestoreReadyAt *time.Time        `json:"restore_ready_at,omitempty"`
	// ResultAvailable says GET /jobs/{id}/result serves the result now.
	ResultAvailable bool `json:"result_available"`
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
	st := jobStatus{ID: job.ID, State: job.State, Terminal: job.State.Terminal(), Records: job.Records,
		CompletedAt: utcOrNil(job.CompletedAt), ArchivedAt: utcOrNil(job.ArchivedAt),
		RestoreTier: job.RestoreTier, RestoreReadyAt: utcOrNil(job.RestoreReadyAt),
		ResultAvailable: job.State == gas.JobCompleted && job.ResultKey != ""}
	b, err := json.Marshal(st)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}
