package submit_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/blob"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
	"github.com/gas-project/gas/internal/submit"
)

const goodVCF = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t100\t.\tA\tG\t.\t.\t.\n"

func setup(t *testing.T) (*submit.Submitter, *gas.User, string) {
	t.Helper()
	db := sqldbtest.SQLite(t, sqldb.Options{})
	ins, err := jobs.NewInserter(db.RiverDriver(), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	blobs, err := blob.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	u := &gas.User{Email: "s@example.org"}
	if err := db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return &submit.Submitter{Blobs: blobs, Jobs: db.JobStore(ins), Bundle: "demo"}, u, dir
}

// stored counts the regular files in the blob store (temporary files included).
func stored(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

func TestSubmitStoresChecksAndQueues(t *testing.T) {
	t.Parallel()
	s, u, _ := setup(t)
	ctx := context.Background()
	job, records, err := s.Store(ctx, u, "in.vcf", strings.NewReader(goodVCF), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if job.InputSize != int64(len(goodVCF)) || !strings.HasPrefix(job.InputKey, "user/") || records != 1 {
		t.Fatalf("job = %+v, %d records", job, records)
	}
	if err := s.Create(ctx, job, submit.Options{Transcripts: annotate.Canonical}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Jobs.Job(ctx, job.ID)
	if err != nil || got.State != gas.JobPending || got.Bundle != "demo" || !strings.Contains(got.Options, `"canonical"`) ||
		strings.Contains(got.Options, "on_error") {
		t.Fatalf("created job = %+v, %v", got, err)
	}
	// No name chosen: the file's and the start of the ID, so two jobs of
	// in.vcf differ.
	if want := "in.vcf · " + strings.ReplaceAll(job.ID, "-", "")[:6]; got.Name != want || got.Title() != want {
		t.Fatalf("default name %q, want %q", got.Name, want)
	}

	// A chosen name and the skip policy are kept.
	job, _, err = s.Store(ctx, u, "in.vcf", strings.NewReader(goodVCF), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	job.Name = "Trio, chr21"
	if err := s.Create(ctx, job, submit.Options{SkipMalformed: true}); err != nil {
		t.Fatal(err)
	}
	if got, err = s.Jobs.Job(ctx, job.ID); err != nil || got.Name != "Trio, chr21" || !strings.Contains(got.Options, `"on_error":"skip"`) {
		t.Fatalf("created job = %+v, %v", got, err)
	}
}

func TestJobName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                       "",
		"  Trio   chr21  ":       "Trio chr21",
		"Ünïcode · ok":           "Ünïcode · ok",
		strings.Repeat("é", 100): strings.Repeat("é", 100),
	} {
		if got, err := submit.JobName(in); err != nil || got != want {
			t.Errorf("JobName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"a\x00b", "bell\a", strings.Repeat("x", 101), "\xff\xfe"} {
		if _, err := submit.JobName(bad); gas.ErrorCode(err) != gas.EINVALID {
			t.Errorf("JobName(%q) = %v, want EINVALID", bad, err)
		}
	}
}

func TestSubmitRefusalsLeaveNothing(t *testing.T) {
	t.Parallel()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, goodVCF)
	zw.Close()
	truncated := gz.Bytes()[:gz.Len()-6]
	for _, tc := range []struct {
		name  string
		body  io.Reader
		limit int64
		check func(error) bool
	}{
		{"over the limit", strings.NewReader(goodVCF), 10, func(err error) bool { return errors.Is(err, submit.ErrTooLarge) }},
		{"not a VCF", strings.NewReader("hello\x00\x01binary"), 1 << 20, func(err error) bool { return gas.ErrorCode(err) == gas.EINVALID }},
		{"truncated gzip", bytes.NewReader(truncated), 1 << 20, func(err error) bool { return gas.ErrorCode(err) == gas.EINVALID }},
		{"client hung up", io.MultiReader(strings.NewReader(goodVCF[:20]), errReader{}), 1 << 20,
			func(err error) bool {
				return gas.ErrorCode(err) == gas.EINVALID && strings.Contains(gas.ErrorMessage(err), "interrupted")
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, u, dir := setup(t)
			_, _, err := s.Store(context.Background(), u, "in.vcf", tc.body, tc.limit)
			if !tc.check(err) {
				t.Fatalf("err = %v", err)
			}
			if n := stored(t, dir); n != 0 {
				t.Fatalf("%d files left in the store after a refused upload", n)
			}
		})
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

func TestParseMode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]annotate.TranscriptMode{"": annotate.AllTranscripts, "pick": annotate.Pick, " mane ": annotate.MANESelect} {
		if got, ok := submit.ParseMode(in); !ok || got != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, ok)
		}
	}
	if _, ok := submit.ParseMode("everything"); ok {
		t.Error("unknown mode accepted")
	}
}
