package s3test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

func TestStartServesBucket(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	ctx := context.Background()
	c := srv.Client()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(srv.Bucket), Key: aws.String("a/b.txt"), Body: strings.NewReader("hello"),
	}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String("a/b.txt")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(b) != "hello" {
		t.Fatalf("got %q", b)
	}
	if err := srv.CreateBucket(ctx, "second"); err != nil {
		t.Fatal(err)
	}
	lb, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range lb.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	if strings.Join(names, ",") != "gas-test,second" {
		t.Fatalf("buckets = %v", names)
	}
}

// TestPosixIgnoresGlacier records what the S3 archive's tests rely on about
// versitygw's posix backend: storage classes are accepted but not kept, and
// RestoreObject is not implemented. If a new versitygw changes either, this
// fails and the archive tests can then exercise more against it.
func TestPosixIgnoresGlacier(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	ctx := context.Background()
	c := srv.Client()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(srv.Bucket), Key: aws.String("cold"), Body: strings.NewReader("x"),
		StorageClass: types.StorageClassGlacier,
	}); err != nil {
		t.Fatalf("put with GLACIER class: %v", err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String("cold")})
	if err != nil {
		t.Fatal(err)
	}
	if head.StorageClass != "" && head.StorageClass != types.StorageClassStandard {
		t.Errorf("HeadObject storage class = %q; versitygw now keeps classes", head.StorageClass)
	}
	if head.Restore != nil {
		t.Errorf("HeadObject x-amz-restore = %q", *head.Restore)
	}
	// A GLACIER object is readable at once: nothing is really archived.
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String("cold")}); err != nil {
		t.Errorf("GetObject of a GLACIER object: %v", err)
	}
	_, err = c.RestoreObject(ctx, &s3.RestoreObjectInput{
		Bucket: aws.String(srv.Bucket), Key: aws.String("cold"),
		RestoreRequest: &types.RestoreRequest{Days: aws.Int32(1), GlacierJobParameters: &types.GlacierJobParameters{Tier: types.TierStandard}},
	})
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NotImplemented" || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusNotImplemented {
		t.Errorf("RestoreObject: %v; want 501 NotImplemented", err)
	}
}
