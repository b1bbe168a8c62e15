-- Personal access tokens for the JSON API (issue 6). Only a SHA-256 of each
-- token is kept; the token is shown once, when it is made.

CREATE TABLE api_tokens (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT    NOT NULL,
	token_hash   TEXT    NOT NULL UNIQUE,
	prefix       TEXT    NOT NULL, -- the first characters, so the user can tell tokens apart
	scopes       TEXT    NOT NULL, -- space-separated, e.g. "jobs:read jobs:write"
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER NOT NULL DEFAULT 0,
	expires_at   INTEGER NOT NULL DEFAULT 0, -- 0: never
	revoked_at   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);
