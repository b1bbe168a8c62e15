package refinstall

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fastDownloader retries at once, so tests need not wait for backoff, and
// trusts the test server's certificate.
func fastDownloader(srv *httptest.Server, retries int) *Downloader {
	return &Downloader{Client: srv.Client(), Retries: retries, Backoff: time.Millisecond}
}

func TestDownloadResumesAfterCutWithRange(t *testing.T) {
	t.Parallel()
	ts := loadTestSources(t)
	fs, srv := newFileServer(t)
	ts.serve(fs)
	const p = "/dbsnp/known_variants.vcf.gz"
	data := ts.files[p]
	fs.cut(p, 1)

	dest := filepath.Join(t.TempDir(), "known.vcf.gz")
	var logged []string
	d := fastDownloader(srv, 0)
	d.Logf = func(f string, a ...any) { logged = append(logged, f) }
	dl, err := d.Fetch(context.Background(), srv.URL+p, dest, Want{SHA256: sha(data), Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	if dl.Sums.SHA256 != sha(data) || !dl.TLS || dl.FinalURL != srv.URL+p || dl.ETag != etag(data) || dl.LastModified.IsZero() {
		t.Fatalf("download %+v, want sha256 %s over TLS with the server's validators", dl, sha(data))
	}
	// The resumed request was conditional on the file being unchanged.
	if ir := fs.ifRanges(); len(ir) != 1 || ir[0] != etag(data) {
		t.Errorf("If-Range sent %q, want the ETag %s", ir, etag(data))
	}
	reqs := fs.requests()
	// The cut response carried half the file; the retry asks for the rest.
	want := []string{p + " ", p + " bytes=" + itoa(len(data)/2) + "-"}
	if strings.Join(reqs, "|") != strings.Join(want, "|") {
		t.Fatalf("requests %q, want %q", reqs, want)
	}
	if len(logged) != 1 {
		t.Errorf("want one retry message, got %q", logged)
	}
	if _, err := os.Stat(dest + ".part"); !os.IsNotExist(err) {
		t.Errorf(".part left behind: %v", err)
	}
}

func TestDownloadResumesAcrossRuns(t *testing.T) {
	t.Parallel()
	ts := loadTestSources(t)
	fs, srv := newFileServer(t)
	ts.serve(fs)
	const p = "/ensembl/genes.gff3.gz"
	data := ts.files[p]
	fs.cut(p, 1)
	dest := filepath.Join(t.TempDir(), "genes.gff3.gz")
	want := Want{SHA256: sha(data)}

	// First run: no retries, so the cut ends it with the half in .part.
	_, err := fastDownloader(srv, -1).Fetch(context.Background(), srv.URL+p, dest, want)
	if err == nil || !strings.Contains(err.Error(), "run again to resume") {
		t.Fatalf("want a resumable failure, got %v", err)
	}
	st, err := os.Stat(dest + ".part")
	if err != nil || st.Size() != int64(len(data)/2) {
		t.Fatalf(".part after the cut: %v, %v (want %d bytes)", st, err, len(data)/2)
	}
	// Second run (a new Downloader, as after a restart) resumes.
	if _, err := fastDownloader(srv, -1).Fetch(context.Background(), srv.URL+p, dest, want); err != nil {
		t.Fatal(err)
	}
	reqs := fs.requests()
	if got := reqs[len(reqs)-1]; got != p+" bytes="+itoa(len(data)/2)+"-" {
		t.Fatalf("second run asked %q", got)
	}
	got, err := os.ReadFile(dest)
	if err != nil || sha(got) != sha(data) {
		t.Fatalf("file differs after resume (%v)", err)
	}
}

func TestDownloadServerWithoutRangeRestartsFromZero(t *testing.T) {
	t.Parallel()
	ts := loadTestSources(t)
	fs, srv := newFileServer(t)
	ts.serve(fs)
	fs.noRange = true
	const p = "/dbsnp/known_variants.vcf.gz"
	data := ts.files[p]
	fs.cut(p, 1)
	dest := filepath.Join(t.TempDir(), "known.vcf.gz")
	var logged []string
	d := fastDownloader(srv, 0)
	d.Logf = func(f string, a ...any) { logged = append(logged, f) }
	if _, err := d.Fetch(context.Background(), srv.URL+p, dest, Want{SHA256: sha(data)}); err != nil {
		t.Fatal(err)
	}
	reqs := fs.requests()
	if len(reqs) != 2 || !strings.HasSuffix(reqs[1], "bytes="+itoa(len(data)/2)+"-") {
		t.Fatalf("requests %q", reqs)
	}
	if !strings.Contains(strings.Join(logged, "\n"), "sent the whole file instead of the rest") {
		t.Errorf("no restart message in %q", logged)
	}
	got, _ := os.ReadFile(dest)
	if sha(got) != sha(data) {
		t.Fatal("the file was spliced instead of restarted")
	}
}

func TestDownloadChecksumMismatchRemovesPart(t *testing.T) {
	t.Parallel()
	ts := loadTestSources(t)
	fs, srv := newFileServer(t)
	ts.serve(fs)
	const p = "/ucsc/cytoBand.txt"
	dest := filepath.Join(t.TempDir(), "cytoBand.txt")
	wrong := sha([]byte("something else"))
	_, err := fastDownloader(srv, 0).Fetch(context.Background(), srv.URL+p, dest, Want{SHA256: wrong})
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.Want != wrong || ce.Got != sha(ts.files[p]) || ce.File != "cytoBand.txt" || ce.Kind != "SHA-256" {
		t.Fatalf("want a checksum error naming the file, got %v", err)
	}
	if !strings.Contains(err.Error(), "SHA-256 mismatch") {
		t.Errorf("unclear message: %v", err)
	}
	for _, f := range []string{dest, dest + ".part", dest + ".part.meta"} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s left behind: %v", f, err)
		}
	}
	if n := len(fs.requests()); n != 1 {
		t.Errorf("a checksum mismatch is not retried, got %d requests", n)
	}
}

func TestDownloadAnnouncedSizeMismatchStopsEarly(t *testing.T) {
	t.Parallel()
	ts := loadTestSources(t)
	fs, srv := newFileServer(t)
	ts.serve(fs)
	const p = "/ucsc/cytoBand.txt"
	dest := filepath.Join(t.TempDir(), "cytoBand.txt")
	_, err := fastDownloader(srv, 0).Fetch(context.Background(), srv.URL+p, dest, Want{Size: 12345})
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.Kind != "size" || ce.Want != "12345" {
		t.Fatalf("want a size error, got %v", err)
	}
}

func TestDownload404IsNotRetried(t *testing.T) {
	t.Parallel()
	fs, srv := newFileServer(t)
	dest := filepath.Join(t.TempDir(), "missing.gz")
	_, err := fastDownloader(srv, 3).Fetch(context.Background(), srv.URL+"/nope/missing.gz", dest, Want{})
	var he *HTTPError
	if !errors.As(err, &he) || he.Code != 404 || !strings.Contains(err.Error(), "404 Not Found") {
		t.Fatalf("want HTTP 404, got %v", err)
	}
	if n := len(fs.requests()); n != 1 {
		t.Errorf("404 retried: %d requests", n)
	}
}

func TestDownloadGivesUpAfterRetries(t *testing.T) {
	t.Parallel()
	fs, srv := newFileServer(t)
	fs.add("/x", []byte("0123456789"))
	// A server that keeps failing without sending a byte: attempts without
	// progress add up to the limit.
	srv.Config.Handler = http500{}
	dest := filepath.Join(t.TempDir(), "x")
	_, err := fastDownloader(srv, 2).Fetch(context.Background(), srv.URL+"/x", dest, Want{})
	if err == nil || !strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Fatalf("want a give-up error after 3 attempts, got %v", err)
	}
}

func TestDownloadResumeOfCompletePart(t *testing.T) {
	t.Parallel()
	fs, srv := newFileServer(t)
	data := []byte("complete content\n")
	fs.add("/done.txt", data)
	dest := filepath.Join(t.TempDir(), "done.txt")
	// A crash after the last byte but before the rename leaves a whole .part
	// and the validators of the file it holds.
	if err := os.WriteFile(dest+".part", data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeMeta(dest+".part.meta", &partMeta{URL: srv.URL + "/done.txt", ETag: etag(data), TLS: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := fastDownloader(srv, 0).Fetch(context.Background(), srv.URL+"/done.txt", dest, Want{SHA256: sha(data)}); err != nil {
		t.Fatal(err)
	}
	if reqs := fs.requests(); len(reqs) != 1 || !strings.HasSuffix(reqs[0], "bytes="+itoa(len(data))+"-") {
		t.Fatalf("requests %q", reqs)
	}
}

func TestDownloadStalledConnectionIsRetried(t *testing.T) {
	t.Parallel()
	ts := loadTestSources(t)
	fs, srv := newFileServer(t)
	ts.serve(fs)
	const p = "/ensembl/genes.gff3.gz"
	data := ts.files[p]
	fs.stall = true
	fs.cut(p, 1)
	dest := filepath.Join(t.TempDir(), "genes.gff3.gz")
	var logged []string
	d := fastDownloader(srv, 0)
	d.IdleTimeout = 250 * time.Millisecond
	d.Logf = func(f string, a ...any) { logged = append(logged, sprintf(f, a...)) }
	if _, err := d.Fetch(context.Background(), srv.URL+p, dest, Want{SHA256: sha(data)}); err != nil {
		t.Fatal(err)
	}
	// On a loaded machine a TLS handshake may outlast the idle time too:
	// that is another stalled attempt, retried the same way.
	if len(logged) == 0 {
		t.Error("the stall was not reported")
	}
	for _, l := range logged {
		if !strings.Contains(l, "no data for 250ms") {
			t.Errorf("want only stall messages, got %q", l)
		}
	}
	if reqs := fs.requests(); len(reqs) < 2 || reqs[0] != p+" " || reqs[len(reqs)-1] != p+" bytes="+itoa(len(data)/2)+"-" {
		t.Errorf("requests %q, want the whole file cut, then the rest", reqs)
	}
}

func TestDownloadContentRangeParsing(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in           string
		start, total int64
		ok           bool
	}{
		{"bytes 100-199/200", 100, 200, true},
		{"bytes 0-9/*", 0, -1, true},
		{"bytes */200", -1, 200, true},
		{"bytes */*", 0, 0, false},
		{"items 0-9/10", 0, 0, false},
		{"bytes x-9/10", 0, 0, false},
		{"bytes 0-9/ten", 0, 0, false},
		{"", 0, 0, false},
	} {
		s, tot, ok := contentRange(c.in)
		if ok != c.ok || (ok && (s != c.start || tot != c.total)) {
			t.Errorf("%q: %d %d %v, want %d %d %v", c.in, s, tot, ok, c.start, c.total, c.ok)
		}
	}
}
