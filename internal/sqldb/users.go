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

var (
	_ gas.UserStore    = (*DB)(nil)
	_ gas.SessionStore = (*DB)(nil)
)

func emailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// isUniqueViolation recognises a unique-constraint error without importing
// driver-specific types (SQLite: "UNIQUE constraint failed"; PostgreSQL: 23505).
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "23505") ||
		strings.Contains(s, "duplicate key value")
}

// CreateUser inserts u and sets its ID and CreatedAt. A taken email
// (compared case-insensitively) is ECONFLICT; an empty plan means Free.
func (db *DB) CreateUser(ctx context.Context, u *gas.User) error {
	email := strings.TrimSpace(u.Email)
	if email == "" || !strings.Contains(email, "@") || len(email) > 320 {
		return gas.Errorf(gas.EINVALID, "Please enter a valid email address.")
	}
	if u.Plan == "" {
		u.Plan = gas.PlanFree
	}
	if u.Plan != gas.PlanFree && u.Plan != gas.PlanPremium {
		return gas.Errorf(gas.EINVALID, "Unknown plan %q.", u.Plan)
	}
	now := db.now().UTC().Truncate(time.Microsecond)
	var id int64
	err := db.sql.QueryRowContext(ctx, db.q(`INSERT INTO users (email, email_key, name, institution, password_hash, plan, admin, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		email, emailKey(email), u.Name, u.Institution, u.PasswordHash, string(u.Plan), u.Admin, micro(now)).Scan(&id)
	if isUniqueViolation(err) {
		return &gas.Error{Code: gas.ECONFLICT, Message: "An account with this email already exists.", Err: err}
	}
	if err != nil {
		return fmt.Errorf("sqldb: create user: %w", err)
	}
	u.ID, u.Email, u.CreatedAt = id, email, now
	return nil
}

const userCols = `id, email, name, institution, password_hash, plan, admin, created_at`

func scanUser(row interface{ Scan(...any) error }) (*gas.User, error) {
	var u gas.User
	var plan string
	var created int64
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Institution, &u.PasswordHash, &plan, &u.Admin, &created); err != nil {
		return nil, err
	}
	u.Plan = gas.Plan(plan)
	u.CreatedAt = fromMicro(created)
	return &u, nil
}

func notFoundUser(op string, err error) error {
	return &gas.Error{Code: gas.ENOTFOUND, Message: "User not found.", Err: fmt.Errorf("sqldb: %s: %w", op, err)}
}

// UserByID returns a user; ENOTFOUND when absent.
func (db *DB) UserByID(ctx context.Context, id int64) (*gas.User, error) {
	u, err := scanUser(db.sql.QueryRowContext(ctx, db.q(`SELECT `+userCols+` FROM users WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFoundUser("user by id", err)
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: user by id: %w", err)
	}
	return u, nil
}

// UserByEmail returns a user by email, compared case-insensitively; ENOTFOUND when absent.
func (db *DB) UserByEmail(ctx context.Context, email string) (*gas.User, error) {
	u, err := scanUser(db.sql.QueryRowContext(ctx, db.q(`SELECT `+userCols+` FROM users WHERE email_key = ?`), emailKey(email)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFoundUser("user by email", err)
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: user by email: %w", err)
	}
	return u, nil
}

// UserPlanTx reads a user's plan in tx, for hooks. With lock set, on
// PostgreSQL the row stays locked until tx ends, so a concurrent SetPlan
// waits for tx (and then its own hooks see what tx wrote) instead of
// slipping in between. SQLite needs no lock: it has one writer at a time
// and transactions begin immediate (see OpenSQLite).
func (db *DB) UserPlanTx(ctx context.Context, tx *sql.Tx, userID int64, lock bool) (gas.Plan, error) {
	q := `SELECT plan FROM users WHERE id = ?`
	if lock {
		q += db.d.shareRow
	}
	var plan string
	err := tx.QueryRowContext(ctx, db.q(q), userID).Scan(&plan)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFoundUser("plan of user", err)
	}
	if err != nil {
		return "", fmt.Errorf("sqldb: plan of user %d: %w", userID, err)
	}
	return gas.Plan(plan), nil
}

// OnPlanChange adds a hook to every later SetPlan. Call it while wiring the
// process, before the store is shared.
func (db *DB) OnPlanChange(h gas.PlanHook) { db.planHooks = append(db.planHooks, h) }

// SetPlan changes a user's plan; ENOTFOUND for a missing user. Setting the
// plan the user already has changes nothing and runs no hook.
func (db *DB) SetPlan(ctx context.Context, id int64, plan gas.Plan) error {
	if plan != gas.PlanFree && plan != gas.PlanPremium {
		return gas.Errorf(gas.EINVALID, "Unknown plan %q.", plan)
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		u, err := scanUser(tx.QueryRowContext(ctx, db.q(`SELECT `+userCols+` FROM users WHERE id = ?`), id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFoundUser("set plan", err)
		}
		if err != nil {
			return err
		}
		return db.setPlanTx(ctx, tx, u, plan)
	})
	if err != nil {
		if gas.ErrorCode(err) == gas.ENOTFOUND {
			return err
		}
		return fmt.Errorf("sqldb: set plan: %w", err)
	}
	return nil
}

// setPlanTx changes u's plan inside tx and runs the plan hooks; the same
// plan again does nothing. u.Plan is updated.
func (db *DB) setPlanTx(ctx context.Context, tx *sql.Tx, u *gas.User, plan gas.Plan) error {
	if u.Plan == plan {
		return nil
	}
	from := u.Plan
	if _, err := tx.ExecContext(ctx, db.q(`UPDATE users SET plan = ? WHERE id = ?`), string(plan), u.ID); err != nil {
		return err
	}
	u.Plan = plan
	for _, h := range db.planHooks {
		if err := h(ctx, tx, u, from); err != nil {
			return fmt.Errorf("hook: %w", err)
		}
	}
	return nil
}

// CountUsers returns the number of accounts (the first sign-up becomes admin).
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqldb: count users: %w", err)
	}
	return n, nil
}

// DeleteUser removes an account. Its sessions, jobs (with their history),
// identities, tokens and notifications go with it by ON DELETE CASCADE; the
// caller deletes the job files from the blob store and archive first, since
// the database no longer names them afterwards. ENOTFOUND for a missing user.
func (db *DB) DeleteUser(ctx context.Context, userID int64) error {
	res, err := db.sql.ExecContext(ctx, db.q(`DELETE FROM users WHERE id = ?`), userID)
	if err != nil {
		return fmt.Errorf("sqldb: delete user: %w", err)
	}
	return oneRow(res, "delete user")
}

func oneRow(res sql.Result, op string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqldb: %s: %w", op, err)
	}
	if n == 0 {
		return notFoundUser(op, sql.ErrNoRows)
	}
	return nil
}

// pageBounds turns a Page into LIMIT and OFFSET: 20 by default, at most 200.
func pageBounds(p gas.Page) (limit, offset int) {
	limit = p.Limit
	if limit <= 0 {
		limit = 20
	}
	return min(limit, 200), max(p.Offset, 0)
}

// ListUsers returns accounts oldest first (the administrator created first
// leads) and their total, for the admin page.
func (db *DB) ListUsers(ctx context.Context, p gas.Page) ([]*gas.User, int, error) {
	limit, offset := pageBounds(p)
	var total int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqldb: list users: %w", err)
	}
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT `+userCols+` FROM users ORDER BY id LIMIT ? OFFSET ?`), limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("sqldb: list users: %w", err)
	}
	defer rows.Close()
	var out []*gas.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sqldb: list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqldb: list users: %w", err)
	}
	return out, total, nil
}

// CountJobsByUser returns how many jobs each of the given users has; users
// without jobs are absent from the map.
func (db *DB) CountJobsByUser(ctx context.Context, userIDs []int64) (map[int64]int, error) {
	sums, err := db.perUserJobs(ctx, "COUNT(*)", userIDs)
	if err != nil {
		return nil, fmt.Errorf("sqldb: count jobs by user: %w", err)
	}
	out := make(map[int64]int, len(sums))
	for id, n := range sums {
		out[id] = int(n)
	}
	return out, nil
}

// RecentJobs returns the jobs of all users matching f, newest first, and
// their total, for the admin page and `gas admin jobs`; only an
// administrator may see them.
func (db *DB) RecentJobs(ctx context.Context, f gas.JobFilter, p gas.Page) ([]*gas.Job, int, error) {
	limit, offset := pageBounds(p)
	where, args := "1 = 1", []any{}
	if f.State != "" {
		if !f.State.Valid() {
			return nil, 0, gas.Errorf(gas.EINVALID, "Unknown job state %q.", f.State)
		}
		where += " AND state = ?"
		args = append(args, string(f.State))
	}
	if f.UserID > 0 {
		where += " AND user_id = ?"
		args = append(args, f.UserID)
	}
	var total int
	if err := db.sql.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM jobs WHERE `+where), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqldb: recent jobs: %w", err)
	}
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT `+jobCols+` FROM jobs WHERE `+where+` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`),
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqldb: recent jobs: %w", err)
	}
	defer rows.Close()
	var out []*gas.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sqldb: recent jobs: %w", err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqldb: recent jobs: %w", err)
	}
	return out, total, nil
}

// StorageByUser returns the bytes each given user keeps: inputs plus
// results (hot or archived), as recorded on their jobs.
func (db *DB) StorageByUser(ctx context.Context, userIDs []int64) (map[int64]int64, error) {
	out, err := db.perUserJobs(ctx, "SUM(input_size + result_size)", userIDs)
	if err != nil {
		return nil, fmt.Errorf("sqldb: storage by user: %w", err)
	}
	return out, nil
}

// perUserJobs evaluates an aggregate over the jobs of each given user.
func (db *DB) perUserJobs(ctx context.Context, aggregate string, userIDs []int64) (map[int64]int64, error) {
	out := make(map[int64]int64, len(userIDs))
	if len(userIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(userIDs))
	for i, id := range userIDs {
		args[i] = id
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(userIDs)), ", ")
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT user_id, `+aggregate+` FROM jobs WHERE user_id IN (`+marks+`) GROUP BY user_id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// BundlesUsed lists the bundles that annotated completed jobs, by name and
// checksum (a rebuilt bundle shows as a second line), most used first.
func (db *DB) BundlesUsed(ctx context.Context) ([]gas.BundleUse, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT bundle, bundle_sum, COUNT(*) FROM jobs WHERE bundle_sum <> ''
		GROUP BY bundle, bundle_sum ORDER BY COUNT(*) DESC, bundle`)
	if err != nil {
		return nil, fmt.Errorf("sqldb: bundles used: %w", err)
	}
	defer rows.Close()
	var out []gas.BundleUse
	for rows.Next() {
		var b gas.BundleUse
		if err := rows.Scan(&b.Name, &b.Checksum, &b.Jobs); err != nil {
			return nil, fmt.Errorf("sqldb: bundles used: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}
