package s3blob

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/gas-project/gas"
)

// TestCopy copies between two buckets of one server with CopyObject: the
// bytes and checksum arrive, and the source stays.
func TestCopy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, srv, log := newStore(t)
	if err := srv.CreateBucket(ctx, "archive"); err != nil {
		t.Fatal(err)
	}
	cfg := serverConfig(srv)
	cfg.Bucket, cfg.Prefix, cfg.StorageClass = "archive", "", "STANDARD_IA"
	dst, err := NewWithClient(src.Client(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	data := randomBytes(200_000, 6)
	info, err := src.Put(ctx, "user/1/j/result.vcf.gz", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	got, err := src.Copy(ctx, "user/1/j/result.vcf.gz", dst, "user/1/j/result.vcf.gz")
	if err != nil {
		t.Fatal(err)
	}
	if got != info {
		t.Fatalf("copy = %+v; want %+v", got, info)
	}
	if n := log.count("PUT", ""); n != 2 { // PutObject, CopyObject
		t.Fatalf("%d PUT requests; want PutObject and one CopyObject", n)
	}
	if st, err := dst.Stat(ctx, "user/1/j/result.vcf.gz"); err != nil || st != info {
		t.Fatalf("stat of copy = %+v, %v", st, err)
	}
	if b := readAll(t, dst, "user/1/j/result.vcf.gz"); !bytes.Equal(b, data) {
		t.Fatal("copy differs")
	}
	if b := readAll(t, src, "user/1/j/result.vcf.gz"); !bytes.Equal(b, data) {
		t.Fatal("source changed")
	}
	if _, err := src.Copy(ctx, "user/1/j/missing", dst, "user/1/j/missing"); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("copy of a missing object: %v", err)
	}
}

// TestCopyMultipart takes the UploadPartCopy path that objects over 5 GiB
// need, by lowering the limits (not parallel: it sets package variables).
func TestCopyMultipart(t *testing.T) {
	oldMax, oldPart := maxSingleCopy, copyPartSize
	maxSingleCopy, copyPartSize = MinPartSize, MinPartSize
	t.Cleanup(func() { maxSingleCopy, copyPartSize = oldMax, oldPart })

	ctx := context.Background()
	s, srv, log := newStore(t)
	data := randomBytes(12_000_000, 7)
	// The Put itself records its checksum with the multipart copy.
	info, err := s.Put(ctx, "user/1/j/big", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if info.SHA256 != sum(data) {
		t.Fatalf("info = %+v", info)
	}
	if n := log.count("PUT", "partNumber="); n != 6 { // 3 uploaded, 3 copied
		t.Fatalf("%d part requests; want 3 UploadPart and 3 UploadPartCopy", n)
	}
	if st, err := s.Stat(ctx, "user/1/j/big"); err != nil || st != info {
		t.Fatalf("stat = %+v, %v", st, err)
	}
	got, err := s.Copy(ctx, "user/1/j/big", s, "user/1/j/big-copy")
	if err != nil || got.SHA256 != info.SHA256 || got.Size != info.Size {
		t.Fatalf("copy = %+v, %v", got, err)
	}
	if b := readAll(t, s, "user/1/j/big-copy"); !bytes.Equal(b, data) {
		t.Fatal("multipart copy differs")
	}
	ups, err := srv.Client().ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(srv.Bucket)})
	if err != nil || len(ups.Uploads) != 0 {
		t.Fatalf("uploads left: %v, %v", ups, err)
	}
}

// A copy conditional on an old ETag is refused once the source changed, so
// a checksum is never stamped on bytes it was not computed from.
func TestCopyRefusesChangedSource(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, _ := newStore(t)
	if _, err := s.Put(ctx, "user/1/j/a", bytes.NewReader([]byte("first"))); err != nil {
		t.Fatal(err)
	}
	o, err := s.Head(ctx, "user/1/j/a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "user/1/j/a", bytes.NewReader([]byte("second"))); err != nil {
		t.Fatal(err)
	}
	err = s.copyObject(ctx, copySpec{
		srcBucket: s.Bucket(), srcKey: s.ObjectKey("user/1/j/a"), srcETag: o.ETag, size: o.Size,
		dstBucket: s.Bucket(), dstKey: s.ObjectKey("user/1/j/a"), sha256: sum([]byte("first")),
	})
	if !errors.Is(err, errPrecondition) {
		t.Fatalf("copy with a stale ETag: %v; want a precondition failure", err)
	}
	if st, err := s.Stat(ctx, "user/1/j/a"); err != nil || st.SHA256 != sum([]byte("second")) {
		t.Fatalf("stat = %+v, %v", st, err)
	}
}
