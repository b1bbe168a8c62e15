package annotate

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/gas-project/gas/refdata"
	"github.com/gas-project/gas/vcf"
)

// modelRef is a reference with the model gene on contig "m" (with sequence),
// a contig "ns" without sequence, a known variant and one track.
func modelRef() *testRef {
	g := modelGenome()
	r := &testRef{names: []string{"m", "ns"}, seqs: [][]byte{g, nil}}
	t1 := modelTranscript(true)
	t1.Canonical = true
	t2 := modelTranscript(false)
	t2.ID, t2.GeneName = "TX2", "weird,gene|name;x=y"
	t2.MANESelect = true
	t3 := modelTranscript(true)
	t3.ID, t3.Contig = "TX3", 1
	r.addTranscripts(t1, t2, t3)
	r.kkeys = []string{"MAF", "AF_EUR"}
	r.addKnown(0, 44, "G", "A", "rs100", "MAF=0.25;AF_EUR=0.5")
	r.addKnown(0, 46, "T", "C", "rs200;rs201", "MAF=0.1")
	r.tracks = []string{"cyto band"}
	r.ivs = [][]testIv{{{contig: 0, start: 1, end: 50, name: "p11"}, {contig: 0, start: 40, end: 200, name: "q11"}}}
	return r
}

const vcfHead = "##fileformat=VCFv4.2\n##contig=<ID=m,length=200>\n##contig=<ID=ns>\n##contig=<ID=zz>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"

func annotateString(t *testing.T, ref reference, in string, opt Options) (string, *Summary, error) {
	t.Helper()
	var out bytes.Buffer
	sum, err := run(context.Background(), strings.NewReader(in), &out, ref, bundleMeta{Name: "test", Assembly: "T1", Checksum: "abc"}, opt)
	return out.String(), sum, err
}

func dataLines(out string) []string {
	var l []string
	for _, s := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !strings.HasPrefix(s, "#") {
			l = append(l, s)
		}
	}
	return l
}

func infoOf(line string) string { return strings.Split(line, "\t")[7] }

func annOf(t *testing.T, line string) []string {
	t.Helper()
	v, ok := infoField([]byte(infoOf(line)), "ANN")
	if !ok {
		return nil
	}
	return strings.Split(string(v), ",")
}

func TestAnnotateRecords(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	in := vcfHead +
		"m\t44\t.\tG\tA,C\t.\tPASS\tDP=3\n" + // known for A only; multi-allelic
		"m\t46\tmyid;rs200\tT\tC\t.\t.\t.\n" + // known with two IDs, one already present
		"m\t75\t.\t" + string(g[74]) + "\t<DEL>\t.\t.\tSVTYPE=DEL\n" + // symbolic
		"ns\t44\t.\tG\tA\t.\t.\t.\n" + // no sequence
		"zz\t5\t.\tA\tT\t.\t.\t.\n" // contig not in the bundle
	out, sum, err := annotateString(t, modelRef(), in, Options{Version: "v-test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"##INFO=<ID=ANN,Number=.,Type=String,Description=\"Functional annotations: 'Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | CDS.pos / CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO'\">",
		"##INFO=<ID=known_MAF,Number=A", "##gas_source=<ID=known,Kind=known,", "##INFO=<ID=cyto_band,Number=.,Type=String", "##gas_version=v-test", "##gas_bundle=<Name=test,Assembly=T1,Checksum=abc>"} {
		if !strings.Contains(out, h) {
			t.Errorf("header lacks %q", h)
		}
	}
	lines := dataLines(out)
	if len(lines) != 5 {
		t.Fatalf("got %d data lines:\n%s", len(lines), out)
	}
	// Record 1: two alleles, each with two transcripts.
	ann := annOf(t, lines[0])
	if len(ann) != 4 {
		t.Fatalf("record 1: %d ANN entries: %v", len(ann), ann)
	}
	want := "A|missense_variant|MODERATE|GN1|GENE1|transcript|TX1.3|protein_coding|1/2|c.4G>A|p.Ala2Thr|24/90|4/51|2/16||"
	if ann[0] != want {
		t.Errorf("record 1 entry 1:\n got %s\nwant %s", ann[0], want)
	}
	if !strings.HasPrefix(ann[1], "A|non_coding_transcript_exon_variant|MODIFIER|weird%2Cgene%7Cname%3Bx%3Dy|") {
		t.Errorf("escaping: %s", ann[1])
	}
	if !strings.HasPrefix(ann[2], "C|missense_variant|MODERATE|GN1|") || !strings.Contains(ann[2], "|p.Ala2Pro|") {
		t.Errorf("second allele: %s", ann[2])
	}
	cols := strings.Split(lines[0], "\t")
	if cols[2] != "rs100" {
		t.Errorf("ID = %s", cols[2])
	}
	if !strings.HasPrefix(cols[7], "DP=3;ANN=") || !strings.Contains(cols[7], ";known_MAF=0.25,.;known_AF_EUR=0.5,.") {
		t.Errorf("INFO = %s", cols[7])
	}
	if !strings.Contains(cols[7], ";cyto_band=p11,q11") {
		t.Errorf("track: %s", cols[7])
	}
	// Record 2: IDs merged without duplicates.
	if c := strings.Split(lines[1], "\t"); c[2] != "myid;rs200;rs201" {
		t.Errorf("merged ID = %s", c[2])
	}
	// Record 3: a structural variant without SVLEN or END: only a note,
	// record kept.
	if ann := annOf(t, lines[2]); len(ann) != 1 || ann[0] != "<DEL>|||||||||||||||"+noteSVNoLength {
		t.Errorf("symbolic allele: %v", ann)
	}
	if !strings.Contains(lines[2], "SVTYPE=DEL") {
		t.Errorf("symbolic record changed: %s", lines[2])
	}
	// Record 4: no sequence.
	ann = annOf(t, lines[3])
	if len(ann) != 1 || !strings.Contains(ann[0], "|coding_sequence_variant|") || !strings.HasSuffix(ann[0], "|"+warnNoSequence) || !strings.Contains(ann[0], "|c.4G>A|") {
		t.Errorf("no sequence: %v", ann)
	}
	// Record 5: unknown contig.
	ann = annOf(t, lines[4])
	if len(ann) != 1 || ann[0] != "T|intergenic_variant|MODIFIER|||intergenic_region||||||||||"+warnNoContig {
		t.Errorf("unknown contig: %v", ann)
	}
	if sum.Records != 5 || sum.Alleles != 6 || sum.Annotated != 5 || sum.NotAnnotated != 1 || sum.Known != 2 || sum.Novel != 3 {
		t.Errorf("summary counts: %+v", sum)
	}
	if sum.Chromosomes["m"] != 3 || sum.Chromosomes["zz"] != 1 || sum.Tracks["cyto band"] != 3 {
		t.Errorf("summary maps: %v %v", sum.Chromosomes, sum.Tracks)
	}
	if sum.Impacts["MODERATE"] != 2 || sum.Impacts["LOW"] != 1 || sum.Consequences["missense_variant"] != 2 {
		t.Errorf("impacts %v consequences %v", sum.Impacts, sum.Consequences)
	}
	if w := strings.Join(sum.Warnings, "\n"); len(sum.Warnings) != 4 || !strings.Contains(w, "no SVLEN") || !strings.Contains(w, "zz") ||
		!strings.Contains(w, "1 of 5 records (20.0%) lie on contigs or regions without gene models") ||
		!strings.Contains(w, "2 of 5 records (40.0%) lie where the reference sequence is missing or unknown (N)") {
		t.Errorf("warnings: %q", sum.Warnings)
	}
	if sum.Uncovered != 1 || sum.NoSequence != 2 || sum.Sources["known"] != 2 {
		t.Errorf("coverage %d/%d, sources %v", sum.Uncovered, sum.NoSequence, sum.Sources)
	}
	var txt bytes.Buffer
	if err := sum.WriteText(&txt); err != nil || !strings.Contains(txt.String(), "missense_variant") || !strings.Contains(txt.String(), "records") {
		t.Errorf("WriteText: %v\n%s", err, txt.String())
	}
}

func TestTranscriptModes(t *testing.T) {
	t.Parallel()
	in := vcfHead + "m\t44\t.\tG\tA\t.\t.\t.\n"
	for _, c := range []struct {
		opt  Options
		want []string
	}{
		{Options{}, []string{"TX1.3", "TX2"}},
		{Options{Transcripts: Canonical}, []string{"TX1.3"}},
		{Options{Transcripts: MANESelect}, []string{"TX2"}},
		{Options{Transcripts: Pick}, []string{"TX1.3"}},
		{Options{TranscriptIDs: []string{"TX1"}}, []string{"TX1.3"}},
		{Options{TranscriptIDs: []string{"TX2.7"}}, []string{"TX2"}},
	} {
		out, _, err := annotateString(t, modelRef(), in, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range annOf(t, dataLines(out)[0]) {
			got = append(got, strings.Split(a, "|")[6])
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%+v: transcripts %v, want %v", c.opt, got, c.want)
		}
	}
	if _, _, err := annotateString(t, modelRef(), in, Options{Transcripts: "best"}); err == nil {
		t.Errorf("unknown mode accepted")
	}
}

func TestOnError(t *testing.T) {
	t.Parallel()
	in := vcfHead + "m\t44\t.\tG\tA\t.\t.\t.\nm\tx12\t.\tG\tA\t.\t.\t.\nm\t46\t.\tT\tC\t.\t.\t.\n"
	_, sum, err := annotateString(t, modelRef(), in, Options{})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Line != 7 || !strings.Contains(ie.Msg, "POS") {
		t.Fatalf("stop: err = %v", err)
	}
	if sum == nil {
		t.Fatal("no summary on error")
	}
	out, sum, err := annotateString(t, modelRef(), in, Options{OnError: Skip})
	if err != nil {
		t.Fatal(err)
	}
	lines := dataLines(out)
	if len(lines) != 3 || lines[1] != "m\tx12\t.\tG\tA\t.\t.\t." {
		t.Errorf("skip output: %q", lines)
	}
	if sum.Skipped != 1 || len(sum.Errors) != 1 || !strings.Contains(sum.Errors[0], "line 7") {
		t.Errorf("skip summary: %d %v", sum.Skipped, sum.Errors)
	}
	// REF not matching the reference.
	bad := vcfHead + "m\t44\t.\tC\tA\t.\t.\t.\n"
	_, _, err = annotateString(t, modelRef(), bad, Options{})
	if !errors.As(err, &ie) || ie.Msg != "REF C does not match the reference (G) at m:44" || ie.Line != 6 {
		t.Errorf("REF mismatch: %v", err)
	}
	_, _, err = annotateString(t, modelRef(), "not a vcf\n", Options{})
	if !IsInputError(err) {
		t.Errorf("garbage input: %v", err)
	}
}

// bigInput makes n sorted SNV records over the model contig.
func bigInput(n int) string {
	g := modelGenome()
	var b strings.Builder
	b.WriteString(vcfHead)
	for i := 0; i < n; i++ {
		p := 1 + i%modelLen
		b.WriteString("m\t" + strconv.Itoa(p) + "\t.\t" + string(g[p-1]) + "\t" + string(other(g[p-1])) + "\t.\t.\tI=" + strconv.Itoa(i) + "\n")
	}
	return b.String()
}

// Many workers must give exactly the single-worker output, in input order.
func TestOrderManyWorkers(t *testing.T) {
	t.Parallel()
	in := bigInput(3*blockRecords + 77)
	one, _, err := annotateString(t, modelRef(), in, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	many, sum, err := annotateString(t, modelRef(), in, Options{Workers: 7})
	if err != nil {
		t.Fatal(err)
	}
	if one != many {
		t.Fatal("output differs between 1 and 7 workers")
	}
	for i, l := range dataLines(many) {
		if !strings.Contains(infoOf(l), "I="+strconv.Itoa(i)+";") {
			t.Fatalf("line %d out of order: %s", i, l)
		}
	}
	if sum.Records != int64(3*blockRecords+77) {
		t.Errorf("records = %d", sum.Records)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	in := bigInput(20 * blockRecords)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls int64
	opt := Options{Workers: 2, Progress: func(n int64) {
		calls++
		cancel()
	}}
	var out bytes.Buffer
	sum, err := run(ctx, strings.NewReader(in), &out, modelRef(), bundleMeta{}, opt)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if sum.Records >= int64(20*blockRecords) {
		t.Errorf("cancelled run still read everything (%d records)", sum.Records)
	}
}

func TestBGZFOutput(t *testing.T) {
	t.Parallel()
	in := bigInput(1000)
	plain, _, err := annotateString(t, modelRef(), in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	packed, _, err := annotateString(t, modelRef(), in, Options{BGZF: true})
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(strings.NewReader(packed))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != plain {
		t.Errorf("BGZF output differs from plain output")
	}
	// And the BGZF output reads back as input.
	again, _, err := annotateString(t, modelRef(), packed, Options{})
	if err != nil {
		t.Fatalf("reading BGZF output back: %v", err)
	}
	if len(dataLines(again)) != 1000 {
		t.Errorf("re-annotated %d lines", len(dataLines(again)))
	}
	// Re-annotating must not duplicate INFO keys.
	if l := dataLines(again)[0]; strings.Count(l, "ANN=") != 1 {
		t.Errorf("ANN duplicated on re-annotation: %s", l)
	}
}

func TestAnnotateNilBundle(t *testing.T) {
	t.Parallel()
	var b *refdata.Bundle
	if _, err := Annotate(context.Background(), strings.NewReader(vcfHead), io.Discard, b, Options{}); err == nil {
		t.Error("nil bundle accepted")
	}
}

// Compressed input that is cut short, and input over the size limit, are
// input errors.
func TestBadCompressedInput(t *testing.T) {
	t.Parallel()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write([]byte(bigInput(2000))); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	whole, _, err := annotateString(t, modelRef(), gz.String(), Options{})
	if err != nil || len(dataLines(whole)) != 2000 {
		t.Fatalf("gzip input: %v, %d lines", err, len(dataLines(whole)))
	}
	_, _, err = annotateString(t, modelRef(), gz.String()[:gz.Len()/2], Options{})
	if !IsInputError(err) {
		t.Errorf("truncated gzip: %v", err)
	}
	_, _, err = annotateString(t, modelRef(), bigInput(2000), Options{MaxInputBytes: 10_000})
	if !IsInputError(err) {
		t.Errorf("input over the limit: %v", err)
	}
}

// A REF running past the end of the contig is checked as far as the contig
// goes and annotated with a warning; a POS beyond the end is an input error.
func TestRefPastContigEnd(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	in := vcfHead + "m\t199\t.\t" + string(g[198:200]) + "AAA\t" + string(g[198]) + "\t.\t.\t.\n"
	out, sum, err := annotateString(t, modelRef(), in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(dataLines(out)) != 1 || len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], "extends beyond the end") {
		t.Errorf("warnings %v\n%s", sum.Warnings, out)
	}
	bad := vcfHead + "m\t199\t.\t" + string(other(g[198])) + "AAA\tA\t.\t.\t.\n"
	if _, _, err := annotateString(t, modelRef(), bad, Options{}); !IsInputError(err) {
		t.Errorf("mismatching REF past the end: %v", err)
	}
	beyond := vcfHead + "m\t250\t.\tA\tC\t.\t.\t.\n"
	if _, _, err := annotateString(t, modelRef(), beyond, Options{}); !IsInputError(err) || !strings.Contains(err.Error(), "beyond the end") {
		t.Errorf("POS past the end: %v", err)
	}
}

// Downstream reaches exactly 5 kb; one base further is intergenic.
func TestFlankLimit(t *testing.T) {
	t.Parallel()
	in := vcfHead + "ns\t5150\t.\tA\tC\t.\t.\t.\nns\t5151\t.\tA\tC\t.\t.\t.\nns\t5150\t.\tA\tAT\t.\t.\t.\n"
	out, _, err := annotateString(t, modelRef(), in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := dataLines(out)
	if a := annOf(t, l[0]); len(a) != 1 || !strings.HasPrefix(a[0], "C|downstream_gene_variant|") || !strings.HasSuffix(a[0], "|5000|") {
		t.Errorf("at 5000: %v", a)
	}
	if a := annOf(t, l[1]); len(a) != 1 || !strings.HasPrefix(a[0], "C|intergenic_variant|") {
		t.Errorf("at 5001: %v", a)
	}
	if a := annOf(t, l[2]); len(a) != 1 || !strings.HasPrefix(a[0], "AT|intergenic_variant|") {
		t.Errorf("insertion after 5000: %v", a)
	}
}

// TestRefEqualsAltCountedApart: an ALT equal to REF gets a note-only entry
// and is counted in RefEqualsAlt, not with the symbolic alleles, and it is
// neither known nor novel (it was not looked up), so Alleles = Annotated +
// NotAnnotated + RefEqualsAlt and Known + Novel = Annotated.
func TestRefEqualsAltCountedApart(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	in := vcfHead +
		"m\t44\t.\tG\tG\t.\t.\t.\n" + // REF = ALT
		"m\t45\t.\t" + string(g[44]) + "\t" + strings.ToLower(string(g[44])) + ",<NON_REF>\t.\t.\t.\n" + // REF = ALT in another case, and a symbolic allele
		"m\t44\t.\tG\tA\t.\t.\t.\n" // known
	out, sum, err := annotateString(t, modelRef(), in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	lines := dataLines(out)
	if ann := annOf(t, lines[0]); len(ann) != 1 || ann[0] != "G|||||||||||||||"+noteNoChange {
		t.Errorf("REF = ALT entry: %v", ann)
	}
	if sum.RefEqualsAlt != 2 || sum.NotAnnotated != 1 || sum.Annotated != 1 || sum.Alleles != 4 {
		t.Errorf("counts: ref=alt %d, not annotated %d, annotated %d, alleles %d; want 2, 1, 1, 4",
			sum.RefEqualsAlt, sum.NotAnnotated, sum.Annotated, sum.Alleles)
	}
	if sum.Known+sum.Novel != sum.Annotated {
		t.Errorf("known %d + novel %d != annotated %d", sum.Known, sum.Novel, sum.Annotated)
	}
	var text strings.Builder
	if err := sum.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "alleles with REF = ALT (no change)") {
		t.Errorf("text summary lacks the REF = ALT line:\n%s", text.String())
	}
}

// TestStripOwnKeys: the input's INFO fields whose key is one the engine
// writes are dropped, whatever their place, value or lack of one; a key
// that only starts like one of them, and every other field, stays.
func TestStripOwnKeys(t *testing.T) {
	t.Parallel()
	wk := &worker{e: &engine{ownKeys: map[string]bool{"ANN": true, "CSQ": true, "dbsnp_MAF": true, "CPG": true}}}
	for _, c := range []struct{ in, want string }{
		{".", "."},
		{"DP=3;AF=0.5", "DP=3;AF=0.5"},
		{"ANN=A|x;DP=3", "DP=3"},
		{"DP=3;CSQ=a|b;dbsnp_MAF=0.1;FLAG;CPG", "DP=3;FLAG"},
		{"ANNX=1;DP=2;dbsnp_MAFX=3;CS=1", "ANNX=1;DP=2;dbsnp_MAFX=3;CS=1"},
		{";;DP=2;ANN=1", "DP=2"},
		{"ANN=1", ""},
		{"CPG", ""},
	} {
		rec := &vcf.Record{Info: []byte(c.in)}
		wk.stripOwnKeys(rec)
		if string(rec.Info) != c.want {
			t.Errorf("%q: %q, want %q", c.in, rec.Info, c.want)
		}
	}
}
