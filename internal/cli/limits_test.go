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
