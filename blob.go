package gas

import (
	"context"
	"io"
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
