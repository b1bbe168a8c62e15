package s3blob

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3 copies at most 5 GiB in one CopyObject; larger objects are copied in
// parts with UploadPartCopy. Variables so a test can exercise the multipart
// path with a small object.
var (
	maxSingleCopy int64 = 5 << 30
	copyPartSize  int64 = 1 << 30
)

// errPrecondition marks a copy refused because the source changed.
var errPrecondition = errors.New("source object changed")

type copySpec struct {
	srcBucket, srcKey, srcETag string
	size                       int64
	dstBucket, dstKey          string
	sha256                     string
	class                      types.StorageClass
}

func (c copySpec) source() string {
	// CopySource is "bucket/key" with the key URL-encoded but its slashes kept.
	return c.srcBucket + "/" + strings.ReplaceAll(url.PathEscape(c.srcKey), "%2F", "/")
}

// copyObject copies server-side, replacing the metadata with the checksum
// and setting the storage class, only if the source still has srcETag.
func (s *Store) copyObject(ctx context.Context, c copySpec) error {
	var err error
	if c.size <= maxSingleCopy {
		_, err = s.client.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket:            aws.String(c.dstBucket),
			Key:               aws.String(c.dstKey),
			CopySource:        aws.String(c.source()),
			CopySourceIfMatch: aws.String(c.srcETag),
			MetadataDirective: types.MetadataDirectiveReplace,
			Metadata:          map[string]string{MetaSHA256: c.sha256},
			StorageClass:      c.class,
		})
	} else {
		err = s.copyMultipart(ctx, c)
	}
	if ErrorCode(err) == "PreconditionFailed" {
		return fmt.Errorf("copy %s to %s: %w", c.srcKey, c.dstKey, errPrecondition)
	}
	return err
}

func (s *Store) copyMultipart(ctx context.Context, c copySpec) error {
	up, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket:       aws.String(c.dstBucket),
		Key:          aws.String(c.dstKey),
		Metadata:     map[string]string{MetaSHA256: c.sha256},
		StorageClass: c.class,
	})
	if err != nil {
		return err
	}
	completed := false
	defer func() {
		if !completed {
			// Best effort on a fresh context: the caller's may be cancelled,
			// and parts left behind cost storage until the bucket's
			// lifecycle rule removes them.
			_, _ = s.client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{
				Bucket: aws.String(c.dstBucket), Key: aws.String(c.dstKey), UploadId: up.UploadId,
			})
		}
	}()
	var parts []types.CompletedPart
	for off, num := int64(0), int32(1); off < c.size; off, num = off+copyPartSize, num+1 {
		end := min(off+copyPartSize, c.size) - 1
		out, err := s.client.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
			Bucket:            aws.String(c.dstBucket),
			Key:               aws.String(c.dstKey),
			UploadId:          up.UploadId,
			PartNumber:        aws.Int32(num),
			CopySource:        aws.String(c.source()),
			CopySourceIfMatch: aws.String(c.srcETag),
			CopySourceRange:   aws.String(fmt.Sprintf("bytes=%d-%d", off, end)),
		})
		if err != nil {
			return err
		}
		parts = append(parts, types.CompletedPart{ETag: out.CopyPartResult.ETag, PartNumber: aws.Int32(num)})
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(c.dstBucket),
		Key:             aws.String(c.dstKey),
		UploadId:        up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return err
	}
	completed = true
	return nil
}
