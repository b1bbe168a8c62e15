package sqldb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gas-project/gas"
)

// tokenPrefix marks GAS tokens, so secret scanners and people recognise one.
const tokenPrefix = "gas_"

// lastUsedGranularity bounds how often a token's last use is written: a
// busy script should not turn every API read into a database write.
const lastUsedGranularity = time.Minute

var validScopes = map[string]bool{gas.ScopeJobsRead: true, gas.ScopeJobsWrite: true}

// CreateToken makes a personal access token for userID and returns its
// secret (shown once; only its hash is stored) and its listing. A zero
// expires means it never expires.
func (db *DB) CreateToken(ctx context.Context, userID int64, name string, scopes []string, expires time.Time) (string, *gas.Token, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", nil, gas.Errorf(gas.EINVALID, "Give the token a name of 1 to 100 characters.")
	}
	if len(scopes) == 0 {
		return "", nil, gas.Errorf(gas.EINVALID, "Choose at least one scope.")
	}
	seen := map[string]bool{}
	var clean []string
	for _, s := range scopes {
		if !validScopes[s] {
			return "", nil, gas.Errorf(gas.EINVALID, "Unknown scope %q.", s)
		}
		if !seen[s] {
			seen[s] = true
			clean = append(clean, s)
		}
	}
	now := db.now().UTC().Truncate(time.Microsecond)
	if !expires.IsZero() && !expires.After(now) {
		return "", nil, gas.Errorf(gas.EINVALID, "The expiry date must be in the future.")
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("sqldb: create token: %w", err)
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	t := &gas.Token{UserID: userID, Name: name, Prefix: secret[:len(tokenPrefix)+6], Scopes: clean, CreatedAt: now, ExpiresAt: expires}
	err := db.sql.QueryRowContext(ctx, db.q(`INSERT INTO api_tokens (user_id, name, token_hash, prefix, scopes, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		userID, name, hashToken(secret), t.Prefix, strings.Join(clean, " "), micro(now), micro(expires)).Scan(&t.ID)
	if err != nil {
		return "", nil, fmt.Errorf("sqldb: create token: %w", err)
	}
	return secret, t, nil
}

const tokenCols = `id, user_id, name, prefix, scopes, created_at, last_used_at, expires_at, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (*gas.Token, error) {
	var t gas.Token
	var scopes string
	var created, used, expires, revoked int64
	if err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &scopes, &created, &used, &expires, &revoked); err != nil {
		return nil, err
	}
	t.Scopes = strings.Fields(scopes)
	t.CreatedAt, t.LastUsedAt, t.ExpiresAt, t.RevokedAt = fromMicro(created), fromMicro(used), fromMicro(expires), fromMicro(revoked)
	return &t, nil
}

// TokenUser authenticates an API request: it returns the token's owner and
// the token, or EUNAUTH for an unknown, revoked or expired secret. The
// secret is looked up by its hash, so no comparison leaks it by timing.
func (db *DB) TokenUser(ctx context.Context, secret string) (*gas.User, *gas.Token, error) {
	unauth := &gas.Error{Code: gas.EUNAUTH, Message: "The API token is not valid (unknown, revoked or expired)."}
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 200 {
		return nil, nil, unauth
	}
	t, err := scanToken(db.sql.QueryRowContext(ctx, db.q(`SELECT `+tokenCols+` FROM api_tokens WHERE token_hash = ?`), hashToken(secret)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, unauth
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sqldb: token user: %w", err)
	}
	now := db.now()
	if !t.RevokedAt.IsZero() || (!t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)) {
		return nil, nil, unauth
	}
	u, err := db.UserByID(ctx, t.UserID)
	if err != nil {
		return nil, nil, err
	}
	if now.Sub(t.LastUsedAt) >= lastUsedGranularity {
		if _, err := db.sql.ExecContext(ctx, db.q(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`), micro(now), t.ID); err != nil {
			db.logger.Warn("record token use", "token_id", t.ID, "err", err)
		}
		t.LastUsedAt = now
	}
	return u, t, nil
}

// ListTokens returns a user's tokens, newest first, revoked ones included.
func (db *DB) ListTokens(ctx context.Context, userID int64) ([]*gas.Token, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT `+tokenCols+` FROM api_tokens WHERE user_id = ? ORDER BY id DESC`), userID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: list tokens: %w", err)
	}
	defer rows.Close()
	var out []*gas.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: list tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken ends a token at once. Another user's token is ENOTFOUND;
// revoking twice is not an error.
func (db *DB) RevokeToken(ctx context.Context, userID, tokenID int64) error {
	res, err := db.sql.ExecContext(ctx, db.q(`UPDATE api_tokens SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END
		WHERE id = ? AND user_id = ?`), micro(db.now()), tokenID, userID)
	if err != nil {
		return fmt.Errorf("sqldb: revoke token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqldb: revoke token: %w", err)
	} else if n == 0 {
		return gas.Errorf(gas.ENOTFOUND, "Token not found.")
	}
	return nil
}
