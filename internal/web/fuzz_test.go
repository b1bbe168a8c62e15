package web

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzSanitizeFilename checks that whatever a browser sends as a file name,
// the stored name is one safe path segment with a VCF extension.
func FuzzSanitizeFilename(f *testing.F) {
	for _, s := range []string{"a.vcf", "../x.vcf.gz", "C:\\a\\b.VCF", "..vcf", "x.txt", "\x00.vcf", "ü.vcf.bgz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := sanitizeFilename(in)
		if err != nil {
			return
		}
		if out == "" || out[0] == '.' || len(out) > 108 {
			t.Fatalf("%q -> %q: empty, hidden or long", in, out)
		}
		for _, r := range out {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
				t.Fatalf("%q -> %q: character %q", in, out, r)
			}
		}
		l := strings.ToLower(out)
		if !strings.HasSuffix(l, ".vcf") && !strings.HasSuffix(l, ".vcf.gz") && !strings.HasSuffix(l, ".vcf.bgz") {
			t.Fatalf("%q -> %q: extension lost", in, out)
		}
	})
}

// FuzzSafeNext checks that a post-sign-in target can never leave the site.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/jobs", "//evil.example", "/\\evil.example", "https://evil.example/", "/a?b=c", "/\t/evil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := safeNext(in)
		if out == "" {
			return
		}
		if out != in || !strings.HasPrefix(out, "/") {
			t.Fatalf("%q -> %q", in, out)
		}
		u, err := url.Parse(out)
		if err == nil && (u.Host != "" || u.Scheme != "") {
			t.Fatalf("%q leaves the site: host %q scheme %q", in, u.Host, u.Scheme)
		}
		// Browsers drop tabs and newlines from URLs, so "/\t/evil" is "//evil".
		stripped := strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(out)
		if strings.HasPrefix(stripped, "//") || strings.HasPrefix(stripped, "/\\") {
			t.Fatalf("%q becomes protocol-relative in a browser", in)
		}
	})
}
