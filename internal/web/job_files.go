package web

import (
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/httpserver"
)

// jobInput answers GET /jobs/{id}/input with the uploaded file.
func (s *server) jobInput(w http.ResponseWriter, r *http.Request, u *gas.User) {
	job, ok := s.userJob(w, r, u)
	if !ok {
		return
	}
	ctype := "text/plain; charset=utf-8"
	if l := strings.ToLower(job.InputName); strings.HasSuffix(l, ".gz") || strings.HasSuffix(l, ".bgz") {
		ctype = "application/gzip"
	}
	s.download(w, r, job, job.InputKey, job.InputName, ctype)
}

// jobResult answers GET /jobs/{id}/result with the annotated .vcf.gz.
func (s *server) jobResult(w http.ResponseWriter, r *http.Request, u *gas.User) {
	job, ok := s.userJob(w, r, u)
	if !ok {
		return
	}
	if !job.HasResult() {
		s.noResult(w, r, u, job)
		return
	}
	s.download(w, r, job, job.ResultKey, job.ResultName(), "application/gzip")
}

// noResult explains why a job has no result to download. An archived or
// restoring result exists but is not readable now: archivedResult answers
// (409, the words every front end uses).
func (s *server) noResult(w http.ResponseWriter, r *http.Request, u *gas.User, job *gas.Job) {
	if s.archivedResult(w, r, u, job) {
		return
	}
	v := errorView{Status: http.StatusNotFound, Message: "This annotation has no result to download yet.",
		Back: "/jobs/" + job.ID, BackLabel: "Back to the annotation"}
	if job.State.Terminal() {
		v.Message = "This annotation " + job.State.About() + ", so there is no result to download."
	}
	s.renderErrorView(w, r, v)
}

// DownloadLinkTTL is how long a download link to object storage works.
const DownloadLinkTTL = 5 * time.Minute

// download streams a blob as an attachment, or, from object storage,
// redirects to a short-lived link. The name is already sanitised
// at upload; FormatMediaType quotes it anyway.
func (s *server) download(w http.ResponseWriter, r *http.Request, job *gas.Job, key, name, ctype string) {
	info, err := s.d.Blobs.Stat(r.Context(), key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if p := s.d.Presigner; p != nil && r.Method == http.MethodGet {
		// Object storage serves the bytes itself: the owner (checked by
		// the caller) gets a link that works for a few minutes, so a large
		// download does not pass through the web servers and a leaked link
		// soon stops working.
		u, err := p.PresignGet(r.Context(), key, name, DownloadLinkTTL)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "private, no-store")
		http.Redirect(w, r, u, http.StatusSeeOther)
		return
	}
	rc, err := s.d.Blobs.Open(r.Context(), key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("Cache-Control", "private, no-store")
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, rc); err != nil {
		// Headers are out; all that is left is to log and let the short
		// body tell the client the download failed.
		s.logger.LogAttrs(r.Context(), slog.LevelWarn, "download interrupted",
			slog.String("request_id", httpserver.RequestIDFrom(r.Context())),
			slog.String("job_id", job.ID), slog.String("key", key), slog.String("err", err.Error()))
	}
}
