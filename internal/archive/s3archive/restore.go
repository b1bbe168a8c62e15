package s3archive

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/blob/s3blob"
)

// Error codes of RestoreObject that this package acts on.
const (
	codeExpeditedUnavailable = "GlacierExpeditedRetrievalNotAvailable"
	codeAlreadyInProgress    = "RestoreAlreadyInProgress"
)

var s3Tiers = map[gas.RetrievalTier]types.Tier{
	gas.TierExpedited: types.TierExpedited,
	gas.TierStandard:  types.TierStandard,
	gas.TierBulk:      types.TierBulk,
}

// noRetryExpedited keeps the SDK from retrying a 503 that means "no
// expedited capacity": retrying only delays the fallback to Standard.
func noRetryExpedited(o *s3.Options) {
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		so.Retryables = append([]retry.IsErrorRetryable{
			retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
				if s3blob.ErrorCode(err) == codeExpeditedUnavailable {
					return aws.FalseTernary
				}
				return aws.UnknownTernary
			}),
		}, so.Retryables...)
	})
}

// restore sends RestoreObject and reports whether the object was already
// restored (S3 answers 200 then, 202 for a new restore).
func (s *Store) restore(ctx context.Context, key string, tier gas.RetrievalTier) (done bool, err error) {
	okey := s.objs.ObjectKey(key)
	out, err := s.client.RestoreObject(ctx, &s3.RestoreObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(okey),
		RestoreRequest: &types.RestoreRequest{
			Days:                 aws.Int32(s.days),
			GlacierJobParameters: &types.GlacierJobParameters{Tier: s3Tiers[tier]},
		},
	}, noRetryExpedited)
	switch {
	case err == nil:
		raw, _ := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response)
		return raw != nil && raw.StatusCode == http.StatusOK, nil
	case s3blob.ErrorCode(err) == codeAlreadyInProgress:
		// Another worker (or this one before a crash) asked already.
		return false, nil
	case s3blob.ErrorCode(err) == "InvalidObjectState":
		// S3's answer for an object not in an archive class: it needs no
		// restore and is readable now.
		return true, nil
	case s3blob.ErrorCode(err) == codeExpeditedUnavailable || s3blob.HTTPStatus(err) == http.StatusServiceUnavailable:
		return false, &gas.Error{Code: gas.EUNAVAILABLE, Message: fmt.Sprintf("The %s retrieval tier is not available now.", tier),
			Err: fmt.Errorf("s3archive: restore %s: %w", okey, err)}
	case s3blob.IsNotFound(err):
		return false, &gas.Error{Code: gas.ENOTFOUND, Message: "Archived file not found.", Err: fmt.Errorf("s3archive: restore %s: %w", okey, err)}
	default:
		return false, fmt.Errorf("s3archive: restore %s: %w", okey, err)
	}
}

// restoreDone parses x-amz-restore: `ongoing-request="false", expiry-date="…"`
// once a restore finished, `ongoing-request="true"` while it runs, absent
// when none was asked for (or the restored copy expired).
func restoreDone(header string) bool {
	return strings.Contains(strings.ReplaceAll(header, " ", ""), `ongoing-request="false"`)
}

// Tags that record a retrieval on the object.
const (
	tagTier  = "gas-retrieval-tier"
	tagReady = "gas-retrieval-ready"
)

// record reads the retrieval kept on the object, if any.
func (s *Store) record(ctx context.Context, key string) (gas.Retrieval, bool, error) {
	okey := s.objs.ObjectKey(key)
	out, err := s.client.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(okey),
	})
	if err != nil {
		if s3blob.IsNotFound(err) {
			return gas.Retrieval{}, false, &gas.Error{Code: gas.ENOTFOUND, Message: "Archived file not found.", Err: err}
		}
		return gas.Retrieval{}, false, fmt.Errorf("s3archive: read retrieval of %s: %w", okey, err)
	}
	var tier, ready string
	for _, t := range out.TagSet {
		switch aws.ToString(t.Key) {
		case tagTier:
			tier = aws.ToString(t.Value)
		case tagReady:
			ready = aws.ToString(t.Value)
		}
	}
	if tier == "" && ready == "" {
		return gas.Retrieval{}, false, nil
	}
	at, err := time.Parse(time.RFC3339Nano, ready)
	if err != nil || !validTier(gas.RetrievalTier(tier)) {
		return gas.Retrieval{}, false, fmt.Errorf("s3archive: %s has a malformed retrieval record (tier %q, ready %q)", okey, tier, ready)
	}
	return gas.Retrieval{Tier: gas.RetrievalTier(tier), ReadyAt: at}, true, nil
}

func (s *Store) setRecord(ctx context.Context, key string, r gas.Retrieval) error {
	okey := s.objs.ObjectKey(key)
	_, err := s.client.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(okey),
		Tagging: &types.Tagging{TagSet: []types.Tag{
			{Key: aws.String(tagTier), Value: aws.String(string(r.Tier))},
			{Key: aws.String(tagReady), Value: aws.String(r.ReadyAt.UTC().Format(time.RFC3339Nano))},
		}},
	})
	if err != nil {
		if s3blob.IsNotFound(err) {
			return &gas.Error{Code: gas.ENOTFOUND, Message: "Archived file not found.", Err: err}
		}
		return fmt.Errorf("s3archive: record retrieval of %s: %w", okey, err)
	}
	return nil
}
