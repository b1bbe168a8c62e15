-- Live progress and the variant index (issue 7). input_records is the
-- record count of the upload check, the total of the progress bar;
-- progress_records is what the annotate worker reported last (throttled),
-- progress_at when. index_key is the blob of the job's variant index once
-- the index job has built it ('' until then).

ALTER TABLE jobs ADD COLUMN input_records    BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN progress_records BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN progress_at      BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN index_key        TEXT NOT NULL DEFAULT '';
