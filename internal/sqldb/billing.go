package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gas-project/gas"
)

// ApplyBillingEvent records a payment event and, unless it was seen before
// or is older than the newest one applied for its user, stores the
// subscription state and changes the plan — all in one transaction, so the
// plan hooks (restoring a new Premium user's archive) are queued exactly
// when the change commits. It returns one of the gas.Billing* outcomes.
func (db *DB) ApplyBillingEvent(ctx context.Context, e gas.BillingEvent) (string, error) {
	if e.ID == "" || e.Type == "" {
		return "", errors.New("sqldb: apply billing event: ID and type are required")
	}
	if e.Plan != "" && e.Plan != gas.PlanFree && e.Plan != gas.PlanPremium {
		return "", fmt.Errorf("sqldb: apply billing event: unknown plan %q", e.Plan)
	}
	outcome := ""
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO billing_events (id, type, created_at, received_at, outcome) VALUES (?, ?, ?, ?, '')`),
			e.ID, e.Type, micro(e.Created), micro(db.now()))
		if isUniqueViolation(err) {
			outcome = gas.BillingDuplicate
			return errDuplicate // roll back: nothing new to write
		}
		if err != nil {
			return fmt.Errorf("record event: %w", err)
		}
		u, lastAt, err := db.billingUser(ctx, tx, e)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			outcome = gas.BillingIgnored
		case err != nil:
			return err
		case micro(e.Created) < lastAt:
			outcome = gas.BillingStale
		default:
			outcome = gas.BillingApplied
			sets, args := "subscription_status = ?, billing_event_at = ?, plan_period_end = ?", []any{e.Status, micro(e.Created), micro(e.PeriodEnd)}
			if e.CustomerID != "" {
				sets += ", stripe_customer_id = ?"
				args = append(args, e.CustomerID)
			}
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE users SET `+sets+` WHERE id = ?`), append(args, u.ID)...); err != nil {
				return fmt.Errorf("update subscription: %w", err)
			}
			if e.Plan != "" {
				if err := db.setPlanTx(ctx, tx, u, e.Plan); err != nil {
					return fmt.Errorf("set plan: %w", err)
				}
			}
		}
		var uid int64
		if u != nil {
			uid = u.ID
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE billing_events SET outcome = ?, user_id = ? WHERE id = ?`), outcome, uid, e.ID); err != nil {
			return fmt.Errorf("record outcome: %w", err)
		}
		return nil
	})
	if errors.Is(err, errDuplicate) {
		return gas.BillingDuplicate, nil
	}
	if err != nil {
		return "", fmt.Errorf("sqldb: apply billing event %s: %w", e.ID, err)
	}
	return outcome, nil
}

var errDuplicate = errors.New("duplicate billing event")

// billingUser finds the user an event is about: by our user ID when the
// event carries it, else by the provider's customer ID.
func (db *DB) billingUser(ctx context.Context, tx *sql.Tx, e gas.BillingEvent) (*gas.User, int64, error) {
	var row *sql.Row
	switch {
	case e.UserID > 0:
		row = tx.QueryRowContext(ctx, db.q(`SELECT `+userCols+`, billing_event_at FROM users WHERE id = ?`), e.UserID)
	case e.CustomerID != "":
		row = tx.QueryRowContext(ctx, db.q(`SELECT `+userCols+`, billing_event_at FROM users WHERE stripe_customer_id = ?`), e.CustomerID)
	default:
		return nil, 0, sql.ErrNoRows
	}
	var lastAt int64
	u, err := scanUser(scanExtra{row, &lastAt})
	if err != nil {
		return nil, 0, err
	}
	return u, lastAt, nil
}

// scanExtra appends destinations to a scan, so scanUser can read rows with
// more columns than userCols.
type scanExtra struct {
	row   interface{ Scan(...any) error }
	extra *int64
}

func (s scanExtra) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra)...) }

// StripeCustomer returns the user's Stripe customer ID, "" when none yet.
func (db *DB) StripeCustomer(ctx context.Context, userID int64) (string, error) {
	var id string
	err := db.sql.QueryRowContext(ctx, db.q(`SELECT stripe_customer_id FROM users WHERE id = ?`), userID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFoundUser("stripe customer", err)
	}
	if err != nil {
		return "", fmt.Errorf("sqldb: stripe customer: %w", err)
	}
	return id, nil
}

// SetStripeCustomer remembers the Stripe customer made for a user, so later
// checkouts and webhook events find the same one.
func (db *DB) SetStripeCustomer(ctx context.Context, userID int64, customerID string) error {
	if _, err := db.sql.ExecContext(ctx, db.q(`UPDATE users SET stripe_customer_id = ? WHERE id = ?`), customerID, userID); err != nil {
		return fmt.Errorf("sqldb: set stripe customer: %w", err)
	}
	return nil
}
