-- Accounts, sessions, annotation jobs and their history.
-- Times are Unix microseconds (INTEGER) so the same values work on every dialect.

CREATE TABLE users (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	email         TEXT    NOT NULL,
	email_key     TEXT    NOT NULL UNIQUE, -- lower-cased email: look-ups are case-insensitive
	name          TEXT    NOT NULL DEFAULT '',
	password_hash TEXT    NOT NULL DEFAULT '',
	plan          TEXT    NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'premium')),
	admin         INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
	token_hash TEXT    PRIMARY KEY, -- hex SHA-256 of the cookie token; the token itself is never stored
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE jobs (
	id           TEXT    PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	state        TEXT    NOT NULL CHECK (state IN ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'ARCHIVED', 'RESTORING')),
	input_name   TEXT    NOT NULL,
	input_key    TEXT    NOT NULL,
	input_size   INTEGER NOT NULL DEFAULT 0,
	bundle       TEXT    NOT NULL,
	bundle_sum   TEXT    NOT NULL DEFAULT '',
	options      TEXT    NOT NULL DEFAULT '{}',
	result_key   TEXT    NOT NULL DEFAULT '',
	log_key      TEXT    NOT NULL DEFAULT '',
	summary_key  TEXT    NOT NULL DEFAULT '',
	result_size  INTEGER NOT NULL DEFAULT 0,
	records      INTEGER NOT NULL DEFAULT 0,
	fail_reason  TEXT    NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	started_at   INTEGER NOT NULL DEFAULT 0,
	completed_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_user_created ON jobs (user_id, created_at DESC, id DESC);
CREATE INDEX jobs_state ON jobs (state);

CREATE TABLE job_events (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	job_id     TEXT    NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	at         INTEGER NOT NULL,
	from_state TEXT    NOT NULL,
	to_state   TEXT    NOT NULL,
	actor      TEXT    NOT NULL,
	reason     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX job_events_job_id ON job_events (job_id, id);
