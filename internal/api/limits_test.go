package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/blob"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
)

// limitsFixture is the API on a store with the plans' limits on, as gas
// serve wires it; no worker runs, so jobs stay PENDING.
func limitsFixture(t *testing.T, limits func(gas.Plan) gas.PlanLimits) *fixture {
	t.Helper()
	db := sqldbtest.SQLite(t, sqldb.Options{})
	ins, err := jobs.NewInserter(db.RiverDriver(), nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Limit(ins, limits)
	blobs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store := db.JobStore(ins)
	h, err := NewHandler(Config{FreeUploadLimit: 150_000, PremiumUploadLimit: 5_000_000, DefaultBundle: "demo", Limits: limits},
		Deps{Tokens: db, Jobs: store, Update: store, Blobs: blobs, Quota: db, Pending: db})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &fixture{db: db, store: store, blobs: blobs, url: srv.URL}
}

func retryAfter(t *testing.T, a answer) int {
	t.Helper()
	n, err := strconv.Atoi(a.header.Get("Retry-After"))
	if err != nil {
		t.Fatalf("answer %d has no Retry-After in seconds: %q", a.code, a.header.Get("Retry-After"))
	}
	return n
}

// TestPlanLimitsAPI: over the plan's jobs at once or uploads per hour, an
// upload is refused with 429, a Retry-After header and a message that says
// which limit and when to try again; cancelled jobs free places but still
// count as uploads; and parallel uploads cannot slip past the limit.
func TestPlanLimitsAPI(t *testing.T) {
	t.Parallel()
	f := limitsFixture(t, func(gas.Plan) gas.PlanLimits {
		return gas.PlanLimits{InputBytes: 1 << 20, RunningJobs: 1, QueuedJobs: 3, UploadsPerHour: 5}
	})
	_, tok := f.user(t, "a@example.org", gas.ScopeJobsRead, gas.ScopeJobsWrite)
	var ids []string
	for i := range 3 {
		a := f.submit(t, tok, fmt.Sprintf("a%d.vcf", i), vcfText, "")
		if a.code != http.StatusCreated {
			t.Fatalf("upload %d: %d %s", i, a.code, a.body)
		}
		var j Job
		a.json(t, &j)
		ids = append(ids, j.ID)
	}
	a := f.submit(t, tok, "a3.vcf", vcfText, "")
	if a.code != http.StatusTooManyRequests || a.errCode(t) != gas.ETOOMANY || retryAfter(t, a) != 60 ||
		!strings.Contains(string(a.body), "3 annotation jobs waiting or running") {
		t.Fatalf("fourth job at once: %d %v %s", a.code, a.header, a.body)
	}
	// A direct-upload request is refused the same way before any storage.
	for _, id := range ids[:2] {
		if a := f.do(t, "POST", "/api/v1/jobs/"+id+"/cancel", tok, nil, ""); a.code != http.StatusOK {
			t.Fatalf("cancel: %d %s", a.code, a.body)
		}
	}
	for i := range 2 {
		if a := f.submit(t, tok, fmt.Sprintf("b%d.vcf", i), vcfText, ""); a.code != http.StatusCreated {
			t.Fatalf("upload after cancels %d: %d %s", i, a.code, a.body)
		}
	}
	// Five uploads this hour: cancelling does not give one back.
	if a := f.do(t, "POST", "/api/v1/jobs/"+ids[2]+"/cancel", tok, nil, ""); a.code != http.StatusOK {
		t.Fatalf("cancel: %d %s", a.code, a.body)
	}
	a = f.submit(t, tok, "c.vcf", vcfText, "")
	if a.code != http.StatusTooManyRequests || !strings.Contains(string(a.body), "5 uploads in the last hour") {
		t.Fatalf("sixth upload in an hour: %d %s", a.code, a.body)
	}
	if s := retryAfter(t, a); s < 3500 || s > 3600 {
		t.Fatalf("Retry-After %d s, want the first upload's hour to run out (about 3600)", s)
	}

	// 20 uploads at once by another user: exactly 3 get in.
	_, tok2 := f.user(t, "b@example.org", gas.ScopeJobsRead, gas.ScopeJobsWrite)
	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch a := f.submit(t, tok2, fmt.Sprintf("p%d.vcf", i), vcfText, ""); a.code {
			case http.StatusCreated:
				ok.Add(1)
			case http.StatusTooManyRequests:
				refused.Add(1)
			default:
				t.Errorf("parallel upload: %d %s", a.code, a.body)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 3 || refused.Load() != 17 {
		t.Fatalf("parallel uploads: %d accepted, %d refused; want 3 and 17", ok.Load(), refused.Load())
	}
	// Only the share is in River; the other two wait in job_holds.
	var queued, held int
	if err := f.db.SQL().QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = 'annotate'`).Scan(&queued); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SQL().QueryRow(`SELECT COUNT(*) FROM job_holds`).Scan(&held); err != nil {
		t.Fatal(err)
	}
	// User A: 5 jobs, 3 cancelled, 2 PENDING of which 1 queued (plus the
	// River jobs of the cancelled ones that were queued: the first and
	// the fourth, each let in as a place freed). User B: 3, 1 queued.
	if held != 1+2 {
		t.Fatalf("held jobs = %d, want 3 (A's and B's beyond their share of 1)", held)
	}
	if queued < 2 {
		t.Fatalf("River holds %d annotate jobs", queued)
	}
}

// gzipVCF is a gzip of a VCF with n minimal records at positions 100 +
// i*step: with step 0 (one site, repeated) it compresses over 100 times.
func gzipVCF(t testing.TB, n, step int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprint(zw, "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
	for i := range n {
		fmt.Fprintf(zw, "chr1\t%d\t.\tA\tG\t.\t.\t.\n", 100+i*step)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestMaxInputSizeAPI: the plan's limit counts the input after
// decompression (issue 17: a 135 kB gzip of 396,000 records went through a
// Free account), the record limit counts records, and a Premium upload is
// held to max-input-size at upload rather than failing in the worker.
func TestMaxInputSizeAPI(t *testing.T) {
	t.Parallel()
	var records atomic.Int64 // the record limit of both plans, changed below
	f := limitsFixture(t, func(p gas.Plan) gas.PlanLimits {
		if p == gas.PlanPremium {
			return gas.PlanLimits{InputBytes: 1_000_000, InputRecords: records.Load()} // max-input-size 1 MB
		}
		return gas.PlanLimits{InputBytes: 150_000, InputRecords: records.Load()}
	})
	u, tok := f.user(t, "free@example.org", gas.ScopeJobsRead, gas.ScopeJobsWrite)
	bomb := gzipVCF(t, 396_000, 0)
	if len(bomb) > 150_000 {
		t.Fatalf("the gzip is %d bytes, over the upload limit itself", len(bomb))
	}
	a := f.submit(t, tok, "many.vcf.gz", string(bomb), "")
	if a.code != http.StatusRequestEntityTooLarge || a.errCode(t) != gas.ETOOLARGE || !strings.Contains(string(a.body), "Once decompressed") {
		t.Fatalf("Free gzip of 396,000 records (%d bytes): %d %s", len(bomb), a.code, a.body)
	}
	records.Store(1000)
	a = f.submit(t, tok, "records.vcf.gz", string(gzipVCF(t, 1500, 1)), "")
	if a.code != http.StatusRequestEntityTooLarge || !strings.Contains(string(a.body), "more than 1,000 variant records") {
		t.Fatalf("Free file of 1,500 records: %d %s", a.code, a.body)
	}
	if a := f.submit(t, tok, "fine.vcf.gz", string(gzipVCF(t, 1000, 1)), ""); a.code != http.StatusCreated {
		t.Fatalf("Free file within the limits: %d %s", a.code, a.body)
	}
	records.Store(0)
	if err := f.db.SetPlan(context.Background(), u.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	// 50,000 records are about 1.2 MB decompressed: over max-input-size.
	a = f.submit(t, tok, "big.vcf.gz", string(gzipVCF(t, 50_000, 1)), "")
	if a.code != http.StatusRequestEntityTooLarge || !strings.Contains(string(a.body), "your Premium plan allows (1.0 MB") {
		t.Fatalf("Premium file over max-input-size: %d %s", a.code, a.body)
	}
	var n int
	if err := f.db.SQL().QueryRow(`SELECT COUNT(*) FROM jobs`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("jobs = %d, %v; want only the one within the limits", n, err)
	}
}

// TestPlanLimitsPageBounds: a page number past what an offset can hold is
// refused, never answered with page 1 (issue 17).
func TestPlanLimitsPageBounds(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, tok := f.user(t, "p@example.org", gas.ScopeJobsRead, gas.ScopeJobsWrite)
	if a := f.submit(t, tok, "a.vcf", vcfText, ""); a.code != http.StatusCreated {
		t.Fatal(a.code)
	}
	for _, q := range []string{"page=9223372036854775807", "page=1000001", "page=0", "page=-1", "per_page=201", "page=x"} {
		if a := f.do(t, "GET", "/api/v1/jobs?"+q, tok, nil, ""); a.code != http.StatusBadRequest || a.errCode(t) != gas.EINVALID {
			t.Errorf("%s: %d %s", q, a.code, a.body)
		}
	}
	var list JobList
	f.do(t, "GET", "/api/v1/jobs?page=1000000", tok, nil, "").json(t, &list)
	if len(list.Jobs) != 0 || list.Page != 1000000 || list.Total != 1 {
		t.Fatalf("a page past the end: %+v", list)
	}
}

// TestPlanLimitsPendingUploadNotAdopted: an upload waiting on its
// pre-flight report cannot be taken as a job's input through the API
// (issue 17: the sweeper of abandoned uploads later deleted the adopted
// job's input), neither by the JSON submission nor in the store.
func TestPlanLimitsPendingUploadNotAdopted(t *testing.T) {
	t.Parallel()
	f := setup(t)
	u, tok := f.user(t, "h@example.org", gas.ScopeJobsRead, gas.ScopeJobsWrite)
	ctx := context.Background()
	id := "6f1c1f7e-1111-4222-8333-944455556666"
	key := gas.JobKey(u.ID, id, "held.vcf")
	if _, err := f.blobs.Put(ctx, key, strings.NewReader(vcfText)); err != nil {
		t.Fatal(err)
	}
	if err := f.db.HoldUpload(ctx, &gas.PendingUpload{ID: id, UserID: u.ID, InputKey: key, InputName: "held.vcf", Report: "{}"}); err != nil {
		t.Fatal(err)
	}
	a := f.do(t, "POST", "/api/v1/jobs", tok, strings.NewReader(`{"upload_id": "`+id+`", "name": "held.vcf"}`), "application/json")
	if a.code != http.StatusBadRequest {
		t.Fatalf("JSON submission of a pending upload on local storage: %d %s", a.code, a.body)
	}
	err := f.store.CreateJob(ctx, &gas.Job{ID: id, UserID: u.ID, InputKey: key, InputName: "held.vcf", Bundle: "demo"})
	if gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("CreateJob of a pending upload's ID: %v", err)
	}
	if _, err := f.blobs.Stat(ctx, key); err != nil {
		t.Fatalf("the pending upload's file: %v", err)
	}
	if _, err := f.db.PendingUpload(ctx, u.ID, id); err != nil {
		t.Fatalf("the pending upload: %v", err)
	}
}
