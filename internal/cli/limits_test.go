package cli

import (
	"bytes"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/gas-project/gas/refdata"
)

// TestPlanLimitsServe: on a real gas serve, a Free user with the most
// jobs their plan allows at once gets the upload form again with 429, a
// Retry-After header and a sentence saying why and when to try again. No
// annotate worker runs here, so the jobs stay PENDING.
func TestPlanLimitsServe(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--free-queued-jobs", "2", "--queues", "lifecycle,notify")
	c := newClient(t)
	signUp(t, c, s.url, "limits@example.org")
	for range 2 {
		upload(t, c, s.url, "demo.vcf", refdata.DemoVCF())
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "demo.vcf")
	fw.Write(refdata.DemoVCF())
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, s.url+"/annotate", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := html.UnescapeString(string(page))
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "60" ||
		!strings.Contains(text, "You have 2 annotation jobs waiting or running, the most your Free plan allows at once") ||
		!strings.Contains(text, "try again") || !strings.Contains(text, `name="file"`) {
		t.Fatalf("third upload: %d Retry-After %q\n%.2000s", resp.StatusCode, resp.Header.Get("Retry-After"), text)
	}
}

// TestPlanLimitsPreflightStart: an upload waiting on its pre-flight report
// that cannot start now (the plan's jobs at once) gets 429 and keeps
// waiting, so it can be started later; it is not released and deleted.
func TestPlanLimitsPreflightStart(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--free-queued-jobs", "1", "--queues", "lifecycle,notify")
	c := newClient(t)
	signUp(t, c, s.url, "preflight-limit@example.org")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("preflight", "1")
	fw, _ := mw.CreateFormFile("file", "held.vcf")
	fw.Write(refdata.DemoVCF())
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, s.url+"/annotate", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/uploads/") {
		t.Fatalf("pre-flight upload: %d %q", resp.StatusCode, loc)
	}
	// Meanwhile another upload takes the one job the plan allows at once.
	upload(t, c, s.url, "demo.vcf", refdata.DemoVCF())
	resp, err = c.Post(s.url+loc+"/start", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(html.UnescapeString(string(page)), "the most your Free plan allows at once") {
		t.Fatalf("start over the limit: %d %q\n%.1000s", resp.StatusCode, resp.Header.Get("Retry-After"), page)
	}
	if code, _ := get(t, c, s.url+loc); code != http.StatusOK {
		t.Fatalf("the pre-flight report after the refusal: %d, want it still waiting", code)
	}
}
