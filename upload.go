package gas

import "time"

// PendingUpload is a stored, checked upload waiting for the user to read
// its pre-flight report and go on (it becomes a job with the same ID) or
// cancel.
type PendingUpload struct {
	ID        string
	UserID    int64
	InputKey  string
	InputName string
	InputSize int64
	Mode      string
	Bundle    string // the reference bundle chosen; "" means the default
	Name      string // the job's name chosen; "" means the default (DefaultJobName)
	OnError   string // the engine's policy for malformed records: "" (stop) or "skip"
	Report    string // JSON, written and read by the web
	CreatedAt time.Time
}
