package browsertest

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/chromedp"

	"github.com/gas-project/gas/internal/cli"
	"github.com/gas-project/gas/internal/s3test"
)

// TestBrowserDirectUploadToS3 runs `gas serve` with its job files in S3
// (versitygw) and uploads through the form in Chromium: the page's script
// gets a presigned request, the browser PUTs the file to the bucket itself
// (the bucket's CORS rules and the page's connect-src allow it), and only
// the form's fields reach the site, which queues the job on the stored
// object. The site's metrics show it never received the multipart upload.
func TestBrowserDirectUploadToS3(t *testing.T) {
	b := newBrowser(t)
	srv := s3test.Start(t)
	url := startServe(t, "--s3-endpoint", srv.Endpoint, "--s3-region", srv.Region, "--s3-access-key", srv.AccessKey,
		"--s3-secret-key", srv.SecretKey, "--s3-bucket", srv.Bucket, "--s3-prefix", "site", "--workers", "1")
	input, _ := demoRecords(t, 2_000)

	b.do("sign up",
		chromedp.Navigate(url+"/signup"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SetValue(chromedp.ID("email"), "grace@example.org"),
		chromedp.SetValue(chromedp.ID("name"), "Grace Hopper"),
		chromedp.SetValue(chromedp.ID("password"), "browser test password"),
		chromedp.Click(chromedp.CSS("main form button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("upload-form")))
	if got := mustEval[string](b, `document.getElementById("upload-form").dataset.directUpload || ""`); got != "/annotate/direct" {
		t.Fatalf("the upload form does not offer direct uploads (data-direct-upload=%q)", got)
	}
	b.do("upload straight to S3",
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{input}),
		chromedp.Click(chromedp.ID("preflight")), // untick: straight to the job
		chromedp.Click(chromedp.CSS("#upload-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("job-details")))
	b.shot("10-direct-upload-job-page")
	id := strings.TrimPrefix(mustEval[string](b, `location.pathname`), "/jobs/")

	// The input is in the bucket, under the job's key.
	ctx := context.Background()
	out, err := srv.Client().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(srv.Bucket), Prefix: aws.String("site/user/")})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, o := range out.Contents {
		found = found || strings.Contains(aws.ToString(o.Key), id+"/")
	}
	if !found {
		t.Fatalf("no object of job %s in the bucket", id)
	}
	// The site saw the two small requests, never a multipart upload.
	metrics := get(t, url+"/metrics")
	if !strings.Contains(metrics, `route="POST /annotate/direct"`) || !strings.Contains(metrics, `route="POST /annotate/direct/finish"`) ||
		strings.Contains(metrics, `route="POST /annotate"}`) {
		t.Fatalf("the site's request metrics do not show a direct upload:\n%s", grepLines(metrics, "gas_http_request_duration_seconds_count"))
	}
	deadline := time.Now().Add(time.Minute)
	for {
		state := mustEval[string](b, `(document.querySelector("[data-job-badge] .job-state") || {}).textContent || ""`)
		if strings.Contains(state, "COMPLETED") {
			break
		}
		if time.Now().After(deadline) {
			b.shot("failed-direct-wait")
			t.Fatalf("the directly uploaded job did not complete (badge %q)", state)
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.shot("11-direct-upload-completed")
}

// startServe runs `gas serve` in this process on a free port until the
// test ends, and returns its URL once it answers.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	all := append([]string{"serve", "--addr", addr, "--base-url", "http://" + addr, "--data-dir", t.TempDir()}, args...)
	go func() {
		done <- cli.Run(ctx, all, []string{"GAS_LOG_LEVEL=warn"}, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("gas serve did not stop")
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "GAS is running at "); ok {
				ready <- u
			}
		}
		close(ready)
	}()
	select {
	case u, ok := <-ready:
		if !ok {
			t.Fatal("gas serve exited before it was ready")
		}
		return u
	case <-time.After(60 * time.Second):
		t.Fatal("gas serve did not start")
	}
	return ""
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
