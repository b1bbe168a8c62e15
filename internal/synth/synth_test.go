package synth

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// small is a data set small enough to check exhaustively but large enough
// to have several windows per chromosome, both strands and every transcript
// kind.
func small(dir string) Options {
	return Options{Seed: 7, Chroms: 3, ChromLen: 300_000, Genes: 60, NonCoding: 12, Variants: 20_000, Known: 30_000,
		Tracks: []TrackSpec{{"cpg", 200}, {"gwas", 3000}}, OutDir: dir}
}

func generateSmall(t *testing.T) (Options, *Stats) {
	t.Helper()
	opt := small(t.TempDir())
	st, err := Generate(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	return opt, st
}

// readFASTA loads a (small) FASTA as name -> sequence, using the .fai to
// check the index at the same time.
func readFASTA(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, FASTAFile))
	if err != nil {
		t.Fatal(err)
	}
	seqs := map[string][]byte{}
	var cur string
	for _, line := range bytes.Split(raw, []byte("\n")) {
		if len(line) > 0 && line[0] == '>' {
			cur = string(line[1:])
			continue
		}
		if len(line) > 60 {
			t.Fatalf("FASTA line of %d bases", len(line))
		}
		seqs[cur] = append(seqs[cur], line...)
	}
	fai, err := os.ReadFile(filepath.Join(dir, FAIFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(fai)), "\n") {
		f := strings.Split(line, "\t")
		n, _ := strconv.Atoi(f[1])
		off, _ := strconv.Atoi(f[2])
		if len(seqs[f[0]]) != n {
			t.Fatalf("fai says %s has %d bases, FASTA has %d", f[0], n, len(seqs[f[0]]))
		}
		// The base at 1-based position p is at off + (p-1) + (p-1)/60.
		for _, p := range []int{1, 60, 61, n} {
			if got, want := raw[off+(p-1)+(p-1)/60], seqs[f[0]][p-1]; got != want {
				t.Fatalf("fai offset for %s wrong at %d: %c vs %c", f[0], p, got, want)
			}
		}
	}
	return seqs
}

type vcfRec struct {
	chrom string
	pos   int
	id    string
	ref   string
	alts  []string
}

func readVCF(t *testing.T, path string) []vcfRec {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []vcfRec
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 8 {
			t.Fatalf("%s: %d columns in %q", path, len(c), line)
		}
		pos, err := strconv.Atoi(c[1])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, vcfRec{c[0], pos, c[2], c[3], strings.Split(c[4], ",")})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		if _, err := Generate(context.Background(), small(d)); err != nil {
			t.Fatal(err)
		}
	}
	other := small(c)
	other.Seed++
	if _, err := Generate(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{FASTAFile, FAIFile, GFFFile, VariantsFile, KnownFile, "cpg.bed", "gwas.bed"} {
		x, err := os.ReadFile(filepath.Join(a, name))
		if err != nil {
			t.Fatal(err)
		}
		y, _ := os.ReadFile(filepath.Join(b, name))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
		z, _ := os.ReadFile(filepath.Join(c, name))
		if name != FAIFile && bytes.Equal(x, z) {
			t.Errorf("%s is the same for two seeds", name)
		}
	}
}

func TestVariantsMatchGenome(t *testing.T) {
	t.Parallel()
	opt, st := generateSmall(t)
	seqs := readFASTA(t, opt.OutDir)
	for _, file := range []string{VariantsFile, KnownFile} {
		recs := readVCF(t, filepath.Join(opt.OutDir, file))
		prev := vcfRec{chrom: "1"}
		for _, r := range recs {
			seq := seqs[r.chrom]
			if seq == nil {
				t.Fatalf("%s: unknown contig %q", file, r.chrom)
			}
			if r.pos < 1 || r.pos+len(r.ref)-1 > len(seq) {
				t.Fatalf("%s: %s:%d outside the contig", file, r.chrom, r.pos)
			}
			if got := string(seq[r.pos-1 : r.pos-1+len(r.ref)]); got != r.ref {
				t.Fatalf("%s: %s:%d REF %s, genome has %s", file, r.chrom, r.pos, r.ref, got)
			}
			for _, a := range r.alts {
				if a == r.ref || strings.Trim(a, "ACGT") != "" {
					t.Fatalf("%s: %s:%d bad ALT %q for REF %q", file, r.chrom, r.pos, a, r.ref)
				}
				if len(a) != len(r.ref) && a[0] != r.ref[0] {
					t.Fatalf("%s: %s:%d indel without a padding base", file, r.chrom, r.pos)
				}
			}
			ci, _ := strconv.Atoi(r.chrom)
			pi, _ := strconv.Atoi(prev.chrom)
			if ci < pi || ci == pi && r.pos < prev.pos {
				t.Fatalf("%s: not sorted: %s:%d after %s:%d", file, r.chrom, r.pos, prev.chrom, prev.pos)
			}
			prev = r
		}
		if file == VariantsFile && int64(len(recs)) != st.Variants || file == KnownFile && int64(len(recs)) != st.Known {
			t.Fatalf("%s: %d records, stats say otherwise (%+v)", file, len(recs), st)
		}
	}
}

func TestStatsShape(t *testing.T) {
	t.Parallel()
	opt, st := generateSmall(t)
	if st.Variants != int64(opt.Variants) || st.Known != int64(opt.Known) || st.Genes != opt.Genes || st.NonCodingGenes != opt.NonCoding {
		t.Fatalf("asked for %d variants, %d known, %d genes; got %+v", opt.Variants, opt.Known, opt.Genes, st)
	}
	frac := func(n int64) float64 { return float64(n) / float64(st.Variants) }
	if f := frac(st.SNVs); f < 0.82 || f > 0.88 {
		t.Errorf("SNV fraction %.3f, want about 0.85", f)
	}
	if f := frac(st.InGenes); f < 0.45 || f > 0.55 {
		t.Errorf("fraction inside genes %.3f, want about 0.5", f)
	}
	if st.MultiAllelic == 0 || st.KnownMatching == 0 {
		t.Errorf("no multi-allelic records or no matching known records: %+v", st)
	}
	if r := float64(st.Transcripts) / float64(st.Genes+st.NonCodingGenes); r < 1.3 || r > 1.9 {
		t.Errorf("%.2f transcripts per gene, want about 1.6", r)
	}
	for _, tr := range opt.Tracks {
		if st.TrackIntervals[tr.Name] != tr.Intervals {
			t.Errorf("track %s: %d intervals, want %d", tr.Name, st.TrackIntervals[tr.Name], tr.Intervals)
		}
	}
	// Known matches: records with the same chrom/pos/ref/alt as a variant.
	vars := map[string]bool{}
	for _, r := range readVCF(t, filepath.Join(opt.OutDir, VariantsFile)) {
		for _, a := range r.alts {
			vars[r.chrom+":"+strconv.Itoa(r.pos)+":"+r.ref+":"+a] = true
		}
	}
	var match int64
	ids := map[string]bool{}
	for _, r := range readVCF(t, filepath.Join(opt.OutDir, KnownFile)) {
		if !strings.HasPrefix(r.id, "rs") || ids[r.id] {
			t.Fatalf("known record with bad or repeated ID %q", r.id)
		}
		ids[r.id] = true
		if vars[r.chrom+":"+strconv.Itoa(r.pos)+":"+r.ref+":"+r.alts[0]] {
			match++
		}
	}
	// Random known records may hit a variant by chance, so at least.
	if match < st.KnownMatching {
		t.Errorf("%d known records match a variant, stats claim %d", match, st.KnownMatching)
	}
}

// codon table for the test's own translation (T C A G order).
const testCode = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"

func translate(cds string) string {
	idx := map[byte]int{'T': 0, 'C': 1, 'A': 2, 'G': 3}
	var b strings.Builder
	for i := 0; i+3 <= len(cds); i += 3 {
		b.WriteByte(testCode[idx[cds[i]]<<4|idx[cds[i+1]]<<2|idx[cds[i+2]]])
	}
	return b.String()
}

func rc(s string) string { return string(revcomp([]byte(s))) }

type feat struct {
	typ        string
	start, end int
	strand     string
	phase      string
}

func TestGeneModels(t *testing.T) {
	t.Parallel()
	opt, st := generateSmall(t)
	seqs := readFASTA(t, opt.OutDir)
	raw, err := os.ReadFile(filepath.Join(opt.OutDir, GFFFile))
	if err != nil {
		t.Fatal(err)
	}
	byTx := map[string][]feat{}
	txChrom := map[string]string{}
	txType := map[string]string{}
	var order []string
	genes, minus := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 9 {
			t.Fatalf("GFF line with %d columns: %q", len(c), line)
		}
		s, _ := strconv.Atoi(c[3])
		e, _ := strconv.Atoi(c[4])
		attrs := c[8]
		switch c[2] {
		case "gene":
			genes++
			if !strings.Contains(attrs, "ID=gene:") || !strings.Contains(attrs, "biotype=protein_coding") && !strings.Contains(attrs, "biotype=lncRNA") {
				t.Fatalf("gene line lacks Ensembl attributes: %q", line)
			}
			if c[6] == "-" {
				minus++
			}
			continue
		case "mRNA", "lnc_RNA":
			want := map[string]string{"mRNA": "biotype=protein_coding", "lnc_RNA": "biotype=lncRNA"}[c[2]]
			if !strings.Contains(attrs, "Parent=gene:") || !strings.Contains(attrs, want) {
				t.Fatalf("%s line lacks Ensembl attributes: %q", c[2], line)
			}
			_, rest, _ := strings.Cut(attrs, "ID=transcript:")
			id, _, _ := strings.Cut(rest, ";")
			txType[id] = c[2]
			continue
		}
		_, rest, _ := strings.Cut(attrs, "Parent=transcript:")
		id, _, _ := strings.Cut(rest, ";")
		if id == "" {
			t.Fatalf("feature without a transcript parent: %q", line)
		}
		if _, ok := byTx[id]; !ok {
			order = append(order, id)
		}
		byTx[id] = append(byTx[id], feat{c[2], s, e, c[6], c[7]})
		txChrom[id] = c[0]
	}
	if genes != st.Genes+st.NonCodingGenes || len(order) != st.Transcripts {
		t.Fatalf("GFF has %d genes and %d transcripts, stats say %d+%d and %d", genes, len(order), st.Genes, st.NonCodingGenes, st.Transcripts)
	}
	if minus == 0 || minus == genes {
		t.Fatalf("%d of %d genes on the minus strand; want both strands", minus, genes)
	}
	var utr5, utr3, multiExon, nonCoding int
	for _, id := range order {
		fs := byTx[id]
		seq := seqs[txChrom[id]]
		get := func(s, e int) string { return string(seq[s-1 : e]) }
		minusStrand := fs[0].strand == "-"
		// Transcription order.
		slices.SortFunc(fs, func(a, b feat) int {
			if minusStrand {
				return b.start - a.start
			}
			return a.start - b.start
		})
		var cds strings.Builder
		var exons []feat
		for _, f := range fs {
			switch f.typ {
			case "CDS":
				want := strconv.Itoa((3 - cds.Len()%3) % 3)
				if f.phase != want {
					t.Fatalf("%s: CDS %d-%d has phase %s, want %s", id, f.start, f.end, f.phase, want)
				}
				s := get(f.start, f.end)
				if minusStrand {
					s = rc(s)
				}
				cds.WriteString(s)
			case "exon":
				exons = append(exons, f)
			case "five_prime_UTR":
				utr5++
			case "three_prime_UTR":
				utr3++
			}
		}
		if len(exons) > 1 {
			multiExon++
		}
		// Introns are GT..AG in the direction of transcription.
		for i := 1; i < len(exons); i++ {
			var intron string
			if minusStrand {
				intron = rc(get(exons[i].end+1, exons[i-1].start-1))
			} else {
				intron = get(exons[i-1].end+1, exons[i].start-1)
			}
			if len(intron) < minIntron || !strings.HasPrefix(intron, "GT") || !strings.HasSuffix(intron, "AG") {
				t.Fatalf("%s: intron %d is %d bases, %.2s..%s", id, i, len(intron), intron, intron[max(0, len(intron)-2):])
			}
		}
		c := cds.String()
		if txType[id] == "lnc_RNA" {
			nonCoding++
			if c != "" || len(exons) == 0 {
				t.Fatalf("%s: lncRNA with %d CDS bases and %d exons", id, len(c), len(exons))
			}
			continue
		}
		if len(c)%3 != 0 {
			t.Fatalf("%s: CDS length %d", id, len(c))
		}
		p := translate(c)
		if !strings.HasPrefix(c, "ATG") || !strings.HasSuffix(p, "*") || strings.Count(p, "*") != 1 {
			t.Fatalf("%s: CDS does not translate from ATG to one final stop: %s", id, p)
		}
	}
	if utr5 == 0 || utr3 == 0 || multiExon < len(order)/2 || nonCoding < opt.NonCoding {
		t.Fatalf("too few UTRs (%d, %d), multi-exon transcripts (%d of %d) or lncRNA transcripts (%d)", utr5, utr3, multiExon, len(order), nonCoding)
	}
}

func TestTracksSorted(t *testing.T) {
	t.Parallel()
	opt, _ := generateSmall(t)
	for _, tr := range opt.Tracks {
		raw, err := os.ReadFile(filepath.Join(opt.OutDir, tr.Name+".bed"))
		if err != nil {
			t.Fatal(err)
		}
		prevChrom, prevStart := 0, -1
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			c := strings.Split(line, "\t")
			ci, _ := strconv.Atoi(c[0])
			s, _ := strconv.Atoi(c[1])
			e, _ := strconv.Atoi(c[2])
			if ci < prevChrom || ci == prevChrom && s < prevStart || s < 0 || e <= s || e > opt.ChromLen {
				t.Fatalf("%s: bad or unsorted interval %q", tr.Name, line)
			}
			prevChrom, prevStart = ci, s
		}
	}
}

func TestBadOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := Options{Seed: 1, Chroms: 1, ChromLen: 100_000, Genes: 10, Variants: 100, Known: 100, OutDir: dir}
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"no dir", func(o *Options) { o.OutDir = "" }, "output directory"},
		{"no chroms", func(o *Options) { o.Chroms = 0 }, "chromosomes"},
		{"short chrom", func(o *Options) { o.ChromLen = 10 }, "chromosome length"},
		{"negative genes", func(o *Options) { o.Genes = -1 }, "negative gene"},
		{"negative non-coding", func(o *Options) { o.NonCoding = -1 }, "negative non-coding"},
		{"crowded non-coding", func(o *Options) { o.NonCoding = 60 }, "bases per gene"},
		{"crowded genes", func(o *Options) { o.Genes = 1000 }, "bases per gene"},
		{"dense variants", func(o *Options) { o.Variants = 50_000 }, "too dense"},
		{"negative known", func(o *Options) { o.Known = -5 }, "negative known"},
		{"bad track", func(o *Options) { o.Tracks = []TrackSpec{{"a b", 3}} }, "track name"},
		{"twice", func(o *Options) { o.Tracks = []TrackSpec{{"a", 3}, {"a", 4}} }, "twice"},
	} {
		o := good
		tc.edit(&o)
		_, err := Generate(context.Background(), o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	if _, err := Generate(context.Background(), good); err != nil {
		t.Fatalf("good options rejected: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, good); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v", err)
	}
}

func TestParseTrackSpecs(t *testing.T) {
	t.Parallel()
	got, err := ParseTrackSpecs(" cpg:1000, gwas_cat:30000 ")
	if err != nil || !slices.Equal(got, []TrackSpec{{"cpg", 1000}, {"gwas_cat", 30000}}) {
		t.Fatalf("got %v, %v", got, err)
	}
	if got, err := ParseTrackSpecs(""); got != nil || err != nil {
		t.Fatalf("empty: %v, %v", got, err)
	}
	for _, bad := range []string{"cpg", "cpg:-1", "cpg:x", "1cpg:3", "a:1,a:2", ":3"} {
		if _, err := ParseTrackSpecs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// discard counts bytes and keeps nothing.
type discard struct{ n *int64 }

func (d discard) Write(p []byte) (int, error) { *d.n += int64(len(p)); return len(p), nil }
func (d discard) Close() error                { return nil }

// peakHeap runs f while sampling the live heap and returns the largest
// sample.
func peakHeap(t *testing.T, f func()) uint64 {
	t.Helper()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			mu.Lock()
			peak = max(peak, sample[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	return peak
}

// TestStreamedMemory writes a small and a 20× larger data set (genome
// length and variant counts) into counting writers: the peak live heap must
// not grow with them. It holds one chromosome's gene structures, a window of
// sequence and a window of records, nothing proportional to the output.
func TestStreamedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes about 400 MB into io.Discard; skipped with -short")
	}
	run := func(scale int) (uint64, int64) {
		var n int64
		opt := Options{Seed: 3, Chroms: 2, ChromLen: 10_000_000 * scale, Genes: 200, Variants: 25_000 * scale,
			Known: 50_000 * scale, Tracks: []TrackSpec{{"t", 1000 * scale}}, OutDir: "unused"}
		var err error
		peak := peakHeap(t, func() {
			_, err = generate(context.Background(), opt, func(string) (io.WriteCloser, error) { return discard{&n}, nil })
		})
		if err != nil {
			t.Fatal(err)
		}
		return peak, n
	}
	small, smallBytes := run(1)
	large, largeBytes := run(10)
	t.Logf("peak live heap %d KiB for %d MB written, %d KiB for %d MB", small>>10, smallBytes>>20, large>>10, largeBytes>>20)
	if largeBytes < 9*smallBytes {
		t.Fatalf("large run wrote %d bytes, small %d: the scale did not apply", largeBytes, smallBytes)
	}
	// Allow for GC timing noise, not for growth with the 10× output.
	if large > small+small/2+(4<<20) {
		t.Fatalf("peak heap grew from %d to %d bytes with 10× the output", small, large)
	}
}

// TestBcftoolsAcceptsOutput has a peer check the files when bcftools is
// installed: REF alleles against the FASTA (norm --check-ref e), the VCF
// headers (view), and the gene model (csq parses every transcript without
// complaint).
func TestBcftoolsAcceptsOutput(t *testing.T) {
	t.Parallel()
	bcftools, err := exec.LookPath("bcftools")
	if err != nil {
		t.Skip("bcftools is not on PATH (Debian package bcftools)")
	}
	opt, st := generateSmall(t)
	path := func(name string) string { return filepath.Join(opt.OutDir, name) }
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), bcftools, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("bcftools %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return stderr.String()
	}
	for _, f := range []string{VariantsFile, KnownFile} {
		run("norm", "--check-ref", "e", "-f", path(FASTAFile), "-Ou", "-o", os.DevNull, path(f))
		if msg := run("view", "-Ou", "-o", os.DevNull, path(f)); strings.Contains(msg, "[W::") {
			t.Errorf("bcftools view %s warns:\n%s", f, msg)
		}
	}
	msg := run("csq", "-l", "-f", path(FASTAFile), "-g", path(GFFFile), "-Ou", "-o", os.DevNull, path(VariantsFile))
	// bcftools 1.16 leaves lncRNA out (it lists the biotype as ignored), so
	// it indexes the protein-coding transcripts.
	if want := fmt.Sprintf("Indexed %d transcripts", st.Transcripts-st.NonCodingTx); !strings.Contains(msg, want) {
		t.Errorf("bcftools csq did not index every coding transcript (want %q):\n%s", want, msg)
	}
	if st.NonCodingTx > 0 && !strings.Contains(msg, ".. lncRNA") {
		t.Errorf("bcftools csq did not report the lncRNA biotype it leaves out:\n%s", msg)
	}
	for _, line := range strings.Split(msg, "\n") {
		// bcftools notes when it cannot verify a start/stop near a window
		// edge; that is about its own padding, not the input.
		if strings.Contains(line, "Warning") && !strings.Contains(line, "N_REF_PAD") {
			t.Errorf("bcftools csq: %s", line)
		}
	}
}

// TestSamples checks the genotype columns: the sites are those of the
// sites-only file with the same seed, every record has one phased diploid
// GT per sample naming one of its alleles, and there are carriers of rare
// and common alleles alike; bcftools reads the file without a warning.
func TestSamples(t *testing.T) {
	t.Parallel()
	plain, with := small(t.TempDir()), small(t.TempDir())
	plain.Variants, with.Variants = 3000, 3000
	with.Samples = 40
	for _, o := range []Options{plain, with} {
		if _, err := Generate(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{FASTAFile, GFFFile, KnownFile, "cpg.bed"} {
		x, _ := os.ReadFile(filepath.Join(plain.OutDir, name))
		y, _ := os.ReadFile(filepath.Join(with.OutDir, name))
		if !bytes.Equal(x, y) {
			t.Errorf("%s changes when samples are added", name)
		}
	}
	sites, _ := os.ReadFile(filepath.Join(plain.OutDir, VariantsFile))
	full, _ := os.ReadFile(filepath.Join(with.OutDir, VariantsFile))
	sl, fl := strings.Split(string(sites), "\n"), strings.Split(string(full), "\n")
	var hdr string
	var fdata []string
	for _, l := range fl {
		switch {
		case strings.HasPrefix(l, "#CHROM"):
			hdr = l
		case l != "" && !strings.HasPrefix(l, "#"):
			fdata = append(fdata, l)
		}
	}
	if want := "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1"; !strings.HasPrefix(hdr, want) || len(strings.Split(hdr, "\t")) != 9+40 {
		t.Fatalf("header %q", hdr)
	}
	i := 0
	carriers := map[bool]int{} // rare (<= 2 carrier haplotypes of 80) or not
	for _, l := range sl {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Split(fdata[i], "\t")
		i++
		if strings.Join(f[:8], "\t") != l {
			t.Fatalf("record %d differs from the sites-only file:\n%s\n%s", i, l, strings.Join(f[:8], "\t"))
		}
		if len(f) != 9+40 || f[8] != "GT" {
			t.Fatalf("record %d: %d columns, FORMAT %q", i, len(f), f[8])
		}
		alts := len(strings.Split(f[4], ","))
		n := 0
		for _, g := range f[9:] {
			if len(g) != 3 || g[1] != '|' || g[0] < '0' || g[2] < '0' || int(g[0]-'0') > alts || int(g[2]-'0') > alts {
				t.Fatalf("record %d: genotype %q with %d ALT alleles", i, g, alts)
			}
			n += int(min(g[0]-'0', 1) + min(g[2]-'0', 1))
		}
		carriers[n <= 2]++
	}
	if i != len(fdata) || carriers[true] == 0 || carriers[false] == 0 {
		t.Errorf("%d of %d records compared; rare/common records %v", i, len(fdata), carriers)
	}
	if bcftools, err := exec.LookPath("bcftools"); err == nil {
		msg, err := exec.CommandContext(t.Context(), bcftools, "view", "-Ou", "-o", os.DevNull, filepath.Join(with.OutDir, VariantsFile)).CombinedOutput()
		if err != nil || len(msg) > 0 {
			t.Errorf("bcftools view: %v %s", err, msg)
		}
	}
}
