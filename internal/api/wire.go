package api

import (
	"encoding/json"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/httpserver"
)

// The wire types of the API: what its answers and JSON requests hold.
// The server encodes them and `gas client` decodes the very same types, so
// the two cannot drift apart. Times are RFC 3339 UTC; optional ones are
// omitted while zero.

// Job is a job as the API shows it: in GET /jobs/{id} (with its Summary
// and Events), in lists and in the answers to submit and cancel.
type Job struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"` // the job's name (for jobs from before names, the input's)
	State          gas.JobState      `json:"state"`
	Terminal       bool              `json:"terminal"`
	InputName      string            `json:"input_name"`
	InputSize      int64             `json:"input_size"`
	Bundle         string            `json:"bundle"`
	Transcripts    string            `json:"transcripts"`
	SkipMalformed  bool              `json:"skip_malformed,omitempty"` // malformed records are skipped and listed, not fatal
	Records        int64             `json:"records"`
	ResultSize     int64             `json:"result_size,omitempty"`
	ResultSHA256   string            `json:"result_sha256,omitempty"`
	FailReason     string            `json:"fail_reason,omitempty"`
	CreatedAt      *time.Time        `json:"created_at,omitempty"`
	StartedAt      *time.Time        `json:"started_at,omitempty"`
	CompletedAt    *time.Time        `json:"completed_at,omitempty"`
	ArchivedAt     *time.Time        `json:"archived_at,omitempty"`
	RestoreTier    string            `json:"restore_tier,omitempty"`
	RestoreReadyAt *time.Time        `json:"restore_ready_at,omitempty"`
	Links          map[string]string `json:"links"`
	Summary        json.RawMessage   `json:"summary,omitempty"`
	Events         []Event           `json:"events,omitempty"`
}

// Event is one entry of a job's history.
type Event struct {
	At     time.Time    `json:"at"`
	From   gas.JobState `json:"from,omitempty"`
	To     gas.JobState `json:"to"`
	Actor  string       `json:"actor"`
	Reason string       `json:"reason,omitempty"`
}

// JobList is the answer of GET /jobs: one page of the user's jobs, newest
// first.
type JobList struct {
	Jobs    []Job `json:"jobs"`
	Total   int   `json:"total"`
	Page    int   `json:"page"`
	PerPage int   `json:"per_page"`
}

// Me is the answer of GET /me: the token's user and what the server
// offers them.
type Me struct {
	ID            int64    `json:"id"`
	Email         string   `json:"email"`
	Name          string   `json:"name"`
	Plan          gas.Plan `json:"plan"`
	UploadLimit   int64    `json:"upload_limit"`
	DirectUploads bool     `json:"direct_uploads"` // POST /uploads works
	Bundles       []string `json:"bundles"`
}

// UploadRequest is the body of POST /uploads: the file to send straight to
// storage.
type UploadRequest struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// Upload is the answer of POST /uploads: the request that stores the file
// (Method to URL with Headers) and the ID to submit the job with.
type Upload struct {
	UploadID  string              `json:"upload_id"`
	Name      string              `json:"name"`
	Method    string              `json:"method"`
	URL       string              `json:"url"`
	Headers   map[string][]string `json:"headers"`
	ExpiresAt time.Time           `json:"expires_at"`
}

// SubmitRequest is the JSON body of POST /jobs for a file sent with POST
// /uploads.
type SubmitRequest struct {
	UploadID    string `json:"upload_id"`
	Name        string `json:"name"`
	Transcripts string `json:"transcripts,omitempty"`
	Bundle      string `json:"bundle,omitempty"`
	// JobName names the job; empty gives the default (the file name and
	// the start of the job ID).
	JobName string `json:"job_name,omitempty"`
	// SkipMalformed: malformed records are written through unannotated
	// and listed in the summary instead of failing the job.
	SkipMalformed bool `json:"skip_malformed,omitempty"`
}

// ErrorBody is the body of every error answer (the site answers token
// requests with the same body).
type ErrorBody = httpserver.ErrorBody
