// Package e2e holds the end-to-end proofs of issue 4. The real gas binary is
// built once per run, started as a child process on a temporary data
// directory and driven over HTTP the way a browser would: a burst of 500
// uploads (SQLite and PostgreSQL), a SIGKILL with jobs running, an archive
// timer across a restart, a restore after an upgrade, and a mail server
// that is down and then up. Bad-input jobs are also run in-process on the
// real store, queue and worker. After each run the tests read the stopped
// server's database and files to check that nothing was lost or doubled.
// The package has no code outside its tests.
package e2e
