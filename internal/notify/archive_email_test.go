package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/notify"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
)

// TestCompletionEmailArchiveTime: a Free user's completion email gives the
// time the archive takes the result (CompletedAt + the Free retention, as
// the lifecycle schedules it) and where to upgrade; a Premium user's does
// not, and nor does one sent without a retention configured. The job is
// named by its name.
func TestCompletionEmailArchiveTime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, sqldbtest.SQLite(t, sqldb.Options{}), notify.Config{FreeRetention: 7 * 24 * time.Hour})
	body := func(name string) (string, *gas.Job) {
		t.Helper()
		j := f.runningJob(t, name)
		done, err := complete(ctx, f, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		ns, _, err := f.db.ListNotifications(ctx, f.user.ID, gas.Page{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			if n.JobID == j.ID {
				return n.Subject + "\n" + n.Body, done
			}
		}
		t.Fatalf("no email for %s", name)
		return "", nil
	}
	free, j := body("free.vcf")
	want := "moves to the archive on " + j.CompletedAt.Add(7*24*time.Hour).UTC().Format("2006-01-02 15:04 UTC") + ", 7 days after it completed"
	if !strings.Contains(free, want) || !strings.Contains(free, "http://127.0.0.1:8080/subscribe") {
		t.Fatalf("Free email lacks %q:\n%s", want, free)
	}
	if err := f.db.SetPlan(ctx, f.user.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	if premium, _ := body("premium.vcf"); strings.Contains(premium, "archive") {
		t.Fatalf("a Premium user's email speaks of the archive:\n%s", premium)
	}

	g := newFixture(t, sqldbtest.SQLite(t, sqldb.Options{}), notify.Config{})
	j = g.runningJob(t, "x.vcf")
	if _, err := complete(ctx, g, j.ID); err != nil {
		t.Fatal(err)
	}
	ns, _, _ := g.db.ListNotifications(ctx, g.user.ID, gas.Page{})
	if len(ns) != 1 || strings.Contains(ns[0].Body, "archive") {
		t.Fatalf("no retention configured, yet: %+v", ns)
	}
}
