package submit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/vcf"
)

// PasteName is the input file name of a job made from pasted variants.
const PasteName = "pasted.vcf"

// maxPasteProblems is how many bad lines a paste error lists; the rest are
// counted.
const maxPasteProblems = 10

// pasteHeader starts the VCF made from variants pasted without a header.
const pasteHeader = "##fileformat=VCFv4.2\n##source=GAS paste box\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"

// PasteToVCF turns what a user pasted into a VCF the annotator reads, and
// returns it with its record count. It takes, line by line:
//
//   - VCF lines: with header lines ("##…", "#CHROM…") the text is a VCF
//     (a missing ##fileformat or #CHROM line is added); without them, data
//     lines of 5 to 8 columns (CHROM POS ID REF ALT [QUAL FILTER INFO]);
//   - "chr pos ref alt", separated by spaces or tabs;
//   - "chr:pos:ref:alt" (also "chr-pos-ref-alt", as gnomAD writes them).
//
// Blank lines are skipped, and so are "#" comment lines in a paste without
// a VCF header. Columns pasted from a web page with spaces instead of tabs
// are read as columns. Every line is checked as the annotator will read
// it; a paste with bad lines is refused as a whole with an EINVALID error
// that lists them by their line number in the paste.
func PasteToVCF(text []byte) ([]byte, int64, error) {
	text = bytes.TrimPrefix(text, []byte{0xef, 0xbb, 0xbf}) // a byte order mark from a Windows editor
	lines := strings.Split(strings.ReplaceAll(string(text), "\r\n", "\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], "\r \t")
	}
	isVCF := false
	for _, l := range lines {
		if strings.HasPrefix(l, "##fileformat=") || strings.HasPrefix(l, "#CHROM") {
			isVCF = true
			break
		}
	}
	p := &pasted{}
	if isVCF {
		p.vcf(lines)
	} else {
		for _, h := range strings.Split(strings.TrimSuffix(pasteHeader, "\n"), "\n") {
			p.line(h, 0)
		}
		p.lists(lines)
	}
	if len(p.problems) == 0 && p.records > 0 {
		p.verify()
	}
	if len(p.problems) > 0 {
		msg := fmt.Sprintf("%d pasted line%s cannot be read: %s", p.bad, plural(p.bad), strings.Join(p.problems, "; "))
		if p.bad > len(p.problems) {
			msg += fmt.Sprintf("; and %d more", p.bad-len(p.problems))
		}
		return nil, 0, invalid(msg + ".")
	}
	if p.records == 0 {
		return nil, 0, invalid(`There are no variants in the pasted text. Paste VCF lines, or one variant per line as "chr pos ref alt" or "chr:pos:ref:alt".`)
	}
	return p.b.Bytes(), p.records, nil
}

// pasted is the VCF being made from a paste.
type pasted struct {
	b        bytes.Buffer
	from     []int // for each line of b, its line in the paste (0: added)
	rec      vcf.Record
	records  int64
	bad      int
	problems []string
}

// line adds a line of the VCF, made from line n of the paste (0: added).
func (p *pasted) line(l string, n int) {
	p.b.WriteString(l)
	p.b.WriteByte('\n')
	p.from = append(p.from, n)
}

// verify reads the finished VCF as the upload check and the annotator
// will, for what the line checks cannot see (the header's own rules), and
// words a problem by the paste's line.
func (p *pasted) verify() {
	_, err := CheckVCF(context.Background(), bytes.NewReader(p.b.Bytes()), int64(p.b.Len())+1)
	if err == nil {
		return
	}
	var pe *vcf.ParseError
	if !errors.As(err, &pe) {
		p.problem(0, gas.ErrorMessage(err))
		return
	}
	n := 0
	if pe.Line >= 1 && int(pe.Line) <= len(p.from) {
		n = p.from[pe.Line-1]
	}
	p.problem(n, pe.Msg)
}

func (p *pasted) problem(lineNo int, msg string) {
	p.bad++
	if len(p.problems) < maxPasteProblems {
		if lineNo > 0 {
			msg = "line " + strconv.Itoa(lineNo) + ": " + msg
		}
		p.problems = append(p.problems, msg)
	}
}

// record checks one data line as the annotator will and adds it.
func (p *pasted) record(line string, lineNo int) {
	if err := vcf.ParseRecord([]byte(line), int64(lineNo), &p.rec); err != nil {
		var pe *vcf.ParseError
		if errors.As(err, &pe) {
			p.problem(lineNo, pe.Msg)
		} else {
			p.problem(lineNo, err.Error())
		}
		return
	}
	p.line(line, lineNo)
	p.records++
}

// vcf copies a pasted VCF, adding the header lines it lacks.
func (p *pasted) vcf(lines []string) {
	first := 0
	for first < len(lines) && strings.TrimSpace(lines[first]) == "" {
		first++
	}
	if first == len(lines) || !strings.HasPrefix(lines[first], "##fileformat=") {
		p.line("##fileformat=VCFv4.2", 0)
	}
	chrom := false
	for i, l := range lines {
		n := i + 1
		switch {
		case strings.TrimSpace(l) == "":
		case strings.HasPrefix(l, "#"):
			if chrom {
				p.problem(n, "a header line after the #CHROM line; header lines come first")
				continue
			}
			if strings.HasPrefix(l, "#CHROM") {
				chrom = true
				l = tabbed(l)
			}
			p.line(l, n)
		default:
			l = tabbed(l)
			if !chrom {
				if strings.Count(l, "\t") > 7 {
					p.problem(n, "sample columns need a #CHROM line naming the samples before the first record")
					continue
				}
				p.line(strings.TrimSuffix(pasteHeader[strings.Index(pasteHeader, "#CHROM"):], "\n"), 0)
				chrom = true
			}
			p.record(l, n)
		}
	}
}

// lists reads a paste without a VCF header: one variant per line in any of
// the short forms, or VCF data columns.
func (p *pasted) lists(lines []string) {
	for i, l := range lines {
		n := i + 1
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Fields(l)
		if len(f) == 1 {
			switch {
			case strings.Count(l, ":") == 3:
				f = strings.Split(l, ":")
			case strings.Count(l, "-") == 3:
				f = strings.Split(l, "-")
			}
		}
		var cols []string
		switch {
		case len(f) == 4:
			cols = []string{f[0], f[1], ".", alleles(f[2]), alleles(f[3]), ".", ".", "."}
		case len(f) >= 5 && len(f) <= 8:
			cols = append(f, ".", ".", ".")[:8]
		case len(f) > 8:
			p.problem(n, fmt.Sprintf("%d columns: sample columns need a VCF header (a #CHROM line naming the samples)", len(f)))
			continue
		default:
			p.problem(n, fmt.Sprintf("%q is not a variant; write \"chr pos ref alt\", \"chr:pos:ref:alt\" or VCF columns", shorten(l)))
			continue
		}
		p.record(strings.Join(cols, "\t"), n)
	}
}

// tabbed makes a line pasted with spaces between its columns (copied from
// a web page) tab-separated; a line with tabs is kept as it is.
func tabbed(l string) string {
	if strings.Contains(l, "\t") {
		return l
	}
	return strings.Join(strings.Fields(l), "\t")
}

// alleles upper-cases sequence alleles of the short forms ("a" → "A");
// symbolic ones (<DEL>) are kept as typed.
func alleles(a string) string {
	if strings.ContainsAny(a, "<>[]") {
		return a
	}
	return strings.ToUpper(a)
}

// shorten keeps an echoed line readable in an error message.
func shorten(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
