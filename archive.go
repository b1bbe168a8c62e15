package gas

import (
	"context"
	"io"
	"time"
)

// EUNAVAILABLE marks a request the service cannot serve now but may later,
// e.g. an expedited archive retrieval when that tier has no capacity.
const EUNAVAILABLE = "unavailable"

// RetrievalTier is how fast (and how dearly) an archived object is brought
// back, as with Amazon S3 Glacier.
type RetrievalTier string

// Retrieval tiers, fastest first.
const (
	TierExpedited RetrievalTier = "expedited"
	TierStandard  RetrievalTier = "standard"
	TierBulk      RetrievalTier = "bulk"
)

// Retrieval is a restore request accepted by the cold archive.
type Retrieval struct {
	Tier    RetrievalTier
	ReadyAt time.Time // when the archive expects the object readable
}

// ColdStore is the archive that Free users' results move to after the
// retention time: cheap to keep, slow to read. Reading an object takes a
// retrieval first (Retrieve, then poll Retrieved), then Open works until the
// object is deleted. The local implementation keeps compressed files under
// the data directory with configurable delays; the S3 one uses Glacier
// storage classes and RestoreObject. Both pass internal/archive/archivetest.
type ColdStore interface {
	// Put stores r under key, replacing any object there atomically, and
	// returns the size and SHA-256 of the bytes given (not of any
	// compressed form), so the caller can verify the copy against the source.
	Put(ctx context.Context, key string, r io.Reader) (BlobInfo, error)
	// Stat describes a stored object as Put did; ENOTFOUND when absent.
	Stat(ctx context.Context, key string) (BlobInfo, error)
	// Retrieve asks for the object to be made readable at tier. A tier
	// that cannot serve now is EUNAVAILABLE (the caller falls back to a
	// slower tier); ENOTFOUND when the object is absent. Asking again while a
	// retrieval is in progress or done is not an error and returns it.
	Retrieve(ctx context.Context, key string, tier RetrievalTier) (Retrieval, error)
	// Retrieved reports whether a retrieval of key has finished, so Open
	// will succeed. It is false (no error) while one is in progress or when
	// none was asked for.
	Retrieved(ctx context.Context, key string) (bool, error)
	// Open reads a retrieved object, yielding the bytes given to Put.
	// Before retrieval finishes it fails with EUNAVAILABLE.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes an object; deleting a missing object is not an error.
	Delete(ctx context.Context, key string) error
}
