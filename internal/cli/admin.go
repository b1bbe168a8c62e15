package cli

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strings"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/auth"
)

const adminUsage = `Usage:
  gas admin users create [flags] EMAIL   create an account
  gas admin users set-plan [flags] EMAIL free|premium`

func runAdmin(ctx context.Context, e *env, args []string) error {
	if len(args) < 2 || args[0] != "users" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(e.stdout, adminUsage)
			return nil
		}
		return usagef("expected 'users create' or 'users set-plan'\n%s", adminUsage)
	}
	switch args[1] {
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
	cfg, err := loadConfig(e, fs, args)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("expected exactly one EMAIL argument")
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
	db, err := openDB(ctx, cfg, newLogger(cfg, e.stderr))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		return err
	}
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
}

func adminSetPlan(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "admin users set-plan", "EMAIL free|premium", "Change the plan of an account.")
	cfg, err := loadConfig(e, fs, args)
	if err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("expected EMAIL and a plan (free or premium)")
	}
	plan := gas.Plan(fs.Arg(1))
	if plan != gas.PlanFree && plan != gas.PlanPremium {
		return usagef("plan must be free or premium, got %q", fs.Arg(1))
	}
	db, err := openDB(ctx, cfg, newLogger(cfg, e.stderr))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		return err
	}
	u, err := db.UserByEmail(ctx, fs.Arg(0))
	if err != nil {
		return userFacing(err)
	}
	if err := db.SetPlan(ctx, u.ID, plan); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s is now on the %s plan\n", u.Email, plan)
	return nil
}

// userFacing returns the user message of a coded error (a taken email, an
// unknown account) without the internals, and other errors unchanged.
func userFacing(err error) error {
	if code := gas.ErrorCode(err); code != gas.EINTERNAL && code != "" {
		return fmt.Errorf("%s", gas.ErrorMessage(err))
	}
	return err
}
