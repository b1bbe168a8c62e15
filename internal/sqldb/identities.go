package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gas-project/gas"
)

// SaveLoginFlow remembers a provider sign-in in progress under its state.
// Only a hash of the state is stored, like session tokens: the state is the
// browser's proof that it started this login.
func (db *DB) SaveLoginFlow(ctx context.Context, state string, f gas.LoginFlow) error {
	if state == "" || f.Nonce == "" || f.Verifier == "" {
		return errors.New("sqldb: save login flow: state, nonce and verifier are required")
	}
	_, err := db.sql.ExecContext(ctx, db.q(`INSERT INTO login_flows (state_hash, nonce, verifier, next_path, expires_at)
		VALUES (?, ?, ?, ?, ?)`), hashToken(state), f.Nonce, f.Verifier, f.Next, micro(f.Expires))
	if err != nil {
		return fmt.Errorf("sqldb: save login flow: %w", err)
	}
	// Abandoned logins are swept here rather than by a timer: every new
	// login clears the expired ones, so the table stays small.
	if _, err := db.sql.ExecContext(ctx, db.q(`DELETE FROM login_flows WHERE expires_at < ?`), micro(db.now())); err != nil {
		db.logger.Warn("sweep expired login flows", "err", err)
	}
	return nil
}

// TakeLoginFlow returns the flow of state and deletes it, so a state is
// good for one callback only. A missing, used or expired state is EUNAUTH.
func (db *DB) TakeLoginFlow(ctx context.Context, state string) (gas.LoginFlow, error) {
	var f gas.LoginFlow
	var expires int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.q(`SELECT nonce, verifier, next_path, expires_at FROM login_flows WHERE state_hash = ?`),
			hashToken(state)).Scan(&f.Nonce, &f.Verifier, &f.Next, &expires)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, db.q(`DELETE FROM login_flows WHERE state_hash = ?`), hashToken(state))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return f, &gas.Error{Code: gas.EUNAUTH, Message: "This sign-in link is not valid any more. Please sign in again."}
	}
	if err != nil {
		return f, fmt.Errorf("sqldb: take login flow: %w", err)
	}
	f.Expires = fromMicro(expires)
	if !db.now().Before(f.Expires) {
		return f, &gas.Error{Code: gas.EUNAUTH, Message: "The sign-in took too long. Please sign in again."}
	}
	return f, nil
}

// SignInIdentity finds or creates the account of a provider identity, in one
// transaction, and returns it with whether it was created:
//   - a linked identity signs in its account (name and email on the identity
//     row are refreshed);
//   - otherwise, when the provider vouches for the email (EmailVerified) and
//     an account has that email, the identity is linked to it rather than
//     making a second account;
//   - otherwise a Free account is made from the token's email, name and
//     institution; it has no password. The first account of an empty
//     database is the administrator, as with sign-up.
func (db *DB) SignInIdentity(ctx context.Context, id gas.Identity) (*gas.User, bool, error) {
	if id.Issuer == "" || id.Subject == "" {
		return nil, false, errors.New("sqldb: sign in identity: issuer and subject are required")
	}
	now := db.now().UTC().Truncate(time.Microsecond)
	var user *gas.User
	created := false
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var uid int64
		err := tx.QueryRowContext(ctx, db.q(`SELECT user_id FROM identities WHERE issuer = ? AND subject = ?`),
			id.Issuer, id.Subject).Scan(&uid)
		switch {
		case err == nil:
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE identities SET email = ?, last_login = ? WHERE issuer = ? AND subject = ?`),
				id.Email, micro(now), id.Issuer, id.Subject); err != nil {
				return fmt.Errorf("update identity: %w", err)
			}
			u, err := scanUser(tx.QueryRowContext(ctx, db.q(`SELECT `+userCols+` FROM users WHERE id = ?`), uid))
			if err != nil {
				return fmt.Errorf("read linked user: %w", err)
			}
			user = u
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("find identity: %w", err)
		}
		email := strings.TrimSpace(id.Email)
		if email == "" || !strings.Contains(email, "@") {
			return gas.Errorf(gas.EINVALID, "The identity provider did not give an email address; GAS needs one to send your results.")
		}
		if id.EmailVerified {
			u, err := scanUser(tx.QueryRowContext(ctx, db.q(`SELECT `+userCols+` FROM users WHERE email_key = ?`), emailKey(email)))
			if err == nil {
				user = u
			} else if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("find user by email: %w", err)
			}
		}
		if user == nil {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
				return fmt.Errorf("count users: %w", err)
			}
			u := &gas.User{Email: email, Name: id.Name, Institution: id.Institution, Plan: gas.PlanFree, Admin: n == 0, CreatedAt: now}
			err := tx.QueryRowContext(ctx, db.q(`INSERT INTO users (email, email_key, name, institution, password_hash, plan, admin, created_at)
				VALUES (?, ?, ?, ?, '', ?, ?, ?) RETURNING id`),
				email, emailKey(email), u.Name, u.Institution, string(u.Plan), u.Admin, micro(now)).Scan(&u.ID)
			if isUniqueViolation(err) {
				// An account has this email but the provider does not
				// vouch for it: linking would let anyone who types a
				// victim's address at some provider take the account.
				return &gas.Error{Code: gas.ECONFLICT, Err: err,
					Message: "An account with this email already exists. Sign in with its password, then link this provider from your profile."}
			}
			if err != nil {
				return fmt.Errorf("create user: %w", err)
			}
			user, created = u, true
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO identities (issuer, subject, user_id, email, created_at, last_login)
			VALUES (?, ?, ?, ?, ?, ?)`), id.Issuer, id.Subject, user.ID, email, micro(now), micro(now)); err != nil {
			return fmt.Errorf("link identity: %w", err)
		}
		return nil
	})
	if err != nil {
		if c := gas.ErrorCode(err); c == gas.EINVALID || c == gas.ECONFLICT {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("sqldb: sign in identity: %w", err)
	}
	return user, created, nil
}

// LinkIdentity links a provider identity to a signed-in user (from the
// profile page). An identity linked to another account is ECONFLICT.
func (db *DB) LinkIdentity(ctx context.Context, userID int64, id gas.Identity) error {
	now := micro(db.now())
	_, err := db.sql.ExecContext(ctx, db.q(`INSERT INTO identities (issuer, subject, user_id, email, created_at, last_login)
		VALUES (?, ?, ?, ?, ?, ?)`), id.Issuer, id.Subject, userID, id.Email, now, now)
	if isUniqueViolation(err) {
		var owner int64
		if err := db.sql.QueryRowContext(ctx, db.q(`SELECT user_id FROM identities WHERE issuer = ? AND subject = ?`),
			id.Issuer, id.Subject).Scan(&owner); err == nil && owner == userID {
			return nil // already linked to this account
		}
		return &gas.Error{Code: gas.ECONFLICT, Message: "This identity is already linked to another account.", Err: err}
	}
	if err != nil {
		return fmt.Errorf("sqldb: link identity: %w", err)
	}
	return nil
}

// UserIdentities lists the identities linked to a user, oldest first.
func (db *DB) UserIdentities(ctx context.Context, userID int64) ([]gas.Identity, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT issuer, subject, email, created_at, last_login
		FROM identities WHERE user_id = ? ORDER BY created_at, issuer, subject`), userID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: user identities: %w", err)
	}
	defer rows.Close()
	var out []gas.Identity
	for rows.Next() {
		var id gas.Identity
		var created, last int64
		if err := rows.Scan(&id.Issuer, &id.Subject, &id.Email, &created, &last); err != nil {
			return nil, fmt.Errorf("sqldb: user identities: %w", err)
		}
		id.CreatedAt, id.LastLogin = fromMicro(created), fromMicro(last)
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: user identities: %w", err)
	}
	return out, nil
}

// UnlinkIdentity removes a provider identity from a user's account and
// ends every other session of the user in the same transaction, keeping
// only the one whose token is keep: a session started through that
// identity must not outlive the link. An identity that is not the user's
// is ENOTFOUND; the account's last way to sign in (no password and no
// other identity) is ECONFLICT, since unlinking it would lock the owner out.
func (db *DB) UnlinkIdentity(ctx context.Context, userID int64, issuer, subject, keep string) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var others int
		var hash string
		err := tx.QueryRowContext(ctx, db.q(`SELECT u.password_hash,
			(SELECT COUNT(*) FROM identities o WHERE o.user_id = u.id AND NOT (o.issuer = ? AND o.subject = ?))
			FROM identities i JOIN users u ON u.id = i.user_id
			WHERE i.issuer = ? AND i.subject = ? AND i.user_id = ?`),
			issuer, subject, issuer, subject, userID).Scan(&hash, &others)
		if errors.Is(err, sql.ErrNoRows) {
			return gas.Errorf(gas.ENOTFOUND, "This sign-in provider is not linked to your account.")
		}
		if err != nil {
			return err
		}
		if hash == "" && others == 0 {
			return gas.Errorf(gas.ECONFLICT, "This provider is the only way to sign in to your account. Set a password first, then unlink it.")
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM identities WHERE issuer = ? AND subject = ? AND user_id = ?`),
			issuer, subject, userID); err != nil {
			return err
		}
		_, err = db.endSessionsTx(ctx, tx, userID, keep)
		return err
	})
	if err != nil {
		if c := gas.ErrorCode(err); c == gas.ENOTFOUND || c == gas.ECONFLICT {
			return err
		}
		return fmt.Errorf("sqldb: unlink identity: %w", err)
	}
	return nil
}
