package notify_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/blob"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/notify"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
	"github.com/gas-project/gas/refdata"
)

type demoBundle struct{}

func (demoBundle) Bundle(context.Context, string) (*refdata.Bundle, error) {
	return &refdata.Bundle{}, nil
}

// copyEngine stands in for the annotation engine: it copies the VCF and
// counts records, and refuses a line containing BAD as an input error.
func copyEngine(_ context.Context, r io.Reader, w io.Writer, _ *refdata.Bundle, _ annotate.Options) (*annotate.Summary, error) {
	sum := &annotate.Summary{Bundle: "demo", Consequences: map[string]int64{}}
	zw := gzip.NewWriter(w)
	sc := bufio.NewScanner(r)
	for line := int64(1); sc.Scan(); line++ {
		if strings.Contains(sc.Text(), "BAD") {
			return sum, &annotate.InputError{Line: line, Msg: "POS is not a number"}
		}
		if !strings.HasPrefix(sc.Text(), "#") {
			sum.Records++
		}
		fmt.Fprintln(zw, sc.Text())
	}
	return sum, zw.Close()
}

// TestNotifyEndToEndWithAnnotateRunner wires notify as the lead does in
// gas serve: the hook on the job store, Queues and Register on the annotate
// runner. A submitted job that completes and one that fails each end with
// one .eml file in the outbox folder.
func TestNotifyEndToEndWithAnnotateRunner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dataDir := t.TempDir()
	f := newFixture(t, sqldbtest.SQLite(t, sqldb.Options{}), notify.Config{OutboxDir: notify.OutboxDir(dataDir)})
	blobs, err := blob.NewFS(filepath.Join(dataDir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := jobs.NewAnnotateWorker(f.store, blobs, demoBundle{}, jobs.AnnotateConfig{Annotate: copyEngine})
	if err != nil {
		t.Fatal(err)
	}
	r, err := jobs.NewRunner(f.db.RiverDriver(), w, jobs.RunnerConfig{Workers: 1, Queues: f.svc.Queues(), Register: f.svc.Register})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop(context.Background()) })

	submit := func(name, content string) *gas.Job {
		j := &gas.Job{UserID: f.user.ID, InputName: name, Bundle: "demo"}
		j.ID = fmt.Sprintf("job-%s-%d", strings.TrimSuffix(name, ".vcf"), time.Now().UnixNano())
		j.InputKey = fmt.Sprintf("user/%d/%s/in.vcf", f.user.ID, j.ID)
		info, err := blobs.Put(ctx, j.InputKey, strings.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		j.InputSize = info.Size
		if err := f.store.CreateJob(ctx, j); err != nil {
			t.Fatal(err)
		}
		return j
	}
	const header = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
	good := submit("good.vcf", header+"1\t100\t.\tA\tG\t.\t.\t.\n")
	bad := submit("bad.vcf", header+"1\tBAD\t.\tA\tG\t.\t.\t.\n")

	for _, c := range []struct {
		job     *gas.Job
		subject string
		body    string
	}{
		{good, "GAS: the annotation of good.vcf is complete", "1 records annotated"},
		{bad, "GAS: the annotation of bad.vcf failed", "Reason: "},
	} {
		ns := waitNotification(t, f, c.job.ID)
		path := filepath.Join(notify.OutboxDir(dataDir), notify.FileName(ns.ID, c.job.ID))
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(msg.Body)
		if msg.Header.Get("Subject") != c.subject || !strings.Contains(string(body), c.body) {
			t.Fatalf("%s: subject %q\n%s", c.job.InputName, msg.Header.Get("Subject"), body)
		}
	}
	entries, err := os.ReadDir(notify.OutboxDir(dataDir))
	if err != nil || len(entries) != 2 {
		t.Fatalf("outbox holds %d files (%v), want 2", len(entries), err)
	}
}

// waitNotification waits until the job's one notification is SENT.
func waitNotification(t *testing.T, f *fixture, jobID string) *gas.Notification {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		ns, _, err := f.db.ListNotifications(context.Background(), f.user.ID, gas.Page{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			if n.JobID == jobID && n.State == gas.DeliverySent {
				return n
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no sent notification for job %s", jobID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
