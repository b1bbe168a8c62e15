package gas

import (
	"context"
	"io"
	"time"
)

// BlobInfo describes a stored object.
type BlobInfo struct {
	Key    string
	Size   int64
	SHA256 string // hex
}

// BlobStore keeps job files (inputs, results, logs, summaries).
type BlobStore interface {
	// Put stores r under key, replacing any object there atomically, and
	// returns its size and checksum. A partial write never becomes visible.
	Put(ctx context.Context, key string, r io.Reader) (BlobInfo, error)
	// Open reads an object; ENOTFOUND when absent.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	Stat(ctx context.Context, key string) (BlobInfo, error)
	// Delete removes an object; deleting a missing object is not an error.
	Delete(ctx context.Context, key string) error
}

// PresignedRequest is an HTTP request that a client (a browser, `gas
// client`) sends straight to object storage without credentials of its
// own: Method to URL, with every header in Header set as given.
type PresignedRequest struct {
	URL    string
	Method string
	Header map[string][]string
}

// Presigner is the optional capability of a blob store whose objects
// clients can reach themselves (S3): short-lived signed requests let large
// files bypass the web servers both ways. A store that keeps files itself
// (local files) has none, and the wiring passes nil.
type Presigner interface {
	// PresignPut returns a request that uploads exactly size bytes to key,
	// valid for ttl. The size is signed, so storage refuses any other.
	PresignPut(ctx context.Context, key string, size int64, ttl time.Duration) (PresignedRequest, error)
	// PresignGet returns a URL that downloads key, saved as filename,
	// valid for ttl.
	PresignGet(ctx context.Context, key, filename string, ttl time.Duration) (string, error)
}
