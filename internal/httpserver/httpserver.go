// Package httpserver holds the HTTP plumbing shared by the site and, later,
// the JSON API: middleware (request IDs, request log, panic recovery,
// security headers, cross-origin protection) and the mapping from gas error
// codes to HTTP statuses. It renders nothing itself: pages are drawn by an
// ErrorRenderer the caller supplies, so every error looks like the site.
package httpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"github.com/gas-project/gas"
)

// Middleware wraps a handler.
type Middleware func(http.Handler) http.Handler

// Chain applies mws to h so that the first one is outermost: it sees the
// request first and the response last.
func Chain(h http.Handler, mws ...Middleware) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// ErrorRenderer writes an error page with the given status and a message
// that is safe to show to the user.
type ErrorRenderer func(w http.ResponseWriter, r *http.Request, status int, message string)

// codeStatuses pairs each gas error code with its HTTP status, both ways:
// StatusFor reads it by code, CodeFor by status (the first code listed for
// a status).
var codeStatuses = [...]struct {
	code   string
	status int
}{
	{gas.ENOTFOUND, http.StatusNotFound},
	{gas.EINVALID, http.StatusBadRequest},
	{gas.EFORBIDDEN, http.StatusForbidden},
	{gas.ECONFLICT, http.StatusConflict},
	{gas.EARCHIVED, http.StatusConflict},
	{gas.ETOOLARGE, http.StatusRequestEntityTooLarge},
	{gas.EUNAUTH, http.StatusUnauthorized},
	{gas.EUNAVAILABLE, http.StatusServiceUnavailable},
	{gas.ETOOMANY, http.StatusTooManyRequests},
}

// StatusFor maps an error to an HTTP status by its gas error code.
// Unknown and internal errors are 500.
func StatusFor(err error) int {
	code := gas.ErrorCode(err)
	if code == "" {
		return http.StatusOK
	}
	for _, cs := range codeStatuses {
		if cs.code == code {
			return cs.status
		}
	}
	return http.StatusInternalServerError
}

// CodeFor is the error code of an answer known only by its status, the
// inverse of StatusFor (a method not allowed counts as invalid; any other
// status it does not know, as internal).
func CodeFor(status int) string {
	if status == http.StatusMethodNotAllowed {
		return gas.EINVALID
	}
	for _, cs := range codeStatuses {
		if cs.status == status {
			return cs.code
		}
	}
	return gas.EINTERNAL
}

// SetRetryAfter sets the Retry-After header (whole seconds, rounded up)
// when err says when to try again (gas.ETOOMANY), so a client over a plan
// limit learns when to come back, whatever front end answers it.
func SetRetryAfter(w http.ResponseWriter, err error) {
	if d, ok := gas.RetryAfter(err); ok {
		w.Header().Set("Retry-After", strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10))
	}
}

type ctxKey int

const requestIDKey ctxKey = iota

// RequestIDHeader carries the request ID back to the client, so a user can
// quote it and an operator can find the matching log lines.
const RequestIDHeader = "X-Request-Id"

// RequestID gives every request a random ID, stored in its context and sent
// back in the X-Request-Id header. An incoming ID is not trusted: it could be
// used to forge or confuse log lines.
func RequestID() Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := newRequestID()
			w.Header().Set(RequestIDHeader, id)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
		})
	}
}

// RequestIDFrom returns the request ID stored by RequestID, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}
