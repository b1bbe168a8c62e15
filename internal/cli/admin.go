package cli

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/auth"
	"github.com/gas-project/gas/internal/sqldb"
)

const adminUsage = `Usage:
  gas admin users list                   accounts with their plan, jobs and storage
  gas admin users create [flags] EMAIL   create an account
  gas admin users set-plan [flags] EMAIL free|premium
  gas admin jobs [--state S] [--owner EMAIL]  jobs of all users, newest first
  gas admin jobs retry ID                queue a FAILED job again
  gas admin notifications [--failed]     list email deliveries (failed ones with their last error)
  gas admin notifications retry ID       queue a FAILED delivery again`

func runAdmin(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "jobs" {
		if len(args) > 1 && args[1] == "retry" {
			return adminRetryJob(ctx, e, args[2:])
		}
		return adminListJobs(ctx, e, args[1:])
	}
	if len(args) > 0 && args[0] == "notifications" {
		if len(args) > 1 && args[1] == "retry" {
			return adminRetryNotification(ctx, e, args[2:])
		}
		return adminListNotifications(ctx, e, args[1:])
	}
	if len(args) < 2 || args[0] != "users" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(e.stdout, adminUsage)
			return nil
		}
		return usagef("expected 'users create' or 'users set-plan'\n%s", adminUsage)
	}
	switch args[1] {
	case "list":
		return adminListUsers(ctx, e, args[2:])
	case "create":
		return adminCreateUser(ctx, e, args[2:])
	case "set-plan":
		return adminSetPlan(ctx, e, args[2:])
	default:
		return usagef("unknown admin command %q\n%s", "users "+args[1], adminUsage)
	}
}

func adminCreateUser(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "admin users create", "EMAIL", "Create an account. Without --password-file a random password is generated and printed once.")
	name := fs.String("name", "", "display name")
	admin := fs.Bool("admin", false, "give the account the admin role")
	plan := fs.String("plan", "free", "plan: free or premium")
	pwFile := fs.String("password-file", "", "read the password from the first line of this file")
	cfg, err := adminArgs(e, fs, args, 1, "expected exactly one EMAIL argument")
	if err != nil {
		return err
	}
	if *plan != string(gas.PlanFree) && *plan != string(gas.PlanPremium) {
		return usagef("--plan must be free or premium, got %q", *plan)
	}
	password, generated := "", false
	if *pwFile != "" {
		b, err := os.ReadFile(*pwFile)
		if err != nil {
			return fmt.Errorf("read password file: %w", err)
		}
		password, _, _ = strings.Cut(string(b), "\n")
		password = strings.TrimRight(password, "\r")
		if len(password) < 8 {
			return fmt.Errorf("the password in %s is shorter than 8 characters", *pwFile)
		}
	} else {
		password, generated = rand.Text(), true
	}
	hash, err := auth.HashPassword(password, auth.DefaultParams)
	if err != nil {
		return err
	}
	return withDB(ctx, e, cfg, func(db *sqldb.DB) error {
		u := &gas.User{Email: fs.Arg(0), Name: *name, PasswordHash: hash, Plan: gas.Plan(*plan), Admin: *admin}
		if err := db.CreateUser(ctx, u); err != nil {
			return userFacing(err)
		}
		role := "user"
		if u.Admin {
			role = "admin"
		}
		fmt.Fprintf(e.stdout, "created %s %s (id %d, plan %s)\n", role, u.Email, u.ID, u.Plan)
		if generated {
			fmt.Fprintf(e.stdout, "password: %s\n", password)
		}
		return nil
	})
}

func adminSetPlan(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "admin users set-plan", "EMAIL free|premium", "Change the plan of an account.")
	cfg, err := adminArgs(e, fs, args, 2, "expected EMAIL and a plan (free or premium)")
	if err != nil {
		return err
	}
	plan := gas.Plan(fs.Arg(1))
	if plan != gas.PlanFree && plan != gas.PlanPremium {
		return usagef("plan must be free or premium, got %q", fs.Arg(1))
	}
	// The same hooks as the site's: upgrading here queues the restore of
	// the user's archived results, which the running workers carry out.
	return withServices(ctx, e, cfg, func(svc *services) error {
		u, err := svc.db.UserByEmail(ctx, fs.Arg(0))
		if err != nil {
			return userFacing(err)
		}
		was := u.Plan
		if err := svc.db.SetPlan(ctx, u.ID, plan); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s is now on the %s plan\n", u.Email, plan)
		if was != gas.PlanPremium && plan == gas.PlanPremium {
			fmt.Fprintln(e.stdout, "archived results of this account will be restored by the running workers")
		}
		return nil
	})
}

// userFacing returns the user message of a coded error (a taken email, an
// unknown account) without the internals, and other errors unchanged.
func userFacing(err error) error {
	if code := gas.ErrorCode(err); code != gas.EINTERNAL && code != "" {
		return fmt.Errorf("%s", gas.ErrorMessage(err))
	}
	return err
}

// adminListNotifications prints the outbox, newest first: what was mailed,
// what is still being retried and what gave up (with the last error).
func adminListNotifications(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "admin notifications", "", "List email notifications, newest first.")
	failed := fs.Bool("failed", false, "only deliveries that gave up (state FAILED), which need a look")
	limit := fs.Int("limit", 100, "list at most this many (1-200)")
	cfg, err := loadConfig(e, fs, args)
	if err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("unexpected arguments: %s (did you mean 'notifications retry ID'?)", strings.Join(fs.Args(), " "))
	}
	if *limit < 1 || *limit > 200 {
		return usagef("--limit must be between 1 and 200, got %d", *limit)
	}
	return withDB(ctx, e, cfg, func(db *sqldb.DB) error {
		list, what := db.AllNotifications, "notifications"
		if *failed {
			list, what = db.FailedNotifications, "failed notifications"
		}
		ns, total, err := list(ctx, gas.Page{Limit: *limit})
		if err != nil {
			return err
		}
		if total == 0 {
			fmt.Fprintf(e.stdout, "no %s\n", what)
			return nil
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tATTEMPTS\tCREATED\tSENT\tTO\tKIND\tJOB\tLAST ERROR")
		for _, n := range ns {
			sent := "-"
			if !n.SentAt.IsZero() {
				sent = n.SentAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", n.ID, n.State, n.Attempts,
				n.CreatedAt.UTC().Format(time.RFC3339), sent, n.To, n.Kind, orDash(n.JobID), orDash(oneLine(n.LastError)))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if total > len(ns) {
			fmt.Fprintf(e.stdout, "(%d of %d %s shown; use --limit)\n", len(ns), total, what)
		}
		return nil
	})
}

// adminRetryNotification moves a FAILED delivery back to PENDING and queues
// it in the same transaction; the running workers (gas serve or gas worker)
// send it.
func adminRetryNotification(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "admin notifications retry", "ID", "Queue a failed email notification again (its attempts start over).")
	cfg, err := adminArgs(e, fs, args, 1, "expected exactly one notification ID (see 'gas admin notifications --failed')")
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id < 1 {
		return usagef("the notification ID must be a positive whole number, got %q", fs.Arg(0))
	}
	return withServices(ctx, e, cfg, func(svc *services) error {
		if err := svc.notify.Retry(ctx, id); err != nil {
			return userFacing(err)
		}
		fmt.Fprintf(e.stdout, "notification %d queued again; a running worker will send it\n", id)
		return nil
	})
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps a multi-line SMTP answer on its table row.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
