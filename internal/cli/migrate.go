package cli

import (
	"context"
	"fmt"
	"strings"
)

func runMigrate(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "migrate", "", "Create or update the database schema (GAS tables and River's queue tables).\n"+
		"Refuses a database whose schema is newer than this binary.")
	cfg, err := loadConfig(e, fs, args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	logger := newLogger(cfg, e.stderr)
	db, err := openDB(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	cur, _, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(e.stdout, "database %s is up to date (schema version %d)\n", db, cur)
		return nil
	}
	fmt.Fprintf(e.stdout, "database %s migrated to schema version %d (applied %d migrations)\n", db, cur, len(applied))
	return nil
}
