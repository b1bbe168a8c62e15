// Package archivetest is the behaviour every gas.ColdStore must have, as a
// test suite an implementation runs against itself:
//
//	func TestColdStore(t *testing.T) {
//		archivetest.Run(t, func(t *testing.T, o archivetest.Options) gas.ColdStore {
//			return newStoreFor(t, o) // honour every field of o
//		})
//	}
//
// The suite never sleeps: it moves the clock it hands the store (Options.Now)
// forward instead, so a store (or the fake service behind it) must judge
// whether a retrieval is ready by that clock. Only tests import it.
package archivetest

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/blob/blobtest"
)

// Options says what store a sub-test needs. Every call gets a fresh store
// with no objects in it.
type Options struct {
	// Delay is how long a retrieval takes on every available tier; zero
	// means a retrieval is ready as soon as it is requested.
	Delay time.Duration
	// ExpeditedUnavailable makes the expedited tier refuse retrievals with
	// EUNAVAILABLE, as Glacier does when it has no expedited capacity.
	ExpeditedUnavailable bool
	// Now is the clock the store must judge readiness by (ReadyAt,
	// Retrieved, Open). The suite moves it forward instead of sleeping.
	// Never nil.
	Now func() time.Time
}

// NewStore returns a fresh, empty store configured as o asks.
type NewStore func(t *testing.T, o Options) gas.ColdStore

// Clock is a manual clock for Options.Now, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at a fixed instant.
func NewClock() *Clock {
	return &Clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Run runs the whole suite against stores made by newStore.
func Run(t *testing.T, newStore NewStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, newStore NewStore)
	}{
		{"PutStat", testPutStat},
		{"PutEmpty", testPutEmpty},
		{"PutReplaces", testPutReplaces},
		{"FailedPutKeepsOld", testFailedPutKeepsOld},
		{"Missing", testMissing},
		{"InvalidKeys", testInvalidKeys},
		{"OpenBeforeRetrieve", testOpenBeforeRetrieve},
		{"RetrieveImmediate", testRetrieveImmediate},
		{"OpenBeforeReady", testOpenBeforeReady},
		{"RetrieveRepeated", testRetrieveRepeated},
		{"ExpeditedFallback", testExpeditedFallback},
		{"UnknownTier", testUnknownTier},
		{"Delete", testDelete},
		{"DeleteMissing", testDeleteMissing},
		{"PutAfterDeleteIsCold", testPutAfterDeleteIsCold},
		{"LargeObject", testLargeObject},
		{"KeysIndependent", testKeysIndependent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore) })
	}
}

const key = "user/7/3f0c2a9e-0000-4000-8000-000000000001/result.vcf.gz"

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := gas.ErrorCode(err); got != code {
		t.Fatalf("%s: error code %q (%v), want %q", what, got, err, code)
	}
}

func put(t *testing.T, s gas.ColdStore, k string, data []byte) gas.BlobInfo {
	t.Helper()
	info, err := s.Put(context.Background(), k, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Put %s: %v", k, err)
	}
	if info.Size != int64(len(data)) || info.SHA256 != blobtest.Sum(data) {
		t.Fatalf("Put %s = size %d sha %s, want size %d sha %s", k, info.Size, info.SHA256, len(data), blobtest.Sum(data))
	}
	return info
}

func retrieved(t *testing.T, s gas.ColdStore, k string) bool {
	t.Helper()
	ok, err := s.Retrieved(context.Background(), k)
	if err != nil {
		t.Fatalf("Retrieved %s: %v", k, err)
	}
	return ok
}

// sampleVCF is text like a result, compressible, distinct per seed.
func sampleVCF(seed int) []byte {
	var b bytes.Buffer
	b.WriteString("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
	for i := range 200 {
		b.WriteString("chr1\t")
		b.WriteString(string(rune('0' + (i+seed)%10)))
		b.WriteString("\t.\tA\tG\t.\tPASS\tANN=G|missense_variant\n")
	}
	return b.Bytes()
}

func testPutStat(t *testing.T, newStore NewStore) {
	clock := NewClock()
	s := newStore(t, Options{Now: clock.Now})
	data := sampleVCF(1)
	info := put(t, s, key, data)
	if info.Key != key {
		t.Errorf("Put key = %q, want %q", info.Key, key)
	}
	st, err := s.Stat(context.Background(), key)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if st.Key != key || st.Size != int64(len(data)) || st.SHA256 != blobtest.Sum(data) {
		t.Fatalf("Stat = %+v, want size %d sha %s", st, len(data), blobtest.Sum(data))
	}
}

func testPutEmpty(t *testing.T, newStore NewStore) {
	clock := NewClock()
	s := newStore(t, Options{Now: clock.Now})
	put(t, s, key, nil)
	if _, err := s.Retrieve(context.Background(), key, gas.TierStandard); err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if b := blobtest.ReadAll(t, s, key); len(b) != 0 {
		t.Fatalf("empty object read back as %d bytes", len(b))
	}
}

func testPutReplaces(t *testing.T, newStore NewStore) {
	clock := NewClock()
	s := newStore(t, Options{Now: clock.Now})
	put(t, s, key, sampleVCF(1))
	second := sampleVCF(2)
	put(t, s, key, second)
	st, err := s.Stat(context.Background(), key)
	if err != nil || st.SHA256 != blobtest.Sum(second) || st.Size != int64(len(second)) {
		t.Fatalf("Stat after replace = %+v, %v; want the second object", st, err)
	}
	if _, err := s.Retrieve(context.Background(), key, gas.TierStandard); err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if got := blobtest.ReadAll(t, s, key); !bytes.Equal(got, second) {
		t.Fatalf("read back %d bytes, not the second object", len(got))
	}
}

// failingReader yields some bytes, then an error, like an upload cut short.
type failingReader struct{ left int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.left <= 0 {
		return 0, errors.New("source went away")
	}
	n := min(len(p), f.left)
	for i := range n {
		p[i] = 'x'
	}
	f.left -= n
	return n, nil
}

// testFailedPutKeepsOld: a Put whose source fails leaves the previous
// object whole; the archive worker relies on it when a copy breaks off.
func testFailedPutKeepsOld(t *testing.T, newStore NewStore) {
	clock := NewClock()
	s := newStore(t, Options{Now: clock.Now})
	ctx := context.Background()
	old := sampleVCF(1)
	put(t, s, key, old)
	if _, err := s.Put(ctx, key, &failingReader{left: 100_000}); err == nil {
		t.Fatal("Put from a failing reader succeeded")
	}
	st, err := s.Stat(ctx, key)
	if err != nil || st.SHA256 != blobtest.Sum(old) || st.Size != int64(len(old)) {
		t.Fatalf("after a failed Put, Stat = %+v, %v; want the previous object", st, err)
	}
	if _, err := s.Retrieve(ctx, key, gas.TierStandard); err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if got := blobtest.ReadAll(t, s, key); !bytes.Equal(got, old) {
		t.Fatal("after a failed Put the object is not the previous one")
	}
	// And a failed first Put leaves nothing.
	other := "user/7/other/result.vcf.gz"
	if _, err := s.Put(ctx, other, &failingReader{left: 10}); err == nil {
		t.Fatal("Put from a failing reader succeeded")
	}
	_, err = s.Stat(ctx, other)
	wantCode(t, "Stat after a failed first Put", err, gas.ENOTFOUND)
}

func testMissing(t *testing.T, newStore NewStore) {
	clock := NewClock()
	s := newStore(t, Options{Now: clock.Now})
	ctx := context.Background()
	_, err := s.Stat(ctx, key)
	wantCode(t, "Stat of a missing object", err, gas.ENOTFOUND)
	_, err = s.Retrieve(ctx, key, gas.TierStandard)
	wantCode(t, "Retrieve of a missing object", err, gas.ENOTFOUND)
	_, err = s.Open(ctx, key)
	wantCode(t, "Open of a missing object", err, gas.ENOTFOUND)
	ok, err := s.Retrieved(ctx, key)
	if ok {
		t.Fatal("Retrieved of a missing object is true")
	}
	wantCode(t, "Retrieved of a missing object", err, gas.ENOTFOUND)
}

func testInvalidKeys(t *testing.T, newStore NewStore) {
	clock := NewClock()
	s := newStore(t, Options{Now: clock.Now})
	ctx := context.Background()
	for _, k := range []string{"", "../escape", "user/../../etc/passwd", "/etc/passwd", "user//x", "user/./x"} {
		_, err := s.Put(ctx, k, bytes.NewReader([]byte("x")))
		wantCode(t, "Put "+k, err, gas.EINVALID)
		_, err = s.Stat(ctx, k)
		wantCode(t, "Stat "+k, err, gas.EINVALID)
		_, err = s.Retrieve(ctx, k, gas.TierStandard)
		wantCode(t, "Retrieve "+k, err, gas.EINVALID)
		_, err = s.Open(ctx, k)
		wantCode(t, "Open "+k, err, gas.EINVALID)
		err = s.Delete(ctx, k)
		wantCode(t, "Delete "+k, err, gas.EINVALID)
	}
}

func testOpenBeforeRetrieve(t *testing.T, newStore NewStore) {
	clock := NewClock()
	s := newStore(t, Options{Now: clock.Now})
	put(t, s, key, sampleVCF(1))
	if retrieved(t, s, key) {
		t.Fatal("Retrieved is true before any retrieval was requested")
	}
	_, err := s.Open(context.Background(), key)
	wantCode(t, "Open before Retrieve", err, gas.EUNAVAILABLE)
}

func testRetrieveImmediate(t *testing.T, newStore NewStore) {
	clock := NewClock()
	s := newStore(t, Options{Now: clock.Now})
	data := sampleVCF(3)
	put(t, s, key, data)
	r, err := s.Retrieve(context.Background(), key, gas.TierExpedited)
	if err != nil {
		t.Fatalf("Retrieve expedited: %v", err)
	}
	if r.Tier != gas.TierExpedited {
		t.Fatalf("Retrieve tier = %q, want expedited", r.Tier)
	}
	if r.ReadyAt.After(clock.Now()) {
		t.Fatalf("with zero delay ReadyAt %v is after now %v", r.ReadyAt, clock.Now())
	}
	if !retrieved(t, s, key) {
		t.Fatal("Retrieved is false after a zero-delay retrieval")
	}
	if got := blobtest.ReadAll(t, s, key); !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes that differ from the %d put", len(got), len(data))
	}
	// Open works as often as asked until the object is deleted.
	if got := blobtest.ReadAll(t, s, key); !bytes.Equal(got, data) {
		t.Fatal("second Open differs")
	}
}

func testOpenBeforeReady(t *testing.T, newStore NewStore) {
	const delay = 5 * time.Hour
	clock := NewClock()
	s := newStore(t, Options{Now: clock.Now, Delay: delay})
	data := sampleVCF(4)
	put(t, s, key, data)
	start := clock.Now()
	r, err := s.Retrieve(context.Background(), key, gas.TierStandard)
	if err != nil {
		t.Fatalf("Retrieve standard: %v", err)
	}
	if r.Tier != gas.TierStandard {
		t.Fatalf("Retrieve tier = %q, want standard", r.Tier)
	}
	if !r.ReadyAt.After(start) || r.ReadyAt.After(start.Add(delay+time.Minute)) {
		t.Fatalf("ReadyAt = %v, want about %v after %v", r.ReadyAt, delay, start)
	}
	if retrieved(t, s, key) {
		t.Fatal("Retrieved is true before the delay passed")
	}
	_, err = s.Open(context.Background(), key)
	wantCode(t, "Open before the retrieval is ready", err, gas.EUNAVAILABLE)

	clock.Advance(delay / 2)
	if retrieved(t, s, key) {
		t.Fatal("Retrieved is true half-way through the delay")
	}
	clock.Advance(r.ReadyAt.Sub(clock.Now()) + time.Second)
	if !retrieved(t, s, key) {
		t.Fatal("Retrieved is false after ReadyAt")
	}
	if got := blobtest.ReadAll(t, s, key); !bytes.Equal(got, data) {
		t.Fatal("read back bytes differ")
	}
}

// sameRetrieval allows a second of difference for services that keep
// times in whole seconds.
func sameRetrieval(a, b gas.Retrieval) bool {
	d := a.ReadyAt.Sub(b.ReadyAt)
	return a.Tier == b.Tier && d < time.Second && d > -time.Second
}

func testRetrieveRepeated(t *testing.T, newStore NewStore) {
	const delay = time.Hour
	clock := NewClock()
	s := newStore(t, Options{Now: clock.Now, Delay: delay})
	ctx := context.Background()
	data := sampleVCF(5)
	put(t, s, key, data)
	first, err := s.Retrieve(ctx, key, gas.TierStandard)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	// A crashed worker asks again while the retrieval runs: not an error,
	// and the retrieval in progress is what it gets, even for another tier.
	clock.Advance(delay / 4)
	for _, tier := range []gas.RetrievalTier{gas.TierStandard, gas.TierExpedited, gas.TierBulk} {
		again, err := s.Retrieve(ctx, key, tier)
		if err != nil {
			t.Fatalf("Retrieve %s while in progress: %v", tier, err)
		}
		if !sameRetrieval(again, first) {
			t.Fatalf("Retrieve %s while in progress = %+v, want the first %+v", tier, again, first)
		}
	}
	if retrieved(t, s, key) {
		t.Fatal("a repeated request finished the retrieval early")
	}
	clock.Advance(delay)
	again, err := s.Retrieve(ctx, key, gas.TierStandard)
	if err != nil || !sameRetrieval(again, first) {
		t.Fatalf("Retrieve after it finished = %+v, %v; want %+v", again, err, first)
	}
	if !retrieved(t, s, key) {
		t.Fatal("a repeated request after the retrieval finished made it pending again")
	}
	if got := blobtest.ReadAll(t, s, key); !bytes.Equal(got, data) {
		t.Fatal("read back bytes differ")
	}
}

func testExpeditedFallback(t *testing.T, newStore NewStore) {
	clock := NewClock()
	s := newStore(t, Options{Now: clock.Now, ExpeditedUnavailable: true})
	ctx := context.Background()
	data := sampleVCF(6)
	put(t, s, key, data)
	_, err := s.Retrieve(ctx, key, gas.TierExpedited)
	wantCode(t, "Retrieve expedited when unavailable", err, gas.EUNAVAILABLE)
	if retrieved(t, s, key) {
		t.Fatal("a refused retrieval made the object readable")
	}
	r, err := s.Retrieve(ctx, key, gas.TierStandard)
	if err != nil {
		t.Fatalf("Retrieve standard after the refusal: %v", err)
	}
	if r.Tier != gas.TierStandard {
		t.Fatalf("fallback tier = %q, want standard", r.Tier)
	}
	if !retrieved(t, s, key) {
		t.Fatal("Retrieved is false after a zero-delay standard retrieval")
	}
	if got := blobtest.ReadAll(t, s, key); !bytes.Equal(got, data) {
		t.Fatal("read back bytes differ")
	}
}

func testUnknownTier(t *testing.T, newStore NewStore) {
	clock := NewClock()
	s := newStore(t, Options{Now: clock.Now})
	put(t, s, key, sampleVCF(1))
	_, err := s.Retrieve(context.Background(), key, gas.RetrievalTier("instant"))
	wantCode(t, "Retrieve with an unknown tier", err, gas.EINVALID)
}

func testDelete(t *testing.T, newStore NewStore) {
	clock := NewClock()
	s := newStore(t, Options{Now: clock.Now})
	ctx := context.Background()
	put(t, s, key, sampleVCF(1))
	if _, err := s.Retrieve(ctx, key, gas.TierStandard); err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := s.Stat(ctx, key)
	wantCode(t, "Stat after Delete", err, gas.ENOTFOUND)
	_, err = s.Open(ctx, key)
	wantCode(t, "Open after Delete", err, gas.ENOTFOUND)
	_, err = s.Retrieve(ctx, key, gas.TierStandard)
	wantCode(t, "Retrieve after Delete", err, gas.ENOTFOUND)
	// Deleting again is what a re-run thaw does: not an error.
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
}

func testDeleteMissing(t *testing.T, newStore NewStore) {
	clock := NewClock()
	s := newStore(t, Options{Now: clock.Now})
	if err := s.Delete(context.Background(), "user/1/never-stored/result.vcf.gz"); err != nil {
		t.Fatalf("Delete of an object never stored: %v", err)
	}
}

// testPutAfterDeleteIsCold: a result archived, restored and archived
// again must not be readable without a new retrieval.
func testPutAfterDeleteIsCold(t *testing.T, newStore NewStore) {
	clock := NewClock()
	s := newStore(t, Options{Now: clock.Now})
	ctx := context.Background()
	put(t, s, key, sampleVCF(1))
	if _, err := s.Retrieve(ctx, key, gas.TierStandard); err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	data := sampleVCF(2)
	put(t, s, key, data)
	if retrieved(t, s, key) {
		t.Fatal("an object stored again after Delete is readable without a retrieval")
	}
	_, err := s.Open(ctx, key)
	wantCode(t, "Open of an object stored again", err, gas.EUNAVAILABLE)
	if _, err := s.Retrieve(ctx, key, gas.TierStandard); err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if got := blobtest.ReadAll(t, s, key); !bytes.Equal(got, data) {
		t.Fatal("read back bytes differ")
	}
}

func testLargeObject(t *testing.T, newStore NewStore) {
	clock := NewClock()
	s := newStore(t, Options{Now: clock.Now})
	// 6 MiB: half random (incompressible, like a .vcf.gz), half repetitive,
	// so both the compressed and the stored path cross buffer boundaries.
	const size = 6 << 20
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < size/2; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			data[i+j] = byte(v >> (8 * j))
		}
	}
	copy(data[size/2:], bytes.Repeat([]byte("chr1\t12345\t.\tA\tG\n"), size/2/17+1))
	put(t, s, key, data)
	st, err := s.Stat(context.Background(), key)
	if err != nil || st.Size != size || st.SHA256 != blobtest.Sum(data) {
		t.Fatalf("Stat = %+v, %v; want size %d sha %s", st, err, size, blobtest.Sum(data))
	}
	if _, err := s.Retrieve(context.Background(), key, gas.TierExpedited); err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	got := blobtest.ReadAll(t, s, key)
	if len(got) != size || blobtest.Sum(got) != blobtest.Sum(data) {
		t.Fatalf("read back %d bytes sha %s, want %d bytes sha %s", len(got), blobtest.Sum(got), size, blobtest.Sum(data))
	}
}

func testKeysIndependent(t *testing.T, newStore NewStore) {
	const delay = time.Hour
	clock := NewClock()
	s := newStore(t, Options{Now: clock.Now, Delay: delay})
	ctx := context.Background()
	a, b := "user/1/a/result.vcf.gz", "user/1/b/result.vcf.gz"
	put(t, s, a, sampleVCF(1))
	put(t, s, b, sampleVCF(2))
	if _, err := s.Retrieve(ctx, a, gas.TierStandard); err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	clock.Advance(2 * delay)
	if !retrieved(t, s, a) {
		t.Fatal("a: not retrieved after its delay")
	}
	if retrieved(t, s, b) {
		t.Fatal("b: readable although only a was retrieved")
	}
	if err := s.Delete(ctx, a); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if st, err := s.Stat(ctx, b); err != nil || st.SHA256 != blobtest.Sum(sampleVCF(2)) {
		t.Fatalf("b after deleting a: %+v, %v", st, err)
	}
}
