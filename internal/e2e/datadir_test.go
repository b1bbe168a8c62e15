package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
)

// The data dir layout these checks read (internal/cli/serve.go and
// internal/blob/fsblob.go): blobs/user/<uid>/<jobid>/<file>, with
// unfinished writes as hidden .tmp-* files; gas.db is the SQLite database.

// blobFiles walks the blob store's user tree and returns, per job ID, the
// names of its objects; temporary files of unfinished writes are returned
// apart (they must not survive a restart).
func blobFiles(t *testing.T, dir string) (perJob map[string][]string, temps []string) {
	t.Helper()
	root := filepath.Join(dir, "blobs", "user")
	perJob = map[string][]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if strings.HasPrefix(d.Name(), ".tmp-") {
			temps = append(temps, rel)
			return nil
		}
		if len(parts) != 3 {
			t.Errorf("unexpected object %s outside user/<uid>/<jobid>/", rel)
			return nil
		}
		perJob[parts[1]] = append(perJob[parts[1]], parts[2])
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return perJob, temps
}

// countResults returns how many result.vcf.gz objects each job has.
func countResults(files map[string][]string) map[string]int {
	n := map[string]int{}
	for id, names := range files {
		for _, name := range names {
			if name == "result.vcf.gz" {
				n[id]++
			}
		}
	}
	return n
}

// fileSHA256 is the hex SHA-256 of a file.
func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// databases maps a data dir to the PostgreSQL URL its servers use; a dir
// not in it keeps its SQLite database in gas.db.
var databases sync.Map

// openData opens the database of a stopped (or killed) server, to check
// what it recorded with the real store rather than through the site.
func openData(t *testing.T, dir string) *sqldb.DB {
	t.Helper()
	u, ok := databases.Load(dir)
	if !ok {
		return sqldbtest.OpenDataDir(t, dir)
	}
	db, err := sqldb.OpenPostgres(context.Background(), u.(string), sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// userJobs returns every job of the account with this email.
func userJobs(t *testing.T, db *sqldb.DB, email string) []*gas.Job {
	t.Helper()
	ctx := context.Background()
	u, err := db.UserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	// Listing needs no queue; the store is only read here.
	store := db.JobStore(nil)
	var all []*gas.Job
	for {
		page, total, err := store.ListJobs(ctx, u.ID, gas.Page{Offset: len(all), Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) == 0 || len(all) >= total {
			return all
		}
	}
}

// riverStates counts the River jobs of one kind by state.
func riverStates(t *testing.T, db *sqldb.DB, kind string) map[string]int {
	t.Helper()
	q := `SELECT state, COUNT(*) FROM river_job WHERE kind = ? GROUP BY state`
	if db.Dialect() == "postgres" {
		q = strings.Replace(q, "?", "$1", 1)
	}
	rows, err := db.SQL().Query(q, kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		out[s] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// outboxFiles counts the .eml files of <data>/outbox per job ID; files are
// named <notificationID>-<jobID>.eml (job IDs are UUIDs, which contain
// dashes, so the job ID is everything after the first dash).
func outboxFiles(t *testing.T, dir string) map[string]int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "outbox"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".eml")
		if !ok || e.IsDir() {
			continue
		}
		_, job, ok := strings.Cut(name, "-")
		if !ok {
			t.Errorf("outbox file %s is not named <notificationID>-<jobID>.eml", e.Name())
			continue
		}
		n[job]++
	}
	return n
}

// archivePath is where the local cold store keeps an object
// (internal/archive/local.go: <DataDir>/archive/<key>, zstd-compressed).
func archivePath(dir, key string) string {
	return filepath.Join(dir, "archive", filepath.FromSlash(key))
}

// hotPath is where the blob store keeps an object.
func hotPath(dir, key string) string { return filepath.Join(dir, "blobs", filepath.FromSlash(key)) }

func exists(t *testing.T, p string) bool {
	t.Helper()
	_, err := os.Stat(p)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return err == nil
}
