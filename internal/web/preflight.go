package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gas-project/gas/vcf"
)

// preflight is what the upload check learns about a stored input before a
// job is queued: shown to the user on the pre-flight page, and its record
// count becomes the total of the progress bar.
type preflight struct {
	Records      int64
	MultiAllelic int64    // records with more than one ALT
	ChrPrefix    int64    // records whose CHROM starts with "chr"
	Build        string   // GRCh37, GRCh38 or "" when the header does not tell
	BuildWhy     string   // the contig lengths that told
	Contigs      int      // ##contig lines
	Problems     int64    // records the engine will refuse
	FirstProblem string   // the first of them, for the user
	Chroms       []string // CHROM values in order of first use (at most maxPreflightChroms)
}

// maxPreflightChroms bounds the chromosome list kept for the page.
const maxPreflightChroms = 50

// Lengths of chromosomes 1 and X in the two human assemblies; one of them
// in the header is enough to tell the build.
var buildLengths = []struct {
	build  string
	chrom  string
	length int64
}{
	{"GRCh37", "1", 249250621}, {"GRCh37", "X", 155270560},
	{"GRCh38", "1", 248956422}, {"GRCh38", "X", 156040895},
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

// runPreflight reads an input once. A record the engine would refuse is
// counted, not fatal: the user may still send the file on (it then fails
// with the same reason). Errors are I/O errors or a file that is not VCF at
// all (no header), returned as the reader reports them.
func runPreflight(ctx context.Context, r io.Reader, maxBytes int64) (*preflight, error) {
	rd, err := vcf.NewReader(r, vcf.ReaderOptions{MaxLineBytes: vcf.DefaultMaxLineBytes, MaxInputBytes: maxBytes, Workers: 1})
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	p := &preflight{}
	h := rd.Header()
	contigs := h.Contigs()
	p.Contigs = len(contigs)
	p.Build, p.BuildWhy = guessBuild(contigs)
	seen := map[string]bool{}
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
			if err := vcf.ParseRecord(blk.Line(i), blk.LineNo(i), &rec); err != nil {
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
		}
	}
	return p, nil
}

// guessBuild names the assembly whose chr1/chrX length a ##contig line
// states; "" when none matches (no contig lines, or another organism).
func guessBuild(contigs []vcf.Contig) (build, why string) {
	for _, c := range contigs {
		name := strings.TrimPrefix(strings.TrimPrefix(c.ID, "chr"), "Chr")
		for _, b := range buildLengths {
			if name == b.chrom && c.Length == b.length {
				return b.build, fmt.Sprintf("contig %s has length %d", c.ID, c.Length)
			}
		}
	}
	return "", ""
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
