package cli

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/config"
	"github.com/gas-project/gas/internal/sqldb"
)

// adminDB opens and checks the database for an admin command.
func adminDB(ctx context.Context, e *env, cfg config.Config) (*sqldb.DB, error) {
	db, err := openDB(ctx, cfg, newLogger(cfg, e.stderr))
	if err != nil {
		return nil, err
	}
	if err := db.CheckSchema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// adminArgs parses an admin command's flags and checks it got n
// arguments; wrong explains them otherwise.
func adminArgs(e *env, fs *flag.FlagSet, args []string, n int, wrong string) (config.Config, error) {
	cfg, err := loadConfig(e, fs, args)
	if err != nil {
		return cfg, err
	}
	if fs.NArg() != n {
		return cfg, usagef("%s", wrong)
	}
	return cfg, nil
}

// withDB runs fn on the checked database (adminDB) and closes it.
func withDB(ctx context.Context, e *env, cfg config.Config, fn func(db *sqldb.DB) error) error {
	db, err := adminDB(ctx, e, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

// withServices runs fn on the services (adminServices) and closes the
// database.
func withServices(ctx context.Context, e *env, cfg config.Config, fn func(svc *services) error) error {
	svc, err := adminServices(ctx, e, cfg)
	if err != nil {
		return err
	}
	defer svc.db.Close()
	return fn(svc)
}

// adminServices opens the database for an admin command that changes
// jobs, plans or deliveries, with the stores and hooks wired as in every
// process (buildServices): a change made here queues the same follow-up
// work as the site's, which the running workers carry out. Close the
// database when done.
func adminServices(ctx context.Context, e *env, cfg config.Config) (*services, error) {
	db, err := adminDB(ctx, e, cfg)
	if err != nil {
		return nil, err
	}
	// Links in emails name the site; an admin command sends none itself.
	svc, err := buildServices(cfg, db, newLogger(cfg, e.stderr), cmp.Or(cfg.BaseURL, "http://"+cfg.Addr))
	if err != nil {
		db.Close()
		return nil, err
	}
	return svc, nil
}

// adminListUsers prints accounts with their plan, jobs and storage.
func adminListUsers(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "admin users list", "", "List accounts, oldest first, with their jobs and the storage they use.")
	limit := fs.Int("limit", 100, "accounts to show")
	cfg, err := adminArgs(e, fs, args, 0, "admin users list takes no arguments")
	if err != nil {
		return err
	}
	return withDB(ctx, e, cfg, func(db *sqldb.DB) error {
		users, total, err := db.ListUsers(ctx, gas.Page{Limit: *limit})
		if err != nil {
			return err
		}
		ids := make([]int64, len(users))
		for i, u := range users {
			ids[i] = u.ID
		}
		counts, err := db.CountJobsByUser(ctx, ids)
		if err != nil {
			return err
		}
		storage, err := db.StorageByUser(ctx, ids)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tPLAN\tADMIN\tJOBS\tSTORAGE\tCREATED")
		for _, u := range users {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%v\t%d\t%d\t%s\n", u.ID, u.Email, u.Plan, u.Admin, counts[u.ID], storage[u.ID],
				u.CreatedAt.UTC().Format("2006-01-02 15:04"))
		}
		tw.Flush()
		fmt.Fprintf(e.stdout, "%d of %d accounts\n", len(users), total)
		return nil
	})
}

// adminListJobs prints jobs of all users, newest first, optionally by state
// and owner.
func adminListJobs(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "admin jobs", "", "List jobs of all users, newest first.")
	state := fs.String("state", "", "only jobs in this state ("+joinStates(gas.JobStates())+")")
	owner := fs.String("owner", "", "only jobs of this account (email)")
	limit := fs.Int("limit", 50, "jobs to show")
	cfg, err := adminArgs(e, fs, args, 0, "admin jobs takes no arguments but its flags (did you mean 'jobs retry ID'?)")
	if err != nil {
		return err
	}
	return withDB(ctx, e, cfg, func(db *sqldb.DB) error {
		f := gas.JobFilter{State: gas.JobState(strings.ToUpper(*state))}
		if *owner != "" {
			u, err := db.UserByEmail(ctx, *owner)
			if err != nil {
				return userFacing(err)
			}
			f.UserID = u.ID
		}
		list, total, err := db.RecentJobs(ctx, f, gas.Page{Limit: *limit})
		if err != nil {
			return userFacing(err)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tUSER\tINPUT\tRECORDS\tCREATED\tREASON")
		for _, j := range list {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\t%s\n", j.ID, j.State, j.UserID, j.InputName, j.Records,
				j.CreatedAt.UTC().Format("2006-01-02 15:04"), oneLine(j.FailReason))
		}
		tw.Flush()
		fmt.Fprintf(e.stdout, "%d of %d jobs\n", len(list), total)
		return nil
	})
}

// adminRetryJob queues a FAILED job again; the running workers take it.
func adminRetryJob(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "admin jobs retry", "ID", "Queue a FAILED job again (after fixing what made it fail).")
	cfg, err := adminArgs(e, fs, args, 1, "expected one job ID (see 'gas admin jobs --state FAILED')")
	if err != nil {
		return err
	}
	return withServices(ctx, e, cfg, func(svc *services) error {
		if _, err := svc.store.RetryJob(ctx, fs.Arg(0), "admin"); err != nil {
			return userFacing(err)
		}
		fmt.Fprintf(e.stdout, "job %s queued again; a running worker will annotate it\n", fs.Arg(0))
		return nil
	})
}

// joinStates lists states for people: "PENDING, RUNNING, …".
func joinStates(states []gas.JobState) string {
	names := make([]string, len(states))
	for i, s := range states {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}
