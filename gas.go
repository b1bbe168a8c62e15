// Package gas holds the domain of the Genomics Annotation Service: users, plans,
// annotation jobs and their states, and the interfaces of the services that
// store and move them. It imports nothing of the project, so every other
// package depends inward on it and implementations can be swapped (SQLite or
// PostgreSQL, local files or S3) without touching callers.
package gas

import (
	"errors"
	"fmt"
)

// Error codes that callers branch on. The HTTP layer maps them to statuses.
const (
	ENOTFOUND  = "not_found"
	EINVALID   = "invalid"
	EFORBIDDEN = "forbidden"
	ECONFLICT  = "conflict"
	ETOOLARGE  = "too_large"
	EUNAUTH    = "unauthorized"
	EINTERNAL  = "internal"
)

// Error is an error whose Message is safe to show to a user. Internal details
// belong in a wrapped error (Err), which is logged but never displayed.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted user-facing message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the Message of the
// first *Error in its chain, or a generic sentence that reveals nothing.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "An internal error occurred."
}

// Page selects a slice of a list, newest first.
type Page struct {
	Offset int
	Limit  int
}
