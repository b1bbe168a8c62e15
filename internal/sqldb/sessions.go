package sqldb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gas-project/gas"
)

// lastSeenGranularity bounds how often a session's last use is written:
// every page view should not be a database write.
const lastSeenGranularity = time.Minute

// Longest user agent and address kept with a session; the rest of an
// over-long header is of no use in a list and only fills the table.
const (
	maxUserAgent = 256
	maxAddress   = 64
)

// hashToken is what the sessions table stores: a leaked database then gives
// no usable cookie. SHA-256 suffices because tokens are 256 random bits.
func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// sessionID is the handle a session is listed under: the start of its
// token's hash, enough to tell a user's sessions apart and useless for
// signing in (the hash cannot be turned back into the token).
func sessionID(tokenHash string) string { return tokenHash[:16] }

// clip cuts s to at most n bytes without splitting a UTF-8 sequence and
// drops control characters, which have no business in a list on a page.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// CreateSession stores a new session for userID until expires and returns
// its secret token (43 URL-safe characters). client says which browser
// and address it was started from, for the owner's list of sessions.
func (db *DB) CreateSession(ctx context.Context, userID int64, expires time.Time, client gas.SessionClient) (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("sqldb: create session: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	now := micro(db.now())
	_, err := db.sql.ExecContext(ctx, db.q(`INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at, user_agent, address)
		VALUES (?, ?, ?, ?, ?, ?, ?)`),
		hashToken(token), userID, now, micro(expires), now, clip(client.UserAgent, maxUserAgent), clip(client.Address, maxAddress))
	if err != nil {
		return "", fmt.Errorf("sqldb: create session: %w", err)
	}
	return token, nil
}

// SessionUser returns the user of a live session; EUNAUTH when the token is
// unknown or expired (an expired session is deleted on the way). The
// session's last use is recorded, at most once a minute.
func (db *DB) SessionUser(ctx context.Context, token string) (*gas.User, error) {
	if token == "" {
		return nil, gas.Errorf(gas.EUNAUTH, "Please sign in.")
	}
	h := hashToken(token)
	var expires, seen int64
	row := db.sql.QueryRowContext(ctx, db.q(`SELECT s.expires_at, s.last_seen_at, u.id, u.email, u.name, u.password_hash, u.plan, u.admin, u.created_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`), h)
	var u gas.User
	var plan string
	var created int64
	err := row.Scan(&expires, &seen, &u.ID, &u.Email, &u.Name, &u.PasswordHash, &plan, &u.Admin, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gas.Errorf(gas.EUNAUTH, "Please sign in.")
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: session user: %w", err)
	}
	now := db.now()
	if expires <= micro(now) {
		if _, err := db.sql.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE token_hash = ?`), h); err != nil {
			return nil, fmt.Errorf("sqldb: session user: delete expired: %w", err)
		}
		return nil, gas.Errorf(gas.EUNAUTH, "Your session has expired; please sign in again.")
	}
	if now.Sub(fromMicro(seen)) >= lastSeenGranularity {
		// A failed write costs the list a little accuracy, not the request.
		if _, err := db.sql.ExecContext(ctx, db.q(`UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`), micro(now), h); err != nil {
			db.logger.Warn("record session use", "user_id", u.ID, "err", err)
		}
	}
	u.Plan = gas.Plan(plan)
	u.CreatedAt = fromMicro(created)
	return &u, nil
}

// DeleteSession removes a session; an unknown token is not an error.
func (db *DB) DeleteSession(ctx context.Context, token string) error {
	if _, err := db.sql.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE token_hash = ?`), hashToken(token)); err != nil {
		return fmt.Errorf("sqldb: delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions past their expiry and returns how many.
func (db *DB) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	res, err := db.sql.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE expires_at <= ?`), micro(db.now()))
	if err != nil {
		return 0, fmt.Errorf("sqldb: delete expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqldb: delete expired sessions: %w", err)
	}
	return n, nil
}

// MaxListedSessions bounds the sessions ListSessions returns: a script
// that signs in again and again must not make the profile page huge.
// Ending sessions is not bounded by it.
const MaxListedSessions = 100

// ListSessions returns a user's live sessions, the most recently used
// first (at most MaxListedSessions); the one whose token is current is
// marked.
func (db *DB) ListSessions(ctx context.Context, userID int64, current string) ([]gas.Session, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT token_hash, created_at, last_seen_at, expires_at, user_agent, address
		FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY last_seen_at DESC, created_at DESC, token_hash LIMIT ?`),
		userID, micro(db.now()), MaxListedSessions)
	if err != nil {
		return nil, fmt.Errorf("sqldb: list sessions: %w", err)
	}
	defer rows.Close()
	cur := ""
	if current != "" {
		cur = hashToken(current)
	}
	var out []gas.Session
	for rows.Next() {
		var h string
		var created, seen, expires int64
		var s gas.Session
		if err := rows.Scan(&h, &created, &seen, &expires, &s.Client.UserAgent, &s.Client.Address); err != nil {
			return nil, fmt.Errorf("sqldb: list sessions: %w", err)
		}
		s.ID, s.Current = sessionID(h), h == cur
		s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMicro(created), fromMicro(seen), fromMicro(expires)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: list sessions: %w", err)
	}
	return out, nil
}

// EndSession ends one session of a user, named by its listed ID; another
// user's session, or one that has ended, is ENOTFOUND.
func (db *DB) EndSession(ctx context.Context, userID int64, id string) error {
	if len(id) != 16 || strings.Trim(id, "0123456789abcdef") != "" {
		return gas.Errorf(gas.ENOTFOUND, "Session not found.")
	}
	res, err := db.sql.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE user_id = ? AND substr(token_hash, 1, 16) = ?`), userID, id)
	if err != nil {
		return fmt.Errorf("sqldb: end session: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqldb: end session: %w", err)
	}
	if n == 0 {
		return gas.Errorf(gas.ENOTFOUND, "Session not found.")
	}
	return nil
}

// EndSessions signs a user out everywhere but in the session of token
// keep ("" ends them all) and returns how many sessions it ended.
func (db *DB) EndSessions(ctx context.Context, userID int64, keep string) (int64, error) {
	var n int64
	err := db.inTx(ctx, func(tx *sql.Tx) (err error) {
		n, err = db.endSessionsTx(ctx, tx, userID, keep)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqldb: end sessions: %w", err)
	}
	return n, nil
}

// endSessionsTx is EndSessions inside tx, so a change of credentials and
// the end of the sessions it invalidates commit together.
func (db *DB) endSessionsTx(ctx context.Context, tx *sql.Tx, userID int64, keep string) (int64, error) {
	q, args := `DELETE FROM sessions WHERE user_id = ?`, []any{userID}
	if keep != "" {
		q += ` AND token_hash <> ?`
		args = append(args, hashToken(keep))
	}
	res, err := tx.ExecContext(ctx, db.q(q), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// SetPassword replaces a user's password hash (the caller hashes it and
// checks the current password) and ends every other session of the user
// in the same transaction, keeping only the one whose token is keep
// ("" ends them all): whoever else held the account through the old
// password must lose it with the change. API tokens stay; they are
// revoked one by one on the profile page. ENOTFOUND for a missing user.
func (db *DB) SetPassword(ctx context.Context, userID int64, hash, keep string) error {
	if hash == "" {
		return errors.New("sqldb: set password: empty hash")
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE users SET password_hash = ? WHERE id = ?`), hash, userID)
		if err != nil {
			return err
		}
		if err := oneRow(res, "set password"); err != nil {
			return err
		}
		_, err = db.endSessionsTx(ctx, tx, userID, keep)
		return err
	})
	if err != nil {
		if gas.ErrorCode(err) == gas.ENOTFOUND {
			return err
		}
		return fmt.Errorf("sqldb: set password: %w", err)
	}
	return nil
}
