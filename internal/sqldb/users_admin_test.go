package sqldb

import (
	"context"
	"testing"
	"time"

	"github.com/gas-project/gas"
)

func TestUsersAdminSQLite(t *testing.T) {
	t.Parallel()
	runUsersAdminSuite(t, openSQLiteForTest)
}

func TestUsersAdminPostgres(t *testing.T) {
	t.Parallel()
	runUsersAdminSuite(t, openPostgresForTest)
}

// runUsersAdminSuite covers what the profile and admin pages need from the
// store: password change, account deletion with everything that hangs off
// the account, and the listings of all users and jobs.
func runUsersAdminSuite(t *testing.T, open opener) {
	ctx := context.Background()
	f := setup(t, open)
	db := f.db
	a, b := &gas.User{Email: "a@example.org", PasswordHash: "old"}, &gas.User{Email: "b@example.org"}
	for _, u := range []*gas.User{a, b} {
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("set password", func(t *testing.T) {
		if err := db.SetPassword(ctx, a.ID, "new-hash", ""); err != nil {
			t.Fatal(err)
		}
		if u, err := db.UserByID(ctx, a.ID); err != nil || u.PasswordHash != "new-hash" {
			t.Fatalf("after SetPassword: %+v, %v", u, err)
		}
		if u, _ := db.UserByID(ctx, b.ID); u.PasswordHash != "" {
			t.Fatalf("another user's hash changed: %q", u.PasswordHash)
		}
		if err := db.SetPassword(ctx, 9999, "x", ""); gas.ErrorCode(err) != gas.ENOTFOUND {
			t.Fatalf("missing user: %v, want not found", err)
		}
		if err := db.SetPassword(ctx, a.ID, "", ""); err == nil {
			t.Fatal("an empty hash was accepted")
		}
	})

	// Jobs: two for a, one for b, created a minute apart.
	var jobIDs []string
	for _, owner := range []int64{a.ID, a.ID, b.ID} {
		j := &gas.Job{UserID: owner, InputName: "in.vcf", InputKey: "k", Bundle: "demo"}
		if err := f.jobs.CreateJob(ctx, j); err != nil {
			t.Fatal(err)
		}
		jobIDs = append(jobIDs, j.ID)
		f.clock.Add(time.Minute)
	}

	t.Run("listings", func(t *testing.T) {
		users, total, err := db.ListUsers(ctx, gas.Page{Limit: 1})
		if err != nil || total != 2 || len(users) != 1 || users[0].ID != a.ID {
			t.Fatalf("ListUsers page 1 = %v, %d, %v", users, total, err)
		}
		users, _, err = db.ListUsers(ctx, gas.Page{Offset: 1, Limit: 1})
		if err != nil || len(users) != 1 || users[0].ID != b.ID {
			t.Fatalf("ListUsers page 2 = %v, %v", users, err)
		}
		counts, err := db.CountJobsByUser(ctx, []int64{a.ID, b.ID, 9999})
		if err != nil || counts[a.ID] != 2 || counts[b.ID] != 1 || len(counts) != 2 {
			t.Fatalf("CountJobsByUser = %v, %v", counts, err)
		}
		if counts, err := db.CountJobsByUser(ctx, nil); err != nil || len(counts) != 0 {
			t.Fatalf("CountJobsByUser(nil) = %v, %v", counts, err)
		}
		jobs, total, err := db.RecentJobs(ctx, gas.JobFilter{}, gas.Page{Limit: 2})
		if err != nil || total != 3 || len(jobs) != 2 || jobs[0].ID != jobIDs[2] || jobs[1].ID != jobIDs[1] {
			t.Fatalf("RecentJobs = %v, %d, %v (created %v)", jobs, total, err, jobIDs)
		}
	})

	t.Run("delete user", func(t *testing.T) {
		tok, err := db.CreateSession(ctx, a.ID, f.clock.Now().Add(time.Hour), gas.SessionClient{})
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := db.CreateToken(ctx, a.ID, "ci", []string{gas.ScopeJobsRead}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.LinkIdentity(ctx, a.ID, gas.Identity{Issuer: "https://idp.example", Subject: "a", Email: a.Email}); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteUser(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UserByID(ctx, a.ID); gas.ErrorCode(err) != gas.ENOTFOUND {
			t.Fatalf("deleted user still found: %v", err)
		}
		if _, err := db.SessionUser(ctx, tok); gas.ErrorCode(err) != gas.EUNAUTH {
			t.Fatalf("session of a deleted user: %v", err)
		}
		if _, _, err := db.TokenUser(ctx, secret); gas.ErrorCode(err) != gas.EUNAUTH {
			t.Fatalf("token of a deleted user: %v", err)
		}
		for _, table := range []string{"jobs", "identities", "api_tokens", "sessions"} {
			var n int
			if err := db.SQL().QueryRow(db.q(`SELECT COUNT(*) FROM `+table+` WHERE user_id = ?`), a.ID).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s rows left for the deleted user: %d, %v", table, n, err)
			}
		}
		var events int
		if err := db.SQL().QueryRow(db.q(`SELECT COUNT(*) FROM job_events WHERE job_id IN (?, ?)`), jobIDs[0], jobIDs[1]).Scan(&events); err != nil || events != 0 {
			t.Errorf("job events left: %d, %v", events, err)
		}
		// b and b's job are untouched.
		if _, err := f.jobs.UserJob(ctx, b.ID, jobIDs[2]); err != nil {
			t.Fatalf("the other user's job: %v", err)
		}
		if err := db.DeleteUser(ctx, a.ID); gas.ErrorCode(err) != gas.ENOTFOUND {
			t.Fatalf("deleting twice: %v, want not found", err)
		}
	})
}
