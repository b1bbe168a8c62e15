package notify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Sender delivers a mail. Send must be safe for concurrent use; an error
// marked permanent (a 5xx refusal) is not retried.
type Sender interface {
	Send(ctx context.Context, m *Mail) error
	// String says where mail goes, without secrets, for logs.
	String() string
}

// permanentError marks a delivery that will never succeed as it is.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{err} }

func isPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// FileSender writes each mail as an RFC 5322 .eml file into a folder, for
// a server without a mail relay: the operator (or a test) reads or forwards
// them. Files are named <notificationID>-<jobID>.eml, so a resend replaces
// the same file.
type FileSender struct {
	dir string
}

// NewFileSender writes into dir, creating it when needed.
func NewFileSender(dir string) (*FileSender, error) {
	if dir == "" {
		return nil, errors.New("file sender: empty outbox directory")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("file sender: %w", err)
	}
	return &FileSender{dir: dir}, nil
}

// Dir is the outbox folder.
func (f *FileSender) Dir() string { return f.dir }

func (f *FileSender) String() string { return "files in " + f.dir }

// FileName is the name of the .eml file of a mail.
func FileName(notificationID int64, jobID string) string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, jobID)
	if safe == "" {
		return fmt.Sprintf("%d.eml", notificationID)
	}
	return fmt.Sprintf("%d-%s.eml", notificationID, safe)
}

// Send writes the mail atomically: to a temporary file in the same folder,
// synced, then renamed, so a reader never sees half a message.
func (f *FileSender) Send(ctx context.Context, m *Mail) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	msg, err := m.message()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(f.dir, ".eml-*.tmp")
	if err != nil {
		return fmt.Errorf("file sender: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := msg.WriteTo(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("file sender: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("file sender: sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("file sender: close %s: %w", tmp.Name(), err)
	}
	dst := filepath.Join(f.dir, FileName(m.NotificationID, m.JobID))
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("file sender: %w", err)
	}
	return nil
}
