package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gas-project/gas/internal/sharedtest"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
)

// roleProc is one `gas web` or `gas worker` process on a shared data dir.
type roleProc struct {
	cmd  *exec.Cmd
	log  string // its stderr
	done chan struct{}
}

// startRole runs `gas ROLE` on dir with its stderr in logPath and returns
// once it printed its ready line (which for web carries the site's URL).
func startRole(t *testing.T, dir, role, logPath string, env map[string]string) (*roleProc, string) {
	t.Helper()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gasBinary(t), role)
	cmd.Env = serverEnv(dir, env)
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logf.Close()
	p := &roleProc{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
			t.Logf("gas %s stderr (tail of %s):\n%s", role, filepath.Base(logPath), strings.Join(lines[max(0, len(lines)-40):], "\n"))
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if u, ok := strings.CutPrefix(line, "GAS is running at "); ok {
				ready <- strings.TrimSpace(u)
			} else if strings.HasPrefix(line, "GAS worker is running") {
				ready <- ""
			}
		}
		io.Copy(io.Discard, stdout)
		close(ready)
	}()
	select {
	case u, ok := <-ready:
		if !ok {
			t.Fatalf("gas %s exited before it was ready", role)
		}
		return p, u
	case <-time.After(90 * time.Second):
		t.Fatalf("gas %s not ready within 90s", role)
	}
	return nil, ""
}

// TestShardsAcrossWorkerProcesses is issue 8's sharding on real processes:
// `gas web` and three `gas worker` on one data dir with a small shard size.
// A 200,000-record upload is split into pieces that several worker
// processes annotate, and the merged result is the same VCF as one
// `gas annotate` of the file.
func TestShardsAcrossWorkerProcesses(t *testing.T) {
	t.Parallel()
	shardsAcrossWorkers(t, nil)
}

// TestShardsAcrossWorkerProcessesPostgres is the same on PostgreSQL, where
// the pieces finishing at once in different processes meet on row locks.
func TestShardsAcrossWorkerProcessesPostgres(t *testing.T) {
	t.Parallel()
	shardsAcrossWorkers(t, map[string]string{"GAS_DATABASE_URL": sqldbtest.PostgresURL(t)})
}

func shardsAcrossWorkers(t *testing.T, dbEnv map[string]string) {
	bin := gasBinary(t)
	base := t.TempDir()
	dir := filepath.Join(base, "data")
	if u := dbEnv["GAS_DATABASE_URL"]; u != "" {
		databases.Store(dir, u) // openData reads the same database
	}
	migrate := exec.Command(bin, "migrate")
	migrate.Env = serverEnv(dir, dbEnv)
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("gas migrate: %v\n%s", err, out)
	}

	const records, perShard = 200_000, 40_000
	workerEnv := map[string]string{
		"GAS_WORKERS":       "1", // one piece at a time per process, so the pieces spread over processes
		"GAS_SHARD_RECORDS": "40000",
		"GAS_QUEUES":        "annotate,lifecycle,notify",
	}
	webEnv := map[string]string{"GAS_FREE_UPLOAD_LIMIT": "100MB"}
	maps.Copy(workerEnv, dbEnv)
	maps.Copy(webEnv, dbEnv)
	// The first worker installs the demo bundle; the others start on it.
	var workers []*roleProc
	for i := range 3 {
		w, _ := startRole(t, dir, "worker", filepath.Join(base, "worker"+string(rune('1'+i))+".log"), workerEnv)
		workers = append(workers, w)
	}
	_, url := startRole(t, dir, "web", filepath.Join(base, "web.log"), webEnv)

	input := sharedtest.Gzip(t, chr21VCF(records, 8))
	c := signUp(t, url, "shards@example.org")
	id := c.mustUpload("big.vcf.gz", input)
	c.waitState([]string{id}, "COMPLETED", 5*time.Minute)

	db := openData(t, dir)
	j, err := db.JobStore(nil).Job(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if j.Records != records {
		t.Fatalf("job records %d, want %d", j.Records, records)
	}
	shards, err := db.Shards(nil).JobShards(context.Background(), id)
	if err != nil || len(shards) != records/perShard {
		t.Fatalf("%d shards (%v), want %d", len(shards), err, records/perShard)
	}

	// The same file through one `gas annotate` process.
	in := filepath.Join(base, "big.vcf.gz")
	if err := os.WriteFile(in, input, 0o600); err != nil {
		t.Fatal(err)
	}
	single := filepath.Join(base, "single.vcf.gz")
	runGas(t, dir, "annotate", "--bundle", filepath.Join(dir, "refdata", "demo"), in, "-o", single)
	want := gunzipFile(t, single)
	got := gunzipFile(t, hotPath(dir, j.ResultKey))
	if !bytes.Equal(got, want) {
		t.Fatalf("sharded result (%d bytes) differs from a single gas annotate (%d bytes)", len(got), len(want))
	}
	if bgzip, err := exec.LookPath("bgzip"); err == nil {
		if out, err := exec.Command(bgzip, "-t", hotPath(dir, j.ResultKey)).CombinedOutput(); err != nil {
			t.Fatalf("bgzip -t: %v\n%s", err, out)
		}
	}

	// More than one process annotated pieces: their logs and the shard rows say so.
	busy := 0
	for _, w := range workers {
		b, err := os.ReadFile(w.log)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("annotate shard: done")) {
			busy++
		}
	}
	names := map[string]bool{}
	for _, sh := range shards {
		names[sh.Worker] = true
	}
	if busy < 2 || len(names) < 2 {
		t.Fatalf("%d worker processes logged shard work, %d named in the shard rows; want several", busy, len(names))
	}
	t.Logf("%d shards annotated by %d of 3 worker processes", len(shards), busy)
}

func gunzipFile(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
