// Package s3blob implements gas.BlobStore on Amazon S3 or any S3-compatible
// server (tested against versitygw), with keys "user/<uid>/<jobid>/<file>"
// under an optional prefix in one bucket.
//
// Every object written by Put carries its SHA-256 as user metadata
// (x-amz-meta-sha256), so Stat answers from one HeadObject. S3's own ETag
// and checksums cannot serve: a multipart object's are composites of its
// parts. Because the checksum is known only after the body has streamed
// through, a body longer than one part is uploaded in parts first and then
// copied onto itself server-side with the checksum added; a shorter body is
// buffered and sent in a single PutObject with its checksum.
//
// Objects that did not come through Put (a browser's presigned PUT) have no
// checksum yet; Stat computes it by reading the object once and records it.
package s3blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/blob"
)

// MetaSHA256 is the user-metadata name holding an object's hex SHA-256
// (sent as x-amz-meta-sha256; the SDK hands metadata back lower-cased).
const MetaSHA256 = "sha256"

// Store is a gas.BlobStore on S3. It is safe for concurrent use.
type Store struct {
	client *s3.Client
	cfg    Config
	// transfers uploads bodies longer than one part in parts, in parallel
	// (the SDK's transfer manager); shorter ones go in one PutObject.
	transfers *transfermanager.Client
}

var (
	_ gas.BlobStore = (*Store)(nil)
	_ gas.Presigner = (*Store)(nil)
)

// New returns a store built from cfg with its own client.
func New(cfg Config) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return NewWithClient(newClient(cfg), cfg)
}

// NewWithClient returns a store that uses client; cfg's connection fields
// (Endpoint, Region, keys, HTTPClient) are then unused.
func NewWithClient(client *s3.Client, cfg Config) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	tm := transfermanager.New(client, func(o *transfermanager.Options) {
		o.PartSizeBytes = cfg.PartSize
		o.Concurrency = cfg.Concurrency
		// Put sends bodies of one part or less itself, with their checksum;
		// what reaches the manager is always uploaded in parts.
		o.MultipartUploadThreshold = cfg.PartSize
		// A failed upload's parts are aborted (the manager does so on
		// failure, within this time even when the context was cancelled),
		// so they neither cost storage nor linger; a crashed process's
		// parts need the bucket's AbortIncompleteMultipartUpload rule.
		o.FailTimeout = 30 * time.Second
	})
	return &Store{client: client, cfg: cfg, transfers: tm}, nil
}

// Client returns the S3 client the store uses.
func (s *Store) Client() *s3.Client { return s.client }

// Bucket returns the bucket the store writes to.
func (s *Store) Bucket() string { return s.cfg.Bucket }

// ObjectKey returns the S3 key that holds key: the prefix, a slash, the key.
func (s *Store) ObjectKey(key string) string {
	if s.cfg.Prefix == "" {
		return key
	}
	return s.cfg.Prefix + "/" + key
}

// countingHash sees every byte handed to S3, for the size and checksum.
type countingHash struct {
	h hash.Hash
	n int64
}

func (c *countingHash) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}

func (c *countingHash) info(key string) gas.BlobInfo {
	return gas.BlobInfo{Key: key, Size: c.n, SHA256: hex.EncodeToString(c.h.Sum(nil))}
}

// Put stores r under key and returns its size and SHA-256. S3 makes an
// object visible only when its upload completes, so readers see the old
// object or the whole new one; a failed upload leaves the old one.
func (s *Store) Put(ctx context.Context, key string, r io.Reader) (gas.BlobInfo, error) {
	if err := blob.ValidKey(key); err != nil {
		return gas.BlobInfo{}, fmt.Errorf("s3blob: put: %w", err)
	}
	okey := s.ObjectKey(key)
	sum := &countingHash{h: sha256.New()}
	body := io.TeeReader(blob.ContextReader(ctx, r), sum)

	// Read one part's worth and a byte more: a body that ends within the
	// part goes in one request with its checksum; a longer one needs the
	// upload manager. The buffer grows as it fills, so a small log does not
	// cost a whole part of memory.
	var head bytes.Buffer
	n, err := io.CopyN(&head, body, s.cfg.PartSize+1)
	if err == io.EOF {
		info := sum.info(key)
		_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket:        aws.String(s.cfg.Bucket),
			Key:           aws.String(okey),
			Body:          bytes.NewReader(head.Bytes()),
			ContentLength: aws.Int64(n),
			Metadata:      map[string]string{MetaSHA256: info.SHA256},
			StorageClass:  s.cfg.StorageClass,
		})
		if err != nil {
			return gas.BlobInfo{}, wrap(err, "put", okey)
		}
		return info, nil
	}
	if err != nil {
		return gas.BlobInfo{}, fmt.Errorf("s3blob: put %s: read: %w", okey, err)
	}

	// Upload in the bucket's default class: the copy below may have to read
	// the object, which S3 refuses for archive classes.
	out, err := s.transfers.UploadObject(ctx, &transfermanager.UploadObjectInput{
		Bucket: aws.String(s.cfg.Bucket),
		Key:    aws.String(okey),
		Body:   io.MultiReader(&head, body),
	})
	if err != nil {
		return gas.BlobInfo{}, wrap(err, "put", okey)
	}
	info := sum.info(key)
	// The copy is conditional on the ETag just written, so a concurrent
	// writer's newer object is never stamped with this body's checksum.
	err = s.copyObject(ctx, copySpec{
		srcBucket: s.cfg.Bucket, srcKey: okey, srcETag: aws.ToString(out.ETag), size: info.Size,
		dstBucket: s.cfg.Bucket, dstKey: okey,
		sha256: info.SHA256, class: s.cfg.StorageClass,
	})
	if err != nil {
		return gas.BlobInfo{}, fmt.Errorf("s3blob: put %s: record checksum: %w", okey, err)
	}
	return info, nil
}

// Open reads an object; ENOTFOUND when absent.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := blob.ValidKey(key); err != nil {
		return nil, fmt.Errorf("s3blob: open: %w", err)
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(s.cfg.Bucket),
		Key:    aws.String(s.ObjectKey(key)),
	})
	if err != nil {
		return nil, wrap(err, "open", s.ObjectKey(key))
	}
	return out.Body, nil
}

// Object is what HeadObject says about a stored object.
type Object struct {
	Size         int64
	SHA256       string // "" when the object has no recorded checksum
	ETag         string
	StorageClass types.StorageClass // "" for STANDARD, as S3 omits it
	// Restore is the x-amz-restore header of an archived object: empty
	// when no restore was asked for, else ongoing-request="true" or
	// ongoing-request="false", expiry-date="…".
	Restore string
}

// Head describes an object without reading it; ENOTFOUND when absent.
func (s *Store) Head(ctx context.Context, key string) (Object, error) {
	if err := blob.ValidKey(key); err != nil {
		return Object{}, fmt.Errorf("s3blob: head: %w", err)
	}
	okey := s.ObjectKey(key)
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(s.cfg.Bucket),
		Key:    aws.String(okey),
	})
	if err != nil {
		return Object{}, wrap(err, "head", okey)
	}
	o := Object{
		Size:         aws.ToInt64(out.ContentLength),
		ETag:         aws.ToString(out.ETag),
		StorageClass: out.StorageClass,
		Restore:      aws.ToString(out.Restore),
	}
	if v := out.Metadata[MetaSHA256]; validSHA256(v) {
		o.SHA256 = v
	}
	return o, nil
}

func validSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// Stat returns the size and SHA-256 of an object; ENOTFOUND when absent.
// An object without a recorded checksum is read once to compute it, and the
// checksum is then recorded (best effort: failing only costs time later).
func (s *Store) Stat(ctx context.Context, key string) (gas.BlobInfo, error) {
	o, err := s.Head(ctx, key)
	if err != nil {
		return gas.BlobInfo{}, err
	}
	if o.SHA256 != "" {
		return gas.BlobInfo{Key: key, Size: o.Size, SHA256: o.SHA256}, nil
	}
	okey := s.ObjectKey(key)
	// Read exactly the version Head saw, so size and checksum agree.
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket:  aws.String(s.cfg.Bucket),
		Key:     aws.String(okey),
		IfMatch: aws.String(o.ETag),
	})
	if err != nil {
		return gas.BlobInfo{}, wrap(err, "stat", okey)
	}
	defer out.Body.Close()
	sum := &countingHash{h: sha256.New()}
	if _, err := io.Copy(sum, blob.ContextReader(ctx, out.Body)); err != nil {
		return gas.BlobInfo{}, fmt.Errorf("s3blob: stat %s: checksum: %w", okey, err)
	}
	if sum.n != o.Size {
		return gas.BlobInfo{}, fmt.Errorf("s3blob: stat %s: read %d bytes, object has %s", okey, sum.n, strconv.FormatInt(o.Size, 10))
	}
	info := sum.info(key)
	_ = s.copyObject(ctx, copySpec{
		srcBucket: s.cfg.Bucket, srcKey: okey, srcETag: o.ETag, size: o.Size,
		dstBucket: s.cfg.Bucket, dstKey: okey,
		sha256: info.SHA256, class: o.StorageClass,
	})
	return info, nil
}

// Delete removes an object; deleting a missing object is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidKey(key); err != nil {
		return fmt.Errorf("s3blob: delete: %w", err)
	}
	okey := s.ObjectKey(key)
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(s.cfg.Bucket),
		Key:    aws.String(okey),
	})
	// S3 answers 204 for a missing key; some compatible servers say 404.
	if err != nil && !IsNotFound(err) {
		return wrap(err, "delete", okey)
	}
	return nil
}

// Copy copies the object src of this store to dstKey in dst (which may be
// this store, or one on another bucket of the same server) without the
// bytes leaving S3, keeping its checksum and taking dst's storage class.
func (s *Store) Copy(ctx context.Context, srcKey string, dst *Store, dstKey string) (gas.BlobInfo, error) {
	if err := blob.ValidKey(dstKey); err != nil {
		return gas.BlobInfo{}, fmt.Errorf("s3blob: copy: %w", err)
	}
	info, err := s.Stat(ctx, srcKey)
	if err != nil {
		return gas.BlobInfo{}, err
	}
	o, err := s.Head(ctx, srcKey)
	if err != nil {
		return gas.BlobInfo{}, err
	}
	if o.SHA256 != info.SHA256 || o.Size != info.Size {
		return gas.BlobInfo{}, gas.Errorf(gas.ECONFLICT, "Object %s changed while being copied.", srcKey)
	}
	err = s.copyObject(ctx, copySpec{
		srcBucket: s.cfg.Bucket, srcKey: s.ObjectKey(srcKey), srcETag: o.ETag, size: o.Size,
		dstBucket: dst.cfg.Bucket, dstKey: dst.ObjectKey(dstKey),
		sha256: o.SHA256, class: dst.cfg.StorageClass,
	})
	if err != nil {
		if errors.Is(err, errPrecondition) {
			return gas.BlobInfo{}, gas.Errorf(gas.ECONFLICT, "Object %s changed while being copied.", srcKey)
		}
		return gas.BlobInfo{}, wrap(err, "copy", s.ObjectKey(srcKey))
	}
	return gas.BlobInfo{Key: dstKey, Size: o.Size, SHA256: o.SHA256}, nil
}
