-- Job states become rows of job_states, which jobs.state refers to, instead
-- of a CHECK that lists them: gas migrate adds every state of
-- gas.JobStates() to the table (CANCELLED first), so a new state needs no
-- migration.

CREATE TABLE job_states (
	name TEXT PRIMARY KEY
);
INSERT INTO job_states (name) VALUES ('PENDING'), ('RUNNING'), ('COMPLETED'), ('FAILED'), ('ARCHIVED'), ('RESTORING');

ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_state_fkey FOREIGN KEY (state) REFERENCES job_states (name);
