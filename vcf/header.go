package vcf

import (
	"fmt"
	"strconv"
	"strings"
)

// Header is the header of a VCF file: the ## meta-information lines in their
// original order and the #CHROM column line. Lines are stored without their
// trailing newline.
type Header struct {
	meta    []string
	chrom   string
	samples []string
}

// Contig is one ##contig line: its ID and, when the line has one, its length
// (0 when absent or unparsable, since many files omit it) and its assembly
// attribute (e.g. GRCh38 or GCF_000001405.26; "" when absent).
type Contig struct {
	ID       string
	Length   int64
	Assembly string
}

// fixedColumns are the eight mandatory VCF columns, in order.
var fixedColumns = [8]string{"#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"}

// ParseHeader parses a complete header: ## lines followed by the #CHROM line,
// separated by newlines. It is the same parser NewReader uses and is handy to
// build a Header for output or tests.
func ParseHeader(text string) (*Header, error) {
	var p headerParser
	lines := strings.Split(strings.TrimRight(text, "\r\n"), "\n")
	for i, l := range lines {
		done, err := p.line([]byte(strings.TrimSuffix(l, "\r")), int64(i+1))
		if err != nil {
			return nil, err
		}
		if done {
			if i != len(lines)-1 {
				return nil, &ParseError{Line: int64(i + 2), Msg: "unexpected text after the #CHROM header line"}
			}
			return p.h, nil
		}
	}
	return nil, p.missingChrom(int64(len(lines)))
}

// headerParser accumulates header lines one at a time, so that the streaming
// reader and ParseHeader share the same rules and messages.
type headerParser struct {
	h     *Header
	lines int64
}

// line consumes one header line. done is true once the #CHROM line has been
// accepted.
func (p *headerParser) line(l []byte, lineNo int64) (done bool, err error) {
	if p.h == nil {
		p.h = &Header{}
	}
	p.lines++
	if p.lines == 1 {
		if err := checkFileformat(l, lineNo); err != nil {
			return false, err
		}
	}
	switch {
	case len(l) >= 2 && l[0] == '#' && l[1] == '#':
		p.h.meta = append(p.h.meta, string(l))
		return false, nil
	case len(l) >= 1 && l[0] == '#':
		if err := p.h.setChromLine(string(l), lineNo); err != nil {
			return false, err
		}
		return true, nil
	case len(l) == 0:
		// Blank lines inside the header carry nothing; htslib skips them too.
		return false, nil
	default:
		return false, &ParseError{Line: lineNo, Msg: "missing #CHROM header line: found a data line before the column header line (#CHROM POS ID REF ALT QUAL FILTER INFO)"}
	}
}

func (p *headerParser) missingChrom(lineNo int64) error {
	if p.lines == 0 {
		return &ParseError{Line: 0, Msg: "not a VCF file: the input is empty"}
	}
	return &ParseError{Line: lineNo, Msg: "missing #CHROM header line: the input ended inside the header"}
}

// checkFileformat enforces the first line of every VCF, which is also our
// best early signal that the upload is not a VCF at all.
func checkFileformat(l []byte, lineNo int64) error {
	const prefix = "##fileformat=VCFv4."
	if strings.HasPrefix(string(l), prefix) {
		return nil
	}
	if looksBinary(l) {
		return &ParseError{Line: lineNo, Msg: binaryMsg}
	}
	if strings.HasPrefix(string(l), "##fileformat=") {
		return &ParseError{Line: lineNo, Msg: fmt.Sprintf("unsupported VCF version %s: only VCFv4.x is accepted", quote(l[len("##fileformat="):]))}
	}
	return &ParseError{Line: lineNo, Msg: fmt.Sprintf("not a VCF file: the first line must be ##fileformat=VCFv4.x, found %s", quote(l))}
}

const binaryMsg = "not a VCF file: the input is binary data, not text (a VCF must be plain text, gzip or bgzip)"

// looksBinary reports whether b contains bytes that never occur in a text
// VCF (NUL and most C0 controls), which is how a misnamed BAM, zip or image
// shows itself.
func looksBinary(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\r' && c != '\n' {
			return true
		}
	}
	return false
}

func (h *Header) setChromLine(l string, lineNo int64) error {
	// Spreadsheet exports leave trailing tabs or spaces; they name no
	// column, so they are dropped rather than reported as an empty sample.
	l = strings.TrimRight(l, "\t ")
	cols := strings.Split(l, "\t")
	if len(cols) < 8 {
		msg := fmt.Sprintf("the #CHROM header line has %d tab-separated columns, VCF needs at least 8 (#CHROM POS ID REF ALT QUAL FILTER INFO)", len(cols))
		if strings.Count(l, " ") >= 7 {
			msg += "; columns must be separated by tabs, not spaces"
		}
		return &ParseError{Line: lineNo, Msg: msg}
	}
	for i, want := range fixedColumns {
		if !strings.EqualFold(cols[i], want) {
			return &ParseError{Line: lineNo, Msg: fmt.Sprintf("the #CHROM header line has %q as column %d, expected %s", cols[i], i+1, want)}
		}
	}
	var samples []string
	if len(cols) > 8 {
		if !strings.EqualFold(cols[8], "FORMAT") {
			return &ParseError{Line: lineNo, Msg: fmt.Sprintf("the #CHROM header line has %q as column 9, expected FORMAT before the sample columns", cols[8])}
		}
		samples = cols[9:]
		seen := make(map[string]struct{}, len(samples))
		for _, s := range samples {
			if s == "" {
				return &ParseError{Line: lineNo, Msg: "the #CHROM header line has an empty sample name"}
			}
			if _, dup := seen[s]; dup {
				return &ParseError{Line: lineNo, Msg: fmt.Sprintf("sample %q appears twice in the #CHROM header line", s)}
			}
			seen[s] = struct{}{}
		}
	}
	h.chrom = l
	h.samples = samples
	return nil
}

// Meta returns the ## lines in file order, without newlines. The slice is a
// copy; changing it does not change the header.
func (h *Header) Meta() []string {
	return append([]string(nil), h.meta...)
}

// ChromLine returns the #CHROM column header line without its newline.
func (h *Header) ChromLine() string { return h.chrom }

// Samples returns the sample names from the #CHROM line (nil when the file
// has no genotype columns).
func (h *Header) Samples() []string {
	return append([]string(nil), h.samples...)
}

// Add inserts a ## meta line before the #CHROM line. A structured line
// (##INFO, ##FORMAT, ##FILTER, ##contig, ##ALT) whose ID already exists
// replaces the existing line in place, so that re-annotating a file updates
// definitions instead of duplicating them; any other line is appended. A line
// without the leading "##" gets it, trailing newlines are dropped and inner
// ones become spaces.
func (h *Header) Add(line string) {
	line = strings.TrimRight(line, "\r\n")
	if strings.ContainsAny(line, "\r\n") {
		// One call adds one line: an embedded newline would let a value
		// (a bundle name, a file name) inject header or data lines.
		line = strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' {
				return ' '
			}
			return r
		}, line)
	}
	if !strings.HasPrefix(line, "##") {
		line = "##" + strings.TrimLeft(line, "#")
	}
	if key, id := metaKeyID(line); id != "" && replaceable(key) {
		for i, m := range h.meta {
			if k, mid := metaKeyID(m); k == key && mid == id {
				h.meta[i] = line
				return
			}
		}
	}
	h.meta = append(h.meta, line)
}

// Lookup returns the structured meta line with the given key (e.g. "INFO")
// and ID, if present.
func (h *Header) Lookup(key, id string) (string, bool) {
	for _, m := range h.meta {
		if k, mid := metaKeyID(m); k == key && mid == id {
			return m, true
		}
	}
	return "", false
}

func replaceable(key string) bool {
	switch key {
	case "INFO", "FORMAT", "FILTER", "contig", "ALT":
		return true
	}
	return false
}

// Contigs returns the ##contig lines in file order.
func (h *Header) Contigs() []Contig {
	var out []Contig
	for _, m := range h.meta {
		key, fields := metaFields(m)
		if key != "contig" {
			continue
		}
		var c Contig
		for _, f := range fields {
			switch f[0] {
			case "ID":
				c.ID = f[1]
			case "length":
				if n, err := strconv.ParseInt(f[1], 10, 64); err == nil && n > 0 {
					c.Length = n
				}
			case "assembly":
				c.Assembly = f[1]
			}
		}
		if c.ID != "" {
			out = append(out, c)
		}
	}
	return out
}

// AppendTo appends the full header text, every line ending in a newline, to
// dst and returns the extended slice.
func (h *Header) AppendTo(dst []byte) []byte {
	for _, m := range h.meta {
		dst = append(dst, m...)
		dst = append(dst, '\n')
	}
	if h.chrom != "" {
		dst = append(dst, h.chrom...)
		dst = append(dst, '\n')
	}
	return dst
}

// metaKeyID returns the key of a ## line and, for a structured <...> value,
// its ID.
func metaKeyID(line string) (key, id string) {
	key, fields := metaFields(line)
	for _, f := range fields {
		if f[0] == "ID" {
			return key, f[1]
		}
	}
	return key, ""
}

// metaFields splits "##KEY=<A=1,B="x, y">" into KEY and its key/value
// pairs, honouring quoted values (which may contain commas and escaped
// quotes). An unstructured line yields no fields.
func metaFields(line string) (key string, fields [][2]string) {
	s := strings.TrimPrefix(line, "##")
	eq := strings.IndexByte(s, '=')
	if eq < 0 {
		return s, nil
	}
	key, v := s[:eq], s[eq+1:]
	if len(v) < 2 || v[0] != '<' || v[len(v)-1] != '>' {
		return key, nil
	}
	v = v[1 : len(v)-1]
	for len(v) > 0 {
		e := strings.IndexByte(v, '=')
		if e < 0 {
			fields = append(fields, [2]string{strings.TrimSpace(v), ""})
			break
		}
		k := strings.TrimSpace(v[:e])
		v = v[e+1:]
		var val string
		if len(v) > 0 && v[0] == '"' {
			var b strings.Builder
			i := 1
			for ; i < len(v); i++ {
				if v[i] == '\\' && i+1 < len(v) {
					i++
					b.WriteByte(v[i])
					continue
				}
				if v[i] == '"' {
					break
				}
				b.WriteByte(v[i])
			}
			val = b.String()
			v = v[min(i+1, len(v)):]
			if c := strings.IndexByte(v, ','); c >= 0 {
				v = v[c+1:]
			} else {
				v = ""
			}
		} else if c := strings.IndexByte(v, ','); c >= 0 {
			val, v = v[:c], v[c+1:]
		} else {
			val, v = v, ""
		}
		fields = append(fields, [2]string{k, val})
	}
	return key, fields
}
