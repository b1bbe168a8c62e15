package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/gas-project/gas/vcf"
)

// preflight is what the upload check learns about a stored input before a
// job is queued: shown to the user on the pre-flight page, and its record
// count becomes the total of the progress bar. It is stored as JSON with
// the waiting upload, so fields added later read as zero in older reports.
type preflight struct {
	Records      int64
	MultiAllelic int64    // records with more than one ALT
	ChrPrefix    int64    // records whose CHROM starts with "chr"
	Build        string   // GRCh37, GRCh38, NCBI36 or "" when the header does not tell
	BuildWhy     string   // what in the header told
	Contigs      int      // ##contig lines
	Problems     int64    // records the engine will refuse
	FirstProblem string   // the first of them, for the user
	Chroms       []string // CHROM values in order of first use (at most maxPreflightChroms)
	// Coverage of the chosen bundle, counted the way the engine counts it
	// (annotate.Summary.Uncovered and NoSequence). Checked is false when
	// the bundle could not be read here (then nothing is claimed).
	Checked      bool
	BundleCovers string   // what the bundle covers, in one line
	Uncovered    int64    // records on contigs or regions without gene models
	NoSequence   int64    // records on contigs without reference sequence
	OffContigs   []string // input contigs the bundle lacks (at most maxOffContigs)
}

// maxPreflightChroms bounds the chromosome list kept for the page.
const maxPreflightChroms = 50

// maxOffContigs bounds the list of contigs missing from the bundle.
const maxOffContigs = 10

// buildLengths are the lengths of the primary chromosomes (1–22, X, Y) of
// the two human assemblies; none is the same in both, so one ##contig
// length is enough to tell the build. (The mitochondrion is left out: the
// rCRS is 16,569 bp in both, while hg19's chrM is another sequence.)
var buildLengths = map[string]map[string]int64{
	"GRCh37": {
		"1": 249250621, "2": 243199373, "3": 198022430, "4": 191154276, "5": 180915260, "6": 171115067,
		"7": 159138663, "8": 146364022, "9": 141213431, "10": 135534747, "11": 135006516, "12": 133851895,
		"13": 115169878, "14": 107349540, "15": 102531392, "16": 90354753, "17": 81195210, "18": 78077248,
		"19": 59128983, "20": 63025520, "21": 48129895, "22": 51304566, "X": 155270560, "Y": 59373566,
	},
	"GRCh38": {
		"1": 248956422, "2": 242193529, "3": 198295559, "4": 190214555, "5": 181538259, "6": 170805979,
		"7": 159345973, "8": 145138636, "9": 138394717, "10": 133797422, "11": 135086622, "12": 133275309,
		"13": 114364328, "14": 107043718, "15": 101991189, "16": 90338345, "17": 83257441, "18": 80373285,
		"19": 58617616, "20": 64444167, "21": 46709983, "22": 50818468, "X": 156040895, "Y": 57227415,
	},
}

// MultiAllelicPercent is the share of multi-allelic records, 0–100.
func (p *preflight) MultiAllelicPercent() float64 { return percentOf(p.MultiAllelic, p.Records) }

// Naming says how the file names chromosomes.
func (p *preflight) Naming() string {
	switch {
	case p.Records == 0:
		return "no records"
	case p.ChrPrefix == p.Records:
		return `"chr1" style`
	case p.ChrPrefix == 0:
		return `"1" style`
	default:
		return "mixed (some records use chr1, others 1)"
	}
}

func percentOf(n, of int64) float64 {
	if of <= 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

// UncoveredPercent and NoSequencePercent are the coverage shares, 0–100.
func (p *preflight) UncoveredPercent() float64  { return percentOf(p.Uncovered, p.Records) }
func (p *preflight) NoSequencePercent() float64 { return percentOf(p.NoSequence, p.Records) }

// runPreflight reads an input once. A record the engine would refuse is
// counted, not fatal: the user may still send the file on (it then fails
// with the same reason). Errors are I/O errors or a file that is not VCF at
// all (no header), returned as the reader reports them. With cov (the
// chosen bundle) it also counts the records the bundle does not cover.
func runPreflight(ctx context.Context, r io.Reader, maxBytes int64, cov *coverage) (*preflight, error) {
	rd, err := vcf.NewReader(r, vcf.ReaderOptions{MaxLineBytes: vcf.DefaultMaxLineBytes, MaxInputBytes: maxBytes, Workers: 1})
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	p := &preflight{}
	h := rd.Header()
	columns := h.Columns()
	contigs := h.Contigs()
	p.Contigs = len(contigs)
	p.Build, p.BuildWhy = guessBuild(contigs, h.Meta())
	if cov != nil {
		p.Checked, p.BundleCovers = true, cov.covers
	}
	seen := map[string]bool{}
	off := map[string]bool{}
	var (
		blk vcf.Block
		rec vcf.Record
	)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		err := rd.ReadBlock(&blk, 0)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		for i := 0; i < blk.Len(); i++ {
			p.Records++
			err := vcf.ParseRecord(blk.Line(i), blk.LineNo(i), &rec)
			if err == nil {
				err = vcf.CheckColumns(&rec, columns)
			}
			if err != nil {
				p.Problems++
				if p.FirstProblem == "" {
					p.FirstProblem = err.Error()
				}
				continue
			}
			if len(rec.Alts) > 1 {
				p.MultiAllelic++
			}
			if len(rec.Chrom) > 3 && strings.EqualFold(string(rec.Chrom[:3]), "chr") {
				p.ChrPrefix++
			}
			if c := string(rec.Chrom); !seen[c] && len(p.Chroms) < maxPreflightChroms {
				seen[c] = true
				p.Chroms = append(p.Chroms, c)
			}
			if cov == nil {
				continue
			}
			uncovered, noSeq, found := cov.classify(rec.Chrom, rec.Pos)
			if uncovered {
				p.Uncovered++
			}
			if noSeq {
				p.NoSequence++
			}
			if c := string(rec.Chrom); !found && !off[c] && len(p.OffContigs) < maxOffContigs {
				off[c] = true
				p.OffContigs = append(p.OffContigs, c)
			}
		}
	}
	return p, nil
}

// guessBuild names the assembly the header states, and what told: first a
// ##contig length of a primary chromosome (a property of the sequence the
// file was called against), else a ##contig assembly attribute, else the
// ##reference line. A name in the header that contradicts the lengths is
// reported beside them. "" when nothing tells (no such lines, another
// organism).
func guessBuild(contigs []vcf.Contig, meta []string) (build, why string) {
	for _, c := range contigs {
		name := strings.TrimPrefix(strings.TrimPrefix(c.ID, "chr"), "Chr")
		for _, b := range []string{"GRCh37", "GRCh38"} {
			if n, ok := buildLengths[b][name]; ok && n == c.Length {
				build, why = b, fmt.Sprintf("contig %s has the %s length %d", c.ID, b, c.Length)
				break
			}
		}
		if build != "" {
			break
		}
	}
	named, namedWhy := "", ""
	for _, c := range contigs {
		if a := assemblyName(c.Assembly); a != "" {
			named, namedWhy = a, fmt.Sprintf("##contig %s has assembly=%s", c.ID, c.Assembly)
			break
		}
	}
	if named == "" {
		for _, m := range meta {
			if v, ok := strings.CutPrefix(m, "##reference="); ok {
				if a := assemblyName(v); a != "" {
					named, namedWhy = a, m
					break
				}
			}
		}
	}
	switch {
	case build == "":
		return named, namedWhy
	case named != "" && named != build:
		return build, why + "; but " + namedWhy + ", which is " + named
	}
	return build, why
}

// Accessions of the human assembly at NCBI: GCF_000001405.N (RefSeq) and
// GCA_000001405.N (GenBank). The versions count the patch releases:
// GRCh37 is GCF .13–.25 and GCA .1–.14, GRCh38 from GCF .26 and GCA .15.
var humanAccession = regexp.MustCompile(`gc([af])_000001405\.(\d+)`)

// assemblyName maps what a header says of its reference (an assembly
// attribute, a ##reference file name or URL) to GRCh37, GRCh38 or NCBI36;
// "" when it names none of them. hg19, b37 and hs37d5 are GRCh37 for this
// purpose (the same chromosome coordinates), hg38 and hs38DH GRCh38.
func assemblyName(v string) string {
	v = strings.ToLower(v)
	if m := humanAccession.FindStringSubmatch(v); m != nil {
		n, _ := strconv.Atoi(m[2])
		switch {
		case m[1] == "f" && n >= 26, m[1] == "a" && n >= 15:
			return "GRCh38"
		case m[1] == "f" && n >= 13, m[1] == "a" && n >= 1:
			return "GRCh37"
		}
		return ""
	}
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(v, w) {
				return true
			}
		}
		return false
	}
	is38 := has("grch38", "hg38", "hs38", "assembly38", "b38")
	is37 := has("grch37", "hg19", "hs37", "g1k_v37", "b37", "ncbi37", "assembly19")
	is36 := has("ncbi36", "hg18", "b36", "grch36")
	switch {
	case is38 && !is37 && !is36:
		return "GRCh38"
	case is37 && !is38 && !is36:
		return "GRCh37"
	case is36 && !is37 && !is38:
		return "NCBI36"
	}
	return ""
}

// bundleBuild guesses the assembly a bundle name is for (GRCh37/hg19 or
// GRCh38/hg38 in its name); "" when the name does not say.
func bundleBuild(name string) string {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "grch38") || strings.Contains(n, "hg38"):
		return "GRCh38"
	case strings.Contains(n, "grch37") || strings.Contains(n, "hg19") || strings.Contains(n, "b37"):
		return "GRCh37"
	}
	return ""
}
