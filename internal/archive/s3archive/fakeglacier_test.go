package s3archive

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// fakeGlacier is a small S3 endpoint (path-style, one bucket) that answers
// the calls the Glacier mode makes the way AWS documents them for objects
// in GLACIER / DEEP_ARCHIVE, with restores that finish by a test clock:
//
//   - RestoreObject: 202 when a restore starts, 200 when the object is
//     already restored, 409 RestoreAlreadyInProgress while one runs, 503
//     GlacierExpeditedRetrievalNotAvailable for Expedited when told to,
//     403 InvalidObjectState for an object not in an archive class, 404
//     NoSuchKey.
//   - HeadObject: x-amz-storage-class, and x-amz-restore as
//     `ongoing-request="true"` or `ongoing-request="false", expiry-date="…"`.
//   - GetObject and CopyObject from an archived object not restored: 403
//     InvalidObjectState.
//
// It also does what Put needs (PutObject, multipart upload, CopyObject with
// x-amz-copy-source-if-match) and object tagging. Authentication is not
// checked: the SDK's signing is exercised against versitygw elsewhere.
type fakeGlacier struct {
	bucket               string
	now                  func() time.Time
	delay                time.Duration
	expeditedUnavailable bool
	ignoreClass          bool // store every object as STANDARD, like versitygw

	mu       sync.Mutex
	objects  map[string]*fakeObject
	uploads  map[string]*fakeUpload
	nextID   int
	restores []string // tiers of every RestoreObject request, in order
}

type fakeObject struct {
	data    []byte
	meta    map[string]string // lower-case names without x-amz-meta-
	class   string
	tags    []byte // the Tagging XML as sent
	etag    string
	restore *fakeRestore
}

type fakeRestore struct {
	readyAt, expires time.Time
}

type fakeUpload struct {
	key   string
	meta  map[string]string
	class string
	parts map[int][]byte
}

func newFakeGlacier(t *testing.T, now func() time.Time, delay time.Duration, expeditedUnavailable bool) (*fakeGlacier, *s3.Client) {
	f := &fakeGlacier{
		bucket: "cold", now: now, delay: delay, expeditedUnavailable: expeditedUnavailable,
		objects: map[string]*fakeObject{}, uploads: map[string]*fakeUpload{},
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("k", "s", ""),
		// Plain bodies, not aws-chunked ones with trailing checksums, which
		// this fake does not decode.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
	})
	return f, client
}

func (f *fakeGlacier) restoreCount() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.restores...)
}

func s3Error(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	if r.Method == http.MethodHead { // HEAD answers carry no body
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>fake</RequestId></Error>`, code, msg)
}

func etagOf(b []byte) string {
	h := md5.Sum(b)
	return `"` + hex.EncodeToString(h[:]) + `"`
}

func (f *fakeGlacier) class(r *http.Request) string {
	if f.ignoreClass {
		return ""
	}
	return r.Header.Get("X-Amz-Storage-Class")
}

func archived(class string) bool { return class == "GLACIER" || class == "DEEP_ARCHIVE" }

// readable: not archived, or restored and not yet expired.
func (f *fakeGlacier) readable(o *fakeObject) bool {
	if !archived(o.class) {
		return true
	}
	now := f.now()
	return o.restore != nil && !o.restore.readyAt.After(now) && now.Before(o.restore.expires)
}

// expire drops a restored copy whose days are over.
func (f *fakeGlacier) expire(o *fakeObject) {
	if o.restore != nil && !f.now().Before(o.restore.expires) {
		o.restore = nil
	}
}

func metaOf(h http.Header) map[string]string {
	m := map[string]string{}
	for k, v := range h {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-amz-meta-") {
			m[strings.TrimPrefix(lk, "x-amz-meta-")] = v[0]
		}
	}
	return m
}

func (f *fakeGlacier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if bucket != f.bucket || key == "" {
		s3Error(w, r, http.StatusNotFound, "NoSuchBucket", "only object calls on bucket "+f.bucket)
		return
	}
	if strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") {
		s3Error(w, r, http.StatusBadRequest, "NotImplemented", "aws-chunked bodies")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s3Error(w, r, http.StatusBadRequest, "IncompleteBody", err.Error())
		return
	}
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPost && q.Has("restore"):
		f.restoreObject(w, r, key, body)
	case q.Has("tagging"):
		f.tagging(w, r, key, body)
	case r.Method == http.MethodPost && q.Has("uploads"):
		f.nextID++
		id := strconv.Itoa(f.nextID)
		f.uploads[id] = &fakeUpload{key: key, meta: metaOf(r.Header), class: f.class(r), parts: map[int][]byte{}}
		fmt.Fprintf(w, `<InitiateMultipartUploadResult><Bucket>%s</Bucket><Key>%s</Key><UploadId>%s</UploadId></InitiateMultipartUploadResult>`, bucket, key, id)
	case q.Has("uploadId"):
		f.multipart(w, r, key, q, body)
	case r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "":
		f.copyObject(w, r, key)
	case r.Method == http.MethodPut:
		f.objects[key] = &fakeObject{data: body, meta: metaOf(r.Header), class: f.class(r), etag: etagOf(body)}
		w.Header().Set("ETag", etagOf(body))
	case r.Method == http.MethodHead || r.Method == http.MethodGet:
		f.getObject(w, r, key)
	case r.Method == http.MethodDelete:
		delete(f.objects, key)
		w.WriteHeader(http.StatusNoContent)
	default:
		s3Error(w, r, http.StatusNotImplemented, "NotImplemented", r.Method+" "+r.URL.RawQuery)
	}
}

func (f *fakeGlacier) getObject(w http.ResponseWriter, r *http.Request, key string) {
	o, ok := f.objects[key]
	if !ok {
		s3Error(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	f.expire(o)
	h := w.Header()
	h.Set("ETag", o.etag)
	for k, v := range o.meta {
		h.Set("x-amz-meta-"+k, v)
	}
	if o.class != "" && o.class != "STANDARD" {
		h.Set("x-amz-storage-class", o.class)
	}
	if o.restore != nil {
		if o.restore.readyAt.After(f.now()) {
			h.Set("x-amz-restore", `ongoing-request="true"`)
		} else {
			h.Set("x-amz-restore", `ongoing-request="false", expiry-date="`+o.restore.expires.Format(http.TimeFormat)+`"`)
		}
	}
	if r.Method == http.MethodHead {
		h.Set("Content-Length", strconv.Itoa(len(o.data)))
		return
	}
	if !f.readable(o) {
		s3Error(w, r, http.StatusForbidden, "InvalidObjectState", "The operation is not valid for the object's storage class")
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(o.data)))
	w.Write(o.data)
}

type restoreRequest struct {
	Days int    `xml:"Days"`
	Tier string `xml:"GlacierJobParameters>Tier"`
}

func (f *fakeGlacier) restoreObject(w http.ResponseWriter, r *http.Request, key string, body []byte) {
	var req restoreRequest
	if err := xml.Unmarshal(body, &req); err != nil || req.Days < 1 {
		s3Error(w, r, http.StatusBadRequest, "MalformedXML", fmt.Sprintf("restore request %q", body))
		return
	}
	f.restores = append(f.restores, req.Tier)
	o, ok := f.objects[key]
	switch {
	case !ok:
		s3Error(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	case !archived(o.class):
		s3Error(w, r, http.StatusForbidden, "InvalidObjectState", "Restore is not allowed for the object's current storage class")
		return
	case req.Tier == "Expedited" && f.expeditedUnavailable:
		s3Error(w, r, http.StatusServiceUnavailable, "GlacierExpeditedRetrievalNotAvailable", "Glacier expedited retrievals are currently not available, please try again later")
		return
	}
	f.expire(o)
	now := f.now()
	switch {
	case o.restore != nil && o.restore.readyAt.After(now):
		s3Error(w, r, http.StatusConflict, "RestoreAlreadyInProgress", "Object restore is already in progress")
	case o.restore != nil:
		o.restore.expires = now.Add(time.Duration(req.Days) * 24 * time.Hour)
		w.WriteHeader(http.StatusOK)
	default:
		ready := now.Add(f.delay)
		o.restore = &fakeRestore{readyAt: ready, expires: ready.Add(time.Duration(req.Days) * 24 * time.Hour)}
		w.WriteHeader(http.StatusAccepted)
	}
}

func (f *fakeGlacier) tagging(w http.ResponseWriter, r *http.Request, key string, body []byte) {
	o, ok := f.objects[key]
	if !ok {
		s3Error(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	switch r.Method {
	case http.MethodPut:
		o.tags = body
	case http.MethodGet:
		if o.tags == nil {
			io.WriteString(w, `<Tagging><TagSet></TagSet></Tagging>`)
			return
		}
		w.Write(o.tags)
	default:
		s3Error(w, r, http.StatusNotImplemented, "NotImplemented", "tagging "+r.Method)
	}
}

func (f *fakeGlacier) copyObject(w http.ResponseWriter, r *http.Request, key string) {
	src := strings.TrimPrefix(r.Header.Get("X-Amz-Copy-Source"), "/")
	sb, sk, _ := strings.Cut(src, "/")
	o, ok := f.objects[sk]
	if sb != f.bucket || !ok {
		s3Error(w, r, http.StatusNotFound, "NoSuchKey", "copy source "+src)
		return
	}
	if m := r.Header.Get("X-Amz-Copy-Source-If-Match"); m != "" && m != o.etag {
		s3Error(w, r, http.StatusPreconditionFailed, "PreconditionFailed", "copy source ETag")
		return
	}
	if !f.readable(o) {
		s3Error(w, r, http.StatusForbidden, "InvalidObjectState", "The source object of the COPY action is not in the active tier")
		return
	}
	meta := o.meta
	if r.Header.Get("X-Amz-Metadata-Directive") == "REPLACE" {
		meta = metaOf(r.Header)
	}
	f.objects[key] = &fakeObject{data: o.data, meta: meta, class: f.class(r), etag: o.etag, tags: o.tags}
	fmt.Fprintf(w, `<CopyObjectResult><ETag>%s</ETag><LastModified>%s</LastModified></CopyObjectResult>`,
		strings.ReplaceAll(o.etag, `"`, "&quot;"), f.now().UTC().Format(time.RFC3339))
}

type completeRequest struct {
	Parts []struct {
		PartNumber int `xml:"PartNumber"`
	} `xml:"Part"`
}

func (f *fakeGlacier) multipart(w http.ResponseWriter, r *http.Request, key string, q map[string][]string, body []byte) {
	id := q["uploadId"][0]
	up, ok := f.uploads[id]
	if !ok || up.key != key {
		s3Error(w, r, http.StatusNotFound, "NoSuchUpload", "upload "+id)
		return
	}
	switch r.Method {
	case http.MethodPut:
		n, _ := strconv.Atoi(q["partNumber"][0])
		up.parts[n] = body
		w.Header().Set("ETag", etagOf(body))
	case http.MethodPost:
		var req completeRequest
		if err := xml.Unmarshal(body, &req); err != nil || len(req.Parts) == 0 {
			s3Error(w, r, http.StatusBadRequest, "MalformedXML", "complete request")
			return
		}
		var data bytes.Buffer
		for _, p := range req.Parts {
			data.Write(up.parts[p.PartNumber])
		}
		etag := fmt.Sprintf(`"%s-%d"`, strings.Trim(etagOf(data.Bytes()), `"`), len(req.Parts))
		f.objects[key] = &fakeObject{data: data.Bytes(), meta: up.meta, class: up.class, etag: etag}
		delete(f.uploads, id)
		fmt.Fprintf(w, `<CompleteMultipartUploadResult><Key>%s</Key><ETag>%s</ETag></CompleteMultipartUploadResult>`, key, strings.ReplaceAll(etag, `"`, "&quot;"))
	case http.MethodDelete:
		delete(f.uploads, id)
		w.WriteHeader(http.StatusNoContent)
	}
}
