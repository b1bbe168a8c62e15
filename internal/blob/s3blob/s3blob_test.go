package s3blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/blob/blobtest"
	"github.com/gas-project/gas/internal/s3test"
)

var (
	sum         = blobtest.Sum
	randomBytes = blobtest.RandomBytes
)

func serverConfig(srv *s3test.Server) Config {
	return Config{
		Endpoint:  srv.Endpoint,
		Region:    srv.Region,
		AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey,
		Bucket:    srv.Bucket,
		Prefix:    "gas",
		PartSize:  MinPartSize,
	}
}

// requestLog records the requests a store sends, to see which S3 calls
// (single or multipart) a Put used.
type requestLog struct {
	mu   sync.Mutex
	reqs []string
}

func (l *requestLog) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.reqs = append(l.reqs, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	l.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (l *requestLog) count(method, query string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.reqs {
		if strings.HasPrefix(r, method+" ") && strings.Contains(r, query) {
			n++
		}
	}
	return n
}

func newStore(t *testing.T) (*Store, *s3test.Server, *requestLog) {
	t.Helper()
	srv := s3test.Start(t)
	log := &requestLog{}
	cfg := serverConfig(srv)
	cfg.HTTPClient = &http.Client{Transport: log}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, srv, log
}

func readAll(t *testing.T, s gas.BlobStore, key string) []byte { return blobtest.ReadAll(t, s, key) }

// TestS3BlobStore runs the conformance suite every gas.BlobStore passes,
// on the S3 test server, with 5 MiB parts so the large object goes up in
// parts.
func TestS3BlobStore(t *testing.T) {
	t.Parallel()
	blobtest.Run(t, func(t *testing.T) gas.BlobStore {
		s, _, _ := newStore(t)
		return s
	})
}

// Objects live under the prefix, with their checksum as metadata.
func TestPrefixAndChecksumMetadata(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, srv, _ := newStore(t)
	const key = "user/1/job-a/input.vcf"
	data := bytes.Repeat([]byte("ACGT"), 100_000)
	if _, err := s.Put(ctx, key, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	head, err := srv.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String("gas/" + key)})
	if err != nil {
		t.Fatalf("object not at the prefixed key: %v", err)
	}
	if head.Metadata[MetaSHA256] != sum(data) {
		t.Fatalf("metadata = %v", head.Metadata)
	}
}

// TestMultipart puts 12 MB with 5 MiB parts: three UploadPart requests, then
// the server-side copy that records the checksum.
func TestMultipart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, log := newStore(t)
	data := randomBytes(12_000_000, 1)
	info, err := s.Put(ctx, "user/2/job-b/result.vcf.gz", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(data)) || info.SHA256 != sum(data) {
		t.Fatalf("info = %+v", info)
	}
	if n := log.count("PUT", "partNumber="); n != 3 {
		t.Fatalf("%d UploadPart requests, want 3", n)
	}
	if n := log.count("POST", "uploads"); n != 1 {
		t.Fatalf("%d CreateMultipartUpload requests, want 1", n)
	}
	if o, err := s.Head(ctx, "user/2/job-b/result.vcf.gz"); err != nil || o.SHA256 != info.SHA256 {
		t.Fatalf("checksum not recorded by Put: %+v, %v", o, err)
	}
	if st, err := s.Stat(ctx, "user/2/job-b/result.vcf.gz"); err != nil || st != info {
		t.Fatalf("stat = %+v, %v", st, err)
	}
	if got := readAll(t, s, "user/2/job-b/result.vcf.gz"); !bytes.Equal(got, data) {
		t.Fatal("multipart object read back differs")
	}
}

// A body exactly one part long still goes in a single request.
func TestOnePartBoundary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, log := newStore(t)
	data := randomBytes(MinPartSize, 2)
	info, err := s.Put(ctx, "user/1/j/part", bytes.NewReader(data))
	if err != nil || info.SHA256 != sum(data) {
		t.Fatalf("put = %+v, %v", info, err)
	}
	if n := log.count("POST", "uploads"); n != 0 {
		t.Fatalf("%d multipart uploads for a one-part body", n)
	}
	if got := readAll(t, s, "user/1/j/part"); !bytes.Equal(got, data) {
		t.Fatal("read back differs")
	}
}

// failingReader yields its bytes and then an error, like a client that
// disconnects mid-upload.
type failingReader struct {
	r io.Reader
}

var errDisconnected = errors.New("client went away")

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errDisconnected
	}
	return n, err
}

// A failed multipart upload is aborted, not left to cost storage (the
// suite checks that the old object stays).
func TestFailedPutAbortsUpload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, srv, _ := newStore(t)
	if _, err := s.Put(ctx, "user/1/j/in.vcf", &failingReader{bytes.NewReader(randomBytes(11_000_000, 4))}); !errors.Is(err, errDisconnected) {
		t.Fatalf("put: %v; want the reader's error", err)
	}
	ups, err := srv.Client().ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(srv.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups.Uploads) != 0 {
		t.Fatalf("%d multipart uploads left behind", len(ups.Uploads))
	}
}

// An object written by someone else (a browser's presigned PUT) has no
// checksum; Stat computes it and records it for the next Stat.
func TestStatComputesMissingChecksum(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, srv, log := newStore(t)
	data := randomBytes(300_000, 3)
	if _, err := srv.Client().PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(srv.Bucket), Key: aws.String("gas/user/1/j/raw"), Body: bytes.NewReader(data),
	}); err != nil {
		t.Fatal(err)
	}
	o, err := s.Head(ctx, "user/1/j/raw")
	if err != nil || o.SHA256 != "" || o.Size != int64(len(data)) {
		t.Fatalf("head before stat = %+v, %v", o, err)
	}
	want := gas.BlobInfo{Key: "user/1/j/raw", Size: int64(len(data)), SHA256: sum(data)}
	if st, err := s.Stat(ctx, "user/1/j/raw"); err != nil || st != want {
		t.Fatalf("stat = %+v, %v; want %+v", st, err, want)
	}
	if o, err := s.Head(ctx, "user/1/j/raw"); err != nil || o.SHA256 != sum(data) {
		t.Fatalf("checksum not recorded: %+v, %v", o, err)
	}
	gets := log.count("GET", "")
	if st, err := s.Stat(ctx, "user/1/j/raw"); err != nil || st != want {
		t.Fatalf("second stat = %+v, %v", st, err)
	}
	if log.count("GET", "") != gets {
		t.Fatal("second stat read the object again")
	}
	if got := readAll(t, s, "user/1/j/raw"); !bytes.Equal(got, data) {
		t.Fatal("recording the checksum changed the object")
	}
}

// An invalid key is refused before any request is sent.
func TestInvalidKeysSendNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, log := newStore(t)
	for _, key := range []string{"", "/abs", "a/../b", ".hidden", "a\x00b"} {
		s.Put(ctx, key, strings.NewReader("x"))
		s.Open(ctx, key)
		s.Stat(ctx, key)
		s.Delete(ctx, key)
	}
	if n := len(log.reqs); n != 0 {
		t.Errorf("invalid keys sent %d requests", n)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	good := Config{Region: "us-east-1", AccessKey: "a", SecretKey: "s", Bucket: "b"}
	if _, err := New(good); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no bucket", func(c *Config) { c.Bucket = "" }, "bucket"},
		{"no keys", func(c *Config) { c.AccessKey, c.SecretKey = "", "" }, "access key, secret key"},
		{"no region", func(c *Config) { c.Region = "" }, "region"},
		{"bad endpoint", func(c *Config) { c.Endpoint = "127.0.0.1:9000" }, "not an http"},
		{"slash prefix", func(c *Config) { c.Prefix = "gas/" }, "prefix"},
		{"small parts", func(c *Config) { c.PartSize = 1 << 20 }, "minimum"},
	} {
		c := good
		tc.edit(&c)
		if _, err := New(c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v; want it to mention %q", tc.name, err, tc.want)
		}
	}
}
