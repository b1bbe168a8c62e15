package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gas-project/gas"
)

// HoldUpload records a pending upload; CreatedAt is set to now. It counts
// as an upload for the plan's limit per hour (ETOOMANY when over, see
// Limit); the job it may become does not count again.
func (db *DB) HoldUpload(ctx context.Context, p *gas.PendingUpload) error {
	p.CreatedAt = db.now().UTC()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.acceptUpload(ctx, tx, p.UserID, p.ID, false); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO pending_uploads (id, user_id, input_key, input_name, input_size, mode, bundle, name, on_error, report, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), p.ID, p.UserID, p.InputKey, p.InputName, p.InputSize, p.Mode, p.Bundle, p.Name, p.OnError, p.Report, micro(p.CreatedAt))
		return err
	})
	if gas.ErrorCode(err) == gas.ETOOMANY {
		return err
	}
	if err != nil {
		return fmt.Errorf("sqldb: hold upload: %w", err)
	}
	return nil
}

const uploadCols = `id, user_id, input_key, input_name, input_size, mode, bundle, name, on_error, report, created_at`

func scanUpload(row interface{ Scan(...any) error }) (*gas.PendingUpload, error) {
	var p gas.PendingUpload
	var created int64
	if err := row.Scan(&p.ID, &p.UserID, &p.InputKey, &p.InputName, &p.InputSize, &p.Mode, &p.Bundle, &p.Name, &p.OnError, &p.Report, &created); err != nil {
		return nil, err
	}
	p.CreatedAt = fromMicro(created)
	return &p, nil
}

func uploadNotFound(op string, err error) error {
	return &gas.Error{Code: gas.ENOTFOUND, Message: "Upload not found.", Err: fmt.Errorf("sqldb: %s: %w", op, err)}
}

// PendingUpload returns a user's pending upload; ENOTFOUND when absent or
// another user's.
func (db *DB) PendingUpload(ctx context.Context, userID int64, id string) (*gas.PendingUpload, error) {
	p, err := scanUpload(db.sql.QueryRowContext(ctx, db.q(`SELECT `+uploadCols+` FROM pending_uploads WHERE id = ? AND user_id = ?`), id, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, uploadNotFound("pending upload", err)
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: pending upload: %w", err)
	}
	return p, nil
}

// ReleaseUpload deletes a user's pending upload row and returns it: the
// caller now owns its file (to queue it as a job, or delete it). Of two
// concurrent calls one gets ENOTFOUND, so a double click queues once.
func (db *DB) ReleaseUpload(ctx context.Context, userID int64, id string) (*gas.PendingUpload, error) {
	var p *gas.PendingUpload
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		p, err = scanUpload(tx.QueryRowContext(ctx, db.q(`SELECT `+uploadCols+` FROM pending_uploads WHERE id = ? AND user_id = ?`), id, userID))
		if errors.Is(err, sql.ErrNoRows) {
			return uploadNotFound("release upload", err)
		}
		if err != nil {
			return fmt.Errorf("sqldb: release upload: %w", err)
		}
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM pending_uploads WHERE id = ? AND user_id = ?`), id, userID)
		if err != nil {
			return fmt.Errorf("sqldb: release upload: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return uploadNotFound("release upload", sql.ErrNoRows)
		}
		return nil
	})
	return p, err
}

// StaleUploads returns up to limit pending uploads created before t,
// oldest first: abandoned ones for the cleaner.
func (db *DB) StaleUploads(ctx context.Context, before time.Time, limit int) ([]*gas.PendingUpload, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT `+uploadCols+` FROM pending_uploads WHERE created_at < ? ORDER BY created_at LIMIT ?`),
		micro(before), limit)
	if err != nil {
		return nil, fmt.Errorf("sqldb: stale uploads: %w", err)
	}
	defer rows.Close()
	var out []*gas.PendingUpload
	for rows.Next() {
		p, err := scanUpload(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: stale uploads: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
