package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// client is one signed-in user of a server, with its own cookie jar. It
// does not follow redirects, so each 303 and its Location are checked.
type client struct {
	t     *testing.T
	base  string
	http  *http.Client
	email string
}

const testPassword = "correct horse battery staple"

// newClient returns a signed-out client of baseURL, able to keep many
// requests in flight at once.
func newClient(t *testing.T, baseURL string) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 100
	return &client{t: t, base: baseURL, http: &http.Client{
		Jar:           jar,
		Timeout:       2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// signUp creates a Free account through the sign-up form and keeps its session.
func signUp(t *testing.T, baseURL, email string) *client {
	t.Helper()
	c := newClient(t, baseURL)
	c.email = email
	resp, err := c.http.PostForm(baseURL+"/signup", url.Values{
		"email": {email}, "password": {testPassword}, "name": {"E2E " + email},
	})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /signup = %d\n%.500s", resp.StatusCode, body)
	}
	return c
}

// use points c at another server (a restart picks a new port). The
// session cookie still applies: cookies are per host, not per port, and the
// session lives in the database.
func (c *client) use(s *server) { c.base = s.url }

// uploadResponse is what POST /annotate answered.
type uploadResponse struct {
	Status int
	JobID  string // from the Location /jobs/{id} of a 303
	Body   string // the page, for a refused upload
}

// upload posts a file as the browser's form does. It returns an error
// rather than failing the test so callers in goroutines can collect it.
func (c *client) upload(name string, content []byte, mode string) (uploadResponse, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("mode", mode); err != nil {
		return uploadResponse{}, err
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		return uploadResponse{}, err
	}
	if _, err := fw.Write(content); err != nil {
		return uploadResponse{}, err
	}
	if err := mw.Close(); err != nil {
		return uploadResponse{}, err
	}
	req, err := http.NewRequest(http.MethodPost, c.base+"/annotate", &buf)
	if err != nil {
		return uploadResponse{}, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.http.Do(req)
	if err != nil {
		return uploadResponse{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return uploadResponse{}, err
	}
	out := uploadResponse{Status: resp.StatusCode, Body: string(body)}
	if resp.StatusCode == http.StatusSeeOther {
		id, ok := strings.CutPrefix(resp.Header.Get("Location"), "/jobs/")
		if !ok || id == "" || strings.Contains(id, "/") {
			return out, fmt.Errorf("upload %s: redirected to %q, want /jobs/{id}", name, resp.Header.Get("Location"))
		}
		out.JobID = id
	}
	return out, nil
}

// mustUpload uploads and requires a new job.
func (c *client) mustUpload(name string, content []byte) string {
	c.t.Helper()
	r, err := c.upload(name, content, "all")
	if err != nil {
		c.t.Fatal(err)
	}
	if r.JobID == "" {
		c.t.Fatalf("upload %s = %d, want 303 to a job\n%.800s", name, r.Status, r.Body)
	}
	return r.JobID
}

// uploadAll uploads files[i] under names[i], at most concurrency at a
// time, and returns the job IDs in order; any refused or failed upload
// fails the test once all have finished.
func (c *client) uploadAll(names []string, files [][]byte, concurrency int) []string {
	c.t.Helper()
	ids := make([]string, len(names))
	errs := make([]error, len(names))
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i := range names {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r, err := c.upload(names[i], files[i], "all")
			if err == nil && r.JobID == "" {
				err = fmt.Errorf("upload %s = %d, want 303 to a job: %.300s", names[i], r.Status, r.Body)
			}
			ids[i], errs[i] = r.JobID, err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			c.t.Error(err)
		}
	}
	if c.t.Failed() {
		c.t.FailNow()
	}
	return ids
}

// jobStatus is the JSON of GET /jobs/{id}/status.
type jobStatus struct {
	ID       string `json:"id"`
	State    string `json:"state"`
	Terminal bool   `json:"terminal"`
	Records  int64  `json:"records"`
}

// status fetches a job's status; an error (not a test failure) so pollers
// can retry through a server restart.
func (c *client) status(id string) (jobStatus, error) {
	resp, err := c.http.Get(c.base + "/jobs/" + id + "/status")
	if err != nil {
		return jobStatus{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return jobStatus{}, fmt.Errorf("GET /jobs/%s/status = %d: %.200s", id, resp.StatusCode, b)
	}
	var st jobStatus
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return jobStatus{}, fmt.Errorf("GET /jobs/%s/status: %w", id, err)
	}
	if st.ID != id {
		return jobStatus{}, fmt.Errorf("GET /jobs/%s/status: answered for job %q", id, st.ID)
	}
	return st, nil
}

// waitState polls until every job is in want and returns how long it
// took. A job that FAILED fails the test at once; other states may be on
// the way (COMPLETED before ARCHIVED, ARCHIVED before a restore).
func (c *client) waitState(ids []string, want string, timeout time.Duration) time.Duration {
	c.t.Helper()
	return c.waitStatePoll(ids, want, timeout, 100*time.Millisecond)
}

// waitStatePoll is waitState asking every every.
func (c *client) waitStatePoll(ids []string, want string, timeout, every time.Duration) time.Duration {
	c.t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	pending := append([]string(nil), ids...)
	for len(pending) > 0 {
		var next []string
		for _, id := range pending {
			st, err := c.status(id)
			if err != nil {
				c.t.Fatal(err)
			}
			switch {
			case st.State == want:
			case st.State == "FAILED":
				c.t.Fatalf("job %s FAILED, want %s", id, want)
			default:
				next = append(next, id)
			}
		}
		pending = next
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%d of %d jobs not %s after %s (e.g. %s)", len(pending), len(ids), want, timeout, pending[0])
		}
		time.Sleep(every)
	}
	return time.Since(start)
}

// get fetches a path and returns the status and body.
func (c *client) get(path string) (int, []byte) {
	c.t.Helper()
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, b
}
