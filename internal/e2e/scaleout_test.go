package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/s3test"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
)

// TestScaleOutPostgresS3 is issue 8's proof on real processes: PostgreSQL,
// versitygw (S3), one `gas web` and two `gas worker`. 300 jobs are submitted
// through the API with uploads straight to S3; both workers take work; one is
// SIGKILLed mid-run, and all 300 complete exactly once (the survivor takes
// over the dead one's running jobs after its heartbeats stop). Then a Free
// result goes to the S3 archive bucket, an upgrade restores it (expedited
// refused, standard used) and the thawed result is byte-identical.
func TestScaleOutPostgresS3(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: a farm of real processes")
	}
	dbURL := sqldbtest.PostgresURL(t) // skips (or fails in CI) without PostgreSQL
	srv := s3test.Start(t)
	ctx := context.Background()
	const archiveBucket = "gas-archive"
	if err := srv.CreateBucket(ctx, archiveBucket); err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	env := map[string]string{
		"GAS_DATABASE_URL":            dbURL,
		"GAS_S3_ENDPOINT":             srv.Endpoint,
		"GAS_S3_REGION":               srv.Region,
		"GAS_S3_ACCESS_KEY":           srv.AccessKey,
		"GAS_S3_SECRET_KEY":           srv.SecretKey,
		"GAS_S3_BUCKET":               srv.Bucket,
		"GAS_ARCHIVE_BUCKET":          archiveBucket,
		"GAS_FREE_RETENTION":          "2s",
		"GAS_ARCHIVE_EXPEDITED_DELAY": "unavailable",
		"GAS_ARCHIVE_STANDARD_DELAY":  "1s",
		"GAS_WORKER_DEAD_AFTER":       "3s",
		"GAS_WORKERS":                 "2",
		"GAS_FREE_UPLOAD_LIMIT":       "10MB",
	}
	runGasCmd := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(gasBinary(t), args...)
		cmd.Env = serverEnv(filepath.Join(base, "admin"), env)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("gas %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	runGasCmd("migrate")
	w1, _ := startRole(t, filepath.Join(base, "w1"), "worker", filepath.Join(base, "worker1.log"), env)
	startRole(t, filepath.Join(base, "w2"), "worker", filepath.Join(base, "worker2.log"), env)
	_, url := startRole(t, filepath.Join(base, "web"), "web", filepath.Join(base, "web.log"), env)

	db, err := sqldb.OpenPostgres(ctx, dbURL, sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	signUp(t, url, "farm@example.org")
	runGasCmd("admin", "users", "set-plan", "farm@example.org", "premium") // no archiving of the burst
	farm, err := db.UserByEmail(ctx, "farm@example.org")
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := db.CreateToken(ctx, farm.ID, "farm", []string{gas.ScopeJobsRead, gas.ScopeJobsWrite}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	api := &apiClient{t: t, url: url, token: token}

	// 300 jobs, uploaded straight to S3, 16 at a time.
	const n = 300
	input := chr21VCF(3000, 300)
	ids := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	start := time.Now()
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ids[i] = api.submitDirect(fmt.Sprintf("farm%03d.vcf", i), input)
		}()
	}
	// Kill worker 1 once it is in the middle of work, as a crash would.
	w1ID := clientIDOf(t, db, w1.cmd.Process.Pid)
	var killed atomic.Bool
	watch, stopWatch := context.WithTimeout(ctx, 2*time.Minute)
	watched := make(chan struct{})
	defer func() { stopWatch(); <-watched }()
	go func() {
		defer close(watched)
		for watch.Err() == nil {
			var running, done int
			db.SQL().QueryRowContext(watch, `SELECT COUNT(*) FILTER (WHERE state = 'running' AND attempted_by[array_length(attempted_by, 1)] = $1),
				COUNT(*) FILTER (WHERE state = 'completed') FROM river_job WHERE kind = 'annotate'`, w1ID).Scan(&running, &done)
			if running > 0 && done >= 30 {
				w1.cmd.Process.Signal(syscall.SIGKILL)
				killed.Store(true)
				t.Logf("SIGKILLed worker 1 with %d jobs running on it, %d completed overall", running, done)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	wg.Wait()
	t.Logf("%d jobs submitted with direct S3 uploads in %s", n, time.Since(start).Round(time.Millisecond))
	for _, id := range ids {
		api.waitState(id, "COMPLETED", 3*time.Minute)
	}
	t.Logf("all %d completed %s after the first upload", n, time.Since(start).Round(time.Millisecond))
	if !killed.Load() {
		t.Fatal("worker 1 was never caught mid-job, so the kill was not tested")
	}

	// Exactly once: one completion event per job, one result object each.
	s3c := srv.Client()
	store := db.JobStore(nil) // reads only
	for _, id := range ids {
		evs, err := store.Events(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		completions := 0
		for _, e := range evs {
			if e.To == gas.JobCompleted {
				completions++
			}
		}
		j, err := store.Job(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if completions != 1 || j.ResultSum == "" {
			t.Fatalf("job %s: %d completions, result checksum %q", id, completions, j.ResultSum)
		}
		head, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(j.ResultKey)})
		if err != nil || aws.ToInt64(head.ContentLength) != j.ResultSize {
			t.Fatalf("result object of %s: %v", id, err)
		}
	}
	// Both workers did annotation work.
	rows, err := db.SQL().QueryContext(ctx, `SELECT attempted_by[array_length(attempted_by, 1)], COUNT(*) FROM river_job
		WHERE kind = 'annotate' AND state = 'completed' GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	perWorker := map[string]int{}
	for rows.Next() {
		var id string
		var c int
		if err := rows.Scan(&id, &c); err != nil {
			t.Fatal(err)
		}
		perWorker[id] = c
	}
	rows.Close()
	if len(perWorker) < 2 || perWorker[w1ID] == 0 {
		t.Fatalf("completed annotate jobs per worker: %v (worker 1 is %s)", perWorker, w1ID)
	}
	t.Logf("completed annotate jobs per worker process: %v", perWorker)

	// Archive -> restore -> thaw on S3, for a Free user.
	free := signUp(t, url, "free@example.org")
	id := free.mustUpload("free.vcf", input)
	free.waitState([]string{id}, "COMPLETED", time.Minute)
	original := presignedDownload(t, free, "/jobs/"+id+"/result", srv.Endpoint)
	free.waitState([]string{id}, "ARCHIVED", time.Minute)
	j, _ := store.Job(ctx, id)
	if _, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(j.ResultKey)}); err == nil {
		t.Fatal("the hot copy is still in the bucket after archiving")
	}
	runGasCmd("admin", "users", "set-plan", "free@example.org", "premium")
	free.waitState([]string{id}, "COMPLETED", time.Minute)
	if restored := presignedDownload(t, free, "/jobs/"+id+"/result", srv.Endpoint); !bytes.Equal(restored, original) {
		t.Fatal("the restored result differs from the one downloaded before archiving")
	}
	evs, _ := store.Events(ctx, id)
	var tiers []string
	for _, e := range evs {
		if e.To == gas.JobRestoring {
			tiers = append(tiers, e.Reason)
		}
	}
	if len(tiers) != 1 || !strings.Contains(tiers[0], "standard") {
		t.Fatalf("restore events: %v (want one, with the standard tier)", tiers)
	}
}

// presignedDownload fetches a download of the site as a browser would: the
// site answers the owner with a redirect to a short-lived link to S3
// itself, which works without the site's cookies.
func presignedDownload(t *testing.T, c *client, path, s3Endpoint string) []byte {
	t.Helper()
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, s3Endpoint) || !strings.Contains(loc, "X-Amz-Expires=300") {
		t.Fatalf("GET %s = %d, Location %q: want a redirect to a 5-minute S3 link", path, resp.StatusCode, loc)
	}
	resp, err = http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned GET: %d %v", resp.StatusCode, err)
	}
	return b
}

// clientIDOf finds the River client ID of the worker process with pid from
// its heartbeats.
func clientIDOf(t *testing.T, db *sqldb.DB, pid int) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var id string
		err := db.SQL().QueryRow(`SELECT client_id FROM worker_heartbeats WHERE pid = $1`, pid).Scan(&id)
		if err == nil {
			return id
		}
		if time.Now().After(deadline) {
			t.Fatalf("no heartbeat from worker pid %d: %v", pid, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// apiClient uses the JSON API with a token, as programs do.
type apiClient struct {
	t     *testing.T
	url   string
	token string
}

func (c *apiClient) do(method, path string, body io.Reader, ctype string) []byte {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.url+path, body)
	req.Header.Set("Authorization", "Bearer "+c.token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		c.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return b
}

// submitDirect uploads content straight to S3 with a presigned request and
// submits the job by its upload ID.
func (c *apiClient) submitDirect(name string, content []byte) string {
	c.t.Helper()
	body, _ := json.Marshal(map[string]any{"name": name, "size": len(content)})
	var up struct {
		UploadID string      `json:"upload_id"`
		Name     string      `json:"name"`
		Method   string      `json:"method"`
		URL      string      `json:"url"`
		Headers  http.Header `json:"headers"`
	}
	if err := json.Unmarshal(c.do(http.MethodPost, "/api/v1/uploads", bytes.NewReader(body), "application/json"), &up); err != nil {
		c.t.Fatal(err)
	}
	req, _ := http.NewRequest(up.Method, up.URL, bytes.NewReader(content))
	maps.Copy(req.Header, up.Headers)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("PUT to S3: %d", resp.StatusCode)
	}
	body, _ = json.Marshal(map[string]string{"upload_id": up.UploadID, "name": up.Name})
	var j struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(c.do(http.MethodPost, "/api/v1/jobs", bytes.NewReader(body), "application/json"), &j); err != nil {
		c.t.Fatal(err)
	}
	return j.ID
}

func (c *apiClient) waitState(id, want string, timeout time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var j struct {
			State      string `json:"state"`
			FailReason string `json:"fail_reason"`
		}
		if err := json.Unmarshal(c.do(http.MethodGet, "/api/v1/jobs/"+id, nil, ""), &j); err != nil {
			c.t.Fatal(err)
		}
		if j.State == want {
			return
		}
		if j.State == "FAILED" || time.Now().After(deadline) {
			c.t.Fatalf("job %s is %s (%s), want %s", id, j.State, j.FailReason, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
