-- A Stripe customer belongs to exactly one account (issue 17), and events
-- are ordered by (created, event ID) rather than by arrival.
--
-- Accounts that share a customer today keep it on one: the one whose
-- newest applied event is newest (ties: the oldest account). The others
-- lose the link and are listed in stripe_customer_cleared for an operator
-- to check against Stripe; their plan is left as it is.

CREATE TABLE stripe_customer_cleared (
	user_id     INTEGER NOT NULL,
	customer_id TEXT    NOT NULL
);

INSERT INTO stripe_customer_cleared (user_id, customer_id)
SELECT u.id, u.stripe_customer_id FROM users u
WHERE u.stripe_customer_id <> '' AND EXISTS (
	SELECT 1 FROM users o
	WHERE o.stripe_customer_id = u.stripe_customer_id AND o.id <> u.id
	  AND (o.billing_event_at > u.billing_event_at OR (o.billing_event_at = u.billing_event_at AND o.id < u.id)));

UPDATE users SET stripe_customer_id = '' WHERE id IN (SELECT user_id FROM stripe_customer_cleared);

DROP INDEX users_stripe_customer;
CREATE UNIQUE INDEX users_stripe_customer ON users (stripe_customer_id) WHERE stripe_customer_id <> '';

-- The ID of the newest applied event, the second half of the order.
ALTER TABLE users ADD COLUMN billing_event_id TEXT NOT NULL DEFAULT '';
UPDATE users SET billing_event_id = COALESCE((
	SELECT MAX(e.id) FROM billing_events e
	WHERE e.user_id = users.id AND e.outcome = 'applied' AND e.created_at = users.billing_event_at), '');
