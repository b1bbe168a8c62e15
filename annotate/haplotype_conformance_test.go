package annotate

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gas-project/gas/refdata"
)

// The haplotype cases of the bcftools csq tests are VCFs with samples whose
// NAME.txt holds, per record, one line per sample that carries a
// consequence: "POS REF ALT HAP1 HAP2", each haplotype's BCSQ entries
// ("." when none; "@POS" when the haplotype's change is part of the
// combined consequence reported at POS), as `bcftools csq | bcftools query
// -f'[%POS\t%REF\t%ALT\t%TBCSQ\n]\n'` prints them: a blank line ends each
// record, samples without a consequence print nothing.

// runHaplotypeFile annotates a case VCF with samples in haplotype mode and
// compares every record's per-sample, per-haplotype consequences with
// NAME.txt. ok is false when the file is not a haplotype case (no samples
// or no NAME.txt).
func runHaplotypeFile(t *testing.T, b *refdata.Bundle, path string, acc *disagreements) (agree, total int, ok bool) {
	t.Helper()
	in, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !hasSamples(in) {
		return 0, 0, false
	}
	want, err := os.ReadFile(strings.TrimSuffix(path, ".vcf") + ".txt")
	union := false
	if err != nil {
		// Without NAME.txt, the records' INFO/EXP (all haplotypes' BCSQ
		// entries together) is the expectation, when the file has one.
		exp, ok := expFromInfo(in)
		if !ok {
			return 0, 0, false
		}
		want, union = exp, true
	}
	var out bytes.Buffer
	if _, err := Annotate(context.Background(), bytes.NewReader(in), &out, b, Options{Workers: 2, Haplotypes: true}); err != nil {
		t.Errorf("%s: annotate: %v", path, err)
		return 0, 0, true
	}
	strand := map[string]refdata.Strand{}
	for _, tx := range b.Transcripts() {
		strand[tx.ID] = tx.Strand
	}
	exp := haplotypeBlocks(string(want))
	got := haplotypeLines(out.String(), strand, paddedTranscripts(b))
	if union {
		got = unionLines(got)
	}
	name := filepath.Join(filepath.Base(filepath.Dir(path)), filepath.Base(path))
	if len(exp) != len(got) {
		t.Errorf("%s: %d records expected in the .txt, %d annotated", name, len(exp), len(got))
		return 0, 0, true
	}
	for i := range exp {
		total++
		e, g := exp[i].lines, got[i].lines
		same := len(e) == len(g)
		for k := 0; same && k < len(e); k++ {
			same = e[k].agrees(g[k])
		}
		id := name + " " + got[i].pos
		reason, accepted := acceptedDisagreements[id]
		switch {
		case same:
			agree++
			if accepted {
				t.Errorf("%s now agrees with bcftools: remove it from acceptedDisagreements and docs/conformance.md", id)
			}
		case accepted:
			t.Logf("accepted disagreement %s: bcftools %v, gas %v (%s)", id, e, g, reason)
			acc.accepted++
		default:
			t.Errorf("disagree %s (haplotypes): bcftools %v, gas %v", id, e, g)
		}
	}
	return agree, total, true
}

func hasSamples(vcf []byte) bool {
	for _, l := range strings.Split(string(vcf), "\n") {
		if strings.HasPrefix(l, "#CHROM") {
			return len(strings.Split(l, "\t")) > 9
		}
	}
	return false
}

type hapBlock struct {
	pos   string
	lines []hapLine
}

// hapLine is one sample's consequences at a record: "POS REF ALT" and, per
// haplotype, the comparable consequences and the "@POS" references.
type hapLine struct {
	head string
	haps [2]hapSide
}

type hapSide struct {
	x    csqExpect
	refs []string
}

func (h hapLine) String() string {
	return h.head + " " + h.haps[0].String() + " " + h.haps[1].String()
}

func (s hapSide) String() string {
	return s.x.String() + strings.Join(s.refs, "")
}

// agrees compares GAS's line g with bcftools' line e the way the local
// comparison does: protein changes only where bcftools gives one, and an
// intron call where bcftools says nothing is no contradiction.
func (e hapLine) agrees(g hapLine) bool {
	if e.head != g.head {
		return false
	}
	for i := range e.haps {
		ex, gx := e.haps[i].x, g.haps[i].x.proteinsLike(e.haps[i].x)
		if len(ex.terms) == 0 && len(gx.terms) == 1 && gx.terms[0] == "intron_variant" {
			gx.terms = nil
		}
		if !ex.equal(gx) || strings.Join(e.haps[i].refs, "") != strings.Join(g.haps[i].refs, "") {
			return false
		}
	}
	return true
}

// haplotypeBlocks splits a NAME.txt into records: the lines up to each
// blank line (none for a record no sample carries).
func haplotypeBlocks(txt string) []hapBlock {
	var blocks []hapBlock
	var cur []hapLine
	lines := strings.Split(txt, "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1] // the file's final newline
	}
	for _, l := range lines {
		if l == "" {
			blocks = append(blocks, hapBlock{lines: cur})
			cur = nil
			continue
		}
		cur = append(cur, parseHapLine(l))
	}
	if cur != nil {
		blocks = append(blocks, hapBlock{lines: cur})
	}
	return blocks
}

// parseHapLine reads bcftools' "POS REF ALT HAP1 HAP2".
func parseHapLine(l string) hapLine {
	f := strings.Split(l, "\t")
	for len(f) < 5 {
		f = append(f, ".")
	}
	h := hapLine{head: strings.Join(f[:3], " ")}
	for i, v := range f[3:5] {
		var rest []string
		if v != "." {
			for _, e := range strings.Split(v, ",") {
				if strings.HasPrefix(e, "@") {
					h.haps[i].refs = append(h.haps[i].refs, e)
				} else {
					rest = append(rest, e)
				}
			}
		}
		h.haps[i].x = parseBCSQ(strings.Join(rest, ","))
		h.haps[i].refs = sortedRefs(h.haps[i].refs)
	}
	return h
}

func sortedRefs(r []string) []string {
	slices.Sort(r)
	return slices.Compact(r)
}

// haplotypeLines reads GAS haplotype-mode output into the same reduced
// lines: per record, per sample with any entry, each haplotype's entries
// selected by the FORMAT bitmask. A combined entry counts as the
// consequence at its member that comes first in transcript order (where
// bcftools reports it) and as "@POS" of that member at the others.
func haplotypeLines(out string, strand map[string]refdata.Strand, padded map[string]bool) []hapBlock {
	var blocks []hapBlock
	for _, l := range dataLines(out) {
		f := strings.Split(l, "\t")
		blk := hapBlock{pos: f[1]}
		ann, _ := infoField([]byte(f[7]), "ANN")
		entries := strings.Split(string(ann), ",")
		keys := strings.Split(f[8], ":")
		for _, s := range f[9:] {
			sub := strings.Split(s, ":")
			if len(sub) != len(keys) || keys[len(keys)-1] != "ANN" {
				continue
			}
			bits := sub[len(sub)-1]
			var haps [2][]string
			var refs [2][]string
			if bits != "." {
				for wi, w := range strings.Split(bits, ",") {
					n, _ := strconv.ParseUint(w, 10, 32)
					for bit := 0; bit < 30; bit++ {
						if n&(1<<bit) == 0 {
							continue
						}
						k, slot := (wi*30+bit)/2, bit%2
						if k >= len(entries) {
							continue
						}
						e := entries[k]
						at, self := reportPos(e, f[1], strand)
						if strings.Contains(strings.Split(e, "|")[0], "-") {
							// bcftools reports a member's own splice terms
							// at the member and leaves them out of the
							// combined consequence: GAS's combined entry
							// carries those of every member.
							e = ownSpliceTerms(e, entries, self)
						}
						if !self {
							refs[slot] = append(refs[slot], "@"+at)
							if e == "" {
								continue
							}
						}
						haps[slot] = append(haps[slot], e)
					}
				}
			}
			if len(haps[0])+len(haps[1])+len(refs[0])+len(refs[1]) == 0 {
				continue
			}
			line := hapLine{head: f[1] + " " + f[3] + " " + f[4]}
			for slot := range haps {
				if len(haps[slot]) > 0 {
					line.haps[slot].x = ourExpect(strings.Join(haps[slot], ","), padded)
				}
				line.haps[slot].refs = sortedRefs(refs[slot])
			}
			blk.lines = append(blk.lines, line)
		}
		blocks = append(blocks, blk)
	}
	return blocks
}

// reportPos returns where bcftools reports a combined entry of the record at
// pos: the member that comes first in transcript order. self is true for a
// local entry or when that member is this record.
func reportPos(entry, pos string, strand map[string]refdata.Strand) (string, bool) {
	f := strings.Split(entry, "|")
	parts := strings.Split(f[0], "-")
	if len(parts) == 1 || len(f) < 7 {
		return pos, true
	}
	best, _ := strconv.Atoi(pos)
	rev := strand[f[6]] == refdata.Reverse
	for _, p := range parts[1:] {
		_, rest, _ := strings.Cut(p, ":")
		num, _, _ := strings.Cut(rest, "_")
		n, _ := strconv.Atoi(num)
		if (!rev && n < best) || (rev && n > best) {
			best = n
		}
	}
	s := strconv.Itoa(best)
	return s, s == pos
}

// expFromInfo turns the records' INFO/EXP values into one-line blocks
// "POS REF ALT EXP ." (all haplotypes as one); ok is false when a record
// has no EXP.
func expFromInfo(vcf []byte) ([]byte, bool) {
	var b bytes.Buffer
	n := 0
	for _, l := range strings.Split(string(vcf), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Split(l, "\t")
		v, ok := infoField([]byte(f[7]), "EXP")
		if !ok || len(v) == 0 {
			return nil, false
		}
		b.WriteString(f[1] + "\t" + f[3] + "\t" + f[4] + "\t" + string(v) + "\t.\n\n")
		n++
	}
	return b.Bytes(), n > 0
}

// unionLines merges each record's sample lines into one: every haplotype's
// consequences together, as INFO/BCSQ lists them.
func unionLines(blocks []hapBlock) []hapBlock {
	for i, b := range blocks {
		if len(b.lines) == 0 {
			continue
		}
		u := hapLine{head: b.lines[0].head}
		var terms, prots, refs []string
		for _, l := range b.lines {
			for _, h := range l.haps {
				terms = append(terms, h.x.terms...)
				prots = append(prots, h.x.proteins...)
				refs = append(refs, h.refs...)
			}
		}
		u.haps[0] = hapSide{x: csqExpect{terms: uniqSorted(terms), proteins: uniqSorted(prots)}, refs: sortedRefs(refs)}
		blocks[i].lines = []hapLine{u}
	}
	return blocks
}

// spliceTerms are the terms of a change's position (not of its codons).
var spliceTerms = map[string]bool{"splice_acceptor_variant": true, "splice_donor_variant": true, "splice_region_variant": true,
	"splice_donor_5th_base_variant": true, "splice_donor_region_variant": true, "splice_polypyrimidine_tract_variant": true,
	"intron_variant": true}

// ownSpliceTerms rewrites combined entry e for comparison with bcftools:
// at the reporting member (report) its terms keep the codon terms and take
// the splice terms of the member's own entry for the transcript; at another
// member it becomes that member's splice terms alone ("" when none).
func ownSpliceTerms(e string, entries []string, report bool) string {
	f := strings.Split(e, "|")
	own := strings.Split(f[0], "-")[0]
	var local []string
	for _, x := range entries {
		g := strings.Split(x, "|")
		if len(g) > 6 && g[0] == own && g[6] == f[6] {
			local = strings.Split(g[1], "&")
		}
	}
	var terms []string
	if report {
		for _, t := range strings.Split(f[1], "&") {
			if !spliceTerms[t] {
				terms = append(terms, t)
			}
		}
	}
	for _, t := range local {
		if spliceTerms[t] {
			terms = append(terms, t)
		}
	}
	if len(terms) == 0 {
		return ""
	}
	f[1] = strings.Join(terms, "&")
	if !report {
		f[10] = "" // no protein change of its own
	}
	return strings.Join(f, "|")
}
