package variantdb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/refdata"
)

// demoKnown are the known-variant fields of the demo bundle, as its header
// declares them.
var demoKnown = []string{"dbsnp_MAF", "dbsnp_MINOR_ALLELE", "dbsnp_CLIN_SIG", "dbsnp_AF_AFR", "dbsnp_AF_AMR", "dbsnp_AF_EAS", "dbsnp_AF_EUR", "dbsnp_AF_SAS"}

func TestBuildDemoResult(t *testing.T) {
	src, sum := demoResult(t)
	ix, info := buildIndex(t, src, BuildOptions{})
	want := sha256.Sum256(src)
	if info.SHA256 != hex.EncodeToString(want[:]) || ix.Meta.SHA256 != info.SHA256 {
		t.Errorf("sha256: build %s, meta %s, want %x", info.SHA256, ix.Meta.SHA256, want)
	}
	if info.Records != sum.Records || ix.Meta.Records != sum.Records {
		t.Errorf("records: build %d, meta %d, engine %d", info.Records, ix.Meta.Records, sum.Records)
	}
	if info.FreqField != "dbsnp_MAF" {
		t.Errorf("frequency field %q, want dbsnp_MAF (the demo's only overall frequency)", info.FreqField)
	}
	recs := oracle(t, plain(t, src), demoKnown, "dbsnp_MAF")
	var anns, known int64
	for _, r := range recs {
		anns += int64(r.anns)
		if r.known {
			known++
		}
	}
	if info.Annotations != anns || ix.Meta.Known != known {
		t.Errorf("annotations %d known %d, the text has %d and %d", info.Annotations, ix.Meta.Known, anns, known)
	}
	// The engine counts known alleles; the demo has one ALT per record.
	if known != sum.Known {
		t.Errorf("known records %d, engine known alleles %d", known, sum.Known)
	}
	if info.Bytes <= 0 || info.Malformed != 0 {
		t.Errorf("bytes %d malformed %d", info.Bytes, info.Malformed)
	}

	// Every record comes back once, by position, with the columns of its line.
	res, err := ix.Query(context.Background(), Filter{PerPage: MaxPerPage})
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(res.Rows)) != sum.Records || res.Total != sum.Records {
		t.Fatalf("%d rows, total %d, want %d", len(res.Rows), res.Total, sum.Records)
	}
	byRID := map[int64]oracleRec{}
	for _, r := range recs {
		byRID[r.rid] = r
	}
	for _, row := range res.Rows {
		o := byRID[row.RID]
		col := strings.Split(o.line, "\t")
		if row.Chrom != col[0] || row.Pos != o.pos || row.Ref != col[3] || row.Alt != col[4] {
			t.Errorf("record %d: %s:%d %s>%s, line %s", row.RID, row.Chrom, row.Pos, row.Ref, row.Alt, strings.Join(col[:5], " "))
		}
		if (row.ID == "") != (col[2] == ".") || row.Known != o.known || row.Impact != o.worst || len(row.Consequences) != len(o.terms) {
			t.Errorf("record %d: id %q known %v impact %d terms %v; line says %s known %v impact %d terms %v",
				row.RID, row.ID, row.Known, row.Impact, row.Consequences, col[2], o.known, o.worst, o.terms)
		}
		if (row.Freq == nil) != (o.freq == nil) || row.Freq != nil && *row.Freq != *o.freq {
			t.Errorf("record %d: freq %v, want %v", row.RID, row.Freq, o.freq)
		}
		if row.Gene != "" && !o.genes[strings.ToLower(row.Gene)] {
			t.Errorf("record %d: shown gene %q is not among its genes %v", row.RID, row.Gene, o.genes)
		}
		if strings.Contains(row.HGVSp, "%3D") {
			t.Errorf("record %d: HGVS.p %q still percent-encoded", row.RID, row.HGVSp)
		}
	}
	if got := ix.Tracks(); len(got) != 1 || got[0] != "CPG_ISLAND" {
		t.Errorf("tracks %v, want the demo's CPG_ISLAND", got)
	}
	if len(ix.Terms()) == 0 || ix.Terms()[0] != firstBySeverity(sum.Consequences) {
		t.Errorf("terms %v: want the most severe of %v first", ix.Terms(), sum.Consequences)
	}
}

func firstBySeverity(m map[string]int64) string {
	for _, t := range seedTerms {
		if m[t] > 0 {
			return t
		}
	}
	return ""
}

// TestMalformedRecordKept: a record the engine writes through unannotated
// (OnError=skip) is still a record of the index and of every export.
func TestMalformedRecordKept(t *testing.T) {
	// With the demo's FORMAT and one sample column, as the #CHROM line
	// has: a record with other columns is left out under skip (htslib
	// could not read it back), not written through.
	in := append(refdata.DemoVCF(), []byte("21\tnot-a-position\t.\tA\tG\t.\t.\t.\tGT\t0|1\n")...)
	src, sum := annotated(t, in, annotate.Options{OnError: annotate.Skip})
	if sum.Skipped != 1 {
		t.Fatalf("engine skipped %d records, want 1", sum.Skipped)
	}
	ix, info := buildIndex(t, src, BuildOptions{})
	// The engine's Records counts annotated records; the skipped one is
	// in the output too.
	total := sum.Records + sum.Skipped
	if lines := int64(len(oracle(t, plain(t, src), demoKnown, "dbsnp_MAF"))); lines != total {
		t.Fatalf("output has %d records, engine says %d+%d", lines, sum.Records, sum.Skipped)
	}
	if info.Malformed != 1 || info.Records != total {
		t.Fatalf("malformed %d records %d, want 1 and %d", info.Malformed, info.Records, total)
	}
	rids := allRIDs(t, ix, Filter{})
	if int64(len(rids)) != total {
		t.Fatalf("browser shows %d records, want %d", len(rids), total)
	}
	res, err := ix.Query(context.Background(), Filter{PerPage: MaxPerPage})
	if err != nil {
		t.Fatal(err)
	}
	var bad []Row
	for _, r := range res.Rows {
		if r.Malformed != "" {
			bad = append(bad, r)
		}
	}
	if len(bad) != 1 || bad[0].Chrom != "21" || bad[0].Impact != ImpactNone || !strings.Contains(bad[0].Malformed, "not-a-position") {
		t.Errorf("malformed rows %+v: want the 21:not-a-position record, with its reason", bad)
	}
	counts := exportCounts(t, ix, src, Filter{})
	for name, n := range counts {
		if n != total {
			t.Errorf("%s export has %d records, want %d", name, n, total)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	src, _ := demoResult(t)
	dir := t.TempDir()
	var many strings.Builder
	many.WriteString("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t5\t.\tA\tG\t.\t.\tANN=")
	for i := 0; i < 64; i++ {
		fmt.Fprintf(&many, "G|made_up_term_%d|LOW|||||||||||||,", i)
	}
	cases := []struct {
		name string
		in   []byte
		opt  BuildOptions
		want string
	}{
		{"too many terms", []byte(strings.TrimSuffix(many.String(), ",") + "\n"), BuildOptions{}, "more than 63 distinct consequence terms"},
		{"not a VCF", []byte("hello\nworld\n"), BuildOptions{}, "read annotated VCF"},
		{"empty", nil, BuildOptions{}, "read annotated VCF"},
		{"string frequency field", src, BuildOptions{FreqField: "dbsnp_CLIN_SIG"}, "frequency field dbsnp_CLIN_SIG"},
		{"absent frequency field", src, BuildOptions{FreqField: "gnomAD_AF"}, "frequency field gnomAD_AF"},
	}
	for _, c := range cases {
		path := filepath.Join(dir, "x.sqlite")
		_, err := Build(context.Background(), bytes.NewReader(c.in), path, c.opt)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want an InputError mentioning %q", c.name, err, c.want)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s: a failed build left %s", c.name, path)
		}
		if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
			t.Errorf("%s: a failed build left its temporary file", c.name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, bytes.NewReader(src), filepath.Join(dir, "c.sqlite"), BuildOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled build: %v", err)
	}
	// A chosen field other than the default is used.
	_, info := buildIndex(t, src, BuildOptions{FreqField: "dbsnp_AF_EUR"})
	if info.FreqField != "dbsnp_AF_EUR" {
		t.Errorf("FreqField %q", info.FreqField)
	}
}

func TestOpenRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing.sqlite")); err == nil {
		t.Error("Open of a missing file succeeded")
	}
	// An index of another format version asks for a rebuild.
	src, _ := demoResult(t)
	old := filepath.Join(dir, "old.sqlite")
	if _, err := Build(context.Background(), bytes.NewReader(src), old, BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE meta SET value = '1' WHERE key = 'schema'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(old); !errors.Is(err, ErrSchema) {
		t.Errorf("Open of a schema 1 index: %v, want ErrSchema", err)
	}
	junk := filepath.Join(dir, "junk.sqlite")
	os.WriteFile(junk, []byte("not sqlite at all, just text that is long enough to be a header"), 0o600)
	if ix, err := Open(junk); err == nil {
		ix.Close()
		t.Error("Open of a text file succeeded")
	}
}

// TestBuildTo checks the streaming destination gives the same index.
func TestBuildTo(t *testing.T) {
	src, sum := demoResult(t)
	var buf bytes.Buffer
	info, err := BuildTo(context.Background(), bytes.NewReader(src), &buf, t.TempDir(), BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if int64(buf.Len()) != info.Bytes || info.Records != sum.Records {
		t.Fatalf("wrote %d bytes, info says %d; records %d", buf.Len(), info.Bytes, info.Records)
	}
	path := filepath.Join(t.TempDir(), "copy.sqlite")
	os.WriteFile(path, buf.Bytes(), 0o600)
	ix, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if ix.Meta.Records != sum.Records {
		t.Errorf("copied index has %d records", ix.Meta.Records)
	}
}

// TestKnownByIDWithoutKnownFields: a bundle without known-variant fields
// marks known variants only by the ID column, which the index then uses;
// there is no frequency.
func TestKnownByIDWithoutKnownFields(t *testing.T) {
	var syn bytes.Buffer
	if err := synthVCF(&syn, 2000, 5); err != nil {
		t.Fatal(err)
	}
	recs := oracle(t, syn.Bytes(), []string{"AF", "CLNSIG"}, "AF")
	var text []string
	for _, l := range strings.Split(syn.String(), "\n") {
		if !strings.HasPrefix(l, "##INFO=<ID=AF,") && !strings.HasPrefix(l, "##INFO=<ID=CLNSIG,") {
			text = append(text, l)
		}
	}
	ix, info := buildIndex(t, []byte(strings.Join(text, "\n")), BuildOptions{})
	if info.FreqField != "" {
		t.Errorf("frequency field %q without known-variant fields", info.FreqField)
	}
	// The synthetic data gives an rsID exactly to records with a known ALT.
	want := oracleRIDs(recs, Filter{Known: KnownOnly})
	if got := sortedCopy(allRIDs(t, ix, Filter{Known: KnownOnly, PerPage: MaxPerPage})); !slices.Equal(got, want) {
		t.Errorf("known by ID: %d records, want %d", len(got), len(want))
	}
	res, err := ix.Query(context.Background(), Filter{Sort: SortFreq, Desc: true, PerPage: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows[0].Freq != nil {
		t.Errorf("a frequency without a frequency field: %v", *res.Rows[0].Freq)
	}
}
