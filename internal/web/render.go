package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"sort"
	"strconv"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/httpserver"
)

//go:embed templates
var templateFS embed.FS

// base is embedded in every view model: what the layout needs.
type base struct {
	Title     string
	User      *gas.User
	Version   string
	RequestID string
}

// parseTemplates builds one template set per page: the layout and partials,
// cloned, plus the page's "content". Parsing happens once at start, so a
// broken template stops the server from starting instead of failing a user.
func parseTemplates(funcs template.FuncMap) (map[string]*template.Template, error) {
	root := template.New("layout").Funcs(funcs)
	root, err := root.ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	pages, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: list pages: %w", err)
	}
	out := make(map[string]*template.Template, len(pages))
	for _, p := range pages {
		t, err := root.Clone()
		if err != nil {
			return nil, fmt.Errorf("web: clone layout for %s: %w", p, err)
		}
		if _, err := t.ParseFS(templateFS, p); err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", p, err)
		}
		name := path.Base(p)
		out[name[:len(name)-len(".html")]] = t
	}
	return out, nil
}

func (s *server) funcs() template.FuncMap {
	return template.FuncMap{
		"asset": s.assets.url,
		"fmtTime": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		},
		"bytes":        formatBytes,
		"stateClass":   stateClass,
		"sortedCounts": sortedCounts,
		"impactCounts": impactCounts,
		"until":        func(t time.Time) string { return until(t, s.now()) },
		"group":        groupDigits,
		"live":         func(m map[string]*live, id string) *live { return m[id] },
		"impactBadge":  impactBadge,
		"freq":         func(f *float64) string { return strconv.FormatFloat(*f, 'g', 4, 64) },
	}
}

// formatBytes writes a size in decimal units (kB = 1000 B), as file managers do.
func formatBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if v == float64(int64(v)) {
		s = strconv.FormatInt(int64(v), 10)
	}
	return s + " " + string("kMGTPE"[exp]) + "B"
}

// stateClass picks the Bootstrap colour of a job state badge.
func stateClass(s gas.JobState) string {
	switch s {
	case gas.JobPending:
		return "text-bg-secondary"
	case gas.JobRunning:
		return "text-bg-primary"
	case gas.JobCompleted:
		return "text-bg-success"
	case gas.JobFailed:
		return "text-bg-danger"
	case gas.JobArchived:
		return "text-bg-dark"
	case gas.JobRestoring:
		return "text-bg-info"
	case gas.JobCancelled:
		return "text-bg-warning"
	}
	return "text-bg-light" // an unknown state
}

// impactBadge colours an impact rank (variantdb.Impact*) like the charts.
func impactBadge(rank int) string {
	switch rank {
	case 3:
		return "text-bg-danger"
	case 2:
		return "text-bg-warning"
	case 1:
		return "text-bg-success"
	case 0:
		return "text-bg-secondary"
	}
	return "text-bg-light"
}

// count is one row of a summary table.
type count struct {
	Name  string
	Count int64
}

// sortedCounts orders a count map largest first, then by name, so tables are stable.
func sortedCounts(m map[string]int64) []count {
	out := make([]count, 0, len(m))
	for k, v := range m {
		out = append(out, count{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// impactOrder is the order of impacts from most to least severe.
var impactOrder = []string{"HIGH", "MODERATE", "LOW", "MODIFIER"}

// impactCounts lists impacts by severity rather than by count, the order a
// reader scans them in; any unknown impact follows, largest first.
func impactCounts(m map[string]int64) []count {
	out := make([]count, 0, len(m))
	known := map[string]bool{}
	for _, k := range impactOrder {
		known[k] = true
		if v, ok := m[k]; ok {
			out = append(out, count{k, v})
		}
	}
	rest := map[string]int64{}
	for k, v := range m {
		if !known[k] {
			rest[k] = v
		}
	}
	return append(out, sortedCounts(rest)...)
}

// baseFor fills the layout fields for a request.
func (s *server) baseFor(r *http.Request, title string) base {
	return base{
		Title:     title,
		User:      currentUser(r.Context()),
		Version:   s.cfg.Version,
		RequestID: httpserver.RequestIDFrom(r.Context()),
	}
}

// render executes a page into a buffer and only then writes it, so a
// template error becomes a clean 500 page rather than half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	t, ok := s.pages[page]
	if !ok {
		s.serverError(w, r, fmt.Errorf("web: render: no page %q", page))
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		if page == "error" {
			// The error page itself failed: fall back to plain text
			// rather than recursing.
			s.logger.ErrorContext(r.Context(), "render error page", "err", err,
				"request_id", httpserver.RequestIDFrom(r.Context()))
			http.Error(w, http.StatusText(status), status)
			return
		}
		s.serverError(w, r, fmt.Errorf("web: render %s: %w", page, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	// Pages show private data; keep them out of shared caches.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = buf.WriteTo(w)
	}
}

// errorView is the model of the error page.
type errorView struct {
	base
	Status     int
	StatusText string
	// Code is the gas error code, for a token request's JSON answer
	// (empty: from the status).
	Code    string
	Message string
	Offer   string
	// OfferLink and OfferLabel, when set, follow the offer as a link
	// (the plans page for an upgrade).
	OfferLink  string
	OfferLabel string
	Back       string
	BackLabel  string
}

// defaultMessages are shown when a handler gives no more specific reason.
var defaultMessages = map[int]string{
	http.StatusBadRequest:            "The request could not be understood.",
	http.StatusUnauthorized:          "Please sign in to continue.",
	http.StatusForbidden:             "You are not allowed to do this.",
	http.StatusNotFound:              "There is nothing here. The page may have moved, or it belongs to another account.",
	http.StatusMethodNotAllowed:      "This page cannot be used that way.",
	http.StatusConflict:              "This conflicts with something that already exists.",
	http.StatusRequestEntityTooLarge: "The upload is larger than your plan allows.",
	http.StatusTooManyRequests:       "Too many attempts. Please wait a minute and try again.",
	http.StatusInternalServerError:   "Something went wrong on our side. Please try again later.",
}

// renderError draws an error page in the site layout. It matches
// httpserver.ErrorRenderer so middleware draws errors the same way.
func (s *server) renderError(w http.ResponseWriter, r *http.Request, status int, message string) {
	s.renderErrorView(w, r, errorView{Status: status, Message: message})
}

func (s *server) renderErrorView(w http.ResponseWriter, r *http.Request, v errorView) {
	if v.Message == "" {
		v.Message = defaultMessages[v.Status]
		if v.Message == "" {
			v.Message = http.StatusText(v.Status)
		}
	}
	if tokenRequest(r) {
		// A script with an API token gets the API's JSON error, with the
		// code of the error when the handler had one.
		code := v.Code
		if code == "" {
			code = httpserver.CodeFor(v.Status)
		}
		httpserver.WriteJSONError(w, r, v.Status, code, v.Message)
		return
	}
	v.StatusText = http.StatusText(v.Status)
	v.base = s.baseFor(r, v.StatusText)
	if v.Back == "" {
		v.Back, v.BackLabel = "/", "Go to the home page"
	}
	s.render(w, r, v.Status, "error", v)
}

// serverError logs err with the request ID and shows a generic 500 page:
// users never see internal details.
func (s *server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.logger.LogAttrs(r.Context(), slog.LevelError, "request failed",
		slog.String("request_id", httpserver.RequestIDFrom(r.Context())),
		slog.String("path", r.URL.Path),
		slog.String("err", err.Error()))
	s.renderError(w, r, http.StatusInternalServerError, "")
}

// fail shows err to the user by its gas error code: the safe message for
// known codes, a generic 500 (and a log line) for anything else.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := httpserver.StatusFor(err)
	if status >= 500 {
		s.serverError(w, r, err)
		return
	}
	if status == http.StatusNotFound {
		// One fixed message, so a missing object and another user's
		// object cannot be told apart by the wording either.
		s.renderError(w, r, status, "")
		return
	}
	httpserver.SetRetryAfter(w, err)
	s.renderErrorView(w, r, errorView{Status: status, Code: gas.ErrorCode(err), Message: gas.ErrorMessage(err)})
}
