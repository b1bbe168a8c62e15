package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gas-project/gas"
)

// ApplyBillingEvent records a payment event and, unless it was seen before
// or comes before the newest one applied for its user in the order
// (created, event ID), stores the subscription state and changes the plan
// — all in one transaction, so the plan hooks (restoring a new Premium
// user's archive) are queued exactly when the change commits. An event
// that would give the user a customer another account has is recorded as
// a conflict and not applied: a customer belongs to one account, so that a
// cancellation cannot downgrade one of two. It returns one of the
// gas.Billing* outcomes.
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
		u, last, err := db.billingUser(ctx, tx, e)
		if err == nil && e.CustomerID != "" {
			if owner, err := db.customerOwner(ctx, tx, e.CustomerID); err != nil {
				return err
			} else if owner != 0 && owner != u.ID {
				outcome = gas.BillingConflict
			}
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			outcome = gas.BillingIgnored
		case err != nil:
			return err
		case outcome == gas.BillingConflict:
		case eventBefore(e, last):
			outcome = gas.BillingStale
		default:
			outcome = gas.BillingApplied
			sets, args := "subscription_status = ?, billing_event_at = ?, billing_event_id = ?, plan_period_end = ?",
				[]any{e.Status, micro(e.Created), e.ID, micro(e.PeriodEnd)}
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

// lastEvent is the newest event applied for a user, in the order events
// are applied by.
type lastEvent struct {
	at int64 // micro of its Created
	id string
}

// eventBefore reports whether e comes before last in the order (created,
// event ID). Created has whole seconds, so events of one second are common
// (a subscription updated twice, created and paid); ordering them by ID
// makes the outcome the same whichever Stripe delivers first.
func eventBefore(e gas.BillingEvent, last lastEvent) bool {
	at := micro(e.Created)
	return at < last.at || (at == last.at && e.ID < last.id)
}

// billingUser finds the user an event is about: by our user ID when the
// event carries it, else by the provider's customer ID (unique, so at most
// one account).
func (db *DB) billingUser(ctx context.Context, tx *sql.Tx, e gas.BillingEvent) (*gas.User, lastEvent, error) {
	var row *sql.Row
	const cols = `SELECT ` + userCols + `, billing_event_at, billing_event_id FROM users WHERE `
	switch {
	case e.UserID > 0:
		row = tx.QueryRowContext(ctx, db.q(cols+`id = ?`), e.UserID)
	case e.CustomerID != "":
		row = tx.QueryRowContext(ctx, db.q(cols+`stripe_customer_id = ?`), e.CustomerID)
	default:
		return nil, lastEvent{}, sql.ErrNoRows
	}
	var last lastEvent
	u, err := scanUser(scanExtra{row, []any{&last.at, &last.id}})
	if err != nil {
		return nil, lastEvent{}, err
	}
	return u, last, nil
}

// customerOwner returns the account that has the provider's customer, 0
// when none has.
func (db *DB) customerOwner(ctx context.Context, tx *sql.Tx, customerID string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, db.q(`SELECT id FROM users WHERE stripe_customer_id = ?`), customerID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("owner of customer: %w", err)
	}
	return id, nil
}

// scanExtra appends destinations to a scan, so scanUser can read rows with
// more columns than userCols.
type scanExtra struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (s scanExtra) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra...)...) }

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
// checkouts and webhook events find the same one. A customer that belongs
// to another account is ECONFLICT (the unique index says so even when two
// requests race).
func (db *DB) SetStripeCustomer(ctx context.Context, userID int64, customerID string) error {
	if customerID == "" {
		return errors.New("sqldb: set stripe customer: empty customer ID")
	}
	res, err := db.sql.ExecContext(ctx, db.q(`UPDATE users SET stripe_customer_id = ? WHERE id = ?`), customerID, userID)
	if isUniqueViolation(err) {
		return &gas.Error{Code: gas.ECONFLICT, Err: fmt.Errorf("sqldb: set stripe customer %s for user %d: %w", customerID, userID, err),
			Message: "This payment account is linked to another GAS account. Please contact the administrator."}
	}
	if err != nil {
		return fmt.Errorf("sqldb: set stripe customer: %w", err)
	}
	return oneRow(res, "set stripe customer")
}
