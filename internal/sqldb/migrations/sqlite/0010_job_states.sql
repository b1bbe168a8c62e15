-- gas:rebuild
-- Job states become rows of job_states, which jobs.state refers to, instead
-- of a CHECK that lists them: gas migrate adds every state of
-- gas.JobStates() to the table (CANCELLED first), so a new state needs no
-- migration. SQLite cannot change a table's constraints, so jobs is rebuilt
-- by SQLite's procedure (https://www.sqlite.org/lang_altertable.html,
-- "Making Other Kinds Of Table Schema Changes"); the migration runs with
-- foreign keys off, so dropping the old table does not cascade to the
-- events and shards that refer to it.

CREATE TABLE job_states (
	name TEXT PRIMARY KEY
);
INSERT INTO job_states (name) VALUES ('PENDING'), ('RUNNING'), ('COMPLETED'), ('FAILED'), ('ARCHIVED'), ('RESTORING');

CREATE TABLE jobs_new (
	id               TEXT    PRIMARY KEY,
	user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	state            TEXT    NOT NULL REFERENCES job_states (name),
	input_name       TEXT    NOT NULL,
	input_key        TEXT    NOT NULL,
	input_size       INTEGER NOT NULL DEFAULT 0,
	bundle           TEXT    NOT NULL,
	bundle_sum       TEXT    NOT NULL DEFAULT '',
	options          TEXT    NOT NULL DEFAULT '{}',
	result_key       TEXT    NOT NULL DEFAULT '',
	log_key          TEXT    NOT NULL DEFAULT '',
	summary_key      TEXT    NOT NULL DEFAULT '',
	result_size      INTEGER NOT NULL DEFAULT 0,
	records          INTEGER NOT NULL DEFAULT 0,
	fail_reason      TEXT    NOT NULL DEFAULT '',
	created_at       INTEGER NOT NULL,
	started_at       INTEGER NOT NULL DEFAULT 0,
	completed_at     INTEGER NOT NULL DEFAULT 0,
	result_sum       TEXT    NOT NULL DEFAULT '',
	archived_at      INTEGER NOT NULL DEFAULT 0,
	restore_tier     TEXT    NOT NULL DEFAULT '',
	restore_ready_at INTEGER NOT NULL DEFAULT 0,
	input_records    INTEGER NOT NULL DEFAULT 0,
	progress_records INTEGER NOT NULL DEFAULT 0,
	progress_at      INTEGER NOT NULL DEFAULT 0,
	index_key        TEXT    NOT NULL DEFAULT ''
);
INSERT INTO jobs_new (id, user_id, state, input_name, input_key, input_size, bundle, bundle_sum, options,
	result_key, log_key, summary_key, result_size, records, fail_reason, created_at, started_at, completed_at,
	result_sum, archived_at, restore_tier, restore_ready_at, input_records, progress_records, progress_at, index_key)
SELECT id, user_id, state, input_name, input_key, input_size, bundle, bundle_sum, options,
	result_key, log_key, summary_key, result_size, records, fail_reason, created_at, started_at, completed_at,
	result_sum, archived_at, restore_tier, restore_ready_at, input_records, progress_records, progress_at, index_key
FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_user_created ON jobs (user_id, created_at DESC, id DESC);
CREATE INDEX jobs_state ON jobs (state);
