-- Sign-in through OpenID Connect providers (issue 6): linked identities and
-- the short-lived state of logins in progress, kept in the database so any
-- web server behind a load balancer can finish a login another one started.

CREATE TABLE identities (
	issuer     TEXT    NOT NULL,
	subject    TEXT    NOT NULL,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	email      TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	last_login INTEGER NOT NULL,
	PRIMARY KEY (issuer, subject)
);
CREATE INDEX identities_user ON identities (user_id);

CREATE TABLE login_flows (
	state_hash TEXT    PRIMARY KEY, -- hex SHA-256 of the state; the state itself is only in the browser
	nonce      TEXT    NOT NULL,
	verifier   TEXT    NOT NULL,    -- PKCE code verifier
	next_path  TEXT    NOT NULL DEFAULT '',
	expires_at INTEGER NOT NULL
);
CREATE INDEX login_flows_expires ON login_flows (expires_at);

ALTER TABLE users ADD COLUMN institution TEXT NOT NULL DEFAULT '';
