package lifecycle

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/refdata"
)

type emptyBundles struct{}

func (emptyBundles) Bundle(context.Context, string) (*refdata.Bundle, error) {
	return &refdata.Bundle{}, nil
}

// gzipCopy stands in for the engine: the result is the input, gzipped.
func gzipCopy(_ context.Context, r io.Reader, w io.Writer, _ *refdata.Bundle, _ annotate.Options) (*annotate.Summary, error) {
	zw := gzip.NewWriter(w)
	n, err := io.Copy(zw, r)
	if err != nil {
		return nil, err
	}
	return &annotate.Summary{Records: n}, zw.Close()
}

// TestRestoreThroughAnnotateRunner wires the lifecycle the way gas serve
// does — hooks in the job store and plan changes, workers added to the
// annotate runner through jobs.RunnerConfig — and follows an upload from
// annotation to the archive and, after an upgrade, back.
func TestRestoreThroughAnnotateRunner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t, options{delays: map[gas.RetrievalTier]time.Duration{gas.TierExpedited: -1, gas.TierStandard: 0}})
	aw, err := jobs.NewAnnotateWorker(e.store, e.blobs, emptyBundles{}, jobs.AnnotateConfig{Annotate: gzipCopy})
	if err != nil {
		t.Fatal(err)
	}
	runner, err := jobs.NewRunner(e.db.RiverDriver(), aw, jobs.RunnerConfig{Queues: e.lc.Queues(), Register: e.lc.Register})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(stop)
	})

	u := e.user(t, gas.PlanFree)
	input := []byte("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t100\t.\tA\tG\t.\t.\t.\n")
	j := &gas.Job{ID: fmt.Sprintf("run-%d", time.Now().UnixNano()), UserID: u.ID, InputName: "in.vcf", Bundle: "demo"}
	j.InputKey = fmt.Sprintf("user/%d/%s/in.vcf", u.ID, j.ID)
	if _, err := e.blobs.Put(ctx, j.InputKey, bytes.NewReader(input)); err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	archived := e.waitState(t, j.ID, gas.JobArchived)
	if archived.ResultSum == "" {
		t.Fatal("the annotate worker stored no result checksum")
	}
	waitFor(t, "the hot copy to be deleted", func() bool { _, ok := e.hot(t, archived.ResultKey); return !ok })

	if err := e.db.SetPlan(ctx, u.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	back := e.waitState(t, j.ID, gas.JobCompleted)
	waitFor(t, "the archive copy to be deleted", func() bool { _, ok := e.inArchive(t, back.ResultKey); return !ok })
	b, ok := e.hot(t, back.ResultKey)
	if !ok {
		t.Fatal("no result after the thaw")
	}
	h := sha256.Sum256(b)
	if hex.EncodeToString(h[:]) != archived.ResultSum || int64(len(b)) != archived.ResultSize {
		t.Fatal("thawed result differs from the annotated one")
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(plain, input) {
		t.Fatalf("thawed result does not decompress to the annotation: %v", err)
	}
	r := e.findEvent(t, j.ID, gas.JobArchived, gas.JobRestoring)
	if r.Actor != ActorRestore {
		t.Fatalf("restore event %+v", r)
	}
}
