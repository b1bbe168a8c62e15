// Package s3archive implements gas.ColdStore on S3, in one of two modes
// chosen by the storage class objects are written in:
//
//   - Glacier mode (StorageClass GLACIER or DEEP_ARCHIVE, on AWS S3): objects
//     are really archived. Retrieve sends RestoreObject at the asked tier
//     (Expedited/Standard/Bulk); Retrieved reads HeadObject's x-amz-restore
//     (ongoing-request="false" means done); Open is GetObject, which S3
//     refuses with InvalidObjectState until then (EUNAVAILABLE here). An
//     expedited request S3 cannot serve (503
//     GlacierExpeditedRetrievalNotAvailable) is EUNAVAILABLE and not retried,
//     so the caller falls back to Standard at once. Put checks that the
//     server kept the class, so a server that ignores storage classes is
//     refused with a clear error instead of silently never archiving.
//   - Emulated mode (any other class, or none: STANDARD_IA or GLACIER_IR on
//     AWS, a separate archive bucket on S3-compatible servers without
//     archive classes): retrievals take configured delays, like the local
//     archive, and Open refuses an object whose retrieval has not finished.
//
// In both modes the retrieval asked for (tier and expected ready time) is
// kept as tags on the object itself, so it survives restarts, a repeated
// Retrieve returns it, and a new Put (a new object, without tags) is cold
// again. Tags work on archived objects without restoring them.
//
// How this is tested: the emulated mode runs internal/archive/archivetest
// end to end against versitygw. versitygw's posix backend ignores storage
// classes and answers RestoreObject with 501 NotImplemented, so the Glacier
// mode runs the same suite against an in-process HTTP server that answers
// RestoreObject, HeadObject's x-amz-restore, GetObject's InvalidObjectState
// and GlacierExpeditedRetrievalNotAvailable the way AWS documents them.
// That leaves unproven here: that AWS answers exactly as its documentation
// says (the fake follows the API reference, not recorded traffic), real
// restore times (ReadyAt is AWS's documented bound, not a measurement), and
// multipart copies over 5 GiB into an archive class. Glacier mode has not
// been run against AWS itself.
package s3archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/blob"
	"github.com/gas-project/gas/internal/blob/s3blob"
)

// Config configures a Store.
type Config struct {
	// S3 holds the connection, bucket, prefix and storage class. The class
	// picks the mode: GLACIER or DEEP_ARCHIVE for Glacier mode, anything
	// else (empty too) for emulated mode.
	S3 s3blob.Config
	// Delays is how long a retrieval takes per tier. A tier missing from
	// the map or with a negative delay is unavailable (EUNAVAILABLE). In
	// emulated mode this is the delay imposed; in Glacier mode S3 decides
	// and this is only the estimate returned as ReadyAt. nil in Glacier mode
	// means AWS's documented upper bounds (DefaultGlacierDelays); emulated
	// mode requires it.
	Delays map[gas.RetrievalTier]time.Duration
	// RestoreDays is how long a restored copy stays readable in Glacier
	// mode (0: 1 day, enough for the thaw that follows).
	RestoreDays int32
	// Now is the clock for ready times; nil means time.Now.
	Now func() time.Time
}

// DefaultGlacierDelays are the retrieval times AWS documents as typical
// upper bounds for each archive class. Expedited retrieval does not exist
// for DEEP_ARCHIVE, so it is absent (unavailable) there.
func DefaultGlacierDelays(class types.StorageClass) map[gas.RetrievalTier]time.Duration {
	if class == types.StorageClassDeepArchive {
		return map[gas.RetrievalTier]time.Duration{
			gas.TierStandard: 12 * time.Hour,
			gas.TierBulk:     48 * time.Hour,
		}
	}
	return map[gas.RetrievalTier]time.Duration{
		gas.TierExpedited: 5 * time.Minute,
		gas.TierStandard:  5 * time.Hour,
		gas.TierBulk:      12 * time.Hour,
	}
}

// IsGlacierClass reports whether objects of class must be restored before
// they can be read.
func IsGlacierClass(class types.StorageClass) bool {
	return class == types.StorageClassGlacier || class == types.StorageClassDeepArchive
}

// Store is a gas.ColdStore on S3. It is safe for concurrent use.
type Store struct {
	objs    *s3blob.Store
	client  *s3.Client
	bucket  string
	class   types.StorageClass
	glacier bool
	delays  map[gas.RetrievalTier]time.Duration
	days    int32
	now     func() time.Time
}

var _ gas.ColdStore = (*Store)(nil)

// New returns a store with its own S3 client built from cfg.S3.
func New(cfg Config) (*Store, error) {
	client, err := s3blob.NewClient(cfg.S3)
	if err != nil {
		return nil, fmt.Errorf("s3archive: %w", err)
	}
	return NewWithClient(client, cfg)
}

// NewWithClient returns a store that uses client.
func NewWithClient(client *s3.Client, cfg Config) (*Store, error) {
	objs, err := s3blob.NewWithClient(client, cfg.S3)
	if err != nil {
		return nil, fmt.Errorf("s3archive: %w", err)
	}
	s := &Store{
		objs:    objs,
		client:  client,
		bucket:  cfg.S3.Bucket,
		class:   cfg.S3.StorageClass,
		glacier: IsGlacierClass(cfg.S3.StorageClass),
		days:    cfg.RestoreDays,
		now:     cfg.Now,
	}
	if s.days == 0 {
		s.days = 1
	}
	if s.days < 0 {
		return nil, errors.New("s3archive: negative restore days")
	}
	if s.now == nil {
		s.now = time.Now
	}
	delays := cfg.Delays
	if delays == nil {
		if !s.glacier {
			return nil, fmt.Errorf("s3archive: storage class %q is not an archive class, so retrieval delays must be configured", cfg.S3.StorageClass)
		}
		delays = DefaultGlacierDelays(s.class)
	}
	s.delays = make(map[gas.RetrievalTier]time.Duration, len(delays))
	for tier, d := range delays {
		if !validTier(tier) {
			return nil, fmt.Errorf("s3archive: unknown retrieval tier %q", tier)
		}
		s.delays[tier] = d
	}
	return s, nil
}

// Glacier reports whether the store runs in Glacier mode.
func (s *Store) Glacier() bool { return s.glacier }

func validTier(t gas.RetrievalTier) bool {
	return t == gas.TierExpedited || t == gas.TierStandard || t == gas.TierBulk
}

func checkKey(op, key string) error {
	if err := blob.ValidKey(key); err != nil {
		return fmt.Errorf("s3archive: %s: %w", op, err)
	}
	return nil
}

// Put stores r in the archive's storage class and returns its size and
// SHA-256.
func (s *Store) Put(ctx context.Context, key string, r io.Reader) (gas.BlobInfo, error) {
	info, err := s.objs.Put(ctx, key, r)
	if err != nil {
		return gas.BlobInfo{}, err
	}
	if s.glacier {
		o, err := s.objs.Head(ctx, key)
		if err != nil {
			return gas.BlobInfo{}, err
		}
		if o.StorageClass != s.class {
			// Best effort: an object the archive disowns should not linger.
			_ = s.objs.Delete(context.WithoutCancel(ctx), key)
			return gas.BlobInfo{}, fmt.Errorf("s3archive: put %s: the server stored class %q, not %s: it does not support archive classes; configure a non-archive class (emulated mode) for it",
				key, o.StorageClass, s.class)
		}
	}
	return info, nil
}

// Stat describes a stored object as Put did; ENOTFOUND when absent.
func (s *Store) Stat(ctx context.Context, key string) (gas.BlobInfo, error) {
	return s.objs.Stat(ctx, key)
}

// Delete removes an object, and with it any retrieval; deleting a missing
// object is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	return s.objs.Delete(ctx, key)
}

// Retrieve asks for key to be made readable at tier. A retrieval already
// asked for (in progress or done) is returned as it is, whatever tier is
// asked now.
func (s *Store) Retrieve(ctx context.Context, key string, tier gas.RetrievalTier) (gas.Retrieval, error) {
	if err := checkKey("retrieve", key); err != nil {
		return gas.Retrieval{}, err
	}
	if !validTier(tier) {
		return gas.Retrieval{}, gas.Errorf(gas.EINVALID, "Unknown retrieval tier %q.", tier)
	}
	o, err := s.objs.Head(ctx, key)
	if err != nil {
		return gas.Retrieval{}, err
	}
	if rec, ok, err := s.record(ctx, key); err != nil {
		return gas.Retrieval{}, err
	} else if ok && (!s.glacier || o.Restore != "") {
		// In Glacier mode a record without x-amz-restore is a restored
		// copy that expired (or a restore that never started): ask anew.
		return rec, nil
	}
	delay, ok := s.delays[tier]
	if !ok || delay < 0 {
		return gas.Retrieval{}, gas.Errorf(gas.EUNAVAILABLE, "The %s retrieval tier is not available now.", tier)
	}
	now := s.now()
	readyAt := now.Add(delay)
	if s.glacier {
		done, err := s.restore(ctx, key, tier)
		if err != nil {
			return gas.Retrieval{}, err
		}
		if done {
			readyAt = now
		}
	}
	rec := gas.Retrieval{Tier: tier, ReadyAt: readyAt}
	if err := s.setRecord(ctx, key, rec); err != nil {
		return gas.Retrieval{}, err
	}
	return rec, nil
}

// Retrieved reports whether key's retrieval has finished.
func (s *Store) Retrieved(ctx context.Context, key string) (bool, error) {
	if err := checkKey("retrieved", key); err != nil {
		return false, err
	}
	o, err := s.objs.Head(ctx, key)
	if err != nil {
		return false, err
	}
	if s.glacier {
		// An object not in an archive class (written under an earlier
		// emulated-mode configuration) is readable as it is.
		return !IsGlacierClass(o.StorageClass) || restoreDone(o.Restore), nil
	}
	rec, ok, err := s.record(ctx, key)
	if err != nil || !ok {
		return false, err
	}
	return !rec.ReadyAt.After(s.now()), nil
}

// Open reads a retrieved object; EUNAVAILABLE before its retrieval finished.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey("open", key); err != nil {
		return nil, err
	}
	if !s.glacier {
		ok, err := s.Retrieved(ctx, key)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, gas.Errorf(gas.EUNAVAILABLE, "The archived file has not been retrieved yet.")
		}
	}
	rc, err := s.objs.Open(ctx, key)
	if s3blob.ErrorCode(err) == "InvalidObjectState" {
		return nil, &gas.Error{Code: gas.EUNAVAILABLE, Message: "The archived file has not been retrieved yet.", Err: err}
	}
	return rc, err
}

// CheckSeparate refuses an archive that shares its bucket and prefix with
// the blob store: the archive keeps a result under the result's own key, so
// archiving would overwrite the live object and thawing would delete it.
func CheckSeparate(blobs, archive s3blob.Config) error {
	if blobs.Endpoint == archive.Endpoint && blobs.Bucket == archive.Bucket && blobs.Prefix == archive.Prefix {
		return fmt.Errorf("s3archive: the archive must use another bucket or prefix than the blob store (both are bucket %q, prefix %q)", archive.Bucket, archive.Prefix)
	}
	return nil
}
