package gas

import (
	"context"
	"database/sql"
	"time"
)

// Plan is a user's subscription level.
type Plan string

// Plans. Limits per plan are configuration, not constants.
const (
	PlanFree    Plan = "free"
	PlanPremium Plan = "premium"
)

// User is an account.
type User struct {
	ID           int64
	Email        string
	Name         string
	PasswordHash string // argon2id PHC string; empty for accounts that only sign in via OIDC
	Institution  string // from the identity provider, when it tells
	Plan         Plan
	Admin        bool
	CreatedAt    time.Time
}

// Identity is an account at an OpenID Connect provider (Globus Auth or any
// other), as its verified ID token describes it. Issuer + Subject name it
// for good; the email may change.
type Identity struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Institution   string
	CreatedAt     time.Time // when it was first linked
	LastLogin     time.Time
}

// LoginFlow is what a sign-in through a provider must remember between
// sending the browser away and its return: the nonce expected in the ID
// token, the PKCE verifier and where to go afterwards. It is found by the
// state parameter and used once.
type LoginFlow struct {
	Nonce    string
	Verifier string
	Next     string
	Expires  time.Time
}

// UserStore keeps accounts.
type UserStore interface {
	// CreateUser inserts u and sets its ID and CreatedAt. An existing email is ECONFLICT.
	CreateUser(ctx context.Context, u *User) error
	UserByID(ctx context.Context, id int64) (*User, error)        // ENOTFOUND when absent
	UserByEmail(ctx context.Context, email string) (*User, error) // ENOTFOUND when absent; case-insensitive
	SetPlan(ctx context.Context, id int64, plan Plan) error
	CountUsers(ctx context.Context) (int, error)
}

// SessionClient is the browser a session was started from, as its owner
// sees it in the list of sessions.
type SessionClient struct {
	UserAgent string
	Address   string // the client's IP address at sign-in
}

// Session is a browser session as listed to its owner. The secret token is
// never part of it; ID only tells sessions apart.
type Session struct {
	ID         string
	Client     SessionClient
	CreatedAt  time.Time
	LastSeenAt time.Time // updated at most once a minute
	ExpiresAt  time.Time
	Current    bool // the session of the request that asked for the list
}

// SessionStore keeps browser sessions in the database, so web servers stay stateless.
type SessionStore interface {
	// CreateSession stores a session for the user and returns its secret token.
	CreateSession(ctx context.Context, userID int64, expires time.Time, client SessionClient) (token string, err error)
	// SessionUser returns the user of a live session; ENOTFOUND/EUNAUTH when absent or expired.
	SessionUser(ctx context.Context, token string) (*User, error)
	DeleteSession(ctx context.Context, token string) error
}

// PlanHook runs inside the transaction of a plan change, after the user
// row is written, with the plan it had before. Work that follows from the
// change (restoring an upgraded user's archived results) is queued here so
// it commits or rolls back with it. Like a TransitionHook it must use tx
// only.
type PlanHook func(ctx context.Context, tx *sql.Tx, u *User, from Plan) error
