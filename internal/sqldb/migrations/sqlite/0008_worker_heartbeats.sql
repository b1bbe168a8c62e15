-- Worker processes announce themselves here every few seconds, so the
-- queue work of a process that died (SIGKILL, lost machine) is handed to
-- the others within a minute instead of after River's rescue delay, which
-- must exceed the longest annotation (hours).

CREATE TABLE worker_heartbeats (
	client_id  TEXT    PRIMARY KEY, -- River client ID of the process
	hostname   TEXT    NOT NULL,
	pid        INTEGER NOT NULL,
	started_at INTEGER NOT NULL,
	seen_at    INTEGER NOT NULL
);
