package httpserver

import (
	"encoding/json"
	"net/http"
)

// ErrorBody is the JSON body of every error answered to a program: the
// API's, and the site's to a request made with an API token (views and
// exports fetched by scripts).
type ErrorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id,omitempty"`
	} `json:"error"`
}

// WriteJSONError answers with status and an ErrorBody of code and msg.
func WriteJSONError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	var b ErrorBody
	b.Error.Code, b.Error.Message, b.Error.RequestID = code, msg, RequestIDFrom(r.Context())
	WriteJSON(w, status, b)
}

// WriteJSON answers with status and v as indented JSON, never cached.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
