package refinstall

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/refdata"
)

// leftovers lists what is in refDir besides the downloads folder: after a
// failed install it must be empty (no bundle, no work folder).
func leftovers(t *testing.T, refDir string) []string {
	t.Helper()
	entries, err := os.ReadDir(refDir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Name() != DownloadsDir {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestInstallDownloadsBuildsAndAnnotates(t *testing.T) {
	t.Parallel()
	ts := loadTestSources(t)
	fs, srv := newFileServer(t)
	ts.serve(fs)
	fs.cut("/ensembl/genes.gff3.gz", 1) // one drop on the way, resumed
	refDir := filepath.Join(t.TempDir(), "refdata")
	var stages []string
	res, err := Install(context.Background(), Options{
		Manifest: ts.manifest(srv.URL, true), Assembly: "TestAsm", Name: "chr21", RefDir: refDir,
		WithOptional: true, Downloader: fastDownloader(srv, 0), Version: "test",
		Stagef: func(f string, a ...any) { stages = append(stages, f) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Dir != filepath.Join(refDir, "chr21") || res.Manifest.Assembly != "GRCh38" {
		t.Fatalf("result %+v", res)
	}
	if got := leftovers(t, refDir); strings.Join(got, ",") != "chr21" {
		t.Errorf("refdata dir holds %q, want only the bundle", got)
	}
	if _, err := os.Stat(filepath.Join(refDir, DownloadsDir)); !os.IsNotExist(err) {
		t.Errorf("downloads kept without KeepDownloads: %v", err)
	}
	for _, s := range []string{"[1/4] providers' checksum files: none needed", "[2/4] download", "[3/4] prepare tracks", "[4/4] build", "disk: needs about"} {
		if !strings.Contains(strings.Join(stages, "\n"), s) {
			t.Errorf("no stage %q in %q", s, stages)
		}
	}
	if got := res.Manifest.Counts.TrackIntervals; got["CYTOBAND"] != 2 || got["CPG_ISLAND"] != 1 || got["GWAS"] != 1 {
		t.Errorf("track intervals %v", got)
	}
	prov, err := ReadProvenance(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(prov.Sources) != 5 || prov.Assembly != "testasm" || prov.Profile != DefaultProfile {
		t.Fatalf("provenance %+v", prov)
	}
	for _, s := range prov.Sources {
		if o := s.Origin; o.Trust != refdata.TrustPinnedSHA256 || o.SHA256 != s.SHA256 || o.Size != s.Size || o.URL != s.URL || o.Fetched.IsZero() {
			t.Errorf("%s: origin %+v", s.Label(), o)
		}
	}
	// The bundle's own manifest carries the same origins with its inputs.
	for _, s := range res.Manifest.Sources {
		if s.Origin == nil || s.Origin.Trust != refdata.TrustPinnedSHA256 || s.Origin.License == "" {
			t.Errorf("bundle source %s: origin %+v", s.Role, s.Origin)
		}
	}

	// The installed bundle annotates the real sample.
	lines := annotateWith(t, res.Dir, ts.vcf)
	if len(lines) != 132 {
		t.Errorf("%d records annotated, test.vcf has 132", len(lines))
	}
	for pos, want := range map[string][]string{
		"25585733": {"CYTOBAND=q21.test1", "CPG_ISLAND=CpG%3A_12", "ANN="},
		"25587701": {"CYTOBAND=q21.test2", "GWAS=body_height", "rs187353664"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[pos], w) {
				t.Errorf("record at %s lacks %s: %s", pos, w, lines[pos])
			}
		}
	}
	if strings.Contains(lines["25587758"], "GWAS=") {
		t.Errorf("a haplotype association (21;21) was placed: %s", lines["25587758"])
	}
	reqs := strings.Join(fs.requests(), "\n")
	if !strings.Contains(reqs, "/ensembl/genes.gff3.gz bytes=") {
		t.Errorf("the cut gene model was not resumed with Range:\n%s", reqs)
	}
}

func TestInstallChecksumMismatchRegistersNothing(t *testing.T) {
	t.Parallel()
	ts := loadTestSources(t)
	fs, srv := newFileServer(t)
	ts.serve(fs)
	m := ts.manifest(srv.URL, true)
	m.Assemblies["testasm"].Sources[1].SHA256 = sha([]byte("not dbSNP"))
	refDir := filepath.Join(t.TempDir(), "refdata")
	_, err := Install(context.Background(), Options{Manifest: m, Assembly: "testasm", RefDir: refDir, Downloader: fastDownloader(srv, 0)})
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.File != "known_variants.vcf.gz" || !strings.Contains(err.Error(), "download known") {
		t.Fatalf("want a checksum error for the known variants, got %v", err)
	}
	if got := leftovers(t, refDir); len(got) != 0 {
		t.Errorf("left in refdata: %q", got)
	}
	// The verified gene model stays for the next run; the bad file is gone.
	dl := filepath.Join(refDir, DownloadsDir, "testasm")
	if _, err := os.Stat(filepath.Join(dl, "genes.gff3.gz")); err != nil {
		t.Errorf("verified download not kept for a retry: %v", err)
	}
	for _, f := range []string{"known_variants.vcf.gz", "known_variants.vcf.gz.part"} {
		if _, err := os.Stat(filepath.Join(dl, f)); !os.IsNotExist(err) {
			t.Errorf("%s kept after a mismatch: %v", f, err)
		}
	}
}

func TestInstallInterruptedThenResumed(t *testing.T) {
	t.Parallel()
	ts := loadTestSources(t)
	fs, srv := newFileServer(t)
	ts.serve(fs)
	const p = "/dbsnp/known_variants.vcf.gz"
	fs.cut(p, 1)
	refDir := filepath.Join(t.TempDir(), "refdata")
	opt := Options{Manifest: ts.manifest(srv.URL, true), Assembly: "testasm", RefDir: refDir, Downloader: fastDownloader(srv, -1)}
	if _, err := Install(context.Background(), opt); err == nil || !strings.Contains(err.Error(), "resume") {
		t.Fatalf("want an interrupted download, got %v", err)
	}
	if got := leftovers(t, refDir); len(got) != 0 {
		t.Errorf("left in refdata after the interruption: %q", got)
	}
	part := filepath.Join(refDir, DownloadsDir, "testasm", "known_variants.vcf.gz.part")
	if st, err := os.Stat(part); err != nil || st.Size() != int64(len(ts.files[p])/2) {
		t.Fatalf(".part: %v %v", st, err)
	}
	n := len(fs.requests())
	res, err := Install(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	// The second run fetched only the missing half of dbSNP and the files
	// not reached before; the gene model was reused.
	again := fs.requests()[n:]
	want := []string{p + " bytes=" + itoa(len(ts.files[p])/2) + "-", "/ucsc/cytoBand.txt ", "/ucsc/cpgIslandExt.txt "}
	if strings.Join(again, "|") != strings.Join(want, "|") {
		t.Errorf("second run requests %q, want %q", again, want)
	}
	if res.Manifest.Counts.KnownVariants == 0 || res.Manifest.Counts.TrackIntervals["GWAS"] != 0 {
		t.Errorf("counts %+v (GWAS is optional and was not asked for)", res.Manifest.Counts)
	}
}

func TestInstallRefusesUnverifiedUnlessAllowed(t *testing.T) {
	t.Parallel()
	ts := loadTestSources(t)
	fs, srv := newFileServer(t)
	ts.serve(fs)
	refDir := filepath.Join(t.TempDir(), "refdata")
	opt := Options{Manifest: ts.manifest(srv.URL, false), Assembly: "testasm", RefDir: refDir, Downloader: fastDownloader(srv, 0)}
	_, err := Install(context.Background(), opt)
	if err == nil || !strings.Contains(err.Error(), "--allow-unverified") || !strings.Contains(err.Error(), "genes.gff3.gz (genes)") {
		t.Fatalf("want a refusal naming the files, got %v", err)
	}
	if n := len(fs.requests()); n != 0 {
		t.Errorf("%d requests made before refusing", n)
	}
	opt.AllowUnverified = true
	var stages []string
	opt.Stagef = func(f string, a ...any) { stages = append(stages, strings.TrimSpace(sprintf(f, a...))) }
	res, err := Install(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(stages, "\n"), "UNVERIFIED") {
		t.Errorf("unverified files not called out: %q", stages)
	}
	for _, s := range res.Provenance.Sources {
		if o := s.Origin; o.Trust != refdata.TrustTLSOnly || o.SHA256 != sha(ts.files[strings.TrimPrefix(s.URL, srv.URL)]) {
			t.Errorf("%s: origin %+v", s.Label(), o)
		}
	}
}

func TestInstallFromDirVerifies(t *testing.T) {
	t.Parallel()
	ts := loadTestSources(t)
	from := t.TempDir()
	for p, b := range ts.files {
		if err := os.WriteFile(filepath.Join(from, filepath.Base(p)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// No server: the URLs point nowhere and must not be used.
	m := ts.manifest("http://127.0.0.1:9", true)
	refDir := filepath.Join(t.TempDir(), "refdata")
	res, err := Install(context.Background(), Options{Manifest: m, Assembly: "testasm", Name: "offline", RefDir: refDir, From: from})
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.Counts.Transcripts == 0 {
		t.Fatal("no transcripts")
	}
	// The files in --from are the operator's: kept.
	if _, err := os.Stat(filepath.Join(from, "genes.gff3.gz")); err != nil {
		t.Error(err)
	}
	// Installing again under the same name is refused before any work.
	if _, err := Install(context.Background(), Options{Manifest: m, Assembly: "testasm", Name: "offline", RefDir: refDir, From: from}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("reinstall: %v", err)
	}
	// A damaged file in --from is caught.
	if err := os.WriteFile(filepath.Join(from, "cytoBand.txt"), []byte("chr21\t1\t2\tx\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Install(context.Background(), Options{Manifest: m, Assembly: "testasm", Name: "other", RefDir: refDir, From: from})
	var ce *ChecksumError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "track CYTOBAND") {
		t.Fatalf("want a checksum error for the cytoband file, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(refDir, "other")); !os.IsNotExist(err) {
		t.Errorf("bundle registered despite the mismatch: %v", err)
	}
	os.Remove(filepath.Join(from, "cytoBand.txt"))
	_, err = Install(context.Background(), Options{Manifest: m, Assembly: "testasm", Name: "other", RefDir: refDir, From: from})
	if err == nil || !strings.Contains(err.Error(), "cytoBand.txt not found in") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestInstallBuildErrorRegistersNothing(t *testing.T) {
	t.Parallel()
	ts := loadTestSources(t)
	fs, srv := newFileServer(t)
	ts.serve(fs)
	// A track the builder rejects: end before start.
	fs.add("/ucsc/cytoBand.txt", []byte("chr21\t500\t100\tbad\n"))
	m := ts.manifest(srv.URL, false)
	refDir := filepath.Join(t.TempDir(), "refdata")
	_, err := Install(context.Background(), Options{Manifest: m, Assembly: "testasm", RefDir: refDir, AllowUnverified: true, Downloader: fastDownloader(srv, 0)})
	if err == nil || !strings.Contains(err.Error(), "end 100 is before start 500") {
		t.Fatalf("want the build error, got %v", err)
	}
	if got := leftovers(t, refDir); len(got) != 0 {
		t.Errorf("left in refdata: %q", got)
	}
}

func TestInstallRemove(t *testing.T) {
	t.Parallel()
	refDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(refDir, "old", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(refDir, "old", "sub", "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Remove(refDir, "old"); err != nil {
		t.Fatal(err)
	}
	if got := leftovers(t, refDir); len(got) != 0 {
		t.Errorf("left: %q", got)
	}
	if err := Remove(refDir, "old"); err == nil || !strings.Contains(err.Error(), `no bundle "old"`) {
		t.Errorf("second remove: %v", err)
	}
	if err := Remove(refDir, "../x"); err == nil {
		t.Error("a path was accepted as a name")
	}
}

// annotateText annotates vcf with the bundle in dir.
func annotateText(t *testing.T, dir, vcf string) string {
	t.Helper()
	b, err := refdata.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	in, err := os.Open(vcf)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var out bytes.Buffer
	if _, err := annotate.Annotate(context.Background(), in, &out, b, annotate.Options{Version: "test"}); err != nil {
		t.Fatal(err)
	}
	return out.String()
}
