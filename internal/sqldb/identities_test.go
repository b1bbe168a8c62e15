package sqldb

import (
	"context"
	"testing"
	"time"

	"github.com/gas-project/gas"
)

func TestIdentitiesSQLite(t *testing.T) {
	t.Parallel()
	runIdentitySuite(t, openSQLiteForTest)
}

func TestIdentitiesPostgres(t *testing.T) {
	t.Parallel()
	runIdentitySuite(t, openPostgresForTest)
}

func runIdentitySuite(t *testing.T, open opener) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)}
	db := open(t, Options{Now: clk.Now})
	const iss = "https://auth.example.org"

	t.Run("first sign-in creates the account, the next finds it", func(t *testing.T) {
		id := gas.Identity{Issuer: iss, Subject: "sub-1", Email: "Ada@Example.org", EmailVerified: true, Name: "Ada", Institution: "Analytical Engines"}
		u, created, err := db.SignInIdentity(ctx, id)
		if err != nil || !created {
			t.Fatalf("first sign-in: created=%v err=%v", created, err)
		}
		if !u.Admin || u.Plan != gas.PlanFree || u.Institution != "Analytical Engines" || u.PasswordHash != "" {
			t.Fatalf("new account = %+v; want the first account to be a Free admin without password", u)
		}
		again, created, err := db.SignInIdentity(ctx, id)
		if err != nil || created || again.ID != u.ID {
			t.Fatalf("second sign-in: user %v created=%v err=%v; want user %d", again, created, err, u.ID)
		}
		ids, err := db.UserIdentities(ctx, u.ID)
		if err != nil || len(ids) != 1 || ids[0].Subject != "sub-1" {
			t.Fatalf("identities = %+v, %v", ids, err)
		}
	})

	t.Run("a verified email links to the existing local account", func(t *testing.T) {
		local := &gas.User{Email: "grace@example.org", PasswordHash: "x"}
		if err := db.CreateUser(ctx, local); err != nil {
			t.Fatal(err)
		}
		u, created, err := db.SignInIdentity(ctx, gas.Identity{Issuer: iss, Subject: "sub-2", Email: "GRACE@example.org", EmailVerified: true})
		if err != nil || created || u.ID != local.ID {
			t.Fatalf("got user %v created=%v err=%v; want the local account %d linked", u, created, err, local.ID)
		}
		if n, _ := db.CountUsers(ctx); n != 2 {
			t.Fatalf("%d accounts; linking must not duplicate", n)
		}
	})

	t.Run("an unverified email never takes over an account", func(t *testing.T) {
		_, _, err := db.SignInIdentity(ctx, gas.Identity{Issuer: iss, Subject: "sub-3", Email: "grace@example.org", EmailVerified: false})
		if gas.ErrorCode(err) != gas.ECONFLICT {
			t.Fatalf("err = %v, want conflict", err)
		}
		var n int
		if err := db.SQL().QueryRow(db.q(`SELECT COUNT(*) FROM identities WHERE subject = ?`), "sub-3").Scan(&n); err != nil || n != 0 {
			t.Fatalf("identity rows = %d (%v), want none", n, err)
		}
	})

	t.Run("no email is a clear error", func(t *testing.T) {
		if _, _, err := db.SignInIdentity(ctx, gas.Identity{Issuer: iss, Subject: "sub-4"}); gas.ErrorCode(err) != gas.EINVALID {
			t.Fatalf("err = %v, want invalid", err)
		}
	})

	t.Run("linking from the profile", func(t *testing.T) {
		u, _ := db.UserByEmail(ctx, "ada@example.org")
		other := gas.Identity{Issuer: "https://other.example", Subject: "o-1", Email: "ada@elsewhere.org"}
		if err := db.LinkIdentity(ctx, u.ID, other); err != nil {
			t.Fatal(err)
		}
		if err := db.LinkIdentity(ctx, u.ID, other); err != nil {
			t.Fatalf("linking twice to the same account: %v", err)
		}
		g, _ := db.UserByEmail(ctx, "grace@example.org")
		if err := db.LinkIdentity(ctx, g.ID, other); gas.ErrorCode(err) != gas.ECONFLICT {
			t.Fatalf("linking another's identity: %v, want conflict", err)
		}
	})

	t.Run("a login flow is used once and expires", func(t *testing.T) {
		f := gas.LoginFlow{Nonce: "n", Verifier: "v", Next: "/jobs", Expires: clk.Now().Add(10 * time.Minute)}
		if err := db.SaveLoginFlow(ctx, "state-1", f); err != nil {
			t.Fatal(err)
		}
		got, err := db.TakeLoginFlow(ctx, "state-1")
		if err != nil || got.Nonce != "n" || got.Verifier != "v" || got.Next != "/jobs" {
			t.Fatalf("take = %+v, %v", got, err)
		}
		if _, err := db.TakeLoginFlow(ctx, "state-1"); gas.ErrorCode(err) != gas.EUNAUTH {
			t.Fatalf("second take: %v, want unauthorized", err)
		}
		if _, err := db.TakeLoginFlow(ctx, "forged"); gas.ErrorCode(err) != gas.EUNAUTH {
			t.Fatalf("unknown state: %v, want unauthorized", err)
		}
		if err := db.SaveLoginFlow(ctx, "state-2", f); err != nil {
			t.Fatal(err)
		}
		clk.Add(11 * time.Minute)
		if _, err := db.TakeLoginFlow(ctx, "state-2"); gas.ErrorCode(err) != gas.EUNAUTH {
			t.Fatalf("expired flow: %v, want unauthorized", err)
		}
	})
}
