-- Fair sharing (issue 17): a user's jobs beyond their plan's share of the
-- annotation queue wait here, oldest first, instead of in River. A job
-- leaves this table, and gets its River job, in the same transaction as
-- the change that frees a place (another of the user's jobs finishing).
-- seq keeps the order of arrival (oldest first), even for jobs created in
-- the same microsecond.
CREATE TABLE job_holds (
	seq        BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	job_id     TEXT    NOT NULL UNIQUE REFERENCES jobs (id) ON DELETE CASCADE,
	user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at BIGINT  NOT NULL
);
CREATE INDEX job_holds_user ON job_holds (user_id, seq);
