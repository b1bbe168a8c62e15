package s3blob

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Part sizes of multipart uploads. S3 allows at most 10,000 parts of at
// least 5 MiB (except the last), so 8 MiB parts cover objects up to 78 GiB,
// above the largest GAS input (5 GB compressed) or its result. A Put in
// flight holds about PartSize×(Concurrency+1) bytes: 40 MiB by default.
const (
	MinPartSize        = 5 << 20
	DefaultPartSize    = 8 << 20
	DefaultConcurrency = 4
)

// Config says where a Store keeps its objects and how it reaches them. It is
// complete by itself: no shared AWS config files or environment variables
// are read, so what the operator set is what is used.
type Config struct {
	// Endpoint is the base URL of an S3-compatible server
	// (http://127.0.0.1:7070, https://minio.example.org). Empty means AWS
	// S3's regional endpoint.
	Endpoint string
	// PublicEndpoint is the base URL browsers use for presigned URLs, when
	// it differs from Endpoint (a server reached as http://s3:7070 inside a
	// compose network but as https://s3.example.org from outside). The
	// signature covers the host, so the URL must be signed for this one.
	PublicEndpoint string
	Region         string // required, e.g. us-east-1
	AccessKey      string // required
	SecretKey      string // required
	Bucket         string // required; must exist
	// Prefix is put before every key ("gas" stores user/1/j/f as
	// gas/user/1/j/f), so one bucket can hold several deployments.
	Prefix string
	// StorageClass of objects written by Put (e.g. STANDARD_IA, GLACIER);
	// empty leaves the bucket's default.
	StorageClass types.StorageClass
	// PartSize of multipart uploads (0: DefaultPartSize; at least
	// MinPartSize). Bodies shorter than one part go in a single PutObject.
	PartSize int64
	// Concurrency is how many parts of one upload are sent at once (0:
	// DefaultConcurrency).
	Concurrency int
	// HTTPClient is optional; nil uses the SDK's default.
	HTTPClient *http.Client
}

func (c *Config) validate() error {
	var missing []string
	if c.Region == "" {
		missing = append(missing, "region")
	}
	if c.AccessKey == "" {
		missing = append(missing, "access key")
	}
	if c.SecretKey == "" {
		missing = append(missing, "secret key")
	}
	if c.Bucket == "" {
		missing = append(missing, "bucket")
	}
	if len(missing) > 0 {
		return fmt.Errorf("s3: missing %s", strings.Join(missing, ", "))
	}
	for _, e := range []string{c.Endpoint, c.PublicEndpoint} {
		if e == "" {
			continue
		}
		u, err := url.Parse(e)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("s3: endpoint %q is not an http:// or https:// URL", e)
		}
	}
	if strings.HasPrefix(c.Prefix, "/") || strings.HasSuffix(c.Prefix, "/") || strings.Contains(c.Prefix, "//") {
		return fmt.Errorf("s3: prefix %q must not start or end with '/' or contain '//'", c.Prefix)
	}
	if c.PartSize == 0 {
		c.PartSize = DefaultPartSize
	}
	if c.PartSize < MinPartSize {
		return fmt.Errorf("s3: part size %d is below S3's minimum of %d bytes", c.PartSize, MinPartSize)
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Concurrency < 0 {
		return errors.New("s3: negative upload concurrency")
	}
	return nil
}

// NewClient builds an S3 client from cfg alone. Path-style addressing
// (endpoint/bucket/key) is used because S3-compatible servers rarely have
// the wildcard DNS that virtual-hosted buckets need; AWS accepts it too.
func NewClient(cfg Config) (*s3.Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return newClient(cfg), nil
}

func newClient(cfg Config) *s3.Client {
	opts := s3.Options{
		Region:       cfg.Region,
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, ""),
	}
	if cfg.Endpoint != "" {
		opts.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	if cfg.HTTPClient != nil {
		opts.HTTPClient = cfg.HTTPClient
	}
	return s3.New(opts)
}
