// Package s3test starts a real S3-compatible server, versitygw with its
// posix backend, on 127.0.0.1 for tests of the S3 blob store and archive.
//
// versitygw is found on PATH or in $(go env GOPATH)/bin; CI installs it with
// `go install github.com/versity/versitygw/cmd/versitygw@v1.8.0`. Without it
// the tests that need it skip with a message saying how to install it, or
// fail when GAS_TEST_REQUIRE_VERSITYGW is set (as CI should).
//
// What versitygw v1.8.0's posix backend does not emulate (read from its
// source and confirmed by TestPosixIgnoresGlacier): it accepts any
// x-amz-storage-class on PutObject but stores nothing of it (HeadObject and
// GetObject always answer STANDARD), and RestoreObject answers 501
// NotImplemented. Objects are therefore always readable at once.
package s3test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Server is a running versitygw with one bucket created.
type Server struct {
	Endpoint  string // base URL, e.g. http://127.0.0.1:PORT
	Region    string
	AccessKey string
	SecretKey string
	Bucket    string // created empty by Start
	Dir       string // the posix backend's root: one directory per bucket
}

// RequireEnv names the environment variable that turns a missing
// versitygw from a skip into a failure.
const RequireEnv = "GAS_TEST_REQUIRE_VERSITYGW"

// InstallHint tells a developer how to get the server the tests need.
const InstallHint = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"

var (
	findOnce sync.Once
	binPath  string
	findErr  error
)

// Binary returns the path of the versitygw executable, or an error saying
// where it was looked for.
func Binary() (string, error) {
	findOnce.Do(func() {
		if p, err := exec.LookPath("versitygw"); err == nil {
			binPath = p
			return
		}
		out, err := exec.Command("go", "env", "GOPATH").Output()
		if err != nil {
			findErr = fmt.Errorf("versitygw not on PATH and `go env GOPATH` failed: %w", err)
			return
		}
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "versitygw")
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				binPath = p
				return
			}
		}
		findErr = errors.New("versitygw not found on PATH or in $(go env GOPATH)/bin")
	})
	return binPath, findErr
}

// Start runs versitygw for the test on a free loopback port, waits until it
// answers, creates a bucket, and stops the server when the test ends. The
// test is skipped when versitygw is not installed.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		// CI sets RequireEnv so a missing install step fails loudly
		// instead of passing with every S3 test skipped.
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("s3test: %v and %s is set; install it with `%s`", err, RequireEnv, InstallHint)
		}
		t.Skipf("skipping: %v; install it with `%s`", err, InstallHint)
	}
	dir := t.TempDir()
	s := &Server{
		Region:    "us-east-1",
		AccessKey: "gastestaccess",
		SecretKey: "gastestsecret0123456789",
		Bucket:    "gas-test",
		Dir:       dir,
	}
	// A port picked by listening and closing can be taken by someone else
	// before versitygw binds it; that shows up as an early exit, so retry.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if lastErr = s.start(t, bin); lastErr == nil {
			break
		}
	}
	if lastErr != nil {
		t.Fatalf("s3test: %v", lastErr)
	}
	if err := s.CreateBucket(context.Background(), s.Bucket); err != nil {
		t.Fatalf("s3test: %v", err)
	}
	return s
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// start launches one versitygw process and waits for it to answer.
func (s *Server) start(t testing.TB, bin string) error {
	addr, err := freePort()
	if err != nil {
		return fmt.Errorf("pick a port: %w", err)
	}
	var stderr lockedBuffer
	cmd := exec.Command(bin,
		"--port", addr,
		"--access", s.AccessKey,
		"--secret", s.SecretKey,
		"--region", s.Region,
		"posix", s.Dir)
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start versitygw: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	s.Endpoint = "http://" + addr

	// Poll with a request that needs a working server and valid
	// credentials, so "answers" means "serves S3", not just "accepts TCP".
	client := s.Client()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := client.ListBuckets(ctx, &s3.ListBucketsInput{})
		cancel()
		if err == nil {
			break
		}
		select {
		case werr := <-exited:
			exited <- werr // keep it for stop
			return fmt.Errorf("versitygw exited before answering (%v): %s", werr, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return fmt.Errorf("versitygw did not answer on %s within 30s: last error %v; output: %s", addr, err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(stop)
	return nil
}

// Client returns an S3 client for the server: explicit static credentials,
// no shared config files, path-style addressing.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
}

// CreateBucket makes another empty bucket on the server.
func (s *Server) CreateBucket(ctx context.Context, name string) error {
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	return nil
}

// lockedBuffer collects the server's output for error messages; the process
// writes to it from another goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 64<<10 { // enough to explain a failure
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
