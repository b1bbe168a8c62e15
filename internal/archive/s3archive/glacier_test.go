package s3archive

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/archive/archivetest"
	"github.com/gas-project/gas/internal/blob/s3blob"
)

func newGlacierStore(t *testing.T, class types.StorageClass, o archivetest.Options, delays map[gas.RetrievalTier]time.Duration) (*Store, *fakeGlacier) {
	t.Helper()
	fake, client := newFakeGlacier(t, o.Now, o.Delay, o.ExpeditedUnavailable)
	s, err := NewWithClient(client, Config{
		S3: s3blob.Config{
			Region: "us-east-1", AccessKey: "k", SecretKey: "s",
			Bucket: fake.bucket, Prefix: "archive", StorageClass: class,
			PartSize: s3blob.MinPartSize, // the suite's 6 MiB object goes multipart
		},
		Delays: delays,
		Now:    o.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Glacier() {
		t.Fatalf("class %s, yet not Glacier mode", class)
	}
	return s, fake
}

// TestGlacierColdStore runs the ColdStore suite in Glacier mode against the
// fake: S3 (the fake) decides when a restore is done, by the suite's clock.
// The expected delays given to the store equal the fake's, and every tier
// is offered, so a refused expedited restore is the server's answer.
func TestGlacierColdStore(t *testing.T) {
	archivetest.Run(t, func(t *testing.T, o archivetest.Options) gas.ColdStore {
		d := map[gas.RetrievalTier]time.Duration{gas.TierExpedited: o.Delay, gas.TierStandard: o.Delay, gas.TierBulk: o.Delay}
		s, _ := newGlacierStore(t, types.StorageClassGlacier, o, d)
		return s
	})
}

func glacierPut(t *testing.T, s *Store, key, data string) {
	t.Helper()
	if _, err := s.Put(context.Background(), key, strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
}

// The refusal of an expedited restore is EUNAVAILABLE after one request:
// the SDK's retries of a 503 would only delay the fallback.
func TestGlacierExpeditedUnavailableNotRetried(t *testing.T) {
	t.Parallel()
	clock := archivetest.NewClock()
	s, fake := newGlacierStore(t, types.StorageClassGlacier, archivetest.Options{Now: clock.Now, ExpeditedUnavailable: true}, nil)
	glacierPut(t, s, "user/1/j/r", "data")
	_, err := s.Retrieve(context.Background(), "user/1/j/r", gas.TierExpedited)
	if gas.ErrorCode(err) != gas.EUNAVAILABLE || !strings.Contains(err.Error(), "GlacierExpeditedRetrievalNotAvailable") {
		t.Fatalf("Retrieve expedited: %v", err)
	}
	if got := fake.restoreCount(); !slices.Equal(got, []string{"Expedited"}) {
		t.Fatalf("RestoreObject requests %v; want one Expedited", got)
	}
	r, err := s.Retrieve(context.Background(), "user/1/j/r", gas.TierBulk)
	if err != nil || r.Tier != gas.TierBulk {
		t.Fatalf("Retrieve bulk = %+v, %v", r, err)
	}
	// With default delays, ReadyAt is AWS's documented bulk bound.
	if want := clock.Now().Add(12 * time.Hour); !r.ReadyAt.Equal(want) {
		t.Fatalf("ReadyAt %v; want %v", r.ReadyAt, want)
	}
	if got := fake.restoreCount(); !slices.Equal(got, []string{"Expedited", "Bulk"}) {
		t.Fatalf("RestoreObject requests %v", got)
	}
}

// DEEP_ARCHIVE has no expedited tier: refused without asking S3.
func TestDeepArchiveHasNoExpedited(t *testing.T) {
	t.Parallel()
	clock := archivetest.NewClock()
	s, fake := newGlacierStore(t, types.StorageClassDeepArchive, archivetest.Options{Now: clock.Now, Delay: time.Hour}, nil)
	glacierPut(t, s, "user/1/j/r", "data")
	if _, err := s.Retrieve(context.Background(), "user/1/j/r", gas.TierExpedited); gas.ErrorCode(err) != gas.EUNAVAILABLE {
		t.Fatalf("Retrieve expedited from DEEP_ARCHIVE: %v", err)
	}
	r, err := s.Retrieve(context.Background(), "user/1/j/r", gas.TierStandard)
	if err != nil || !r.ReadyAt.Equal(clock.Now().Add(12*time.Hour)) {
		t.Fatalf("Retrieve standard = %+v, %v", r, err)
	}
	if got := fake.restoreCount(); !slices.Equal(got, []string{"Standard"}) {
		t.Fatalf("RestoreObject requests %v; want one Standard", got)
	}
}

// A restored copy lasts RestoreDays; after that the object is cold again
// and a new Retrieve sends a new RestoreObject.
func TestGlacierRestoredCopyExpires(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := archivetest.NewClock()
	o := archivetest.Options{Now: clock.Now, Delay: time.Hour}
	s, fake := newGlacierStore(t, types.StorageClassGlacier, o, map[gas.RetrievalTier]time.Duration{gas.TierStandard: time.Hour})
	glacierPut(t, s, "user/1/j/r", "data")
	if _, err := s.Retrieve(ctx, "user/1/j/r", gas.TierStandard); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if ok, err := s.Retrieved(ctx, "user/1/j/r"); err != nil || !ok {
		t.Fatalf("Retrieved after the delay = %v, %v", ok, err)
	}
	clock.Advance(24 * time.Hour) // RestoreDays defaults to 1
	if ok, err := s.Retrieved(ctx, "user/1/j/r"); err != nil || ok {
		t.Fatalf("Retrieved after the restored copy expired = %v, %v", ok, err)
	}
	if _, err := s.Open(ctx, "user/1/j/r"); gas.ErrorCode(err) != gas.EUNAVAILABLE {
		t.Fatalf("Open after expiry: %v", err)
	}
	r, err := s.Retrieve(ctx, "user/1/j/r", gas.TierStandard)
	if err != nil || !r.ReadyAt.Equal(clock.Now().Add(time.Hour)) {
		t.Fatalf("Retrieve after expiry = %+v, %v; want a new retrieval", r, err)
	}
	if got := fake.restoreCount(); len(got) != 2 {
		t.Fatalf("RestoreObject requests %v; want two", got)
	}
}

// A restore started by someone else (another tool, or a worker that crashed
// before recording it) answers 409 RestoreAlreadyInProgress: not an error.
func TestGlacierRestoreStartedElsewhere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := archivetest.NewClock()
	o := archivetest.Options{Now: clock.Now, Delay: time.Hour}
	s, _ := newGlacierStore(t, types.StorageClassGlacier, o, map[gas.RetrievalTier]time.Duration{gas.TierStandard: time.Hour})
	glacierPut(t, s, "user/1/j/r", "data")
	if _, err := s.client.RestoreObject(ctx, &s3.RestoreObjectInput{
		Bucket: aws.String("cold"), Key: aws.String("archive/user/1/j/r"),
		RestoreRequest: &types.RestoreRequest{Days: aws.Int32(1), GlacierJobParameters: &types.GlacierJobParameters{Tier: types.TierStandard}},
	}); err != nil {
		t.Fatal(err)
	}
	r, err := s.Retrieve(ctx, "user/1/j/r", gas.TierStandard)
	if err != nil || r.Tier != gas.TierStandard {
		t.Fatalf("Retrieve while a restore runs = %+v, %v", r, err)
	}
	clock.Advance(time.Hour)
	if ok, err := s.Retrieved(ctx, "user/1/j/r"); err != nil || !ok {
		t.Fatalf("Retrieved = %v, %v", ok, err)
	}
}

func TestRestoreHeader(t *testing.T) {
	t.Parallel()
	for h, want := range map[string]bool{
		"":                       false,
		`ongoing-request="true"`: false,
		`ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`: true,
		`ongoing-request = "false"`: true,
	} {
		if got := restoreDone(h); got != want {
			t.Errorf("restoreDone(%q) = %v", h, got)
		}
	}
}

// An object not in an archive class (left by an earlier emulated-mode
// configuration) needs no restore: S3 answers RestoreObject with
// InvalidObjectState, and the object is readable at once.
func TestGlacierModeObjectNotArchived(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := archivetest.NewClock()
	s, _ := newGlacierStore(t, types.StorageClassGlacier, archivetest.Options{Now: clock.Now, Delay: time.Hour}, nil)
	if _, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("cold"), Key: aws.String("archive/user/1/j/r"), Body: strings.NewReader("warm"),
		Metadata: map[string]string{s3blob.MetaSHA256: strings.Repeat("0", 64)},
	}); err != nil {
		t.Fatal(err)
	}
	r, err := s.Retrieve(ctx, "user/1/j/r", gas.TierStandard)
	if err != nil || !r.ReadyAt.Equal(clock.Now()) {
		t.Fatalf("Retrieve = %+v, %v; want ready now", r, err)
	}
	if ok, err := s.Retrieved(ctx, "user/1/j/r"); err != nil || !ok {
		t.Fatalf("Retrieved = %v, %v", ok, err)
	}
	rc, err := s.Open(ctx, "user/1/j/r")
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
}

// Glacier mode refuses a server that ignored the class, and removes the
// object it could not archive.
func TestGlacierPutRefusedLeavesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := archivetest.NewClock()
	s, fake := newGlacierStore(t, types.StorageClassGlacier, archivetest.Options{Now: clock.Now}, nil)
	fake.ignoreClass = true
	if _, err := s.Put(ctx, "user/1/j/r", strings.NewReader("x")); err == nil || !strings.Contains(err.Error(), "does not support archive classes") {
		t.Fatalf("Put: %v", err)
	}
	if _, err := s.Stat(ctx, "user/1/j/r"); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("Stat after the refused Put: %v", err)
	}
}
