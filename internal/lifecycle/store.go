package lifecycle

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/sqldb"
)

// The few SQL reads the lifecycle needs that the stores do not offer. They
// are written with ? placeholders and rebound for the engine, like sqldb's.

// rebind rewrites ? placeholders as $1, $2, … on PostgreSQL. The queries
// here have no quoted question marks, so a plain scan suffices.
func rebind(db *sqldb.DB, q string) string {
	if db.Dialect() != "postgres" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// planTx reads a user's plan in tx. With share set, on PostgreSQL the row
// stays locked until tx ends, so a concurrent SetPlan waits for tx (and
// then its own hook sees what tx wrote) instead of slipping in between.
// SQLite needs no lock: it has one writer at a time and transactions
// begin immediate (see sqldb.OpenSQLite).
func planTx(ctx context.Context, db *sqldb.DB, tx *sql.Tx, userID int64, share bool) (gas.Plan, error) {
	q := `SELECT plan FROM users WHERE id = ?`
	if share && db.Dialect() == "postgres" {
		q += ` FOR SHARE`
	}
	var plan string
	err := tx.QueryRowContext(ctx, rebind(db, q), userID).Scan(&plan)
	if errors.Is(err, sql.ErrNoRows) {
		return "", &gas.Error{Code: gas.ENOTFOUND, Message: "User not found.", Err: fmt.Errorf("lifecycle: plan of user %d: %w", userID, err)}
	}
	if err != nil {
		return "", fmt.Errorf("lifecycle: plan of user %d: %w", userID, err)
	}
	return gas.Plan(plan), nil
}

// archivedJobs returns the IDs of a user's ARCHIVED jobs.
func archivedJobs(ctx context.Context, db *sqldb.DB, userID int64) ([]string, error) {
	rows, err := db.SQL().QueryContext(ctx, rebind(db, `SELECT id FROM jobs WHERE user_id = ? AND state = ? ORDER BY created_at, id`),
		userID, string(gas.JobArchived))
	if err != nil {
		return nil, fmt.Errorf("lifecycle: archived jobs of user %d: %w", userID, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("lifecycle: archived jobs of user %d: %w", userID, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lifecycle: archived jobs of user %d: %w", userID, err)
	}
	return ids, nil
}
