package refdata

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAddSourceReplaceRemove adds a source to a built bundle, replaces it,
// adds another with a new contig and removes both: the gene model and the
// other sources stay as they were, the checksum follows the content, and
// every step leaves a bundle that opens and verifies.
func TestAddSourceReplaceRemove(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "b")
	genes := writeFile(t, "g.gff", "1\tx\texon\t50\t500\t.\t+\t.\tParent=transcript:T1\n")
	m0, err := Build(context.Background(), BuildOptions{Name: "x", Genes: genes, Out: dir,
		Sources: []SourceSpec{{Name: "dbsnp", Path: writeFile(t, "dbsnp.vcf", dbsnpVCF)}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	check := func(m *Manifest, sources ...string) *Bundle {
		t.Helper()
		b, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		if err := b.Verify(); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range b.Sources() {
			names = append(names, s.Name)
		}
		if !slices.Equal(names, sources) || b.Manifest().Checksum != m.Checksum {
			t.Fatalf("sources %v, want %v; checksum %s, returned %s", names, sources, b.Manifest().Checksum, m.Checksum)
		}
		// The gene model and the first source are untouched.
		if len(b.Transcripts()) != 1 || b.Sources()[0].SHA256 != m0.AnnotationSources[0].SHA256 {
			t.Fatalf("other parts changed")
		}
		if id, _, ok := lookupIn(b, 0, 0, 300, "G", "A"); !ok || id != "rs3" {
			t.Fatalf("dbsnp lookup after the change: %q %v", id, ok)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				t.Errorf("left behind %s", e.Name())
			}
		}
		return b
	}

	m1, err := AddSource(ctx, dir, SourceSpec{Name: "clinvar", Path: writeFile(t, "c1.vcf", clinvarVCF), Fields: []string{"CLNSIG"}}, ChangeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m1.Checksum == m0.Checksum || m1.Modified.IsZero() {
		t.Error("checksum or modification date unchanged")
	}
	b := check(m1, "dbsnp", "clinvar")
	if _, vals, ok := lookupIn(b, 1, 0, 100, "A", "G"); !ok || vals != "CLNSIG=Pathogenic" {
		t.Errorf("clinvar: %q %v", vals, ok)
	}
	if b.Sources()[1].ID {
		t.Error("clinvar became an ID source")
	}
	old := m1.AnnotationSources[1].Data

	// Replacing: a new release of the same source, with a contig the bundle
	// does not have yet.
	next := strings.Replace(clinvarVCF, "CLNSIG=Pathogenic", "CLNSIG=Likely_pathogenic", 1) + "chr9\t5\t99\tA\tG\t.\t.\tCLNSIG=Benign\n"
	m2, err := AddSource(ctx, dir, SourceSpec{Name: "clinvar", Path: writeFile(t, "c2.vcf", next), Fields: []string{"CLNSIG"}}, ChangeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b = check(m2, "dbsnp", "clinvar")
	if _, vals, ok := lookupIn(b, 1, 0, 100, "A", "G"); !ok || vals != "CLNSIG=Likely_pathogenic" {
		t.Errorf("clinvar after the update: %q %v", vals, ok)
	}
	c9, ok := b.ContigID([]byte("9"))
	if !ok || b.HasSequence(c9) {
		t.Fatalf("contig chr9 not added: %v", b.Contigs())
	}
	if _, vals, ok := lookupIn(b, 1, c9, 5, "A", "G"); !ok || vals != "CLNSIG=Benign" {
		t.Errorf("new contig: %q %v", vals, ok)
	}
	for _, f := range old {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("old file %s kept", f)
		}
	}
	roles := 0
	for _, s := range m2.Sources {
		if s.Role == "known:clinvar" {
			roles++
		}
	}
	if roles != 1 {
		t.Errorf("%d input entries for clinvar", roles)
	}

	// A scores table next to them, then removals.
	m3, err := AddSource(ctx, dir, SourceSpec{Name: "cadd", Kind: KindScores, Path: writeFile(t, "s.tsv", "1\t60\tA\tG\t7.5\n")}, ChangeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	check(m3, "dbsnp", "clinvar", "cadd")
	if _, err := RemoveSource(ctx, dir, "nope"); err == nil || !strings.Contains(err.Error(), "dbsnp, clinvar, cadd") {
		t.Errorf("removing an unknown source: %v", err)
	}
	m4, err := RemoveSource(ctx, dir, "clinvar")
	if err != nil {
		t.Fatal(err)
	}
	check(m4, "dbsnp", "cadd")
	m5, err := RemoveSource(ctx, dir, "cadd")
	if err != nil {
		t.Fatal(err)
	}
	check(m5, "dbsnp")
	if m5.Checksum != m0.Checksum {
		t.Errorf("back to the first content, checksum %s, built %s", m5.Checksum, m0.Checksum)
	}
	if m5.Counts.KnownVariants != m0.Counts.KnownVariants {
		t.Errorf("known variants %d, built %d", m5.Counts.KnownVariants, m0.Counts.KnownVariants)
	}
}

// TestAddSourceFailures: a failed change leaves the bundle as it was.
func TestAddSourceFailures(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "b")
	genes := writeFile(t, "g.gff", "1\tx\texon\t50\t500\t.\t+\t.\tParent=transcript:T1\n")
	m0, err := Build(context.Background(), BuildOptions{Name: "x", Genes: genes, Out: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		spec SourceSpec
		want string
	}{
		{SourceSpec{Name: "Bad", Path: genes}, "source name"},
		{SourceSpec{Name: "x", Path: filepath.Join(t.TempDir(), "missing.vcf")}, "missing.vcf"},
		{SourceSpec{Name: "x", Path: writeFile(t, "o.vcf", "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nNC_000001.11\t5\t.\tA\tG\t.\t.\t.\n")}, "NC_000001.11"},
		{SourceSpec{Name: "x", Kind: KindScores, Path: genes, ID: true}, "no IDs"},
	} {
		if _, err := AddSource(ctx, dir, tc.spec, ChangeOptions{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.spec, err, tc.want)
		}
	}
	os.WriteFile(filepath.Join(dir, changeLock), nil, 0o644)
	if _, err := AddSource(ctx, dir, SourceSpec{Name: "k", Path: writeFile(t, "k.vcf", knownVCF)}, ChangeOptions{}); err == nil || !strings.Contains(err.Error(), "in progress") {
		t.Errorf("locked bundle: %v", err)
	}
	os.Remove(filepath.Join(dir, changeLock))
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Manifest().Checksum != m0.Checksum || len(b.Sources()) != 0 {
		t.Errorf("failed changes altered the bundle")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("bundle files %v", names)
	}
}
