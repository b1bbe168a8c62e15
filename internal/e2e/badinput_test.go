package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/blob"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/sharedtest"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
	"github.com/gas-project/gas/refdata"
)

// badInputMaxBytes is the decompressed-size limit of the worker under test
// (GAS_MAX_INPUT_SIZE): above the 10 MB line, so that case fails for its
// line, and far below the gzip bomb.
const badInputMaxBytes = 16 << 20

// badInput is one upload the worker must turn into a clear outcome.
type badInput struct {
	name    string
	file    string // the uploaded file name
	content []byte
	state   gas.JobState
	// words must all appear (case-insensitively) in the FAILED job's reason.
	words []string
}

// gzipBomb is a valid VCF whose one record repeats until it decompresses
// to 128 MiB (8x the worker's limit here, above the upload check's
// 100x-the-plan-limit at a 1 MB plan) while the file stays near 300 KB.
// Built once: compressing 128 MiB takes a moment.
var gzipBomb = sync.OnceValues(func() ([]byte, error) {
	var bomb bytes.Buffer
	zw, err := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	chunk := []byte(strings.Repeat("21\t25000100\t.\tA\tG\t.\t.\t.\n", 4096))
	if _, err := io.WriteString(zw, vcfHeader); err != nil {
		return nil, err
	}
	for written := 0; written < 8*badInputMaxBytes; written += len(chunk) {
		if _, err := zw.Write(chunk); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return bomb.Bytes(), nil
})

// vcfHeader is a minimal valid header for the demo bundle.
const vcfHeader = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"

// badInputs builds the cases of issue 4's bad-input list.
func badInputs(t *testing.T) []badInput {
	t.Helper()
	binary := make([]byte, 64<<10)
	for i := range binary {
		binary[i] = byte(i*7919 + i>>8) // deterministic bytes, NULs and high bytes included
	}
	full := sharedtest.Gzip(t, chr21VCF(5_000, 7))
	bomb, err := gzipBomb()
	if err != nil {
		t.Fatal(err)
	}
	longLine := vcfHeader + "21\t25000100\t.\tA\tG\t.\t.\t" + strings.Repeat("X", 10<<20) + "\n"
	wrongContigs := "##fileformat=VCFv4.2\n##contig=<ID=chrZZ,length=1000000>\n" +
		"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" +
		"chrZZ\t100\t.\tA\tG\t.\t.\t.\nchrZZ\t2000\t.\tC\tT\t.\t.\t.\nchrZZ\t30000\t.\tG\tGA\t.\t.\t.\n"

	return []badInput{
		{name: "binary file named .vcf", file: "photo.vcf", content: binary, state: gas.JobFailed,
			words: []string{"could not be annotated", "binary data", "not text"}},
		{name: "truncated gzip", file: "cut.vcf.gz", content: full[:len(full)/2], state: gas.JobFailed,
			words: []string{"could not be annotated", "truncated gzip", "cut short"}},
		{name: "gzip bomb", file: "bomb.vcf.gz", content: bomb, state: gas.JobFailed,
			words: []string{"could not be annotated", "larger than the limit", "after decompression"}},
		{name: "header-less file", file: "noheader.vcf", content: []byte("21\t25000100\t.\tA\tG\t.\t.\t.\n"), state: gas.JobFailed,
			words: []string{"could not be annotated", "not a VCF file", "##fileformat"}},
		{name: "one 10 MB line", file: "longline.vcf", content: []byte(longLine), state: gas.JobFailed,
			words: []string{"could not be annotated", "line 3", "longer than the limit"}},
		{name: "zero variants", file: "empty.vcf", content: []byte(vcfHeader), state: gas.JobCompleted},
		{name: "wrong reference contigs", file: "contigs.vcf", content: []byte(wrongContigs), state: gas.JobCompleted},
	}
}

// workerFixture is the real worker path in-process: SQLite store, River
// queue, file blob store and the demo bundle.
type workerFixture struct {
	db    *sqldb.DB
	store *sqldb.Jobs
	blobs *blob.FS
	user  *gas.User
}

func newWorkerFixture(t *testing.T) *workerFixture {
	t.Helper()
	ctx := context.Background()
	db := sqldbtest.SQLite(t, sqldb.Options{})
	ins, err := jobs.NewInserter(db.RiverDriver(), nil)
	if err != nil {
		t.Fatal(err)
	}
	store := db.JobStore(ins)
	dir := t.TempDir()
	blobs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	refDir := filepath.Join(dir, "refdata")
	if err := os.Mkdir(refDir, 0o750); err != nil {
		t.Fatal(err)
	}
	if _, err := refdata.BuildDemo(ctx, filepath.Join(refDir, refdata.DemoName), "e2e"); err != nil {
		t.Fatal(err)
	}
	bundles := jobs.NewBundleDir(refDir, refdata.Open)
	w, err := jobs.NewAnnotateWorker(store, blobs, bundles, jobs.AnnotateConfig{
		MaxInputBytes: badInputMaxBytes, EngineWorkers: 2, Version: "e2e",
	})
	if err != nil {
		t.Fatal(err)
	}
	runner, err := jobs.NewRunner(db.RiverDriver(), w, jobs.RunnerConfig{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := runner.Stop(sctx); err != nil {
			t.Error(err)
		}
		bundles.Close()
	})
	u := &gas.User{Email: "bad@example.org", Plan: gas.PlanFree}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	return &workerFixture{db: db, store: store, blobs: blobs, user: u}
}

// submit stores the input and creates the job (which queues it) as the
// upload handler does, without the handler's format check.
func (f *workerFixture) submit(t *testing.T, name string, content []byte) string {
	t.Helper()
	ctx := context.Background()
	id := fmt.Sprintf("bad-%d-%s", time.Now().UnixNano(), strings.NewReplacer(".", "-").Replace(name))
	key := fmt.Sprintf("user/%d/%s/%s", f.user.ID, id, name)
	info, err := f.blobs.Put(ctx, key, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	j := &gas.Job{ID: id, UserID: f.user.ID, InputName: name, InputKey: key, InputSize: info.Size,
		Bundle: refdata.DemoName, Options: `{"transcripts":"all"}`}
	if err := f.store.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	return id
}

// wait polls the store until every job is terminal and returns them.
func (f *workerFixture) wait(t *testing.T, ids []string, timeout time.Duration) map[string]*gas.Job {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(timeout)
	for {
		out := map[string]*gas.Job{}
		for _, id := range ids {
			j, err := f.store.Job(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if j.State.Terminal() {
				out[id] = j
			}
		}
		if len(out) == len(ids) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs still not finished after %s", len(ids)-len(out), len(ids), timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (f *workerFixture) read(t *testing.T, key string) []byte {
	t.Helper()
	rc, err := f.blobs.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBadInputFailsWithReason runs every bad input of issue 4 through the
// real store, queue and worker, interleaved with good jobs: each bad file
// FAILS once with a reason a user can read (or, for zero variants and
// unknown contigs, COMPLETES as documented), and the good jobs complete.
func TestBadInputFailsWithReason(t *testing.T) {
	t.Parallel()
	f := newWorkerFixture(t)
	cases := badInputs(t)
	good := refdata.DemoVCF()
	ids := map[string]badInput{}
	var goodIDs, all []string
	for i, c := range cases {
		id := f.submit(t, c.file, c.content)
		ids[id] = c
		g := f.submit(t, fmt.Sprintf("good-%d.vcf", i), good)
		goodIDs = append(goodIDs, g)
		all = append(all, id, g)
	}
	done := f.wait(t, all, 2*time.Minute)

	for _, id := range goodIDs {
		if j := done[id]; j.State != gas.JobCompleted || j.Records == 0 {
			t.Errorf("good job %s beside the bad ones: %s %q, %d records", id, j.State, j.FailReason, j.Records)
		}
	}
	for id, c := range ids {
		j := done[id]
		t.Logf("%s: %s %q", c.name, j.State, j.FailReason)
		if j.State != c.state {
			t.Errorf("%s: state %s (%q), want %s", c.name, j.State, j.FailReason, c.state)
			continue
		}
		for _, w := range c.words {
			if !strings.Contains(strings.ToLower(j.FailReason), strings.ToLower(w)) {
				t.Errorf("%s: reason %q lacks %q", c.name, j.FailReason, w)
			}
		}
		switch {
		case j.State == gas.JobFailed:
			// A failed run leaves no result behind (the log explains it).
			rk, _, _ := jobs.ResultKeys(j)
			if _, err := f.blobs.Stat(context.Background(), rk); gas.ErrorCode(err) != gas.ENOTFOUND {
				t.Errorf("%s: a failed job's result object: %v, want ENOTFOUND", c.name, err)
			}
			checkFailedOnce(t, f, c.name, id)
		case c.name == "zero variants":
			// Completes with an empty summary and a header-only result.
			n, warns := summaryRecords(t, f.read(t, j.SummaryKey))
			if n != 0 || j.Records != 0 || len(warns) != 0 {
				t.Errorf("%s: summary records %d, job records %d, warnings %v; want 0, 0, none", c.name, n, j.Records, warns)
			}
			if lines := annLines(t, f.read(t, j.ResultKey)); len(lines) != 0 {
				t.Errorf("%s: result has %d data lines", c.name, len(lines))
			}
		case c.name == "wrong reference contigs":
			checkWrongContigs(t, f, j)
		}
	}
}

// checkWrongContigs: a VCF on contigs the bundle lacks completes, every
// allele is called intergenic, and the job log warns about the contig.
func checkWrongContigs(t *testing.T, f *workerFixture, j *gas.Job) {
	t.Helper()
	lines := annLines(t, f.read(t, j.ResultKey))
	if len(lines) != 3 || j.Records != 3 {
		t.Errorf("wrong contigs: %d result lines, %d records; want 3", len(lines), j.Records)
	}
	for _, l := range lines {
		cols := strings.Split(l, "\t")
		info := cols[len(cols)-1]
		ann := ""
		for _, kv := range strings.Split(info, ";") {
			if v, ok := strings.CutPrefix(kv, "ANN="); ok {
				ann = v
			}
		}
		if ann == "" {
			t.Errorf("wrong contigs: no ANN in %q", l)
			continue
		}
		for _, a := range strings.Split(ann, ",") {
			if f := strings.Split(a, "|"); len(f) < 2 || f[1] != "intergenic_variant" {
				t.Errorf("wrong contigs: annotation %q is not intergenic_variant", a)
			}
		}
	}
	log := string(f.read(t, j.LogKey))
	if !strings.Contains(log, "contig chrZZ is not in the reference bundle") {
		t.Errorf("wrong contigs: the job log does not warn about chrZZ:\n%s", log)
	}
}

// checkFailedOnce requires a single attempt: a bad file is the user's
// problem, so it is not retried as a server fault would be.
func checkFailedOnce(t *testing.T, f *workerFixture, name, id string) {
	t.Helper()
	evs, err := f.store.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var starts, fails int
	for _, e := range evs {
		if e.To == gas.JobRunning {
			starts++
		}
		if e.To == gas.JobFailed {
			fails++
		}
	}
	if starts != 1 || fails != 1 {
		t.Errorf("%s: %d start(s) and %d failure(s) in the events, want 1 and 1", name, starts, fails)
	}
}

// summaryRecords decodes a stored summary.json's record count.
func summaryRecords(t *testing.T, b []byte) (int64, []string) {
	t.Helper()
	var s struct {
		Records  int64    `json:"records"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("summary.json: %v\n%s", err, b)
	}
	return s.Records, s.Warnings
}

// annLines returns the data lines of a gzipped VCF.
func annLines(t *testing.T, gz []byte) []string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "#") {
			out = append(out, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
