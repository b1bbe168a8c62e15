-- Live progress and the variant index (issue 7). input_records is the
-- record count of the upload check, the total of the progress bar;
-- progress_records is what the annotate worker reported last (throttled),
-- progress_at when. index_key is the blob of the job's variant index once
-- the index job has built it ('' until then).

ALTER TABLE jobs ADD COLUMN input_records    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN progress_records INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN progress_at      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN index_key        TEXT NOT NULL DEFAULT '';

-- Uploads stored and checked but not yet queued: the pre-flight report
-- waits for the user's "go on" (the row becomes a job) or "cancel" (row
-- and file deleted). Rows older than a day are abandoned; the cleaner
-- deletes them and their files.
CREATE TABLE pending_uploads (
	id         TEXT    PRIMARY KEY, -- becomes the job ID
	user_id    INTEGER    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	input_key  TEXT    NOT NULL,
	input_name TEXT    NOT NULL,
	input_size INTEGER    NOT NULL,
	mode       TEXT    NOT NULL DEFAULT '',
	report     TEXT    NOT NULL DEFAULT '', -- the pre-flight report as JSON
	created_at INTEGER    NOT NULL
);
CREATE INDEX pending_uploads_created ON pending_uploads (created_at);
