-- The reference bundle chosen at upload, kept while the pre-flight report
-- waits for the user's answer (issue 9: users pick the assembly).
ALTER TABLE pending_uploads ADD COLUMN bundle TEXT NOT NULL DEFAULT '';
