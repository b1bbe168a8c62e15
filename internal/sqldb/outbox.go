package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gas-project/gas"
)

// The notification outbox (table notifications, migration 0002). A row is
// inserted in the transaction of the job change it reports, together with
// the queue job that delivers it, so a committed change always gets its
// email and a rolled-back one never does. The delivery worker then moves
// the row PENDING → SENT, or records failed attempts until it gives up
// (FAILED), which an administrator can see and retry.

const notificationCols = `id, user_id, job_id, kind, to_addr, subject, body, state, attempts, last_error, created_at, sent_at`

// maxErrorText caps a stored delivery error: SMTP servers can answer at
// length, and the row is shown in lists.
const maxErrorText = 1000

// shorten caps an error text at maxErrorText bytes on a rune boundary and
// replaces invalid UTF-8, which PostgreSQL would refuse to store.
func shorten(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxErrorText {
		return s
	}
	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func scanNotification(row interface{ Scan(...any) error }) (*gas.Notification, error) {
	var n gas.Notification
	var kind, state string
	var created, sent int64
	err := row.Scan(&n.ID, &n.UserID, &n.JobID, &kind, &n.To, &n.Subject, &n.Body, &state, &n.Attempts, &n.LastError, &created, &sent)
	if err != nil {
		return nil, err
	}
	n.Kind, n.State = gas.NotificationKind(kind), gas.DeliveryState(state)
	n.CreatedAt, n.SentAt = fromMicro(created), fromMicro(sent)
	return &n, nil
}

func notificationNotFound(op string, err error) error {
	return &gas.Error{Code: gas.ENOTFOUND, Message: "Notification not found.", Err: fmt.Errorf("sqldb: %s: %w", op, err)}
}

func validKind(k gas.NotificationKind) bool {
	switch k {
	case gas.NotifyJobCompleted, gas.NotifyJobFailed, gas.NotifyJobRestored:
		return true
	}
	return false
}

// UserEmailTx returns the address of user id, read in tx: transition hooks
// must not use the pool (on SQLite tx holds its only connection).
func (db *DB) UserEmailTx(ctx context.Context, tx *sql.Tx, id int64) (string, error) {
	var email string
	err := tx.QueryRowContext(ctx, db.q(`SELECT email FROM users WHERE id = ?`), id).Scan(&email)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFoundUser("user email", err)
	}
	if err != nil {
		return "", fmt.Errorf("sqldb: user email: %w", err)
	}
	return email, nil
}

// InsertNotificationTx adds n to the outbox as PENDING in the caller's
// transaction and sets its ID, State, Attempts and CreatedAt.
func (db *DB) InsertNotificationTx(ctx context.Context, tx *sql.Tx, n *gas.Notification) error {
	if n.UserID <= 0 || n.To == "" || n.Subject == "" {
		return gas.Errorf(gas.EINVALID, "A notification needs a user, a recipient and a subject.")
	}
	if !validKind(n.Kind) {
		return gas.Errorf(gas.EINVALID, "Unknown notification kind %q.", n.Kind)
	}
	now := db.now().UTC().Truncate(time.Microsecond)
	var id int64
	err := tx.QueryRowContext(ctx, db.q(`INSERT INTO notifications (user_id, job_id, kind, to_addr, subject, body, state, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		n.UserID, n.JobID, string(n.Kind), n.To, n.Subject, n.Body, string(gas.DeliveryPending), micro(now)).Scan(&id)
	if err != nil {
		return fmt.Errorf("sqldb: insert notification: %w", err)
	}
	n.ID, n.State, n.Attempts, n.LastError, n.CreatedAt, n.SentAt = id, gas.DeliveryPending, 0, "", now, time.Time{}
	return nil
}

// Notification returns one outbox row; ENOTFOUND when absent.
func (db *DB) Notification(ctx context.Context, id int64) (*gas.Notification, error) {
	n, err := scanNotification(db.sql.QueryRowContext(ctx, db.q(`SELECT `+notificationCols+` FROM notifications WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notificationNotFound("notification", err)
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: notification: %w", err)
	}
	return n, nil
}

// MarkNotificationSent records a delivery. Only a PENDING row changes, so a
// late duplicate of the delivery job cannot rewrite the first sent time;
// marking an already SENT row is not an error. ENOTFOUND when absent,
// ECONFLICT when the row is FAILED (the admin gave up on it meanwhile).
func (db *DB) MarkNotificationSent(ctx context.Context, id int64, at time.Time) error {
	if at.IsZero() {
		at = db.now()
	}
	res, err := db.sql.ExecContext(ctx, db.q(`UPDATE notifications SET state = ?, sent_at = ? WHERE id = ? AND state = ?`),
		string(gas.DeliverySent), micro(at.UTC().Truncate(time.Microsecond)), id, string(gas.DeliveryPending))
	if err != nil {
		return fmt.Errorf("sqldb: mark notification sent: %w", err)
	}
	return db.checkOutboxUpdate(ctx, res, id, "mark notification sent", gas.DeliverySent)
}

// checkOutboxUpdate explains an update of a notification that changed no
// row: missing (ENOTFOUND), already in state ok (nil) or another state
// (ECONFLICT).
func (db *DB) checkOutboxUpdate(ctx context.Context, res sql.Result, id int64, op string, ok gas.DeliveryState) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqldb: %s: %w", op, err)
	}
	if n > 0 {
		return nil
	}
	cur, err := db.Notification(ctx, id)
	if err != nil {
		return err
	}
	if cur.State == ok {
		return nil
	}
	return &gas.Error{Code: gas.ECONFLICT, Message: fmt.Sprintf("The notification is %s.", cur.State)}
}

// RecordNotificationFailure counts a failed delivery attempt of a PENDING
// row and keeps errText (shortened) as its last error; final marks the row
// FAILED, which ends automatic retries. ENOTFOUND when absent, ECONFLICT
// when the row is no longer PENDING.
func (db *DB) RecordNotificationFailure(ctx context.Context, id int64, errText string, final bool) error {
	errText = shorten(errText)
	state := gas.DeliveryPending
	if final {
		state = gas.DeliveryFailed
	}
	res, err := db.sql.ExecContext(ctx, db.q(`UPDATE notifications SET attempts = attempts + 1, last_error = ?, state = ?
		WHERE id = ? AND state = ?`), errText, string(state), id, string(gas.DeliveryPending))
	if err != nil {
		return fmt.Errorf("sqldb: record notification failure: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqldb: record notification failure: %w", err)
	}
	if n > 0 {
		return nil
	}
	cur, err := db.Notification(ctx, id)
	if err != nil {
		return err
	}
	return &gas.Error{Code: gas.ECONFLICT, Message: fmt.Sprintf("The notification is %s.", cur.State)}
}

// RetryNotificationTx puts a FAILED row back to PENDING with its attempts
// reset (the last error stays until a delivery succeeds), in the caller's
// transaction, so the caller queues its delivery in the same one. ENOTFOUND
// when absent; ECONFLICT when the row is not FAILED (a PENDING one is
// still being retried, a SENT one is done).
func (db *DB) RetryNotificationTx(ctx context.Context, tx *sql.Tx, id int64) error {
	res, err := tx.ExecContext(ctx, db.q(`UPDATE notifications SET state = ?, attempts = 0 WHERE id = ? AND state = ?`),
		string(gas.DeliveryPending), id, string(gas.DeliveryFailed))
	if err != nil {
		return fmt.Errorf("sqldb: retry notification: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqldb: retry notification: %w", err)
	}
	if n > 0 {
		return nil
	}
	var state string
	err = tx.QueryRowContext(ctx, db.q(`SELECT state FROM notifications WHERE id = ?`), id).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return notificationNotFound("retry notification", err)
	}
	if err != nil {
		return fmt.Errorf("sqldb: retry notification: %w", err)
	}
	return &gas.Error{Code: gas.ECONFLICT, Message: fmt.Sprintf("Only a failed notification can be retried; this one is %s.", state)}
}

// ListNotifications returns a page of the user's notifications, newest
// first, and their total. A non-positive limit means 20; limits are capped at 200.
func (db *DB) ListNotifications(ctx context.Context, userID int64, p gas.Page) ([]*gas.Notification, int, error) {
	return db.listNotifications(ctx, "list notifications", `user_id = ?`, userID, p)
}

// FailedNotifications returns a page of FAILED notifications of all users,
// newest first, and their total: what the administrator has to look at.
func (db *DB) FailedNotifications(ctx context.Context, p gas.Page) ([]*gas.Notification, int, error) {
	return db.listNotifications(ctx, "failed notifications", `state = ?`, string(gas.DeliveryFailed), p)
}

// AllNotifications returns a page of every notification, newest first, and
// their total, for the administrator's overview.
func (db *DB) AllNotifications(ctx context.Context, p gas.Page) ([]*gas.Notification, int, error) {
	return db.listNotifications(ctx, "all notifications", `1 = ?`, 1, p)
}

func (db *DB) listNotifications(ctx context.Context, op, where string, arg any, p gas.Page) ([]*gas.Notification, int, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 200)
	offset := max(p.Offset, 0)
	var total int
	if err := db.sql.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM notifications WHERE `+where), arg).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqldb: %s: count: %w", op, err)
	}
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT `+notificationCols+` FROM notifications WHERE `+where+`
		ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`), arg, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("sqldb: %s: %w", op, err)
	}
	defer rows.Close()
	var out []*gas.Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sqldb: %s: %w", op, err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqldb: %s: %w", op, err)
	}
	return out, total, nil
}

// CountNotifications returns the number of outbox rows in each delivery
// state that has some, for metrics.
func (db *DB) CountNotifications(ctx context.Context) (map[gas.DeliveryState]int64, error) {
	out := map[gas.DeliveryState]int64{}
	err := db.countBy(ctx, `SELECT state, COUNT(*) FROM notifications GROUP BY state`, func(k string, n int64) { out[gas.DeliveryState(k)] = n })
	if err != nil {
		return nil, fmt.Errorf("sqldb: count notifications: %w", err)
	}
	return out, nil
}
