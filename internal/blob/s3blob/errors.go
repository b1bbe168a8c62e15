package s3blob

import (
	"errors"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/gas-project/gas"
)

// ErrorCode returns S3's error code in err ("NoSuchKey",
// "InvalidObjectState", …), or "" when err did not come from S3.
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// HTTPStatus returns the HTTP status of S3's answer in err, or 0.
func HTTPStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// IsNotFound reports whether err says the object (or its upload) is absent.
// HeadObject answers a bare 404 with no error code in its body, so the
// status counts as well as the code.
func IsNotFound(err error) bool {
	switch ErrorCode(err) {
	case "NoSuchKey", "NotFound", "NoSuchUpload":
		return true
	}
	return HTTPStatus(err) == http.StatusNotFound
}

// wrap names the operation and key in an S3 failure, and makes a missing
// object ENOTFOUND, the code the callers act on.
func wrap(err error, op, key string) error {
	if err == nil {
		return nil
	}
	detail := &opError{op: op, key: key, err: err}
	if IsNotFound(err) {
		return &gas.Error{Code: gas.ENOTFOUND, Message: "File not found.", Err: detail}
	}
	return detail
}

type opError struct {
	op, key string
	err     error
}

func (e *opError) Error() string { return "s3blob: " + e.op + " " + e.key + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }
