package refinstall

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInstallDefaultManifest(t *testing.T) {
	t.Parallel()
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"grch38", "grch37"} {
		a, err := m.Assembly(strings.ToUpper(key))
		if err != nil {
			t.Fatal(err)
		}
		roles := map[string]int{}
		for _, s := range a.Sources {
			roles[s.Label()]++
			if !strings.HasPrefix(s.URL, "https://") || s.Version == "" || s.Checksum == "" {
				t.Errorf("%s %s: want an https URL, a version and a checksum note: %+v", key, s.Label(), s)
			}
			// Nothing could be downloaded to check a SHA-256 when the
			// manifest was written: none may be claimed.
			if s.SHA256 != "" {
				t.Errorf("%s %s: a SHA-256 that was never verified", key, s.Label())
			}
		}
		for _, r := range []string{"genes", "fasta", "known", "track CYTOBAND", "track CPG_ISLAND"} {
			if roles[r] != 1 {
				t.Errorf("%s: %d %s sources", key, roles[r], r)
			}
		}
	}
	if _, err := m.Assembly("hg18"); err == nil || !strings.Contains(err.Error(), "grch37, grch38") {
		t.Errorf("unknown assembly: %v", err)
	}
}

func TestInstallManifestErrors(t *testing.T) {
	t.Parallel()
	const good = `{"version":1,"assemblies":{"a":{"assembly":"GRCh38","sources":[
		{"role":"genes","url":"https://x.org/g.gff3.gz","version":"1","license":"L"}]}}}`
	if _, err := Parse([]byte(good), "good"); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ from, to, want string }{
		"misspelt field": {`"version":"1",`, `"version":"1","sha265":"ab",`, `unknown field "sha265"`},
		"bad sha":        {`"version":"1",`, `"version":"1","sha256":"ABC",`, "64 lower-case hex"},
		"no licence":     {`,"license":"L"`, ``, `missing "license"`},
		"ftp url":        {`https://x.org`, `ftp://x.org`, "not an http(s) URL"},
		"upper key":      {`"a":`, `"A":`, "use lower case"},
		"no genes":       {`"role":"genes"`, `"role":"fasta"`, "want one genes source"},
		"bad role":       {`"role":"genes"`, `"role":"gene"`, `unknown role "gene"`},
		"version":        {`{"version":1`, `{"version":2`, "this gas reads version 1"},
	} {
		src := strings.Replace(good, c.from, c.to, 1)
		if src == good {
			t.Fatalf("%s: replacement did not apply", name)
		}
		_, err := Parse([]byte(src), "m.json")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "m.json") {
			t.Errorf("%s: got %v, want %q", name, err, c.want)
		}
	}
}

func TestInstallConvertTracks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	out := filepath.Join(dir, "out.bed")
	write := func(s string) {
		if err := os.WriteFile(in, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("585\tchr1\t10\t20\tCpG: 5\n586\tchr2\t30\t40\n")
	n, _, err := convertTrack(context.Background(), FormatUCSCBin, in, out)
	if err != nil || n != 2 {
		t.Fatalf("%d, %v", n, err)
	}
	if b, _ := os.ReadFile(out); string(b) != "chr1\t10\t20\tCpG: 5\nchr2\t30\t40\t.\n" {
		t.Errorf("converted %q", b)
	}
	// A plain BED file given as ucsc-bin is named as such.
	write("chr1\t10\t20\tx\n")
	if _, _, err := convertTrack(context.Background(), FormatUCSCBin, in, out); err == nil || !strings.Contains(err.Error(), "not a UCSC bin number") {
		t.Errorf("plain BED as ucsc-bin: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output of a failed conversion kept: %v", err)
	}
	write("CHR_ID\tCHR_POS\n1\t5\n")
	if _, _, err := convertTrack(context.Background(), FormatGWASCat, in, out); err == nil || !strings.Contains(err.Error(), "no DISEASE/TRAIT column") {
		t.Errorf("GWAS without trait column: %v", err)
	}
}
