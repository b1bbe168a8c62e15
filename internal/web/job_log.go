package web

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gas-project/gas"
)

// maxLogShown bounds the log text put in a page.
const maxLogShown = 1 << 20

// logView is the model of the log page.
type logView struct {
	base
	Job       *gas.Job
	Text      string
	Truncated bool
	Shown     int64
}

// jobLog answers GET /jobs/{id}/log: the job's log, shown as text in a page.
func (s *server) jobLog(w http.ResponseWriter, r *http.Request, u *gas.User) {
	job, ok := s.userJob(w, r, u)
	if !ok {
		return
	}
	if job.LogKey == "" {
		s.renderErrorView(w, r, errorView{Status: http.StatusNotFound,
			Message: "This annotation has no log yet.", Back: "/jobs/" + job.ID, BackLabel: "Back to the annotation"})
		return
	}
	rc, err := s.d.Blobs.Open(r.Context(), job.LogKey)
	if err != nil {
		s.fail(w, r, fmt.Errorf("open log: %w", err))
		return
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxLogShown+1))
	if err != nil {
		s.serverError(w, r, fmt.Errorf("read log: %w", err))
		return
	}
	v := logView{base: s.baseFor(r, "Log of "+job.InputName), Job: job}
	if len(b) > maxLogShown {
		b, v.Truncated = b[:maxLogShown], true
	}
	v.Shown = int64(len(b))
	v.Text = strings.ToValidUTF8(string(b), "\uFFFD")
	s.render(w, r, http.StatusOK, "log", v)
}
