-- Sessions an account's owner can see and end (issue 17): when each was last
-- used, and the browser and address it was started from. A password change,
-- an unlinked identity or "sign out everywhere" deletes the rows.

ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN user_agent   TEXT    NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN address      TEXT    NOT NULL DEFAULT '';
UPDATE sessions SET last_seen_at = created_at;
