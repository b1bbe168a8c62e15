package refinstall

import (
	"strings"
	"testing"

	"github.com/gas-project/gas/refdata"
)

// FuzzChecksumFile feeds arbitrary text to the provider checksum file
// parser: it must return an entry or an error, never panic, and an entry
// must be a well-formed value of its type.
func FuzzChecksumFile(f *testing.F) {
	const h = "0123456789abcdef0123456789abcdef"
	f.Add(refdata.ChecksumMD5, h+"  clinvar_20261201.vcf.gz\n", "clinvar.vcf.gz")
	f.Add(refdata.ChecksumMD5, "MD5 (f.gz) = "+h+"\n", "f.gz")
	f.Add(refdata.ChecksumMD5, h+"  ./README\n"+h+" *./f.txt\n", "f.txt")
	f.Add(refdata.ChecksumBSDSum, "00042     7 g.gff3.gz\n12345 99 f.gff3.gz\n", "f.gff3.gz")
	f.Add(refdata.ChecksumBSDSum, "1 2\n", "x")
	f.Fuzz(func(t *testing.T, typ, content, name string) {
		pc, err := parseChecksumFile(typ, []byte(content), name)
		if err != nil {
			return
		}
		switch typ {
		case refdata.ChecksumMD5:
			if !isHex(pc.Value, 32) || pc.Value != strings.ToLower(pc.Value) {
				t.Fatalf("MD5 value %q", pc.Value)
			}
		case refdata.ChecksumBSDSum:
			f := strings.Fields(pc.Value)
			if len(f) != 2 || normalBSD(pc.Value) != pc.Value {
				t.Fatalf("BSD sum value %q", pc.Value)
			}
		default:
			t.Fatalf("type %q accepted", typ)
		}
		if pc.Type != typ {
			t.Fatalf("type %q, want %q", pc.Type, typ)
		}
	})
}

// FuzzManifest feeds arbitrary JSON to the manifest parser: a manifest it
// accepts must select sources for every assembly and profile without
// error, each one valid, its variables substituted.
func FuzzManifest(f *testing.F) {
	f.Add(DefaultJSON())
	f.Add([]byte(`{"version":2,"vars":{"r":"1"},"assemblies":{"a":{"assembly":"A","sources":[{"role":"genes","url":"https://x/{r}/g.gz","checksum_type":"none","version":"1","license":"L"}]}}}`))
	f.Add([]byte(`{"version":2,"lock":{"written":"2026-12-01T00:00:00Z"},"assemblies":{"a":{"assembly":"A","profile":"minimal","sources":[{"role":"genes","url":"http://x/g.gz","sha256":"` + strings.Repeat("a", 64) + `","size":3,"checksum_type":"none","version":"1","license":"L"}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data, "fuzz")
		if err != nil {
			return
		}
		for _, key := range m.Keys() {
			for _, p := range Profiles {
				src, err := m.Select(key, p, true, nil)
				if err != nil {
					if m.Lock != nil && strings.Contains(err.Error(), "written for profile") {
						continue
					}
					t.Fatalf("%s %s: a valid manifest does not select: %v", key, p, err)
				}
				for _, s := range src {
					if err := s.validate(m.Lock != nil); err != nil || strings.ContainsAny(s.URL, "{}") && varRef.MatchString(s.URL) {
						t.Fatalf("%s %s: selected source %+v: %v", key, p, s, err)
					}
				}
			}
		}
	})
}
