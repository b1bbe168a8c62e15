-- Rate limits shared by every server on the database (issue 17's
-- follow-up): one token bucket per limit and key (bucket), as auth.Limiter keeps in
-- memory. tokens is what is left at time at (Unix microseconds).
CREATE TABLE rate_limits (
	name   TEXT             NOT NULL,
	bucket TEXT             NOT NULL,
	tokens DOUBLE PRECISION NOT NULL,
	at     BIGINT           NOT NULL,
	PRIMARY KEY (name, bucket)
);
