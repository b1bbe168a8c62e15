-- Premium subscriptions through Stripe (issue 6). The plan itself stays in
-- users.plan; these columns say why, and billing_events makes webhook
-- deliveries idempotent (Stripe retries and may reorder them).

ALTER TABLE users ADD COLUMN stripe_customer_id  TEXT    NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN subscription_status TEXT    NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN billing_event_at    INTEGER NOT NULL DEFAULT 0; -- creation time of the newest applied event
ALTER TABLE users ADD COLUMN plan_period_end     INTEGER NOT NULL DEFAULT 0;
CREATE INDEX users_stripe_customer ON users (stripe_customer_id);

CREATE TABLE billing_events (
	id          TEXT    PRIMARY KEY, -- Stripe's event ID
	type        TEXT    NOT NULL,
	user_id     INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,    -- when Stripe created the event
	received_at INTEGER NOT NULL,
	outcome     TEXT    NOT NULL     -- applied, stale (older than one already applied), ignored
);
