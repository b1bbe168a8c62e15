package refinstall

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gas-project/gas/refdata"
)

// TestInstallDefaultManifest checks what the built-in manifest promises:
// every file names its provider's checksum file and type (Ensembl
// CHECKSUMS beside the file, NCBI and ClinVar .md5 or md5checksums.txt,
// none for UCSC database tables and the GWAS Catalog), the profiles hold
// what docs/refdata-install.md says, and the Ensembl release is one value.
func TestInstallDefaultManifest(t *testing.T) {
	t.Parallel()
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if m.Vars["ensembl_release"] != "116" || m.Lock != nil {
		t.Errorf("vars %v, lock %v", m.Vars, m.Lock)
	}
	for _, key := range []string{"grch38", "grch37"} {
		all, err := m.Select(strings.ToUpper(key), ProfileFull, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range all {
			u, _ := url.Parse(s.URL)
			if u.Scheme != "https" || s.Version == "" || strings.Contains(s.URL+s.Version, "{") {
				t.Errorf("%s %s: want an https URL and a version, variables substituted: %+v", key, s.Label(), s)
			}
			// Nothing could be downloaded to check a SHA-256 when the
			// manifest was written: none may be claimed.
			if s.SHA256 != "" || s.Size != 0 {
				t.Errorf("%s %s: a SHA-256 or size that was never measured", key, s.Label())
			}
			dir := s.URL[:strings.LastIndex(s.URL, "/")+1]
			switch host := u.Host; {
			case host == "ftp.ensembl.org":
				if s.ChecksumType != refdata.ChecksumBSDSum || s.ChecksumURL != dir+"CHECKSUMS" || !strings.Contains(s.URL, "/release-116/") {
					t.Errorf("%s %s: Ensembl files are checked with the CHECKSUMS (BSD sum) beside them: %+v", key, s.Label(), s)
				}
				if key == "grch37" && !strings.HasPrefix(s.URL, "https://ftp.ensembl.org/pub/grch37/release-116/") {
					t.Errorf("grch37 %s: not from the Ensembl GRCh37 site: %s", s.Label(), s.URL)
				}
			case strings.HasPrefix(host, "ftp.ncbi.nlm.nih.gov") || host == "ftp.ncbi.nih.gov":
				if s.ChecksumType != refdata.ChecksumMD5 || (s.ChecksumURL != s.URL+".md5" && s.ChecksumURL != dir+"md5checksums.txt") {
					t.Errorf("%s %s: NCBI files are checked with their .md5: %+v", key, s.Label(), s)
				}
			case host == "hgdownload.soe.ucsc.edu", host == "ftp.ebi.ac.uk":
				if s.ChecksumType != refdata.ChecksumNone || !s.Optional {
					t.Errorf("%s %s: UCSC tables and the GWAS Catalog publish no checksum and are optional: %+v", key, s.Label(), s)
				}
			default:
				t.Errorf("%s %s: unexpected host %s", key, s.Label(), host)
			}
		}
		labels := func(profile string, optional bool) string {
			src, err := m.Select(key, profile, optional, nil)
			if err != nil {
				t.Fatal(err)
			}
			var l []string
			for _, s := range src {
				l = append(l, s.Label())
			}
			return strings.Join(l, ", ")
		}
		const minimal = "genes, fasta, aliases, known clinvar"
		for profile, want := range map[string]string{
			ProfileMinimal:  minimal,
			ProfileClinical: minimal + ", known dbsnp_common",
			ProfileFull:     minimal + ", known dbsnp_common, known dbsnp",
			"":              minimal + ", known dbsnp_common", // the default
		} {
			if got := labels(profile, false); got != want {
				t.Errorf("%s profile %q: %s, want %s", key, profile, got, want)
			}
		}
		if got := labels(ProfileMinimal, true); !strings.HasPrefix(got, minimal+", track CYTOBAND, track CPG_ISLAND") {
			t.Errorf("%s minimal with optional: %s", key, got)
		}
	}
	if _, err := m.Assembly("hg18"); err == nil || !strings.Contains(err.Error(), "grch37, grch38") {
		t.Errorf("unknown assembly: %v", err)
	}
	// The release is one value: --var moves every Ensembl URL.
	src, err := m.Select("grch38", ProfileMinimal, false, map[string]string{"ensembl_release": "117"})
	if err != nil {
		t.Fatal(err)
	}
	if src[0].URL != "https://ftp.ensembl.org/pub/release-117/gff3/homo_sapiens/Homo_sapiens.GRCh38.117.gff3.gz" ||
		src[1].ChecksumURL != "https://ftp.ensembl.org/pub/release-117/fasta/homo_sapiens/dna/CHECKSUMS" {
		t.Errorf("release 117: %s, %s", src[0].URL, src[1].ChecksumURL)
	}
	if _, err := m.Select("grch38", "", false, map[string]string{"ensemble": "1"}); err == nil || !strings.Contains(err.Error(), "ensembl_release") {
		t.Errorf("unknown --var: %v", err)
	}
	if _, err := m.Select("grch38", "huge", false, nil); err == nil || !strings.Contains(err.Error(), "minimal, clinical, full") {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestInstallManifestErrors(t *testing.T) {
	t.Parallel()
	const good = `{"version":2,"vars":{"rel":"7"},"assemblies":{"a":{"assembly":"GRCh38","sources":[
		{"role":"genes","url":"https://x.org/{rel}/g.gff3.gz","checksum_type":"bsd-sum","checksum_url":"https://x.org/{rel}/CHECKSUMS","version":"1","license":"L"},
		{"role":"known","name":"clinvar","url":"https://x.org/c.vcf.gz","checksum_type":"md5","checksum_url":"https://x.org/c.vcf.gz.md5","version":"1","license":"L"}]}}}`
	if _, err := Parse([]byte(good), "good"); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ from, to, want string }{
		"misspelt field":       {`"version":"1",`, `"version":"1","sha265":"ab",`, `unknown field "sha265"`},
		"bad sha":              {`"version":"1",`, `"version":"1","sha256":"ABC",`, "64 lower-case hex"},
		"no licence":           {`,"license":"L"}]`, `}]`, `missing "license"`},
		"ftp url":              {`https://x.org/c.vcf.gz"`, `ftp://x.org/c.vcf.gz"`, "not an http(s) URL"},
		"upper key":            {`"a":`, `"A":`, "use lower case"},
		"no genes":             {`"role":"genes"`, `"role":"fasta"`, "want one genes source"},
		"bad role":             {`"role":"genes"`, `"role":"gene"`, `unknown role "gene"`},
		"version 1":            {`{"version":2`, `{"version":1`, "this gas reads version 2"},
		"no checksum type":     {`"checksum_type":"md5",`, ``, `missing "checksum_type"`},
		"bad checksum type":    {`"checksum_type":"md5"`, `"checksum_type":"crc"`, `unknown checksum_type "crc"`},
		"checksum over http":   {`"https://x.org/c.vcf.gz.md5"`, `"http://x.org/c.vcf.gz.md5"`, "must be an https URL"},
		"no checksum, no TLS":  {`"url":"https://x.org/c.vcf.gz","checksum_type":"md5","checksum_url":"https://x.org/c.vcf.gz.md5"`, `"url":"http://x.org/c.vcf.gz","checksum_type":"none"`, "neither a checksum nor TLS"},
		"unknown variable":     {`{rel}/g.gff3`, `{release}/g.gff3`, `{release}, which "vars" does not define`},
		"known without name":   {`"name":"clinvar",`, ``, `"name" must be lower-case`},
		"fields on genes":      {`"role":"genes",`, `"role":"genes","fields":["X"],`, `"fields" and "id" apply to known and scores sources only`},
		"optional genes":       {`"role":"genes",`, `"role":"genes","optional":true,`, "part of every install"},
		"unknown profile":      {`"name":"clinvar",`, `"name":"clinvar","profile":"big",`, `unknown profile "big"`},
		"lock without sha256":  {`"assemblies"`, `"lock":{"written":"2026-12-01T00:00:00Z"},"assemblies"`, "sha256 and size are required"},
		"two sources one name": {`]}}}`, `,{"role":"known","name":"clinvar","url":"https://x.org/c2.vcf.gz","checksum_type":"none","version":"1","license":"L"}]}}}`, "given twice"},
		"one file name twice":  {`]}}}`, `,{"role":"known","name":"other","url":"https://y.org/c.vcf.gz","checksum_type":"none","version":"1","license":"L"}]}}}`, "file name c.vcf.gz used twice"},
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
	write("585\tchr1\t10\t20\tCpG: 5\n")
	if _, err := convertTrack(context.Background(), FormatUCSC, in, out); err == nil || !strings.Contains(err.Error(), "needs no conversion") {
		t.Errorf("UCSC table: %v", err)
	}
	write("CHR_ID\tCHR_POS\n1\t5\n")
	if _, err := convertTrack(context.Background(), FormatGWASCat, in, out); err == nil || !strings.Contains(err.Error(), "no DISEASE/TRAIT column") {
		t.Errorf("GWAS without trait column: %v", err)
	}
}
