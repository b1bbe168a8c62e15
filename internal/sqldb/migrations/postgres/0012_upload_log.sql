-- Uploads accepted per user (issue 17: a Free account queued 200 uploads in
-- 4 s), for the plan's limit of uploads per hour. One row per upload ID: a
-- pre-flight upload that later becomes the job of the same ID counts once.
-- Rows older than an hour are pruned as the user uploads again.
CREATE TABLE upload_log (
	id      TEXT    PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	at      BIGINT NOT NULL
);
CREATE INDEX upload_log_user_at ON upload_log (user_id, at);
