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
}

func (s *server) jobStatus(w http.ResponseWriter, r *http.Request, u *gas.User) {
	job, ok := s.userJob(w, r, u)
	if !ok {
		return
	}
	st := jobStatus{ID: job.ID, State: job.State, Terminal: job.State.Terminal(), Records: job.Records}
	if !job.CompletedAt.IsZero() {
		t := job.CompletedAt.UTC()
		st.CompletedAt = &t
	}
	b, err := json.Marshal(st)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}
