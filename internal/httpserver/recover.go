package httpserver

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// Recover turns a panic in a handler into a logged error (with the stack)
// and a 500 page for the user (without it). http.ErrAbortHandler is passed on,
// since it is the standard way to abort a response on purpose.
func Recover(logger *slog.Logger, render ErrorRenderer) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sw := wrap(w)
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.LogAttrs(r.Context(), slog.LevelError, "panic in handler",
					slog.String("request_id", RequestIDFrom(r.Context())),
					slog.String("path", r.URL.Path),
					slog.String("panic", fmt.Sprint(v)),
					slog.String("stack", string(debug.Stack())),
				)
				if sw.status != 0 {
					// Part of the response is out; the only honest thing
					// left is to cut the connection.
					panic(http.ErrAbortHandler)
				}
				render(sw, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again later.")
			}()
			next.ServeHTTP(sw, r)
		})
	}
}
