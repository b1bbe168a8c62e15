package gas

import "time"

// Token scopes of personal access tokens.
const (
	ScopeJobsRead  = "jobs:read"  // list and read jobs, download results and logs
	ScopeJobsWrite = "jobs:write" // submit and cancel jobs
)

// Token is a personal access token for the API, as listed to its owner. The
// secret itself is shown once, at creation, and never stored.
type Token struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string // the first characters of the secret, to tell tokens apart
	Scopes     []string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	ExpiresAt  time.Time // zero: never expires
	RevokedAt  time.Time // zero: live
}

// HasScope reports whether the token grants scope.
func (t *Token) HasScope(scope string) bool {
	for _, s := range t.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}
