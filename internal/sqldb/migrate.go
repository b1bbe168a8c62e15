package sqldb

import (
	"context"
	"database/sql"
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
}

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
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
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
	return nil
}

// Migrate applies the GAS migrations not yet applied, each in its own
// transaction, then River's migrations. It refuses a database whose schema
// is newer than this binary. It returns the GAS versions it applied.
func (db *DB) Migrate(ctx context.Context) ([]int, error) {
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
		skipped := false
		err := db.inTx(ctx, func(tx *sql.Tx) error {
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
	return applied, nil
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
