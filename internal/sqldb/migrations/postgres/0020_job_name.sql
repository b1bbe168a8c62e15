-- A job's name (issue 15): six jobs of files called test.vcf must be told
-- apart. Chosen at upload; empty (jobs from before) shows the file name.
ALTER TABLE jobs ADD COLUMN name TEXT NOT NULL DEFAULT '';

-- What the upload form chose, kept while the pre-flight report waits: the
-- job's name and the engine's policy for malformed records ('' = stop, or
-- skip).
ALTER TABLE pending_uploads ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE pending_uploads ADD COLUMN on_error TEXT NOT NULL DEFAULT '';
