package s3blob

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/blob"
)

// MaxPresignExpiry is SigV4's limit on a presigned URL's life.
const MaxPresignExpiry = 7 * 24 * time.Hour

// presigner signs URLs for the public endpoint when one is configured.
func (s *Store) presigner() *s3.PresignClient {
	if s.cfg.PublicEndpoint == "" {
		return s3.NewPresignClient(s.client)
	}
	return s3.NewPresignClient(s.client, func(o *s3.PresignOptions) {
		o.ClientOptions = append(o.ClientOptions, func(o *s3.Options) {
			o.BaseEndpoint = aws.String(s.cfg.PublicEndpoint)
		})
	})
}

func checkExpiry(ttl time.Duration) error {
	if ttl <= 0 || ttl > MaxPresignExpiry {
		return gas.Errorf(gas.EINVALID, "Presigned URL expiry %v is outside (0, %v].", ttl, MaxPresignExpiry)
	}
	return nil
}

// PresignGet returns a URL that downloads key for ttl without credentials,
// as an attachment named filename (the browser saves it rather than
// showing it). Keep ttl short: anyone holding the URL can use it.
func (s *Store) PresignGet(ctx context.Context, key, filename string, ttl time.Duration) (string, error) {
	if err := blob.ValidKey(key); err != nil {
		return "", fmt.Errorf("s3blob: presign get: %w", err)
	}
	if err := checkExpiry(ttl); err != nil {
		return "", err
	}
	in := &s3.GetObjectInput{
		Bucket: aws.String(s.cfg.Bucket),
		Key:    aws.String(s.ObjectKey(key)),
	}
	if filename != "" {
		// FormatMediaType quotes the name, or encodes it per RFC 2231 when
		// it is not plain ASCII, so no name can break out of the header.
		cd := mime.FormatMediaType("attachment", map[string]string{"filename": filename})
		if cd == "" {
			return "", gas.Errorf(gas.EINVALID, "File name %q cannot be sent in a header.", filename)
		}
		in.ResponseContentDisposition = aws.String(cd)
	} else {
		in.ResponseContentDisposition = aws.String("attachment")
	}
	req, err := s.presigner().PresignGetObject(ctx, in, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("s3blob: presign get %s: %w", key, err)
	}
	return req.URL, nil
}

// PresignPut returns a request that uploads exactly size bytes to key for
// ttl. The size is part of the signature, so S3 refuses a body of any other
// length: that is how the per-plan upload limit holds for direct uploads.
// The object has no recorded checksum until the first Stat computes it.
func (s *Store) PresignPut(ctx context.Context, key string, size int64, ttl time.Duration) (gas.PresignedRequest, error) {
	if err := blob.ValidKey(key); err != nil {
		return gas.PresignedRequest{}, fmt.Errorf("s3blob: presign put: %w", err)
	}
	if err := checkExpiry(ttl); err != nil {
		return gas.PresignedRequest{}, err
	}
	if size <= 0 {
		return gas.PresignedRequest{}, gas.Errorf(gas.EINVALID, "An upload must have a positive size.")
	}
	if size > 5<<30 {
		// A single PUT carries at most 5 GiB; larger would need a
		// presigned multipart upload.
		return gas.PresignedRequest{}, gas.Errorf(gas.ETOOLARGE, "A direct upload is limited to 5 GiB.")
	}
	req, err := s.presigner().PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.cfg.Bucket),
		Key:           aws.String(s.ObjectKey(key)),
		ContentLength: aws.Int64(size),
		StorageClass:  s.cfg.StorageClass,
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return gas.PresignedRequest{}, fmt.Errorf("s3blob: presign put %s: %w", key, err)
	}
	h := req.SignedHeader.Clone()
	// Go's client sets Host and Content-Length itself from the URL and body.
	h.Del("Host")
	return gas.PresignedRequest{URL: req.URL, Method: req.Method, Header: h}, nil
}

// AllowBrowserOrigins sets the bucket's CORS rules so pages served from
// origins (e.g. https://gas.example.org) may send presigned PUTs and GETs
// straight to S3. It replaces the bucket's CORS configuration, so it suits
// a bucket that GAS has to itself; an operator sharing the bucket sets the
// rules by hand instead.
func (s *Store) AllowBrowserOrigins(ctx context.Context, origins []string) error {
	if len(origins) == 0 {
		return gas.Errorf(gas.EINVALID, "No origins to allow.")
	}
	_, err := s.client.PutBucketCors(ctx, &s3.PutBucketCorsInput{
		Bucket: aws.String(s.cfg.Bucket),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{{
			AllowedOrigins: origins,
			AllowedMethods: []string{http.MethodGet, http.MethodPut, http.MethodHead},
			AllowedHeaders: []string{"*"},
			ExposeHeaders:  []string{"ETag"},
			MaxAgeSeconds:  aws.Int32(3600),
		}}},
	})
	if err != nil {
		return fmt.Errorf("s3blob: set CORS rules of bucket %s: %w", s.cfg.Bucket, err)
	}
	return nil
}
