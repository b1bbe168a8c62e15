package archive

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/archive/archivetest"
)

func TestLocalColdStore(t *testing.T) {
	archivetest.Run(t, func(t *testing.T, o archivetest.Options) gas.ColdStore {
		delays := map[gas.RetrievalTier]time.Duration{
			gas.TierExpedited: o.Delay, gas.TierStandard: o.Delay, gas.TierBulk: o.Delay,
		}
		if o.ExpeditedUnavailable {
			delays[gas.TierExpedited] = -1
		}
		s, err := NewLocal(LocalConfig{Dir: filepath.Join(t.TempDir(), "archive"), Delays: delays, Now: o.Now})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

const testKey = "user/1/job/result.vcf.gz"

// TestLocalRetrievalSurvivesRestart: the retrieval state is on disk, so a
// new process (a new Local on the same directory) sees it.
func TestLocalRetrievalSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "archive")
	clock := archivetest.NewClock()
	cfg := LocalConfig{Dir: dir, Delays: map[gas.RetrievalTier]time.Duration{gas.TierStandard: time.Hour}, Now: clock.Now}
	s1, err := NewLocal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s1.Put(ctx, testKey, strings.NewReader("payload")); err != nil {
		t.Fatal(err)
	}
	first, err := s1.Retrieve(ctx, testKey, gas.TierStandard)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := NewLocal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s2.Retrieve(ctx, testKey, gas.TierStandard)
	if err != nil || again != first {
		t.Fatalf("after restart Retrieve = %+v, %v; want %+v", again, err, first)
	}
	clock.Advance(time.Hour)
	rc, err := s2.Open(ctx, testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); string(b) != "payload" {
		t.Fatalf("read %q", b)
	}
}

// TestLocalUnconfiguredTierUnavailable: a tier without a delay is refused.
func TestLocalUnconfiguredTierUnavailable(t *testing.T) {
	ctx := context.Background()
	s, err := NewLocal(LocalConfig{Dir: t.TempDir(), Delays: map[gas.RetrievalTier]time.Duration{gas.TierStandard: 0}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, testKey, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Retrieve(ctx, testKey, gas.TierBulk); gas.ErrorCode(err) != gas.EUNAVAILABLE {
		t.Fatalf("bulk without a delay: %v, want EUNAVAILABLE", err)
	}
	if _, err := NewLocal(LocalConfig{Dir: t.TempDir(), Delays: map[gas.RetrievalTier]time.Duration{"fast": 0}}); err == nil {
		t.Fatal("an unknown tier in the configuration was accepted")
	}
	if _, err := NewLocal(LocalConfig{}); err == nil {
		t.Fatal("an empty directory was accepted")
	}
}

// TestLocalCompressedOnDisk: the object is stored compressed at <Dir>/<key>,
// with no temporary files left behind.
func TestLocalCompressedOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := NewLocal(LocalConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("chr1\t100\t.\tA\tG\t.\tPASS\t.\n"), 10_000)
	if _, err := s.Put(ctx, testKey, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(testKey)))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() >= int64(len(data))/10 {
		t.Fatalf("stored %d bytes for %d highly repetitive bytes: not compressed", fi.Size(), len(data))
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "user", "1", "job", ".tmp-*"))
	if len(matches) != 0 {
		t.Fatalf("temporary files left: %v", matches)
	}
}

// TestLocalStatRecomputes: without its metadata (a crash right after the
// rename) Stat still describes the object correctly.
func TestLocalStatRecomputes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := NewLocal(LocalConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Put(ctx, testKey, strings.NewReader("some result bytes"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(s.sidecar(metaDir, testKey)); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stat(ctx, testKey)
	if err != nil || st != info {
		t.Fatalf("Stat without metadata = %+v, %v; want %+v", st, err, info)
	}
}

// TestLocalCorruptObject: a damaged archive file is an error on read, not
// silently different bytes (zstd frames carry a checksum).
func TestLocalCorruptObject(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := NewLocal(LocalConfig{Dir: dir, Delays: map[gas.RetrievalTier]time.Duration{gas.TierStandard: 0}})
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("ACGTTGCA"), 4096)
	if _, err := s.Put(ctx, testKey, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, filepath.FromSlash(testKey))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-6] ^= 0xff
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Retrieve(ctx, testKey, gas.TierStandard); err != nil {
		t.Fatal(err)
	}
	rc, err := s.Open(ctx, testKey)
	if err != nil {
		return // refused at open: also fine
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err == nil {
		t.Fatalf("corrupt archive read without error (%d bytes)", len(got))
	}
}

// TestLocalConcurrentRetrieve: racing requests for one key all get the
// one retrieval that was recorded.
func TestLocalConcurrentRetrieve(t *testing.T) {
	ctx := context.Background()
	s, err := NewLocal(LocalConfig{Dir: t.TempDir(), Delays: map[gas.RetrievalTier]time.Duration{gas.TierStandard: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, testKey, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	const n = 8
	got := make([]gas.Retrieval, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errs[i] = s.Retrieve(ctx, testKey, gas.TierStandard) })
	}
	wg.Wait()
	stored, err := s.Retrieve(ctx, testKey, gas.TierStandard)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if errs[i] != nil || got[i] != stored {
			t.Fatalf("request %d got %+v, %v; the recorded retrieval is %+v", i, got[i], errs[i], stored)
		}
	}
}
