package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gas-project/gas/internal/refinstall"
	"github.com/gas-project/gas/internal/sharedtest"
)

func TestRefdataBuildVEPChr21(t *testing.T) {
	t.Parallel()
	td := filepath.Join(sharedtest.Dir(t), "vep-chr21")
	data := t.TempDir()
	out := filepath.Join(data, "refdata", "chr21") // refdata/ does not exist yet: build creates it
	code, stdout, errOut := run(t, nil, "refdata", "build", "--quiet", "--name", "chr21", "--assembly", "GRCh38",
		"--genes", filepath.Join(td, "genes.gff3.gz"), "--known-variants", filepath.Join(td, "known_variants.vcf.gz"),
		"--known-info", "MAF,AF_EUR", "--out", out)
	if code != 0 || !strings.Contains(stdout, "built bundle chr21") {
		t.Fatalf("refdata build: exit %d\n%s%s", code, stdout, errOut)
	}
	code, stdout, _ = run(t, nil, "refdata", "list", "--data-dir", data)
	if code != 0 || !strings.Contains(stdout, "chr21") || !strings.Contains(stdout, "GRCh38") {
		t.Fatalf("refdata list: exit %d\n%s", code, stdout)
	}
	// Building over an existing bundle is refused.
	code, _, errOut = run(t, nil, "refdata", "build", "--quiet", "--name", "chr21", "--genes", filepath.Join(td, "genes.gff3.gz"), "--out", out)
	if code != 1 || !strings.Contains(errOut, "exists") {
		t.Fatalf("rebuild: exit %d\n%s", code, errOut)
	}

	// The bundle annotates the real sample VCF by name from the data dir.
	outVCF := filepath.Join(t.TempDir(), "hg00096.vcf")
	code, _, errOut = run(t, []string{"GAS_DATA_DIR=" + data}, "annotate", "--bundle", "chr21", "-o", outVCF,
		filepath.Join(td, "test.vcf"))
	if code != 0 {
		t.Fatalf("annotate with chr21: exit %d\n%s", code, errOut)
	}
	inText, err := os.ReadFile(filepath.Join(td, "test.vcf"))
	if err != nil {
		t.Fatal(err)
	}
	got := readMaybeGz(t, outVCF)
	if n, want := len(dataLines([]byte(got))), len(dataLines(inText)); n != want {
		t.Fatalf("%d records out, %d in", n, want)
	}
	if !strings.Contains(got, "\trs") {
		t.Error("no known-variant rsID was added from dbSNP")
	}
}

func TestRefdataBuildUsage(t *testing.T) {
	t.Parallel()
	code, _, errOut := run(t, nil, "refdata", "build", "--name", "x")
	if code != 2 || !strings.Contains(errOut, "missing required flags: --genes, --out") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	code, _, errOut = run(t, nil, "refdata", "build", "--name", "../x", "--genes", "g", "--out", "o")
	if code != 2 || !strings.Contains(errOut, "--name must be a plain name") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	code, _, errOut = run(t, nil, "refdata", "build", "--track", "nofile")
	if code != 2 || !strings.Contains(errOut, "want NAME=FILE") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
}

// TestRefdataInstallListRemove installs a bundle over HTTP from a manifest
// pinned to the served files (the vep-chr21 data and a cytoband table),
// annotates with it by name, lists and removes it.
func TestRefdataInstallListRemove(t *testing.T) {
	t.Parallel()
	td := filepath.Join(sharedtest.Dir(t), "vep-chr21")
	tracks := t.TempDir()
	cyto := "chr21\t25000000\t25586000\tq21.test1\tgneg\nchr21\t25586000\t26000000\tq21.test2\tgpos50\n"
	if err := os.WriteFile(filepath.Join(tracks, "cytoBand.txt"), []byte(cyto), 0o644); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/vep/", http.StripPrefix("/vep/", http.FileServer(http.Dir(td))))
	mux.Handle("/ucsc/", http.StripPrefix("/ucsc/", http.FileServer(http.Dir(tracks))))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	sum := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		return hex.EncodeToString(h[:])
	}
	src := func(role, track, url, file string) map[string]any {
		m := map[string]any{"role": role, "url": srv.URL + url, "sha256": sum(file), "checksum_type": "none", "version": "test", "license": "test data"}
		if track != "" {
			m["track"] = track
		}
		return m
	}
	known := src("known", "", "/vep/known_variants.vcf.gz", filepath.Join(td, "known_variants.vcf.gz"))
	known["name"], known["fields"], known["id"] = "dbsnp", []string{"MAF"}, true
	manifest := map[string]any{"version": 2, "assemblies": map[string]any{"testasm": map[string]any{
		"assembly": "GRCh38",
		"sources": []any{
			src("genes", "", "/vep/genes.gff3.gz", filepath.Join(td, "genes.gff3.gz")),
			known,
			src("track", "CYTOBAND", "/ucsc/cytoBand.txt", filepath.Join(tracks, "cytoBand.txt")),
		},
	}}}
	b, err := json.Marshal(manifest)
	if err != nil {
		t.Fatal(err)
	}
	mfile := filepath.Join(t.TempDir(), "manifest.json")
	if err := os.WriteFile(mfile, b, 0o644); err != nil {
		t.Fatal(err)
	}

	data := t.TempDir()
	lock := filepath.Join(t.TempDir(), "lock.json")
	code, stdout, errOut := run(t, nil, "refdata", "install", "testasm", "--manifest", mfile, "--name", "chr21", "--data-dir", data, "--write-lock", lock)
	if code != 0 || !strings.Contains(stdout, "installed bundle chr21 (GRCh38, profile clinical)") || !strings.Contains(stdout, "track CYTOBAND: 2 intervals") ||
		!strings.Contains(stdout, "pinned-sha256") || !strings.Contains(stdout, "lock file "+lock) || !strings.Contains(stdout, "source dbsnp (known") {
		t.Fatalf("install: exit %d\n%s%s", code, stdout, errOut)
	}
	if m, err := refinstall.Load(lock); err != nil || m.Lock == nil {
		t.Fatalf("lock file: %v", err)
	}
	// Stage lines, not progress bars: the output is not a terminal.
	for _, s := range []string{"[2/4] download 3 files", "SHA-256 matches the pinned value", "[4/4] build bundle chr21", "build: genes", "disk: needs about"} {
		if !strings.Contains(errOut, s) {
			t.Errorf("stderr lacks %q:\n%s", s, errOut)
		}
	}
	if strings.Contains(errOut, "\r") {
		t.Errorf("a progress bar was drawn on a non-terminal:\n%q", errOut)
	}

	code, stdout, _ = run(t, nil, "refdata", "list", "--data-dir", data)
	if code != 0 || !strings.Contains(stdout, "chr21") || !strings.Contains(stdout, "checksum ") ||
		!strings.Contains(stdout, "[test, pinned-sha256] "+srv.URL+"/vep/genes.gff3.gz") || strings.Contains(stdout, ".downloads") {
		t.Fatalf("list: exit %d\n%s", code, stdout)
	}

	outVCF := filepath.Join(t.TempDir(), "out.vcf")
	code, _, errOut = run(t, []string{"GAS_DATA_DIR=" + data}, "annotate", "--bundle", "chr21", "-o", outVCF, filepath.Join(td, "test.vcf"))
	if code != 0 {
		t.Fatalf("annotate: exit %d\n%s", code, errOut)
	}
	got := readMaybeGz(t, outVCF)
	if !strings.Contains(got, "\trs") || !strings.Contains(got, "CYTOBAND=q21.test") {
		t.Error("the installed bundle added no rsID or cytoband")
	}

	// The default bundle is kept unless --force.
	code, _, errOut = run(t, []string{"GAS_DEFAULT_BUNDLE=chr21"}, "refdata", "remove", "chr21", "--data-dir", data)
	if code != 1 || !strings.Contains(errOut, "is the default bundle") {
		t.Fatalf("remove default: exit %d\n%s", code, errOut)
	}
	code, stdout, errOut = run(t, []string{"GAS_DEFAULT_BUNDLE=chr21"}, "refdata", "remove", "--force", "chr21", "--data-dir", data)
	if code != 0 || !strings.Contains(stdout, "removed bundle chr21 (checksum ") {
		t.Fatalf("remove --force: exit %d\n%s%s", code, stdout, errOut)
	}
	if _, err := os.Stat(filepath.Join(data, "refdata", "chr21")); !os.IsNotExist(err) {
		t.Errorf("bundle still there: %v", err)
	}
	code, _, errOut = run(t, nil, "refdata", "remove", "chr21", "--data-dir", data)
	if code != 1 || !strings.Contains(errOut, `no bundle "chr21"`) {
		t.Fatalf("remove again: exit %d\n%s", code, errOut)
	}
}

// The built-in manifest's optional tracks have no published checksum, so
// asking for them without --allow-unverified is refused before anything is
// fetched (tests reach no provider).
func TestRefdataInstallDefaultManifestNeedsAllowUnverified(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	code, _, errOut := run(t, nil, "refdata", "install", "grch38", "--with-optional", "--data-dir", data)
	if code != 1 || !strings.Contains(errOut, "--allow-unverified") || !strings.Contains(errOut, "cytoBand.txt.gz (track CYTOBAND)") ||
		strings.Contains(errOut, "gff3.gz") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(data, "refdata")); !os.IsNotExist(err) {
		t.Errorf("refdata dir created by a refused install: %v", err)
	}
	code, _, errOut = run(t, nil, "refdata", "install", "grch38", "--profile", "huge", "--data-dir", data)
	if code != 1 || !strings.Contains(errOut, `unknown profile "huge" (minimal, clinical, full)`) {
		t.Fatalf("unknown profile: exit %d\n%s", code, errOut)
	}
	code, _, errOut = run(t, nil, "refdata", "install", "grch38", "--var", "ensembl=117", "--data-dir", data)
	if code != 1 || !strings.Contains(errOut, "--var ensembl: the manifest has no such variable (have: ensembl_release)") {
		t.Fatalf("unknown var: exit %d\n%s", code, errOut)
	}
	code, _, errOut = run(t, nil, "refdata", "install", "hg18", "--data-dir", data)
	if code != 1 || !strings.Contains(errOut, `no assembly "hg18"`) {
		t.Fatalf("unknown assembly: exit %d\n%s", code, errOut)
	}
	code, _, errOut = run(t, nil, "refdata", "install")
	if code != 2 || !strings.Contains(errOut, "expected one assembly") {
		t.Fatalf("no assembly: exit %d\n%s", code, errOut)
	}
	code, _, errOut = run(t, nil, "refdata", "remove")
	if code != 2 || !strings.Contains(errOut, "expected one bundle NAME") {
		t.Fatalf("remove without name: exit %d\n%s", code, errOut)
	}
	// The printed manifest is the one install uses: it parses back.
	code, stdout, errOut := run(t, nil, "refdata", "install", "--print-manifest")
	if code != 0 {
		t.Fatalf("--print-manifest: exit %d\n%s", code, errOut)
	}
	if m, err := refinstall.Parse([]byte(stdout), "printed"); err != nil || len(m.Keys()) != 2 {
		t.Fatalf("printed manifest: %v", err)
	}
}

// TestRefdataInstallHelpListsOwnFlags: -h shows the installer's flags, not
// every server setting.
func TestRefdataInstallHelpListsOwnFlags(t *testing.T) {
	t.Parallel()
	code, _, errOut := run(t, nil, "refdata", "install", "-h")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var flags []string
	for _, l := range strings.Split(errOut, "\n") {
		if f, ok := strings.CutPrefix(strings.TrimSpace(l), "-"); ok {
			flags = append(flags, strings.Fields(f)[0])
		}
	}
	want := "allow-unverified config data-dir from keep-downloads manifest name print-manifest profile quiet var with-optional write-lock"
	if got := strings.Join(flags, " "); got != want {
		t.Errorf("flags %q, want %q\n%s", got, want, errOut)
	}
}

// TestKnownSourcesCLI builds the chr21 bundle with two sources (dbSNP and a
// ClinVar-style file restricted to CLNSIG), annotates the VEP sample with
// it and has bcftools read the result: the dbsnp_* and clinvar_CLNSIG keys
// are there, declared, and htslib has nothing to warn about.
func TestKnownSourcesCLI(t *testing.T) {
	t.Parallel()
	td := filepath.Join(sharedtest.Dir(t), "vep-chr21")
	clinvar, err := filepath.Abs(filepath.Join("..", "..", "refdata", "demo", "clinvar.vcf"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "chr21")
	code, stdout, errOut := run(t, nil, "refdata", "build", "--quiet", "--name", "chr21", "--assembly", "GRCh38",
		"--genes", filepath.Join(td, "genes.gff3.gz"), "--fasta", filepath.Join(td, "exons.fa.gz"),
		"--known", "dbsnp="+filepath.Join(td, "known_variants.vcf.gz"), "--known", "clinvar="+clinvar+":CLNSIG", "--out", out)
	if code != 0 {
		t.Fatalf("refdata build: exit %d\n%s%s", code, stdout, errOut)
	}
	if !strings.Contains(stdout, "source dbsnp (known, Ensembl VEP test cache") || !strings.Contains(stdout, "fills ID") ||
		!strings.Contains(stdout, "source clinvar (known, ") || !strings.Contains(stdout, "INFO clinvar_CLNSIG\n") {
		t.Errorf("build output:\n%s", stdout)
	}
	outVCF := filepath.Join(t.TempDir(), "hg00096.vcf")
	code, _, errOut = run(t, nil, "annotate", "--bundle", out, "-o", outVCF, filepath.Join(td, "test.vcf"))
	if code != 0 {
		t.Fatalf("annotate: exit %d\n%s", code, errOut)
	}
	got := readMaybeGz(t, outVCF)
	for _, want := range []string{
		`##INFO=<ID=dbsnp_MAF,Number=A,Type=Float,Description="Global minor allele frequency (1000 Genomes phase 3) [source dbsnp]`,
		`##INFO=<ID=dbsnp_AF_EUR,Number=A,Type=Float,`,
		`##INFO=<ID=clinvar_CLNSIG,Number=A,Type=String,Description="Clinical significance for this single variant [source clinvar]`,
		`##gas_source=<ID=dbsnp,Kind=known,Version="Ensembl VEP test cache`,
		`##gas_source=<ID=clinvar,Kind=known,Version="GAS demo: ClinVar-style`,
		";dbsnp_MAF=", ";clinvar_CLNSIG=Likely_benign",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// CSQ names the protein of HGVSp by the GFF3's protein_id (ENSP…), as VEP does.
	csqVCF := filepath.Join(t.TempDir(), "hg00096.csq.vcf")
	if code, _, errOut = run(t, nil, "annotate", "--format", "csq", "--bundle", out, "-o", csqVCF, filepath.Join(td, "test.vcf")); code != 0 {
		t.Fatalf("annotate --format csq: exit %d\n%s", code, errOut)
	}
	if csq := readMaybeGz(t, csqVCF); !strings.Contains(csq, "|ENSP00000") || !strings.Contains(csq, ":p.") || strings.Contains(csq, "|ENST00000346798.3:p.") || strings.Contains(csq, "|ENST00000346798:p.") {
		t.Errorf("CSQ HGVSp does not name the protein (ENSP…:p.):\n%s", firstLines(csq, "CSQ=", 2))
	}
	if strings.Contains(got, "clinvar_RS") {
		t.Error("clinvar_RS written although only CLNSIG was asked for")
	}
	// rs148180403 is in the sample and in the ClinVar-style file as Benign.
	for _, l := range dataLines([]byte(got)) {
		if strings.Contains(l, "\trs148180403\t") && !strings.Contains(l, "clinvar_CLNSIG=Benign") {
			t.Errorf("rs148180403: %s", l)
		}
	}
	bcftools, err := exec.LookPath("bcftools")
	if err != nil {
		t.Skip("bcftools is not installed (apt-get install bcftools; CI installs it): the htslib check is skipped")
	}
	cmd := exec.Command(bcftools, "view", outVCF)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Run(); err != nil {
		t.Fatalf("bcftools view: %v\n%s", err, se.String())
	}
	if s := strings.TrimSpace(se.String()); s != "" {
		t.Errorf("bcftools view warned:\n%s", s)
	}
	q := exec.Command(bcftools, "query", "-i", "INFO/clinvar_CLNSIG!=\".\"", "-f", "%ID\t%INFO/clinvar_CLNSIG\t%INFO/dbsnp_MAF\n", outVCF)
	res, err := q.CombinedOutput()
	if err != nil || !strings.Contains(string(res), "rs148180403\tBenign\t") {
		t.Errorf("bcftools query: %v\n%s", err, res)
	}
	// BGZF output, converted to BCF: encoding BCF types every INFO value by
	// its header line (Number=A counts, Float values), so a value that does
	// not fit its declaration would be warned about here.
	gzVCF := filepath.Join(t.TempDir(), "hg00096.vcf.gz")
	if code, _, errOut = run(t, nil, "annotate", "--bundle", out, "-o", gzVCF, filepath.Join(td, "test.vcf")); code != 0 {
		t.Fatalf("annotate to BGZF: exit %d\n%s", code, errOut)
	}
	conv := exec.Command(bcftools, "view", "-Ob", "-o", filepath.Join(t.TempDir(), "out.bcf"), gzVCF)
	se.Reset()
	conv.Stderr = &se
	if err := conv.Run(); err != nil || strings.TrimSpace(se.String()) != "" {
		t.Errorf("bcftools view -Ob: %v\n%s", err, se.String())
	}
}

// TestAddSourceCLI adds, replaces and removes a source of a bundle in the
// data directory by name.
func TestAddSourceCLI(t *testing.T) {
	t.Parallel()
	td := filepath.Join(sharedtest.Dir(t), "vep-chr21")
	data := t.TempDir()
	out := filepath.Join(data, "refdata", "chr21")
	if code, stdout, errOut := run(t, nil, "refdata", "build", "--quiet", "--name", "chr21", "--assembly", "GRCh38",
		"--genes", filepath.Join(td, "genes.gtf.gz"), "--out", out); code != 0 {
		t.Fatalf("refdata build: exit %d\n%s%s", code, stdout, errOut)
	}
	clinvar, _ := filepath.Abs(filepath.Join("..", "..", "refdata", "demo", "clinvar.vcf"))
	env := []string{"GAS_DATA_DIR=" + data}
	code, stdout, errOut := run(t, env, "refdata", "add-source", "--quiet", "chr21", "clinvar="+clinvar+":CLNSIG")
	if code != 0 || !strings.Contains(stdout, "added source clinvar (known, ") || !strings.Contains(stdout, "INFO clinvar_CLNSIG") {
		t.Fatalf("add-source: exit %d\n%s%s", code, stdout, errOut)
	}
	code, stdout, _ = run(t, env, "refdata", "list")
	if code != 0 || !strings.Contains(stdout, "source clinvar (known") || !strings.Contains(stdout, "covers: GRCh38, chr21:24–27 Mb; no reference sequence; sources clinvar") {
		t.Errorf("list: exit %d\n%s", code, stdout)
	}
	code, _, errOut = run(t, env, "refdata", "add-source", "chr21", "Bad=x")
	if code != 2 || !strings.Contains(errOut, "source name") {
		t.Errorf("bad name: exit %d\n%s", code, errOut)
	}
	code, stdout, errOut = run(t, env, "refdata", "remove-source", "chr21", "clinvar")
	if code != 0 || !strings.Contains(stdout, "removed source clinvar") {
		t.Fatalf("remove-source: exit %d\n%s%s", code, stdout, errOut)
	}
	code, _, errOut = run(t, env, "refdata", "remove-source", "chr21", "clinvar")
	if code != 1 || !strings.Contains(errOut, "no source clinvar") {
		t.Errorf("second removal: exit %d\n%s", code, errOut)
	}
}

// firstLines returns the first n lines of text that contain sub.
func firstLines(text, sub string, n int) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) && len(out) < n {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
