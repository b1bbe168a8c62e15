-- Data lifecycle: result checksums, the cold archive and restores, and the
-- notification outbox (issue 4).

ALTER TABLE jobs ADD COLUMN result_sum       TEXT    NOT NULL DEFAULT '';  -- hex SHA-256 of the result
ALTER TABLE jobs ADD COLUMN archived_at      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN restore_tier     TEXT    NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN restore_ready_at INTEGER NOT NULL DEFAULT 0;

-- Emails to users. A row is written in the transaction of the job change it
-- reports, and a queued delivery job sends it; nothing is lost between the two.
CREATE TABLE notifications (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	job_id     TEXT    NOT NULL DEFAULT '',
	kind       TEXT    NOT NULL,
	to_addr    TEXT    NOT NULL,
	subject    TEXT    NOT NULL,
	body       TEXT    NOT NULL,
	state      TEXT    NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'SENT', 'FAILED')),
	attempts   INTEGER NOT NULL DEFAULT 0,
	last_error TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	sent_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notifications_user ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_state ON notifications (state);
