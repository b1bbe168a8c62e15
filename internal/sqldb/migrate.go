package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/riverqueue/river/rivermigrate"

	"github.com/gas-project/gas"
)

//go:embed migrations
var migrationFS embed.FS

// migration is one numbered SQL file: migrations/<dialect>/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
	// rebuild: the file starts with the line "-- gas:rebuild": it rebuilds
	// a table, so it runs with foreign keys off (see migrationTx).
	rebuild bool
}

// rebuildMark is the first line of a migration that rebuilds a table.
const rebuildMark = "-- gas:rebuild"

func (db *DB) migrations() ([]migration, error) {
	dir := path.Join("migrations", db.d.name)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s: name must start with a positive number and _", e.Name())
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b),
			rebuild: strings.HasPrefix(string(b), rebuildMark+"\n")})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("two migrations numbered %d", ms[i].version)
		}
	}
	return ms, nil
}

// SchemaVersion returns the highest applied GAS migration (0 on an empty
// database) and the highest this binary knows.
func (db *DB) SchemaVersion(ctx context.Context) (current, known int, err error) {
	ms, err := db.migrations()
	if err != nil {
		return 0, 0, fmt.Errorf("sqldb: schema version: %w", err)
	}
	if len(ms) > 0 {
		known = ms[len(ms)-1].version
	}
	if _, err := db.sql.ExecContext(ctx, db.q(`CREATE TABLE IF NOT EXISTS gas_schema_version (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)); err != nil {
		return 0, known, fmt.Errorf("sqldb: schema version: %w", err)
	}
	var v sql.NullInt64
	if err := db.sql.QueryRowContext(ctx, `SELECT MAX(version) FROM gas_schema_version`).Scan(&v); err != nil {
		return 0, known, fmt.Errorf("sqldb: schema version: %w", err)
	}
	return int(v.Int64), known, nil
}

// CheckSchema returns an error unless the database is exactly at the schema
// this binary knows, so a server never runs on tables it does not understand.
func (db *DB) CheckSchema(ctx context.Context) error {
	cur, known, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	switch {
	case cur > known:
		return &gas.Error{Code: gas.ECONFLICT, Message: fmt.Sprintf(
			"The database %s has schema version %d, newer than this gas binary knows (%d); upgrade gas.", db.display, cur, known)}
	case cur < known:
		return &gas.Error{Code: gas.ECONFLICT, Message: fmt.Sprintf(
			"The database %s has schema version %d; this gas binary needs %d. Run `gas migrate`.", db.display, cur, known)}
	}
	missing, err := db.missingJobStates(ctx)
	if err != nil {
		return fmt.Errorf("sqldb: check schema: job states: %w", err)
	}
	if len(missing) > 0 {
		return &gas.Error{Code: gas.ECONFLICT, Message: fmt.Sprintf(
			"The database %s does not know the job states %v of this gas binary. Run `gas migrate`.", db.display, missing)}
	}
	return nil
}

// Migrate applies the GAS migrations not yet applied, each in its own
// transaction, then River's migrations. It refuses a database whose schema
// is newer than this binary. It returns the GAS versions it applied.
func (db *DB) Migrate(ctx context.Context) ([]int, error) {
	return db.migrate(ctx, 0)
}

// migrate is Migrate of the migrations numbered up to upTo (0: all); the
// job states are added only with all of them.
func (db *DB) migrate(ctx context.Context, upTo int) ([]int, error) {
	cur, known, err := db.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	if cur > known {
		return nil, &gas.Error{Code: gas.ECONFLICT, Message: fmt.Sprintf(
			"The database %s has schema version %d, newer than this gas binary knows (%d); upgrade gas.", db.display, cur, known)}
	}
	ms, err := db.migrations()
	if err != nil {
		return nil, fmt.Errorf("sqldb: migrate: %w", err)
	}
	var applied []int
	// Every known migration is checked, not only those above the highest
	// applied: one numbered below it (merged from a branch) still runs.
	for _, m := range ms {
		if upTo > 0 && m.version > upTo {
			return applied, nil
		}
		skipped := false
		err := db.migrationTx(ctx, m, func(tx *sql.Tx) error {
			if db.d.migrateLock != "" {
				// Serialise concurrent migrators (several servers starting at
				// once); the lock ends with the transaction.
				if _, err := tx.ExecContext(ctx, db.d.migrateLock); err != nil {
					return fmt.Errorf("lock: %w", err)
				}
			}
			var n int
			if err := tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM gas_schema_version WHERE version = ?`), m.version).Scan(&n); err != nil {
				return fmt.Errorf("check %s: %w", m.name, err)
			}
			if n > 0 {
				skipped = true // another process applied it meanwhile
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("apply %s: %w", m.name, err)
			}
			_, err := tx.ExecContext(ctx, db.q(`INSERT INTO gas_schema_version (version, name, applied_at) VALUES (?, ?, ?)`),
				m.version, m.name, micro(db.now()))
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("sqldb: migrate: %w", err)
		}
		if skipped {
			continue
		}
		db.logger.Info("applied migration", "db", db.display, "migration", m.name)
		applied = append(applied, m.version)
	}
	if err := db.migrateRiver(ctx); err != nil {
		return applied, fmt.Errorf("sqldb: migrate: %w", err)
	}
	if err := db.addJobStates(ctx); err != nil {
		return applied, fmt.Errorf("sqldb: migrate: %w", err)
	}
	return applied, nil
}

// migrationTx runs fn in the transaction of migration m. A migration that
// rebuilds a table on SQLite (which cannot alter a table's constraints)
// runs with foreign keys off on its connection, as SQLite's procedure for
// it requires: dropping the old table must not cascade to the rows that
// refer to it. The pragma has no effect inside a transaction, so it is
// set on the connection around it; the keys are checked before commit.
func (db *DB) migrationTx(ctx context.Context, m migration, fn func(tx *sql.Tx) error) error {
	if !m.rebuild || db.d.keysOff == "" {
		return db.inTx(ctx, fn)
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connection: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, db.d.keysOff); err != nil {
		return fmt.Errorf("foreign keys off: %w", err)
	}
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), db.d.keysOn); err != nil {
			// Never hand the pool a connection without its foreign keys.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	var bad int
	rows, err := tx.QueryContext(ctx, db.d.keysCheck)
	if err == nil {
		for rows.Next() {
			bad++
		}
		rows.Close()
		err = rows.Err()
	}
	if err != nil || bad > 0 {
		_ = tx.Rollback()
		return fmt.Errorf("%s leaves %d rows with a broken reference (%v)", m.name, bad, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// addJobStates adds the states of gas.JobStates() that the job_states
// table lacks; jobs.state refers to it, so a state added in the domain
// needs no migration of its own. States are never removed: old rows may
// still be in one.
func (db *DB) addJobStates(ctx context.Context) error {
	for _, s := range gas.JobStates() {
		_, err := db.sql.ExecContext(ctx, db.q(`INSERT INTO job_states (name) VALUES (?) ON CONFLICT (name) DO NOTHING`), string(s))
		if err != nil {
			return fmt.Errorf("add job state %s: %w", s, err)
		}
	}
	return nil
}

// missingJobStates returns the states of gas.JobStates() that the
// database does not know yet (gas migrate adds them).
func (db *DB) missingJobStates(ctx context.Context) ([]gas.JobState, error) {
	known := map[gas.JobState]bool{}
	rows, err := db.sql.QueryContext(ctx, `SELECT name FROM job_states`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		known[gas.JobState(s)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var missing []gas.JobState
	for _, s := range gas.JobStates() {
		if !known[s] {
			missing = append(missing, s)
		}
	}
	return missing, nil
}

// migrateRiver creates or updates the queue tables with River's own migrator,
// so they always match the River version compiled in.
func (db *DB) migrateRiver(ctx context.Context) error {
	m, err := rivermigrate.New(db.RiverDriver(), &rivermigrate.Config{Logger: db.logger})
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	for _, v := range res.Versions {
		db.logger.Debug("applied river migration", "db", db.display, "version", v.Version)
	}
	return nil
}
