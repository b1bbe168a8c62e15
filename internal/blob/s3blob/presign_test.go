package s3blob

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
)

func TestPresignGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, _ := newStore(t)
	data := randomBytes(70_000, 4)
	if _, err := s.Put(ctx, "user/1/j/result.vcf.gz", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, disposition string }{
		{"result.vcf.gz", `attachment; filename=result.vcf.gz`},
		{`my "best" run.vcf.gz`, `attachment; filename="my \"best\" run.vcf.gz"`},
		{"résultat.vcf.gz", `attachment; filename*=utf-8''r%C3%A9sultat.vcf.gz`},
	} {
		u, err := s.PresignGet(ctx, "user/1/j/result.vcf.gz", tc.name, 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(u) // no credentials: the URL carries them
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Equal(got, data) {
			t.Fatalf("GET %s: %s, %d bytes", tc.name, resp.Status, len(got))
		}
		if cd := resp.Header.Get("Content-Disposition"); cd != tc.disposition {
			t.Errorf("Content-Disposition = %q; want %q", cd, tc.disposition)
		}
	}

	// The signature covers the key: another object is refused.
	u, err := s.PresignGet(ctx, "user/1/j/result.vcf.gz", "r.vcf.gz", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(strings.Replace(u, "user/1/j/result.vcf.gz", "user/2/j/result.vcf.gz", 1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("GET of another key with the signature: %s", resp.Status)
	}

	if _, err := s.PresignGet(ctx, "user/1/j/result.vcf.gz", "", 8*24*time.Hour); gas.ErrorCode(err) != gas.EINVALID {
		t.Fatalf("presign beyond SigV4's 7 days: %v", err)
	}
}

func put(t *testing.T, p gas.PresignedRequest, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequest(p.Method, p.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range p.Header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestPresignPut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, _ := newStore(t)
	data := randomBytes(123_456, 5)
	p, err := s.PresignPut(ctx, "user/1/j/input.vcf.gz", int64(len(data)), 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if p.Method != http.MethodPut {
		t.Fatalf("method %s", p.Method)
	}
	// A body of another size than signed is refused and stores nothing:
	// this is what holds the plan's upload limit for direct uploads.
	if resp := put(t, p, append(data, 'x')); resp.StatusCode/100 == 2 {
		t.Fatalf("PUT of one byte more than signed: %s", resp.Status)
	}
	if _, err := s.Stat(ctx, "user/1/j/input.vcf.gz"); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("refused upload left an object: %v", err)
	}
	if resp := put(t, p, data); resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT: %s", resp.Status)
	}
	st, err := s.Stat(ctx, "user/1/j/input.vcf.gz")
	if err != nil || st.Size != int64(len(data)) || st.SHA256 != sum(data) {
		t.Fatalf("stat after direct upload = %+v, %v", st, err)
	}
	if got := readAll(t, s, "user/1/j/input.vcf.gz"); !bytes.Equal(got, data) {
		t.Fatal("uploaded object differs")
	}

	for _, size := range []int64{0, -1, 5<<30 + 1} {
		if _, err := s.PresignPut(ctx, "user/1/j/x", size, time.Minute); err == nil {
			t.Errorf("presign put of %d bytes: no error", size)
		}
	}
	if _, err := s.PresignPut(ctx, "../x", 10, time.Minute); gas.ErrorCode(err) != gas.EINVALID {
		t.Errorf("presign put of a bad key: %v", err)
	}
}

// With a public endpoint, presigned URLs name (and are signed for) that host;
// a URL signed for one host does not work through another.
func TestPresignPublicEndpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, srv, _ := newStore(t)
	public := strings.Replace(srv.Endpoint, "127.0.0.1", "localhost", 1)
	cfg := serverConfig(srv)
	cfg.PublicEndpoint = public
	pub, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "user/1/j/r", strings.NewReader("payload")); err != nil {
		t.Fatal(err)
	}
	u, err := pub.PresignGet(ctx, "user/1/j/r", "r.txt", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, public+"/") {
		t.Fatalf("URL %s does not use the public endpoint %s", u, public)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "payload" {
		t.Fatalf("GET through the public endpoint: %s %q", resp.Status, b)
	}
	resp, err = http.Get(strings.Replace(u, public, srv.Endpoint, 1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("URL signed for %s used on %s: %s", public, srv.Endpoint, resp.Status)
	}
}

// A browser on the GAS site sends a CORS preflight before its PUT; the
// bucket's rules must allow that origin and no other.
func TestAllowBrowserOrigins(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, _ := newStore(t)
	const site = "https://gas.example.org"
	if err := s.AllowBrowserOrigins(ctx, []string{site}); err != nil {
		t.Fatal(err)
	}
	p, err := s.PresignPut(ctx, "user/1/j/in.vcf", 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, p.URL, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", http.MethodPut)
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := preflight(site)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != site ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "PUT") {
		t.Fatalf("preflight from %s: %s %v", site, resp.Status, resp.Header)
	}
	if resp := preflight("https://evil.example"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin allowed: %s %v", resp.Status, resp.Header)
	}
	if err := s.AllowBrowserOrigins(ctx, nil); gas.ErrorCode(err) != gas.EINVALID {
		t.Fatalf("no origins: %v", err)
	}
}
