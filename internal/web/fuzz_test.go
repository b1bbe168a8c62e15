package web

import (
	"net/url"
	"strings"
	"testing"
)

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
