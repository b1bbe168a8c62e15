package submit

import (
	"strings"
	"testing"

	"github.com/gas-project/gas"
)

func TestSanitizeFilename(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"sample.vcf":                      "sample.vcf",
		"C:\\Users\\me\\My calls.VCF":     "My_calls.VCF",
		"../../etc/passwd.vcf.gz":         "passwd.vcf.gz",
		"..vcf":                           "input.vcf",
		".vcf.gz":                         "input.vcf.gz",
		"résumé.vcf.bgz":                  "r_sum_.vcf.bgz",
		strings.Repeat("a", 300) + ".vcf": strings.Repeat("a", 100) + ".vcf",
	} {
		got, err := SanitizeFilename(in)
		if err != nil || got != want {
			t.Errorf("SanitizeFilename(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x.txt", "x.vcf.zip", "vcf"} {
		if _, err := SanitizeFilename(in); gas.ErrorCode(err) != gas.EINVALID {
			t.Errorf("SanitizeFilename(%q) accepted", in)
		}
	}
}

// FuzzSanitizeFilename checks that whatever a browser sends as a file name,
// the stored name is one safe path segment with a VCF extension.
func FuzzSanitizeFilename(f *testing.F) {
	for _, s := range []string{"a.vcf", "../x.vcf.gz", "C:\\a\\b.VCF", "..vcf", "x.txt", "\x00.vcf", "ü.vcf.bgz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := SanitizeFilename(in)
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
