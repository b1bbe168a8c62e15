package refinstall

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gas-project/gas/refdata"
)

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func bsdSum(b []byte) string {
	var s BSDSum
	s.Write(b)
	return s.String()
}

// fetchSources runs the first two stages of an install (the providers'
// checksum files, then the downloads) for sources.
func fetchSources(t *testing.T, d *Downloader, dir string, sources ...Source) ([]fetched, error) {
	t.Helper()
	opt := &Options{RefDir: dir}
	wants, err := providerChecksums(context.Background(), opt, d, sources)
	if err != nil {
		return nil, err
	}
	return fetchAll(context.Background(), opt, d, dir, sources, wants)
}

// TestInstallProviderChecksumBSDSum checks BSDSum against the `sum`
// command of this machine (GNU coreutils: BSD algorithm, 1 KiB blocks),
// then installs a file against an Ensembl-shaped CHECKSUMS file.
func TestInstallProviderChecksumBSDSum(t *testing.T) {
	t.Parallel()
	ts := loadTestSources(t)
	rnd := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 100_003)
	for i := range random {
		random[i] = byte(rnd.UintN(256))
	}
	inputs := map[string][]byte{
		"empty": {}, "one byte": {0xff}, "1 KiB": bytes.Repeat([]byte{'A'}, 1024), "1 KiB + 1": bytes.Repeat([]byte{'A'}, 1025),
		"random": random, "genes.gff3.gz": ts.files["/ensembl/genes.gff3.gz"], "known.vcf.gz": ts.files["/dbsnp/known_variants.vcf.gz"],
	}
	sumCmd, err := exec.LookPath("sum")
	if err != nil {
		t.Fatalf("the `sum` command (GNU coreutils) is needed to check BSDSum: %v", err)
	}
	dir := t.TempDir()
	for name, b := range inputs {
		f := filepath.Join(dir, "in")
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(sumCmd, f).Output()
		if err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(string(out)), f))
		if got := bsdSum(b); got != want {
			t.Errorf("%s: BSDSum %q, `sum` prints %q", name, got, want)
		}
	}

	fs, srv := newFileServer(t)
	gff := ts.files["/ensembl/genes.gff3.gz"]
	const rel = "/pub/release-116/gff3/homo_sapiens/"
	fs.add(rel+"Homo_sapiens.GRCh38.116.gff3.gz", gff)
	// As Ensembl writes it: zero-padded sum, blocks, name; other files too.
	fs.add(rel+"CHECKSUMS", []byte("01234 5 README\n"+bsdSum(gff)+" Homo_sapiens.GRCh38.116.gff3.gz\n00042 1 Homo_sapiens.GRCh38.116.chr.gff3.gz\n"))
	src := Source{Role: RoleGenes, URL: srv.URL + rel + "Homo_sapiens.GRCh38.116.gff3.gz", ChecksumType: refdata.ChecksumBSDSum,
		ChecksumURL: srv.URL + rel + "CHECKSUMS", Version: "Ensembl 116", License: "L"}
	got, err := fetchSources(t, fastDownloader(srv, 0), t.TempDir(), src)
	if err != nil {
		t.Fatal(err)
	}
	o := got[0].origin
	if o.Trust != refdata.TrustProviderSum || o.ProviderChecksum != normalBSD(bsdSum(gff)) || o.ProviderChecksumType != refdata.ChecksumBSDSum ||
		o.ProviderChecksumURL != src.ChecksumURL || o.SHA256 != sha(gff) || o.Size != int64(len(gff)) || o.LastModified.IsZero() {
		t.Errorf("origin %+v", o)
	}
}

// TestInstallProviderChecksumMD5: ClinVar's .md5 beside the VCF names the
// dated weekly file; NCBI's md5checksums.txt lists a whole folder.
func TestInstallProviderChecksumMD5(t *testing.T) {
	t.Parallel()
	ts := loadTestSources(t)
	fs, srv := newFileServer(t)
	vcf := ts.files["/dbsnp/known_variants.vcf.gz"]
	report := []byte("# Assembly name:  GRCh38.p14\n21\tassembled-molecule\t21\tChromosome\tCM000683.2\t=\tNC_000021.9\tPrimary Assembly\t46709983\tchr21\n")
	fs.add("/pub/clinvar/vcf_GRCh38/weekly/clinvar.vcf.gz", vcf)
	fs.add("/pub/clinvar/vcf_GRCh38/weekly/clinvar.vcf.gz.md5", []byte(md5hex(vcf)+"  clinvar_20261201.vcf.gz\n"))
	const asm = "/genomes/all/GCF/000/001/405/GCF_000001405.40_GRCh38.p14/"
	fs.add(asm+"GCF_000001405.40_GRCh38.p14_assembly_report.txt", report)
	fs.add(asm+"md5checksums.txt", []byte(md5hex([]byte("x"))+"  ./README.txt\n"+md5hex(report)+"  ./GCF_000001405.40_GRCh38.p14_assembly_report.txt\n"))
	clinvar := Source{Role: RoleKnown, Name: "clinvar", URL: srv.URL + "/pub/clinvar/vcf_GRCh38/weekly/clinvar.vcf.gz", ChecksumType: refdata.ChecksumMD5,
		ChecksumURL: srv.URL + "/pub/clinvar/vcf_GRCh38/weekly/clinvar.vcf.gz.md5", Version: "weekly", License: "L"}
	aliases := Source{Role: RoleAliases, URL: srv.URL + asm + "GCF_000001405.40_GRCh38.p14_assembly_report.txt", ChecksumType: refdata.ChecksumMD5,
		ChecksumURL: srv.URL + asm + "md5checksums.txt", Version: "p14", License: "L"}
	got, err := fetchSources(t, fastDownloader(srv, 0), t.TempDir(), clinvar, aliases)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]byte{vcf, report} {
		o := got[i].origin
		if o.Trust != refdata.TrustProviderMD5 || o.ProviderChecksum != md5hex(want) || o.SHA256 != sha(want) || o.ProviderChecksumType != refdata.ChecksumMD5 {
			t.Errorf("source %d: origin %+v", i, o)
		}
	}
}

// TestInstallProviderChecksumMismatch: a file that is not what its
// provider's checksum says is refused, named, and deleted.
func TestInstallProviderChecksumMismatch(t *testing.T) {
	t.Parallel()
	fs, srv := newFileServer(t)
	data := []byte("the file as served\n")
	fs.add("/a/data.vcf.gz", data)
	fs.add("/a/data.vcf.gz.md5", []byte("MD5 (data.vcf.gz) = "+md5hex([]byte("the file as published\n"))+"\n"))
	fs.add("/b/data.gff3.gz", data)
	fs.add("/b/CHECKSUMS", []byte("12345 1 data.gff3.gz\n"))
	fs.add("/c/other.gff3.gz", data)
	fs.add("/c/CHECKSUMS", []byte("12345 1 data.gff3.gz\n"))
	for _, c := range []struct {
		src  Source
		want string
	}{
		{Source{Role: RoleKnown, Name: "x", URL: srv.URL + "/a/data.vcf.gz", ChecksumType: refdata.ChecksumMD5, ChecksumURL: srv.URL + "/a/data.vcf.gz.md5"},
			"data.vcf.gz: MD5 mismatch: got " + md5hex(data) + ", the provider's " + srv.URL + "/a/data.vcf.gz.md5 says "},
		{Source{Role: RoleGenes, URL: srv.URL + "/b/data.gff3.gz", ChecksumType: refdata.ChecksumBSDSum, ChecksumURL: srv.URL + "/b/CHECKSUMS"},
			"data.gff3.gz: BSD sum mismatch: got " + normalBSD(bsdSum(data)) + ", the provider's " + srv.URL + "/b/CHECKSUMS says 12345 1"},
		{Source{Role: RoleGenes, URL: srv.URL + "/c/other.gff3.gz", ChecksumType: refdata.ChecksumBSDSum, ChecksumURL: srv.URL + "/c/CHECKSUMS"},
			"no entry for the file other.gff3.gz among 1 entries"},
	} {
		dir := t.TempDir()
		_, err := fetchSources(t, fastDownloader(srv, 0), dir, c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.src.URL, err, c.want)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("%s: left %v after the mismatch", c.src.URL, left)
		}
	}
}

// TestInstallProviderChecksumIfRange: a download cut short is resumed
// only if the server still has the same file (If-Range with its ETag).
// When the file changed between tries, the server sends the whole new file
// and the installer starts over from it rather than splicing the two.
func TestInstallProviderChecksumIfRange(t *testing.T) {
	t.Parallel()
	const p = "/pub/clinvar/vcf_GRCh38/weekly/clinvar.vcf.gz"
	older := bytes.Repeat([]byte("week 1 ClinVar record\n"), 5000)
	newer := bytes.Repeat([]byte("week 2 ClinVar record, longer\n"), 5000)
	src := func(srv *httptest.Server) Source {
		return Source{Role: RoleKnown, Name: "clinvar", URL: srv.URL + p, ChecksumType: refdata.ChecksumMD5, ChecksumURL: srv.URL + p + ".md5"}
	}

	t.Run("across runs", func(t *testing.T) {
		t.Parallel()
		fs, srv := newFileServer(t)
		fs.add(p, older)
		fs.add(p+".md5", []byte(md5hex(older)+"  clinvar_20261201.vcf.gz\n"))
		fs.cut(p, 1)
		dir := t.TempDir()
		// Week 1: the run is cut halfway and gives up (no retries).
		if _, err := fetchSources(t, fastDownloader(srv, -1), dir, src(srv)); err == nil || !strings.Contains(err.Error(), "run again to resume") {
			t.Fatalf("want an interrupted download, got %v", err)
		}
		meta, err := readMeta(filepath.Join(dir, "clinvar.vcf.gz.part.meta"))
		if err != nil || meta.ETag != etag(older) || meta.LastModified == "" {
			t.Fatalf("validators kept beside the .part: %+v, %v", meta, err)
		}
		// Week 2: ClinVar published a new file and its checksum.
		fs.add(p, newer)
		fs.add(p+".md5", []byte(md5hex(newer)+"  clinvar_20261208.vcf.gz\n"))
		var logged []string
		d := fastDownloader(srv, 0)
		d.Logf = func(f string, a ...any) { logged = append(logged, sprintf(f, a...)) }
		got, err := fetchSources(t, d, dir, src(srv))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(got[0].path)
		if !bytes.Equal(b, newer) || got[0].origin.Trust != refdata.TrustProviderMD5 || got[0].origin.SHA256 != sha(newer) {
			t.Fatalf("got %d bytes (sha %s), want the new file whole; origin %+v", len(b), sha(b), got[0].origin)
		}
		reqs := fs.requests()
		if last := reqs[len(reqs)-1]; last != p+" bytes="+itoa(len(older)/2)+"-" {
			t.Errorf("the second run asked %q, want the rest of the old file", last)
		}
		if ir := fs.ifRanges(); len(ir) != 1 || ir[0] != etag(older) {
			t.Errorf("If-Range %q, want the old ETag %s", ir, etag(older))
		}
		if !strings.Contains(strings.Join(logged, "\n"), "sent the whole file instead of the rest") {
			t.Errorf("the restart was not reported: %q", logged)
		}
		if _, err := os.Stat(got[0].path + ".part.meta"); !os.IsNotExist(err) {
			t.Errorf(".part.meta left behind: %v", err)
		}
	})

	t.Run("within a run", func(t *testing.T) {
		t.Parallel()
		fs, srv := newFileServer(t)
		fs.add(p, older)
		fs.add(p+".md5", []byte(md5hex(older)+"  clinvar_20261201.vcf.gz\n"))
		fs.cut(p, 1)
		dir := t.TempDir()
		d := fastDownloader(srv, 0)
		// The file changes on the server after the cut, before the retry.
		d.Logf = func(string, ...any) { fs.add(p, newer) }
		_, err := fetchSources(t, d, dir, src(srv))
		// The new file is downloaded whole, not spliced onto the old half,
		// and it is not the file whose checksum was fetched: refused.
		var ce *ChecksumError
		if !errors.As(err, &ce) || ce.Kind != "MD5" || ce.Got != md5hex(newer) || ce.File != "clinvar.vcf.gz" {
			t.Fatalf("want the MD5 of the whole new file refused, got %v", err)
		}
		if ir := fs.ifRanges(); len(ir) != 1 || ir[0] != etag(older) {
			t.Errorf("If-Range %q", ir)
		}
		// A rerun reads the provider's new checksum and succeeds.
		fs.add(p+".md5", []byte(md5hex(newer)+"  clinvar_20261208.vcf.gz\n"))
		got, err := fetchSources(t, fastDownloader(srv, 0), dir, src(srv))
		if err != nil || got[0].origin.SHA256 != sha(newer) {
			t.Fatalf("rerun: %v", err)
		}
	})

	t.Run("unchanged file resumes", func(t *testing.T) {
		t.Parallel()
		fs, srv := newFileServer(t)
		fs.add(p, older)
		fs.add(p+".md5", []byte(md5hex(older)+"  clinvar_20261201.vcf.gz\n"))
		fs.cut(p, 1)
		dir := t.TempDir()
		if _, err := fetchSources(t, fastDownloader(srv, -1), dir, src(srv)); err == nil {
			t.Fatal("want an interrupted download")
		}
		// A new run (as after a restart) hashes the kept half again and
		// resumes after it.
		got, err := fetchSources(t, fastDownloader(srv, 0), dir, src(srv))
		if err != nil || got[0].origin.SHA256 != sha(older) {
			t.Fatalf("%v", err)
		}
		if reqs := dataRequests(fs, p); len(reqs) != 2 || reqs[1] != p+" bytes="+itoa(len(older)/2)+"-" {
			t.Errorf("requests %q", reqs)
		}
	})

	t.Run("no validator, no resume", func(t *testing.T) {
		t.Parallel()
		fs, srv := newFileServer(t)
		fs.add(p, older)
		fs.add(p+".md5", []byte(md5hex(older)+"\n"))
		dir := t.TempDir()
		// Half a file from an unknown earlier download, without .part.meta.
		if err := os.WriteFile(filepath.Join(dir, "clinvar.vcf.gz.part"), newer[:len(newer)/2], 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := fetchSources(t, fastDownloader(srv, 0), dir, src(srv))
		if err != nil || got[0].origin.SHA256 != sha(older) {
			t.Fatalf("%v", err)
		}
		if reqs := dataRequests(fs, p); len(reqs) != 1 || reqs[0] != p+" " {
			t.Errorf("requests %q, want one whole download", reqs)
		}
	})
}

// dataRequests are the requests for path (not its checksum file).
func dataRequests(fs *fileServer, path string) []string {
	var out []string
	for _, r := range fs.requests() {
		if strings.HasPrefix(r, path+" ") {
			out = append(out, r)
		}
	}
	return out
}

// TestInstallProviderChecksumOnlyOverTLS: a checksum file that reaches us
// without TLS (here an https URL redirected to http) vouches for nothing.
func TestInstallProviderChecksumOnlyOverTLS(t *testing.T) {
	t.Parallel()
	data := []byte("data\n")
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s  data.vcf.gz\n", md5hex(data))
	}))
	defer plain.Close()
	fs, srv := newFileServer(t)
	fs.add("/data.vcf.gz", data)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/data.vcf.gz.md5" {
			http.Redirect(w, r, plain.URL+"/data.vcf.gz.md5", http.StatusFound)
			return
		}
		fs.ServeHTTP(w, r)
	})
	src := Source{Role: RoleKnown, Name: "x", URL: srv.URL + "/data.vcf.gz", ChecksumType: refdata.ChecksumMD5, ChecksumURL: srv.URL + "/data.vcf.gz.md5"}
	_, err := fetchSources(t, fastDownloader(srv, 0), t.TempDir(), src)
	if !errors.Is(err, errNotTLS) || !strings.Contains(err.Error(), "cannot vouch") {
		t.Fatalf("want the checksum file refused, got %v", err)
	}
	if reqs := fs.requests(); len(reqs) != 0 {
		t.Errorf("downloaded %q after the refusal", reqs)
	}
}

func TestInstallProviderChecksumParse(t *testing.T) {
	t.Parallel()
	const h = "0123456789abcdef0123456789abcdef"
	for _, c := range []struct {
		typ, content, name, want, err string
	}{
		{refdata.ChecksumMD5, h + "  f.vcf.gz\n", "f.vcf.gz", h, ""},
		{refdata.ChecksumMD5, strings.ToUpper(h) + " *f.vcf.gz\n", "f.vcf.gz", h, ""},
		{refdata.ChecksumMD5, "MD5 (f.vcf.gz) = " + h + "\n", "f.vcf.gz", h, ""},
		{refdata.ChecksumMD5, h + "\n", "f.vcf.gz", h, ""},                                // a bare hash beside the file
		{refdata.ChecksumMD5, h + "  clinvar_20261201.vcf.gz\n", "clinvar.vcf.gz", h, ""}, // one entry, dated name
		{refdata.ChecksumMD5, "ffffffffffffffffffffffffffffffff  ./a.txt\n" + h + "  ./f.txt\n", "f.txt", h, ""},
		{refdata.ChecksumMD5, "ffffffffffffffffffffffffffffffff  ./a.txt\n" + h + "  ./b.txt\n", "f.txt", "", "no entry for the file f.txt among 2"},
		{refdata.ChecksumMD5, "not a checksum\n", "f", "", "not an MD5 checksum line"},
		{refdata.ChecksumMD5, "\n# nothing\n", "f", "", "empty checksum file"},
		{refdata.ChecksumBSDSum, "00042     7 g.gff3.gz\n12345 99 f.gff3.gz\n", "f.gff3.gz", "12345 99", ""},
		{refdata.ChecksumBSDSum, "00042 7 g.gff3.gz\n", "g.gff3.gz", "42 7", ""},
		{refdata.ChecksumBSDSum, "00042 7 g.gff3.gz\n", "f.gff3.gz", "", "no entry for the file f.gff3.gz"},
		{refdata.ChecksumBSDSum, "70000 7 g.gff3.gz\n", "g.gff3.gz", "", "want SUM BLOCKS NAME"},
	} {
		got, err := parseChecksumFile(c.typ, []byte(c.content), c.name)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: got %v, want error %q", c.content, err, c.err)
			}
			continue
		}
		if err != nil || got.Value != c.want || got.Type != c.typ {
			t.Errorf("%q: got %+v, %v, want %s", c.content, got, err, c.want)
		}
	}
}

// mirror serves the provider-shaped files the built-in manifest's grch38
// entry points to (minimal profile and the optional tracks), made from
// the vep-chr21 test data: Ensembl's gene model and genome beside their
// CHECKSUMS, NCBI's assembly report beside md5checksums.txt, a ClinVar
// VCF beside its .md5, UCSC's gzipped tables, and the GWAS Catalog's zip.
// The ClinVar records, track rows and GWAS associations are invented at
// positions of test.vcf; the formats are the providers'.
type mirror struct {
	fs       *fileServer
	srv      *httptest.Server
	manifest *Manifest
	vcf      string
	files    map[string][]byte
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func newMirror(t *testing.T) *mirror {
	t.Helper()
	ts := loadTestSources(t)
	fa, err := os.ReadFile(filepath.Join(filepath.Dir(ts.vcf), "exons.fa.gz"))
	if err != nil {
		t.Fatal(err)
	}
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	f, _ := zw.Create("gwas-catalog-associations_ontology-annotated.tsv")
	f.Write(ts.files["/gwas/gwas-associations.tsv"])
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	clinvar := gz(t, []byte("##fileformat=VCFv4.1\n##fileDate=2026-12-01\n##source=ClinVar\n##reference=GRCh38\n"+
		"##INFO=<ID=CLNSIG,Number=.,Type=String,Description=\"Aggregate germline classification for this single variant\">\n"+
		"##INFO=<ID=CLNREVSTAT,Number=.,Type=String,Description=\"ClinVar review status of the germline classification\">\n"+
		"##INFO=<ID=CLNDN,Number=.,Type=String,Description=\"ClinVar's preferred disease name\">\n"+
		"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"+
		"21\t25587701\t900001\tT\tC\t.\t.\tCLNSIG=Pathogenic;CLNREVSTAT=criteria_provided,_single_submitter;CLNDN=Test_disease\n"))
	report := func(name string) []byte {
		return []byte("# Assembly name:  " + name + "\n# Sequence-Name\tSequence-Role\tAssigned-Molecule\tAssigned-Molecule-Location/Type\tGenBank-Accn\tRelationship\tRefSeq-Accn\tAssembly-Unit\tSequence-Length\tUCSC-style-name\n" +
			"21\tassembled-molecule\t21\tChromosome\tCM000683.2\t=\tNC_000021.9\tPrimary Assembly\t46709983\tchr21\n")
	}
	// GRCh37 is served the same (GRCh38) test data under its own paths:
	// what is tested is that its URLs and checksum files work.
	const (
		ens38 = "/pub/release-116/"
		ens37 = "/pub/grch37/release-116/"
		asm38 = "/genomes/all/GCF/000/001/405/GCF_000001405.40_GRCh38.p14/"
		asm37 = "/genomes/all/GCF/000/001/405/GCF_000001405.25_GRCh37.p13/"
	)
	m := &mirror{vcf: ts.vcf, files: map[string][]byte{
		ens38 + "gff3/homo_sapiens/Homo_sapiens.GRCh38.116.gff3.gz":                                 ts.files["/ensembl/genes.gff3.gz"],
		ens38 + "fasta/homo_sapiens/dna/Homo_sapiens.GRCh38.dna.primary_assembly.fa.gz":             fa,
		asm38 + "GCF_000001405.40_GRCh38.p14_assembly_report.txt":                                   report("GRCh38.p14"),
		"/pub/clinvar/vcf_GRCh38/weekly/clinvar.vcf.gz":                                             clinvar,
		"/goldenPath/hg38/database/cytoBand.txt.gz":                                                 gz(t, ts.files["/ucsc/cytoBand.txt"]),
		"/goldenPath/hg38/database/cpgIslandExt.txt.gz":                                             gz(t, ts.files["/ucsc/cpgIslandExt.txt"]),
		"/pub/databases/gwas/releases/latest/gwas-catalog-associations_ontology-annotated-full.zip": zbuf.Bytes(),
		ens37 + "gff3/homo_sapiens/Homo_sapiens.GRCh37.87.gff3.gz":                                  ts.files["/ensembl/genes.gff3.gz"],
		ens37 + "fasta/homo_sapiens/dna/Homo_sapiens.GRCh37.dna.primary_assembly.fa.gz":             fa,
		asm37 + "GCF_000001405.25_GRCh37.p13_assembly_report.txt":                                   report("GRCh37.p13"),
		"/pub/clinvar/vcf_GRCh37/weekly/clinvar.vcf.gz":                                             clinvar,
		"/goldenPath/hg19/database/cytoBand.txt.gz":                                                 gz(t, ts.files["/ucsc/cytoBand.txt"]),
		"/goldenPath/hg19/database/cpgIslandExt.txt.gz":                                             gz(t, ts.files["/ucsc/cpgIslandExt.txt"]),
		// dbSNP 151's common variants name contigs 1…; later builds by
		// RefSeq accession (NC_000021.9), matched through the assembly
		// report.
		"/snp/organisms/human_9606_b151_GRCh38p7/VCF/common_all_20180418.vcf.gz": gz(t, []byte("##fileformat=VCFv4.0\n##source=dbSNP\n##dbSNP_BUILD_ID=151\n##reference=GRCh38.p7\n"+
			"##INFO=<ID=RS,Number=1,Type=Integer,Description=\"dbSNP ID (i.e. rs number)\">\n"+
			"##INFO=<ID=CAF,Number=.,Type=String,Description=\"An ordered, comma delimited list of allele frequencies based on 1000Genomes\">\n"+
			"##INFO=<ID=TOPMED,Number=.,Type=String,Description=\"An ordered, comma delimited list of allele frequencies based on TOPMed\">\n"+
			"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"+
			"21\t25587701\trs187353664\tT\tC\t.\t.\tRS=187353664;CAF=0.99,0.01;TOPMED=0.98,0.02\n")),
		"/snp/latest_release/VCF/GCF_000001405.40.gz": gz(t, []byte("##fileformat=VCFv4.2\n##source=dbSNP\n##dbSNP_BUILD_ID=157\n##reference=GRCh38.p14\n"+
			"##INFO=<ID=RS,Number=1,Type=Integer,Description=\"dbSNP ID (i.e. rs number)\">\n"+
			"##INFO=<ID=FREQ,Number=.,Type=String,Description=\"An ordered list of allele frequencies as reported by various genomic studies\">\n"+
			"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"+
			"NC_000021.9\t25587701\trs187353664\tT\tC\t.\t.\tRS=187353664;FREQ=1000Genomes:0.99,0.01\n")),
	}}
	m.fs, m.srv = newFileServer(t)
	for p, b := range m.files {
		m.fs.add(p, b)
	}
	m.checksums()
	text := string(DefaultJSON())
	for _, host := range []string{"https://ftp.ensembl.org", "https://ftp.ncbi.nlm.nih.gov", "https://ftp.ncbi.nih.gov", "https://hgdownload.soe.ucsc.edu", "https://ftp.ebi.ac.uk"} {
		text = strings.ReplaceAll(text, host, m.srv.URL)
	}
	m.manifest, err = Parse([]byte(text), "mirror manifest")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// checksums (re)writes the providers' checksum files for the served
// files, each in its provider's form and place: Ensembl's CHECKSUMS (BSD
// sum) per folder, NCBI's md5checksums.txt per assembly folder, a .md5
// beside each ClinVar file (naming the dated weekly file). Each listing
// also names a file that is not downloaded, as the real ones do.
func (m *mirror) checksums() {
	lists := map[string]string{}
	for p, b := range m.files {
		dir, name := p[:strings.LastIndex(p, "/")+1], p[strings.LastIndex(p, "/")+1:]
		switch {
		case strings.HasPrefix(p, "/pub/release-") || strings.HasPrefix(p, "/pub/grch37/"):
			if lists[dir+"CHECKSUMS"] == "" {
				lists[dir+"CHECKSUMS"] = "12345 3 README\n"
			}
			lists[dir+"CHECKSUMS"] += bsdSum(b) + " " + name + "\n"
		case strings.HasPrefix(p, "/genomes/"):
			if lists[dir+"md5checksums.txt"] == "" {
				lists[dir+"md5checksums.txt"] = md5hex([]byte("readme")) + "  ./README.txt\n"
			}
			lists[dir+"md5checksums.txt"] += md5hex(b) + "  ./" + name + "\n"
		case strings.HasPrefix(p, "/pub/clinvar/"):
			lists[p+".md5"] = md5hex(b) + "  clinvar_20261201.vcf.gz\n"
		case strings.HasPrefix(p, "/snp/"):
			lists[p+".md5"] = "MD5 (" + name + ") = " + md5hex(b) + "\n"
		}
	}
	for p, text := range lists {
		m.fs.add(p, []byte(text))
	}
}

// TestInstallProviderChecksumMirrorInstall installs the minimal profile of
// the built-in grch38 manifest, with the optional tracks, from a local
// mirror of provider-shaped files, through to a registered bundle that
// annotates test.vcf; writes the lock file and installs again strictly
// from it; and shows a lock refusing a changed file.
func TestInstallProviderChecksumMirrorInstall(t *testing.T) {
	t.Parallel()
	mr := newMirror(t)
	refDir := filepath.Join(t.TempDir(), "refdata")
	lockFile := filepath.Join(t.TempDir(), "grch38.lock.json")
	var stages []string
	res, err := Install(context.Background(), Options{
		Manifest: mr.manifest, Assembly: "grch38", Profile: ProfileMinimal, WithOptional: true, AllowUnverified: true,
		RefDir: refDir, Downloader: fastDownloader(mr.srv, 0), Version: "test", WriteLock: lockFile,
		Stagef: func(f string, a ...any) { stages = append(stages, sprintf(f, a...)) },
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(stages, "\n"))
	}
	log := strings.Join(stages, "\n")
	for _, s := range []string{"profile minimal: 7 files", "[1/4] providers' checksum files", mr.srv.URL + "/pub/release-116/gff3/homo_sapiens/CHECKSUMS",
		"disk: needs about", "BSD sum matches the provider's", "MD5 matches the provider's", "UNVERIFIED (no checksum published; TLS only)",
		"track GWAS: 1 intervals from gwas-catalog-associations_ontology-annotated-full.zip (zip member gwas-catalog-associations_ontology-annotated.tsv (gwas-catalog))"} {
		if !strings.Contains(log, s) {
			t.Errorf("stages lack %q:\n%s", s, log)
		}
	}
	// Every input of the bundle records where it came from and how far it
	// was checked.
	wantTrust := map[string]refdata.Trust{"genes": refdata.TrustProviderSum, "fasta": refdata.TrustProviderSum,
		"known:clinvar": refdata.TrustProviderMD5, "aliases": refdata.TrustProviderMD5,
		"track:CYTOBAND": refdata.TrustTLSOnly, "track:CPG_ISLAND": refdata.TrustTLSOnly, "track:GWAS": refdata.TrustTLSOnly}
	for _, s := range res.Manifest.Sources {
		o := s.Origin
		if o == nil || o.Trust != wantTrust[s.Role] || !strings.HasPrefix(o.URL, mr.srv.URL) || o.LastModified.IsZero() || o.Fetched.IsZero() || o.Version == "" {
			t.Errorf("%s: origin %+v", s.Role, o)
			continue
		}
		if o.SHA256 != sha(mr.files[strings.TrimPrefix(o.URL, mr.srv.URL)]) {
			t.Errorf("%s: sha256 %s is not that of the served file", s.Role, o.SHA256)
		}
		if (s.Role == "track:GWAS") != (s.Origin.Transform != "") || s.Role == "genes" && (s.SHA256 != o.SHA256 || o.ProviderChecksumType != refdata.ChecksumBSDSum) {
			t.Errorf("%s: source %+v origin %+v", s.Role, s, o)
		}
		delete(wantTrust, s.Role)
	}
	if len(wantTrust) > 0 {
		t.Errorf("no bundle source for %v", wantTrust)
	}
	if res.Manifest.Counts.Bases != 46709983 || res.Manifest.Counts.KnownVariants != 1 || res.Manifest.Counts.TrackIntervals["GWAS"] != 1 {
		t.Errorf("counts %+v", res.Manifest.Counts)
	}
	out := annotateWith(t, res.Dir, mr.vcf)
	if !strings.Contains(out["25587701"], "clinvar_CLNSIG=Pathogenic") || !strings.Contains(out["25587701"], "GWAS=body_height") {
		t.Errorf("25587701: %s", out["25587701"])
	}

	// The lock pins what was installed.
	lock, err := Load(lockFile)
	if err != nil {
		t.Fatal(err)
	}
	la := lock.Assemblies["grch38"]
	if lock.Lock == nil || la == nil || la.Profile != ProfileMinimal || len(la.Sources) != 7 || len(lock.Assemblies) != 1 {
		t.Fatalf("lock %+v", lock)
	}
	for _, s := range la.Sources {
		if b := mr.files[strings.TrimPrefix(s.URL, mr.srv.URL)]; s.SHA256 != sha(b) || s.Size != int64(len(b)) || strings.Contains(s.URL, "{") {
			t.Errorf("lock entry %s: %+v", s.Label(), s)
		}
	}
	// Installed strictly from it elsewhere: every file pinned, no
	// checksum file needed, no --allow-unverified either.
	n := len(mr.fs.requests())
	res2, err := Install(context.Background(), Options{Manifest: lock, Assembly: "grch38", Name: "again",
		RefDir: filepath.Join(t.TempDir(), "refdata"), Downloader: fastDownloader(mr.srv, 0), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res2.Manifest.Sources {
		if s.Origin.Trust != refdata.TrustPinnedSHA256 {
			t.Errorf("%s from the lock: trust %s", s.Role, s.Origin.Trust)
		}
	}
	if res2.Manifest.Checksum != res.Manifest.Checksum {
		t.Errorf("the same files built another bundle: %s, %s", res2.Manifest.Checksum, res.Manifest.Checksum)
	}
	for _, r := range mr.fs.requests()[n:] {
		if strings.Contains(r, "CHECKSUMS") || strings.Contains(r, "md5") {
			t.Errorf("a strict install fetched %s", r)
		}
	}
	if _, err := Install(context.Background(), Options{Manifest: lock, Assembly: "grch38", Profile: ProfileClinical, RefDir: t.TempDir()}); err == nil ||
		!strings.Contains(err.Error(), "written for profile minimal") {
		t.Errorf("lock with another profile: %v", err)
	}

	// The provider replaces ClinVar (same size, other content): the lock
	// refuses it, naming the file, and registers nothing.
	const cv = "/pub/clinvar/vcf_GRCh38/weekly/clinvar.vcf.gz"
	changed := bytes.Clone(mr.files[cv])
	changed[len(changed)-9] ^= 0xff
	mr.fs.add(cv, changed)
	ref3 := filepath.Join(t.TempDir(), "refdata")
	_, err = Install(context.Background(), Options{Manifest: lock, Assembly: "grch38", RefDir: ref3, Downloader: fastDownloader(mr.srv, 0)})
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.File != "clinvar.vcf.gz" || ce.Kind != "SHA-256" || !strings.Contains(err.Error(), "known clinvar") {
		t.Fatalf("want the changed ClinVar file refused by name, got %v", err)
	}
	if got := leftovers(t, ref3); len(got) != 0 {
		t.Errorf("left in refdata: %q", got)
	}
}

// TestInstallProviderChecksumMirrorGRCh37: the built-in grch37 entry
// installs from Ensembl's GRCh37 site, ClinVar's GRCh37 folder and NCBI's
// GRCh37.p13 assembly folder, each checked against its provider's checksum.
func TestInstallProviderChecksumMirrorGRCh37(t *testing.T) {
	t.Parallel()
	mr := newMirror(t)
	res, err := Install(context.Background(), Options{Manifest: mr.manifest, Assembly: "grch37", Profile: ProfileMinimal,
		RefDir: filepath.Join(t.TempDir(), "refdata"), Downloader: fastDownloader(mr.srv, 0), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.Assembly != "GRCh37" || res.Manifest.Name != "grch37" {
		t.Errorf("bundle %s (%s)", res.Manifest.Name, res.Manifest.Assembly)
	}
	want := map[string]string{
		"genes":         "/pub/grch37/release-116/gff3/homo_sapiens/Homo_sapiens.GRCh37.87.gff3.gz",
		"fasta":         "/pub/grch37/release-116/fasta/homo_sapiens/dna/Homo_sapiens.GRCh37.dna.primary_assembly.fa.gz",
		"known:clinvar": "/pub/clinvar/vcf_GRCh37/weekly/clinvar.vcf.gz",
		"aliases":       "/genomes/all/GCF/000/001/405/GCF_000001405.25_GRCh37.p13/GCF_000001405.25_GRCh37.p13_assembly_report.txt",
	}
	for _, s := range res.Manifest.Sources {
		if o := s.Origin; o == nil || o.URL != mr.srv.URL+want[s.Role] || o.Trust.Rank() < refdata.TrustProviderSum.Rank() {
			t.Errorf("%s: origin %+v", s.Role, o)
		}
	}
}

// TestInstallProviderChecksumMirrorFullProfile installs the full profile:
// ClinVar, dbSNP's common variants and all of dbSNP as three sources, the
// last naming its contigs by RefSeq accession, matched through the NCBI
// assembly report installed with them.
func TestInstallProviderChecksumMirrorFullProfile(t *testing.T) {
	t.Parallel()
	mr := newMirror(t)
	res, err := Install(context.Background(), Options{Manifest: mr.manifest, Assembly: "grch38", Profile: ProfileFull,
		RefDir: filepath.Join(t.TempDir(), "refdata"), Downloader: fastDownloader(mr.srv, 0), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]refdata.Trust{}
	for _, s := range res.Manifest.Sources {
		roles[s.Role] = s.Origin.Trust
	}
	for _, r := range []string{"known:clinvar", "known:dbsnp_common", "known:dbsnp", "aliases"} {
		if roles[r] != refdata.TrustProviderMD5 {
			t.Errorf("%s: trust %q (sources %v)", r, roles[r], roles)
		}
	}
	line := annotateWith(t, res.Dir, mr.vcf)["25587701"]
	for _, want := range []string{"rs187353664 ", "clinvar_CLNSIG=Pathogenic", "dbsnp_common_CAF=", "dbsnp_common_TOPMED=", "dbsnp_FREQ="} {
		if !strings.Contains(line, want) {
			t.Errorf("25587701 lacks %s: %s", want, line)
		}
	}
}

// annotateWith annotates vcf with the bundle in dir and returns, per
// position, the ID and INFO columns.
func annotateWith(t *testing.T, dir, vcf string) map[string]string {
	t.Helper()
	out := annotateText(t, dir, vcf)
	lines := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.SplitN(l, "\t", 9); len(f) >= 8 && !strings.HasPrefix(l, "#") {
			lines[f[1]] = f[2] + " " + f[7]
		}
	}
	return lines
}

// TestInstallChecksDiskSpace: the install says what it needs and refuses
// to start without it.
func TestInstallChecksDiskSpace(t *testing.T) {
	t.Parallel()
	mr := newMirror(t)
	refDir := filepath.Join(t.TempDir(), "refdata")
	_, err := Install(context.Background(), Options{Manifest: mr.manifest, Assembly: "grch38", Profile: ProfileMinimal,
		RefDir: refDir, Downloader: fastDownloader(mr.srv, 0), FreeSpace: func(string) (int64, error) { return 1 << 20, nil }})
	if err == nil || !strings.Contains(err.Error(), "not enough disk space") || !strings.Contains(err.Error(), "1.0 MiB is free") {
		t.Fatalf("want a refusal for lack of space, got %v", err)
	}
	for _, r := range mr.fs.requests() {
		if !strings.Contains(r, "CHECKSUMS") && !strings.Contains(r, "md5") {
			t.Errorf("downloaded %s without the space for it", r)
		}
	}
}

// BenchmarkDigest measures the one-pass hashing of a download (SHA-256,
// MD5 and BSD sum together) against SHA-256 alone, per MiB.
func BenchmarkDigest(b *testing.B) {
	buf := make([]byte, 1<<20)
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := range buf {
		buf[i] = byte(rnd.UintN(256))
	}
	b.Run("sha256+md5+bsd", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		d := newDigest()
		for b.Loop() {
			d.Write(buf)
		}
	})
	b.Run("bsd", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		var s BSDSum
		for b.Loop() {
			s.Write(buf)
		}
	})
	b.Run("sha256", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		d := newDigest()
		for b.Loop() {
			d.sha.Write(buf)
		}
	})
	b.Run("md5", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		d := newDigest()
		for b.Loop() {
			d.md5.Write(buf)
		}
	})
}
