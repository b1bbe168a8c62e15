package refdata

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
)

// aliasTable groups the names of one sequence across naming schemes: UCSC
// (chr1), Ensembl/assembly (1), RefSeq (NC_000001.11) and GenBank
// (CM000663.2). It is read from a UCSC chromAlias file or an NCBI assembly
// report.
type aliasTable struct {
	parent  map[string]string   // union-find over names while reading
	members map[string][]string // name -> every name of its sequence, after finalize
}

func newAliasTable() *aliasTable { return &aliasTable{parent: map[string]string{}} }

func (t *aliasTable) find(s string) string {
	p, ok := t.parent[s]
	if !ok {
		return s
	}
	if p == s {
		return s
	}
	r := t.find(p)
	t.parent[s] = r
	return r
}

func (t *aliasTable) union(a, b string) {
	for _, s := range []string{a, b} {
		if _, ok := t.parent[s]; !ok {
			t.parent[s] = s
		}
	}
	ra, rb := t.find(a), t.find(b)
	if ra != rb {
		t.parent[rb] = ra
	}
}

// group adds names (skipping empty and "na" cells) as one sequence.
func (t *aliasTable) group(names ...string) {
	first := ""
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || n == "na" || strings.ContainsAny(n, " \t") {
			continue
		}
		if first == "" {
			first = n
			if _, ok := t.parent[n]; !ok {
				t.parent[n] = n
			}
			continue
		}
		t.union(first, n)
	}
}

// finalize lists every group's names, in sorted order for stable output.
func (t *aliasTable) finalize() {
	g := map[string][]string{}
	for n := range t.parent {
		r := t.find(n)
		g[r] = append(g[r], n)
	}
	t.members = map[string][]string{}
	for _, names := range g {
		slices.Sort(names)
		for _, n := range names {
			t.members[n] = names
		}
	}
}

// others returns the other names of name's sequence (nil if none).
func (t *aliasTable) others(name string) []string {
	if t == nil {
		return nil
	}
	var out []string
	for _, n := range t.members[name] {
		if n != name {
			out = append(out, n)
		}
	}
	return out
}

// parseAliases reads a contig alias table:
//
//   - an NCBI assembly report (# Sequence-Name, Sequence-Role, ...,
//     GenBank-Accn, Relationship, RefSeq-Accn, ..., UCSC-style-name): the
//     assembly name, GenBank and UCSC names of a row name one sequence, and
//     the RefSeq accession too when Relationship is '=' (with '<>' the
//     RefSeq sequence differs);
//   - a UCSC chromAlias file with a '#' header line naming its columns
//     (one sequence per line, one naming scheme per column);
//   - an older UCSC chromAlias.txt without header: alias, chrom, source.
//
// Empty and "na" cells are skipped.
func parseAliases(ctx context.Context, r io.Reader, file string) (*aliasTable, error) {
	t := newAliasTable()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	line := 0
	var cols []string // header of an NCBI report or new-style chromAlias
	ncbi := false
	rows := 0
	for sc.Scan() {
		line++
		if line&0xfff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		b := bytes.TrimRight(sc.Bytes(), "\r")
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		if b[0] == '#' {
			h := strings.TrimSpace(strings.TrimLeft(string(b), "#"))
			f := strings.Split(h, "\t")
			switch {
			case len(f) > 1 && f[0] == "Sequence-Name":
				cols, ncbi = f, true
			case len(f) > 1 && rows == 0:
				cols = f
			}
			continue
		}
		f := strings.Split(string(b), "\t")
		rows++
		switch {
		case ncbi:
			get := func(name string) string {
				for i, c := range cols {
					if c == name && i < len(f) {
						return f[i]
					}
				}
				return ""
			}
			names := []string{get("Sequence-Name"), get("GenBank-Accn"), get("UCSC-style-name")}
			if get("Relationship") == "=" {
				names = append(names, get("RefSeq-Accn"))
			}
			t.group(names...)
		case cols == nil && len(f) == 3 && isSourceList(f[2]):
			t.group(f[0], f[1])
		default:
			if len(f) < 2 {
				return nil, fmt.Errorf("%s:%d: want tab-separated names of one sequence, got %q", file, line, clip(string(b), 80))
			}
			t.group(f...)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: line %d: %w", file, line+1, err)
	}
	if len(t.parent) == 0 {
		return nil, fmt.Errorf("%s: no contig names (want a UCSC chromAlias file or an NCBI assembly report)", file)
	}
	t.finalize()
	return t, nil
}

// isSourceList recognises the third column of an old chromAlias.txt
// ("ensembl", "genbank,refseq").
func isSourceList(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c == ',' || c == '_') {
			return false
		}
	}
	return true
}

// contigSet assigns contig IDs during a build and matches the names other
// files use for them: the alias table when there is one, then chr1 <-> 1,
// and for GRCh38 (where UCSC's chrM is the Ensembl MT sequence) chrM <-> MT.
// hg19's chrM is another sequence than GRCh37's MT, so without a table the
// two are never matched.
type contigSet struct {
	names   []string
	idx     map[string]int
	length  []int64
	hasSeq  []bool
	aliases *aliasTable
	mito    bool
}

func newContigSet(aliases *aliasTable, assembly string) *contigSet {
	return &contigSet{idx: map[string]int{}, aliases: aliases, mito: aliases == nil && sameMito(assembly)}
}

// sameMito reports whether UCSC chrM and Ensembl MT are the same sequence
// in the assembly (GRCh38/hg38: both are the rCRS).
func sameMito(assembly string) bool {
	a := strings.ToLower(assembly)
	return strings.HasPrefix(a, "grch38") || strings.HasPrefix(a, "hg38")
}

// chrToggle returns name with the "chr" prefix added or removed.
func chrToggle(name string) string {
	if s, ok := strings.CutPrefix(name, "chr"); ok && s != "" {
		return s
	}
	return "chr" + name
}

// spellings lists the names name may have in other files, best first.
func (c *contigSet) spellings(name string) []string {
	out := []string{chrToggle(name)}
	for _, n := range []string{name, chrToggle(name)} {
		out = append(out, c.aliases.others(n)...)
	}
	if c.mito {
		switch name {
		case "chrM", "M", "MT", "chrMT":
			out = append(out, "chrM", "MT", "M", "chrMT")
		}
	}
	return out
}

// truncate forgets the contigs from n on (a source build that starts
// again must meet its new contigs as new).
func (c *contigSet) truncate(n int) {
	for name, id := range c.idx {
		if id >= n {
			delete(c.idx, name)
		}
	}
	c.names, c.length, c.hasSeq = c.names[:n], c.length[:n], c.hasSeq[:n]
}

// resolve returns the ID of name or of one of its other spellings, adding
// name as a new contig (without sequence) when add is set.
func (c *contigSet) resolve(name string, add bool) (int, bool) {
	if id, ok := c.idx[name]; ok {
		return id, true
	}
	for _, a := range c.spellings(name) {
		if id, ok := c.idx[a]; ok {
			c.idx[name] = id // remember: sources repeat their names
			return id, true
		}
	}
	if !add {
		return 0, false
	}
	id := len(c.names)
	c.idx[name] = id
	c.names = append(c.names, name)
	c.length = append(c.length, 0)
	c.hasSeq = append(c.hasSeq, false)
	return id, true
}

func (c *contigSet) see(id int, end int64) {
	if !c.hasSeq[id] && end > c.length[id] {
		c.length[id] = end
	}
}

// aliasesOf lists the other names of contig id that a user's file may use
// and that the chr rule does not already give: from the alias table, and
// chrM/MT for GRCh38. Names of other contigs are left out.
func (c *contigSet) aliasesOf(id int) []string {
	name := c.names[id]
	var out []string
	for _, a := range c.spellings(name) {
		if a == name || a == chrToggle(name) || containsStr(out, a) {
			continue
		}
		if other, ok := c.idx[a]; ok && other != id {
			continue
		}
		out = append(out, a)
	}
	return out
}
