// Package sqldb implements the GAS stores (users, sessions, jobs) on a SQL
// database, with embedded numbered migrations for its own tables and River's
// migrations for the queue tables. SQLite (modernc.org/sqlite, pure Go) is
// the embedded default; a small dialect seam keeps room for PostgreSQL.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/gas-project/gas"
)

// dialect is everything that differs between the database engines; no
// other code of the package asks which engine it runs on.
type dialect struct {
	name string // also the folder under migrations/
	// dollar: placeholders are $1, $2, … (PostgreSQL), not ?.
	dollar bool
	// lockRow and shareRow end a SELECT of rows the transaction will
	// update, or must not see changed, until it ends; "" where
	// transactions hold the whole database anyway (SQLite, whose
	// transactions begin immediate).
	lockRow, shareRow string
	// migrateLock runs first in each migration's transaction, so servers
	// starting at once do not migrate together; "" where not needed.
	migrateLock string
	// keysOff and keysOn turn the connection's foreign keys off and on,
	// and keysCheck lists violations, for a migration that rebuilds a
	// table (see migrationTx); "" where constraints can be altered in place.
	keysOff, keysOn, keysCheck string
	// lastAttempter is the expression of the last element of River's
	// river_job.attempted_by array: the client working the job now.
	lastAttempter string
	// river is River's driver on the pool.
	river func(*sql.DB) riverdriver.Driver[*sql.Tx]
}

var (
	sqliteDialect = &dialect{name: "sqlite", lastAttempter: `json_extract(attempted_by, '$[#-1]')`,
		keysOff: `PRAGMA foreign_keys = OFF`, keysOn: `PRAGMA foreign_keys = ON`, keysCheck: `PRAGMA foreign_key_check`,
		river: func(db *sql.DB) riverdriver.Driver[*sql.Tx] { return riversqlite.New(db) }}
	postgresDialect = &dialect{name: "postgres", dollar: true, lockRow: " FOR UPDATE", shareRow: " FOR SHARE",
		migrateLock:   `SELECT pg_advisory_xact_lock(7355608)`,
		lastAttempter: `attempted_by[array_length(attempted_by, 1)]`,
		river:         func(db *sql.DB) riverdriver.Driver[*sql.Tx] { return riverdatabasesql.New(db) }}
)

// rebind adapts a query written with ? placeholders to the engine. It is
// the one placeholder rewriter of GAS.
func (d *dialect) rebind(q string) string {
	if !d.dollar {
		return q
	}
	return dollarPlaceholders(q)
}

// dollarPlaceholders rewrites ? placeholders as $1, $2, … for PostgreSQL,
// leaving question marks inside quoted literals alone.
func dollarPlaceholders(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
			b.WriteByte(c)
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Options tune a DB. The zero value is valid.
type Options struct {
	// Logger receives refused transitions and migration progress; nil discards.
	Logger *slog.Logger
	// Now is the clock used for created/expiry times; nil means time.Now.
	Now func() time.Time
}

// DB is an open GAS database. It implements gas.UserStore and
// gas.SessionStore; JobStore returns the job store bound to a queue.
type DB struct {
	sql     *sql.DB
	d       *dialect
	logger  *slog.Logger
	now     func() time.Time
	display string // where the database is, for messages
	// planHooks run inside SetPlan's transaction (see OnPlanChange).
	planHooks []gas.PlanHook
	// admit shares the annotation queue between users (Limit);
	// nil queues every job at once.
	admit *admission
}

// OpenSQLite opens (creating when needed) the SQLite database file at path
// with WAL, foreign keys and a busy timeout. It does not migrate; call Migrate.
func OpenSQLite(ctx context.Context, path string, opt Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqldb: open sqlite: empty path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqldb: open sqlite: %w", err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Immediate transactions take the write lock at BEGIN, so two writers
	// wait for each other (busy_timeout) instead of failing on upgrade.
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqldb: open sqlite %s: %w", path, err)
	}
	// One connection: SQLite allows one writer at a time, and River's SQLite
	// driver documents a single connection as the way to avoid SQLITE_BUSY
	// under its concurrent maintenance work. WAL still lets the OS cache
	// serve reads fast.
	sdb.SetMaxOpenConns(1)
	sdb.SetConnMaxIdleTime(0)
	sdb.SetConnMaxLifetime(0)
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("sqldb: open sqlite %s: %w", path, err)
	}
	return newDB(sdb, sqliteDialect, path, opt), nil
}

func newDB(sdb *sql.DB, d *dialect, display string, opt Options) *DB {
	db := &DB{sql: sdb, d: d, logger: opt.Logger, now: opt.Now, display: display}
	if db.logger == nil {
		db.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if db.now == nil {
		db.now = time.Now
	}
	return db
}

// OpenPostgres opens a PostgreSQL database by URL
// (postgres://user:pass@host:5432/db?sslmode=disable) through pgx. It does
// not migrate; call Migrate.
func OpenPostgres(ctx context.Context, databaseURL string, opt Options) (*DB, error) {
	sdb, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("sqldb: open postgres: %w", err)
	}
	sdb.SetMaxOpenConns(20)
	sdb.SetMaxIdleConns(10)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("sqldb: open postgres %s: %w", redact(databaseURL), err)
	}
	return newDB(sdb, postgresDialect, redact(databaseURL), opt), nil
}

// redact hides the password of a database URL in messages.
func redact(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "postgres database"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	u.RawQuery = ""
	return u.String()
}

// Ping checks that the database answers (a readiness check).
func (db *DB) Ping(ctx context.Context) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("sqldb: ping: %w", err)
	}
	return nil
}

// SQL returns the underlying pool.
func (db *DB) SQL() *sql.DB { return db.sql }

// Dialect returns the engine name: "sqlite" or "postgres" (for messages
// and tests; code that must differ asks a question such as Local).
func (db *DB) Dialect() string { return db.d.name }

// Local reports whether the database is a file of this machine (SQLite),
// so a process that holds the data directory's lock is the only one that
// works its queue.
func (db *DB) Local() bool { return db.d == sqliteDialect }

// String says where the database is (a file path for SQLite).
func (db *DB) String() string { return db.display }

// Close closes the pool.
func (db *DB) Close() error { return db.sql.Close() }

// q adapts a query to the dialect.
func (db *DB) q(query string) string { return db.d.rebind(query) }

// InTx runs fn in one transaction, committing when it returns nil. It is
// for work queued atomically outside a store method (River jobs inserted
// through their *sql.Tx): fn must use tx only, like a hook.
func (db *DB) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return db.inTx(ctx, fn)
}

// inTx runs fn in a transaction, committing when it returns nil.
func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the error from fn is the one worth reporting
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// countBy runs a query whose rows are (key, count) and hands each to add.
func (db *DB) countBy(ctx context.Context, query string, add func(key string, n int64), args ...any) error {
	rows, err := db.sql.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		add(k, n)
	}
	return rows.Err()
}

// placeholders returns n comma-separated ? placeholders, for IN lists.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return "?" + strings.Repeat(", ?", n-1)
}

// micro stores times as Unix microseconds; the zero time is 0.
func micro(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicro(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}
