// Package sqldbtest gives tests of any package a fresh, migrated GAS
// database: SQLite in a temp dir, or a new PostgreSQL database on the server
// named by GAS_TEST_POSTGRES_URL (skipped with a clear message when unset or
// unreachable), dropped when the test ends. Only tests import it.
package sqldbtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gas-project/gas/internal/sqldb"
)

// EnvPostgresURL names the environment variable with the PostgreSQL server
// for tests, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvPostgresURL = "GAS_TEST_POSTGRES_URL"

var seq atomic.Int64

// SQLite opens a migrated SQLite database in t's temp dir.
func SQLite(t testing.TB, opt sqldb.Options) *sqldb.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.OpenSQLite(ctx, filepath.Join(t.TempDir(), "gas.db"), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// OpenDataDir opens the SQLite database of a GAS data directory (its
// gas.db, as `gas serve` keeps it) without migrating it: a test reads what
// a server it started recorded, or prepares rows for it. It is closed when
// t ends.
func OpenDataDir(t testing.TB, dataDir string) *sqldb.DB {
	t.Helper()
	db, err := sqldb.OpenSQLite(context.Background(), filepath.Join(dataDir, "gas.db"), sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// PostgresURL creates an empty database for t on the test server and returns
// its URL; the database is dropped when t ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgresURL)
	if base == "" {
		t.Skipf("PostgreSQL test skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)", EnvPostgresURL)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgresURL, err)
	}
	admin, err := connect(base)
	if err != nil {
		// The named database may not exist on a fresh server; any database
		// will do for creating ours, so fall back to the maintenance one.
		fallback := *u
		fallback.Path = "/postgres"
		if admin, err = connect(fallback.String()); err != nil {
			t.Skipf("PostgreSQL test skipped: server of %s not reachable: %v", EnvPostgresURL, err)
		}
	}
	name := fmt.Sprintf("gas_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, seq.Add(1))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
		admin.Close()
	})
	u.Path = "/" + name
	return u.String()
}

func connect(dsn string) (*sql.DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Postgres opens a migrated database of its own on the test server.
func Postgres(t testing.TB, opt sqldb.Options) *sqldb.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.OpenPostgres(ctx, PostgresURL(t), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}
