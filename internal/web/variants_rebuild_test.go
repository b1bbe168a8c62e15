package web

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/sharedtest"
	"github.com/gas-project/gas/internal/sqldb"
)

// TestVariantBrowserAsksForBuilds: a completed job still without an index
// after the grace period gets a build queued (once, however often the page
// is opened); an index of an old format is forgotten and rebuilt.
func TestVariantBrowserAsksForBuilds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var ins *jobs.Inserter
	f := setupDeps(t, nil, nil, func(db *sqldb.DB, d *Deps) {
		var err error
		if ins, err = jobs.NewInserter(db.RiverDriver(), nil); err != nil {
			t.Fatal(err)
		}
		d.Reindex = func(ctx context.Context, id string) error { return jobs.QueueIndex(ctx, ins.Client(), id) }
	})
	queued := func(id string) int {
		var n int
		if err := f.db.SQL().QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'variant_index' AND CAST(args AS TEXT) LIKE ?`, "%"+id+"%").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	c := f.client()
	c.signup("rebuild@example.org", "rebuild password")
	id := jobIDFrom(t, c.upload("in.vcf", []byte(miniVCF), "all"))
	f.complete(id, sharedtest.Gzip(t, []byte(miniVCF)), []byte("log\n"), &annotate.Summary{Records: 2})

	c.get("/jobs/" + id + "/variants")
	if n := queued(id); n != 0 {
		t.Fatalf("a build was asked for right after completion (%d)", n)
	}
	f.clock.Add(indexGrace + time.Minute)
	for range 3 {
		if find(c.get("/jobs/"+id+"/variants").doc(t), "#variants-waiting") == nil {
			t.Fatal("no waiting notice")
		}
	}
	if n := queued(id); n != 1 {
		t.Fatalf("%d builds queued after three views, want 1", n)
	}

	// An index of an old format: the same file with another schema tag.
	f.buildIndex(id)
	j, _ := f.jobs.Job(ctx, id)
	key := j.Key(gas.FileIndex)
	rc, err := f.blobs.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(t.TempDir(), "old.sqlite")
	out, err := os.Create(old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := out.ReadFrom(rc); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	out.Close()
	sdb, err := sql.Open("sqlite", old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sdb.Exec(`UPDATE meta SET value = 'old' WHERE key = 'schema'`); err != nil {
		t.Fatal(err)
	}
	sdb.Close()
	in, err := os.Open(old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.blobs.Put(ctx, key, in); err != nil {
		t.Fatal(err)
	}
	in.Close()
	// The queued build above is still waiting (no runner here): settle it
	// so the rebuild can be queued.
	if _, err := f.db.SQL().Exec(`UPDATE river_job SET state = 'completed', finalized_at = CURRENT_TIMESTAMP WHERE kind = 'variant_index'`); err != nil {
		t.Fatal(err)
	}
	doc := c.get("/jobs/" + id + "/variants").doc(t)
	if w := text(find(doc, "#variants-waiting")); !strings.Contains(w, "rebuilt") {
		t.Fatalf("old-format index: page says %q", w)
	}
	if p, _ := f.db.JobProgress(ctx, id); p[id].IndexKey != "" {
		t.Fatal("the old index is still recorded")
	}
	if n := queued(id); n != 2 {
		t.Fatalf("%d builds queued in all, want 2 (the rebuild added)", n)
	}
}
