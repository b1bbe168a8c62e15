// Package bench holds the benchmark harness of GAS: the bench/run script,
// a tiny run of it as a test so that it cannot rot, and the record-by-record
// comparison of the engine's consequences with bcftools csq on a generated
// input (issue 2, "second check at scale").
package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// bcsqTerms maps the consequence words of bcftools csq (BCSQ) to Sequence
// Ontology terms as the engine writes them in ANN.
var bcsqTerms = map[string]string{
	"intron":             "intron_variant",
	"5_prime_utr":        "5_prime_UTR_variant",
	"3_prime_utr":        "3_prime_UTR_variant",
	"synonymous":         "synonymous_variant",
	"missense":           "missense_variant",
	"stop_gained":        "stop_gained",
	"stop_lost":          "stop_lost",
	"start_lost":         "start_lost",
	"start_retained":     "start_retained_variant",
	"stop_retained":      "stop_retained_variant",
	"frameshift":         "frameshift_variant",
	"inframe_insertion":  "inframe_insertion",
	"inframe_deletion":   "inframe_deletion",
	"inframe_altering":   "protein_altering_variant",
	"splice_donor":       "splice_donor_variant",
	"splice_acceptor":    "splice_acceptor_variant",
	"splice_region":      "splice_region_variant",
	"coding_sequence":    "coding_sequence_variant",
	"non_coding":         "non_coding_transcript_exon_variant",
	"feature_elongation": "feature_elongation",
	"intergenic":         "intergenic_variant",
}

// notComparable are engine terms bcftools csq never writes (it has no
// upstream/downstream/intergenic calls and no VEP-only splice refinements);
// they are left out of the engine's side before comparing.
var notComparable = map[string]bool{
	"upstream_gene_variant":               true,
	"downstream_gene_variant":             true,
	"intergenic_variant":                  true,
	"NMD_transcript_variant":              true,
	"non_coding_transcript_variant":       true,
	"splice_polypyrimidine_tract_variant": true,
	"incomplete_terminal_codon_variant":   true,
}

// termSet is a set of SO terms.
type termSet map[string]bool

func (s termSet) String() string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(slices.Sorted(maps.Keys(s)), "&")
}

func (s termSet) equal(o termSet) bool {
	if len(s) != len(o) {
		return false
	}
	for k := range s {
		if !o[k] {
			return false
		}
	}
	return true
}

// minus returns the terms of s that are not in o.
func (s termSet) minus(o termSet) termSet {
	out := termSet{}
	for k := range s {
		if !o[k] {
			out[k] = true
		}
	}
	return out
}

// normalise applies the two reporting conventions in which bcftools csq
// differs from the engine (and VEP) without disagreeing on the effect, to
// either side's set in place:
//
//   - bcftools reports intron only when nothing else is hit: an intronic
//     splice_region variant is "splice_region" alone, and a variant in an
//     exon of one transcript and an intron of another (exon skipping) has no
//     intron entry. So intron_variant counts only when it is the sole term.
//   - bcftools drops splice_region next to splice_donor/splice_acceptor, so
//     splice_region_variant counts only without them.
//
// It returns whether it removed anything, so that the report can say how
// many records agree only because of it.
func normalise(s termSet) bool {
	changed := false
	if s["intron_variant"] && len(s) > 1 {
		delete(s, "intron_variant")
		changed = true
	}
	if s["splice_region_variant"] && (s["splice_donor_variant"] || s["splice_acceptor_variant"]) {
		delete(s, "splice_region_variant")
		changed = true
	}
	return changed
}

// infoValue returns the value of key in a VCF INFO column, or nil.
func infoValue(info []byte, key string) []byte {
	for len(info) > 0 {
		var field []byte
		field, info, _ = bytes.Cut(info, []byte{';'})
		if k, v, ok := bytes.Cut(field, []byte{'='}); ok && string(k) == key {
			return v
		}
	}
	return nil
}

// bcsqSet returns the SO terms of a BCSQ value over all its entries. Words
// without a mapping are kept as "bcftools:<word>" so they surface as
// disagreements instead of vanishing. References to haplotype records
// ("@POS") carry no consequence of their own and are skipped.
func bcsqSet(v []byte) termSet {
	out := termSet{}
	for _, entry := range bytes.Split(v, []byte{','}) {
		csq, _, _ := bytes.Cut(entry, []byte{'|'})
		if len(csq) == 0 || csq[0] == '@' {
			continue
		}
		// A leading '*' marks a consequence downstream of a stop in
		// haplotype mode; the class is the same.
		csq = bytes.TrimPrefix(csq, []byte{'*'})
		for _, w := range siteUnchanged(bytes.Split(csq, []byte{'&'})) {
			if so, ok := bcsqTerms[string(w)]; ok {
				out[so] = true
			} else if len(w) > 0 {
				out["bcftools:"+string(w)] = true
			}
		}
	}
	return out
}

// siteUnchanged translates a bcftools entry that names one site and
// "synonymous" (splice_donor&synonymous, splice_acceptor&synonymous,
// start_lost&synonymous) into SO: bcftools' splice stage adds "synonymous"
// when the rebuilt bases of the 2-base splice site, or of the start codon at
// the CDS boundary, are the same in reference and alternate, i.e. the allele
// as written overlaps the site but leaves it intact. SO defines the site
// terms as changes of those bases, so the entry is splice_region_variant or
// start_retained_variant. (annotate/conformance_test.go does the same.)
func siteUnchanged(words [][]byte) [][]byte {
	if len(words) != 2 {
		return words
	}
	site := words[0]
	switch {
	case string(words[1]) == "synonymous":
	case string(words[0]) == "synonymous":
		site = words[1]
	default:
		return words
	}
	switch string(site) {
	case "splice_donor", "splice_acceptor":
		return [][]byte{[]byte("splice_region")}
	case "start_lost":
		return [][]byte{[]byte("start_retained")}
	}
	return words
}

// annSet returns the comparable SO terms of an ANN value over all its
// entries (all alleles, all transcripts).
func annSet(v []byte) termSet {
	out := termSet{}
	for _, entry := range bytes.Split(v, []byte{','}) {
		f := bytes.SplitN(entry, []byte{'|'}, 3)
		if len(f) < 2 {
			continue
		}
		for _, w := range bytes.Split(f[1], []byte{'&'}) {
			t := string(w)
			if t == "splice_donor_5th_base_variant" || t == "splice_donor_region_variant" {
				// VEP's refinements of the donor side of the splice region
				// (intron bases 3-6, and the 5th) replace splice_region_variant
				// there; bcftools calls the same bases splice_region.
				t = "splice_region_variant"
			}
			if t != "" && !notComparable[t] {
				out[t] = true
			}
		}
	}
	return out
}

// aaOne maps HGVS three-letter amino acids to one-letter codes.
var aaOne = map[string]byte{
	"Ala": 'A', "Arg": 'R', "Asn": 'N', "Asp": 'D', "Cys": 'C', "Gln": 'Q', "Glu": 'E', "Gly": 'G',
	"His": 'H', "Ile": 'I', "Leu": 'L', "Lys": 'K', "Met": 'M', "Phe": 'F', "Pro": 'P', "Ser": 'S',
	"Thr": 'T', "Trp": 'W', "Tyr": 'Y', "Val": 'V', "Ter": '*', "Sec": 'U', "Xaa": 'X',
}

// snvProteinChanges collects, from a BCSQ value, the protein change of
// every SNV allele that bcftools calls plainly missense, synonymous or
// stop_gained, keyed by transcript and ALT base, written as "M266L",
// "T114=" or "Q81*".
func snvProteinChanges(v []byte) map[string]string {
	out := map[string]string{}
	for _, entry := range bytes.Split(v, []byte{','}) {
		f := strings.Split(string(entry), "|")
		if len(f) < 7 || (f[0] != "missense" && f[0] != "synonymous" && f[0] != "stop_gained") {
			continue
		}
		dna := f[6] // e.g. 6489T>A on the forward strand
		i := strings.IndexByte(dna, '>')
		if i < 2 || len(dna) != i+2 || strings.Trim(dna[:i-1], "0123456789") != "" {
			continue // not an SNV
		}
		alt := dna[i+1:]
		aa := f[5] // 266M>266L, or 114T when synonymous
		var change string
		if before, after, ok := strings.Cut(aa, ">"); ok {
			change = before[len(before)-1:] + before[:len(before)-1] + after[len(after)-1:]
		} else if len(aa) > 1 {
			change = aa[len(aa)-1:] + aa[:len(aa)-1] + "="
		} else {
			continue
		}
		out[f[2]+":"+alt] = change
	}
	return out
}

// annProteinChange converts an ANN HGVS.p such as p.Met266Leu, p.Thr114%3D
// (ANN escapes '=') or p.Gln81Ter to the form snvProteinChanges uses; ok is
// false for anything that is not a single-residue change.
func annProteinChange(p string) (string, bool) {
	p = strings.Replace(strings.TrimPrefix(p, "p."), "%3D", "=", 1)
	p = strings.Trim(p, "()")
	if len(p) < 5 {
		return "", false
	}
	ref, ok := aaOne[p[:3]]
	if !ok {
		return "", false
	}
	rest := p[3:]
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n == 0 {
		return "", false
	}
	var alt string
	switch tail := rest[n:]; tail {
	case "=", "*":
		alt = tail
	default:
		a, ok := aaOne[tail]
		if !ok {
			return "", false
		}
		alt = string(a)
	}
	return string(ref) + rest[:n] + alt, true
}

// annProteinChanges indexes ANN HGVS.p by transcript and allele.
func annProteinChanges(v []byte) map[string]string {
	out := map[string]string{}
	for _, entry := range bytes.Split(v, []byte{','}) {
		f := strings.Split(string(entry), "|")
		if len(f) < 11 || f[10] == "" {
			continue
		}
		if c, ok := annProteinChange(f[10]); ok {
			out[f[6]+":"+f[0]] = c
		}
	}
	return out
}

// vcfLine is the part of a VCF data line the comparison needs.
type vcfLine struct {
	chrom, ref, alt string
	pos             int
	info            []byte
}

func (l vcfLine) key() string { return l.chrom + ":" + strconv.Itoa(l.pos) + ":" + l.ref + ":" + l.alt }

// vcfScanner reads data lines of a plain VCF.
type vcfScanner struct {
	sc   *bufio.Scanner
	line int
}

func newVCFScanner(r io.Reader) *vcfScanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	return &vcfScanner{sc: sc}
}

// next returns the next data line, false at the end or on error (see err).
func (s *vcfScanner) next() (vcfLine, bool, error) {
	for s.sc.Scan() {
		s.line++
		b := s.sc.Bytes()
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		f := bytes.SplitN(b, []byte{'\t'}, 9)
		if len(f) < 8 {
			return vcfLine{}, false, fmt.Errorf("line %d: %d columns", s.line, len(f))
		}
		pos, err := strconv.Atoi(string(f[1]))
		if err != nil {
			return vcfLine{}, false, fmt.Errorf("line %d: bad POS %q", s.line, f[1])
		}
		return vcfLine{string(f[0]), string(f[3]), string(f[4]), pos, bytes.Clone(f[7])}, true, nil
	}
	return vcfLine{}, false, s.sc.Err()
}

// interval is a 1-based inclusive span.
type interval struct{ start, end int }

// spanIndex answers "does [s,e] overlap any transcript" per contig.
type spanIndex map[string][]interval

// readTranscriptSpans collects mRNA/transcript spans from a GFF3.
func readTranscriptSpans(r io.Reader) (spanIndex, error) {
	idx := spanIndex{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 9 || (f[2] != "mRNA" && f[2] != "transcript") {
			continue
		}
		s, err1 := strconv.Atoi(f[3])
		e, err2 := strconv.Atoi(f[4])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("GFF line %q: bad coordinates", line)
		}
		idx[f[0]] = append(idx[f[0]], interval{s, e})
	}
	for c, iv := range idx {
		sort.Slice(iv, func(i, j int) bool { return iv[i].start < iv[j].start })
		// Turn end into the running maximum so a binary search on start
		// answers overlap without scanning.
		for i := 1; i < len(iv); i++ {
			iv[i].end = max(iv[i].end, iv[i-1].end)
		}
		idx[c] = iv
	}
	return idx, sc.Err()
}

// overlaps reports whether [s,e] on contig c touches a transcript.
func (x spanIndex) overlaps(c string, s, e int) bool {
	iv := x[c]
	// Last interval starting at or before e.
	i := sort.Search(len(iv), func(i int) bool { return iv[i].start > e }) - 1
	return i >= 0 && iv[i].end >= s
}

// span is the genomic extent of a record for the inside-a-transcript test:
// the REF bases, plus the next base for a pure insertion (it goes between
// the padding base and the next one).
func (l vcfLine) span() (int, int) {
	end := l.pos + len(l.ref) - 1
	for _, a := range strings.Split(l.alt, ",") {
		if len(a) > len(l.ref) {
			end = max(end, l.pos+1)
		}
	}
	return l.pos, end
}

// comparison accumulates the record-by-record agreement.
type comparison struct {
	records int // records compared (inside a transcript)
	agree   int
	// normalised counts records that agree only after normalise.
	normalised int
	// proteins counts SNV allele×transcript pairs that bcftools calls
	// missense/synonymous/stop_gained; proteinsAgree those where the
	// engine's HGVS.p names the same residue change.
	proteins, proteinsAgree int
	proteinExamples         []string
	severe                  int // records whose most severe term agrees
	outside                 int // records outside every transcript, not compared
	classes                 map[string]*disagreement
}

// disagreement is one class of disagreement: what only the engine said and
// what only bcftools said, with a few examples.
type disagreement struct {
	class    string
	count    int
	examples []string
}

// severity orders the SO terms bcftools can produce, most severe first
// (Ensembl's ranking), for the secondary "most severe term" figure.
var severity = []string{
	"splice_acceptor_variant", "splice_donor_variant", "stop_gained", "frameshift_variant", "stop_lost",
	"start_lost", "inframe_insertion", "inframe_deletion", "missense_variant", "protein_altering_variant",
	"splice_region_variant", "start_retained_variant", "stop_retained_variant", "synonymous_variant",
	"coding_sequence_variant", "5_prime_UTR_variant", "3_prime_UTR_variant",
	"non_coding_transcript_exon_variant", "intron_variant", "feature_elongation",
}

func mostSevere(s termSet) string {
	for _, t := range severity {
		if s[t] {
			return t
		}
	}
	return s.String()
}

func newComparison() *comparison { return &comparison{classes: map[string]*disagreement{}} }

// add compares one record: ours is the engine's annotated line, theirs
// bcftools'. Records must be the same variant.
func (c *comparison) add(spans spanIndex, ours, theirs vcfLine) error {
	if ours.key() != theirs.key() {
		return fmt.Errorf("outputs out of step: engine %s, bcftools %s", ours.key(), theirs.key())
	}
	s, e := ours.span()
	if !spans.overlaps(ours.chrom, s, e) {
		c.outside++
		return nil
	}
	c.records++
	ann, bcsq := infoValue(ours.info, "ANN"), infoValue(theirs.info, "BCSQ")
	c.addProteins(ours, ann, bcsq)
	o := annSet(ann)
	b := bcsqSet(bcsq)
	if mostSevere(o) == mostSevere(b) {
		c.severe++
	}
	raw := o.equal(b)
	normalise(o)
	normalise(b)
	if o.equal(b) {
		c.agree++
		if !raw {
			c.normalised++
		}
		return nil
	}
	class := "engine only: " + o.minus(b).String() + " | bcftools only: " + b.minus(o).String()
	d := c.classes[class]
	if d == nil {
		d = &disagreement{class: class}
		c.classes[class] = d
	}
	d.count++
	if len(d.examples) < 3 {
		d.examples = append(d.examples, fmt.Sprintf("%s %s>%s engine=%s bcftools=%s",
			ours.chrom+":"+strconv.Itoa(ours.pos), ours.ref, ours.alt, o, b))
	}
	return nil
}

// addProteins compares the residue changes of one record's SNV alleles.
func (c *comparison) addProteins(l vcfLine, ann, bcsq []byte) {
	theirs := snvProteinChanges(bcsq)
	if len(theirs) == 0 {
		return
	}
	ours := annProteinChanges(ann)
	for k, want := range theirs {
		c.proteins++
		if got := ours[k]; got == want {
			c.proteinsAgree++
		} else if len(c.proteinExamples) < 10 {
			c.proteinExamples = append(c.proteinExamples, fmt.Sprintf("%s:%d %s>%s %s engine=%q bcftools=%q",
				l.chrom, l.pos, l.ref, l.alt, k, got, want))
		}
	}
}

// sorted returns the disagreement classes, most frequent first.
func (c *comparison) sorted() []*disagreement {
	out := slices.Collect(maps.Values(c.classes))
	slices.SortFunc(out, func(a, b *disagreement) int {
		if a.count != b.count {
			return b.count - a.count
		}
		return strings.Compare(a.class, b.class)
	})
	return out
}

// percent is agree/records as a percentage (0 when nothing was compared).
func (c *comparison) percent() float64 {
	if c.records == 0 {
		return 0
	}
	return 100 * float64(c.agree) / float64(c.records)
}

// markdown renders the classified disagreements as a table for
// docs/benchmarks.md and docs/conformance.md.
func (c *comparison) markdown(w io.Writer) {
	fmt.Fprintf(w, "bcftools agreement: %d/%d records (%.2f%%), of which %d agree only after the intron/splice_region normalisation; most severe term agrees for %d (%.2f%%); %d records outside transcripts not compared\n\n",
		c.agree, c.records, c.percent(), c.normalised, c.severe, 100*float64(c.severe)/float64(max(c.records, 1)), c.outside)
	fmt.Fprintf(w, "Protein changes of SNVs (bcftools missense/synonymous/stop_gained vs the engine's HGVS.p): %d/%d allele×transcript pairs agree.\n\n",
		c.proteinsAgree, c.proteins)
	fmt.Fprintf(w, "| records | engine only | bcftools only | example |\n|---:|---|---|---|\n")
	for _, d := range c.sorted() {
		eng, bcf, _ := strings.Cut(strings.TrimPrefix(d.class, "engine only: "), " | bcftools only: ")
		fmt.Fprintf(w, "| %d | %s | %s | %s |\n", d.count, eng, bcf, d.examples[0])
	}
}
