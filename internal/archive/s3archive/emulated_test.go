package s3archive

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/archive/archivetest"
	"github.com/gas-project/gas/internal/blob/s3blob"
	"github.com/gas-project/gas/internal/s3test"
)

func s3Config(srv *s3test.Server, prefix string) s3blob.Config {
	return s3blob.Config{
		Endpoint:  srv.Endpoint,
		Region:    srv.Region,
		AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey,
		Bucket:    srv.Bucket,
		Prefix:    prefix,
		PartSize:  s3blob.MinPartSize, // the suite's 6 MiB object goes multipart
	}
}

func delaysFor(o archivetest.Options) map[gas.RetrievalTier]time.Duration {
	d := map[gas.RetrievalTier]time.Duration{
		gas.TierExpedited: o.Delay, gas.TierStandard: o.Delay, gas.TierBulk: o.Delay,
	}
	if o.ExpeditedUnavailable {
		d[gas.TierExpedited] = -1
	}
	return d
}

// TestEmulatedColdStore runs the ColdStore suite end to end on versitygw in
// emulated mode (a separate archive bucket, no archive storage class). Each
// store gets a fresh prefix, so it starts empty.
func TestEmulatedColdStore(t *testing.T) {
	srv := s3test.Start(t)
	if err := srv.CreateBucket(context.Background(), "archive"); err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	archivetest.Run(t, func(t *testing.T, o archivetest.Options) gas.ColdStore {
		cfg := s3Config(srv, fmt.Sprintf("run%d/archive", n.Add(1)))
		cfg.Bucket = "archive"
		s, err := New(Config{S3: cfg, Delays: delaysFor(o), Now: o.Now})
		if err != nil {
			t.Fatal(err)
		}
		if s.Glacier() {
			t.Fatal("no storage class configured, yet Glacier mode")
		}
		return s
	})
}

// A retrieval is kept on the object, so a new Store (another worker, or
// this one after a restart) sees it.
func TestEmulatedRetrievalSharedAcrossStores(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := s3test.Start(t)
	clock := archivetest.NewClock()
	cfg := Config{S3: s3Config(srv, "a"), Delays: map[gas.RetrievalTier]time.Duration{gas.TierStandard: time.Hour}, Now: clock.Now}
	s1, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const key = "user/1/j/result.vcf.gz"
	if _, err := s1.Put(ctx, key, strings.NewReader("payload")); err != nil {
		t.Fatal(err)
	}
	first, err := s1.Retrieve(ctx, key, gas.TierStandard)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s2.Retrieve(ctx, key, gas.TierStandard)
	if err != nil || !again.ReadyAt.Equal(first.ReadyAt) || again.Tier != first.Tier {
		t.Fatalf("second store Retrieve = %+v, %v; want %+v", again, err, first)
	}
	clock.Advance(time.Hour)
	if ok, err := s2.Retrieved(ctx, key); err != nil || !ok {
		t.Fatalf("Retrieved from the second store = %v, %v", ok, err)
	}
}

// Glacier mode on a server that ignores storage classes (versitygw) would
// never archive anything; Put says so instead of pretending.
func TestGlacierModeRefusesServerWithoutClasses(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	cfg := s3Config(srv, "")
	cfg.StorageClass = types.StorageClassGlacier
	s, err := New(Config{S3: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Glacier() {
		t.Fatal("GLACIER class, yet not Glacier mode")
	}
	_, err = s.Put(context.Background(), "user/1/j/r", strings.NewReader("x"))
	if err == nil || !strings.Contains(err.Error(), "does not support archive classes") {
		t.Fatalf("Put on a server without archive classes: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	base := s3blob.Config{Region: "us-east-1", AccessKey: "a", SecretKey: "s", Bucket: "b"}
	if _, err := New(Config{S3: base}); err == nil || !strings.Contains(err.Error(), "delays must be configured") {
		t.Errorf("emulated mode without delays: %v", err)
	}
	if _, err := New(Config{S3: base, Delays: map[gas.RetrievalTier]time.Duration{"instant": 0}}); err == nil || !strings.Contains(err.Error(), "unknown retrieval tier") {
		t.Errorf("unknown tier: %v", err)
	}
	glacier := base
	glacier.StorageClass = types.StorageClassDeepArchive
	s, err := New(Config{S3: glacier})
	if err != nil {
		t.Fatal(err)
	}
	// DEEP_ARCHIVE has no expedited tier: refused before any request.
	if _, ok := s.delays[gas.TierExpedited]; ok {
		t.Error("DEEP_ARCHIVE defaults offer expedited retrieval")
	}
	if _, err := New(Config{S3: s3blob.Config{Region: "us-east-1"}}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("incomplete S3 config: %v", err)
	}
}

// Replacing an archived object (without deleting it first) makes it cold
// again: the retrieval belonged to the old object. Both the single-request
// and the multipart path of Put are checked.
func TestEmulatedReplaceIsCold(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := s3test.Start(t)
	clock := archivetest.NewClock()
	s, err := New(Config{S3: s3Config(srv, "a"), Delays: map[gas.RetrievalTier]time.Duration{gas.TierStandard: 0}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	const key = "user/1/j/result.vcf.gz"
	for _, size := range []int{10, 6 << 20} {
		if _, err := s.Put(ctx, key, strings.NewReader("first")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Retrieve(ctx, key, gas.TierStandard); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.Retrieved(ctx, key); err != nil || !ok {
			t.Fatalf("Retrieved = %v, %v", ok, err)
		}
		if _, err := s.Put(ctx, key, strings.NewReader(strings.Repeat("x", size))); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.Retrieved(ctx, key); err != nil || ok {
			t.Fatalf("after replacing with %d bytes: Retrieved = %v, %v; want false", size, ok, err)
		}
		if _, err := s.Open(ctx, key); gas.ErrorCode(err) != gas.EUNAVAILABLE {
			t.Fatalf("after replacing with %d bytes: Open: %v", size, err)
		}
	}
}

func TestCheckSeparate(t *testing.T) {
	t.Parallel()
	blobs := s3blob.Config{Endpoint: "http://s3:7070", Bucket: "gas", Prefix: "p"}
	for _, tc := range []struct {
		edit func(*s3blob.Config)
		ok   bool
	}{
		{func(c *s3blob.Config) {}, false},
		{func(c *s3blob.Config) { c.Prefix = "p/archive" }, true},
		{func(c *s3blob.Config) { c.Bucket = "gas-archive" }, true},
		{func(c *s3blob.Config) { c.Endpoint = "http://other:7070" }, true},
	} {
		a := blobs
		tc.edit(&a)
		if err := CheckSeparate(blobs, a); (err == nil) != tc.ok {
			t.Errorf("archive %+v: err = %v", a, err)
		}
	}
}
