-- Shards of a large input (issue 8): the annotate worker splits an input
-- into contiguous pieces that separate queue jobs annotate, then a merge job
-- joins their outputs in order. One row per piece; the rows are written in
-- the same transaction as the queue jobs that work them, so a split is either
-- wholly recorded and queued or not at all.

CREATE TABLE job_shards (
	job_id      TEXT    NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	shard       INTEGER NOT NULL, -- 0-based position in the input
	input_key   TEXT    NOT NULL, -- the piece, with the input's header
	output_key  TEXT    NOT NULL, -- its annotated output (BGZF)
	records     INTEGER NOT NULL,
	line_offset INTEGER NOT NULL, -- add to a line number of the piece's records for the line in the whole input
	region      TEXT    NOT NULL DEFAULT '', -- first and last record position, e.g. 1:10177-2:4400
	state       TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done')),
	summary     TEXT    NOT NULL DEFAULT '', -- the engine's summary JSON once done
	worker      TEXT    NOT NULL DEFAULT '', -- the process that annotated it (host:pid)
	done_at     INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (job_id, shard)
);
