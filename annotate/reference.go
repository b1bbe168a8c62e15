package annotate

import (
	"strings"
	"sync/atomic"

	"github.com/gas-project/gas/refdata"
)

// reference is what the engine asks of a reference bundle. *refdata.Bundle
// provides it; tests use small in-memory references.
type reference interface {
	Contigs() []string
	ContigID(name []byte) (int, bool)
	Overlapping(contig, start, end int, dst []*refdata.Transcript) []*refdata.Transcript
	HasSequence(contig int) bool
	Seq(contig, start, end int) ([]byte, error)
	// Sources describes the annotation sources; Lookup finds a normalised
	// allele in source src, filling h (see refdata.Bundle.Lookup).
	Sources() []refdata.SourceInfo
	Lookup(src int, cur *refdata.Cursor, contig int, a *refdata.Allele, h *refdata.Hit) bool
	Tracks() []string
	TrackHits(track, contig, start, end int, dst [][]byte) [][]byte
}

// bundleMeta is the descriptive part of a bundle written to the header and
// the summary.
type bundleMeta struct {
	Name, Assembly, Checksum string
	Description              string // what the bundle covers, one line
	ContigLengths            map[string]int64
	Transcripts              int // number of transcripts, to size the model cache; 0 if unknown
	// Coverage is, per contig ID, where the bundle has gene models; nil
	// when unknown (test references), which counts everything as covered.
	Coverage []contigCover
}

// contigCover is the covered span of one contig (genes false: none).
type contigCover struct {
	genes      bool
	start, end int64
}

// sourceDescSuffix ends the description of every source field; the variant
// browser (internal/variantdb) recognises source fields by it.
const sourceDescSuffix = "(one value per ALT allele; . when the allele matches no known variant)"

// sourceFieldHeader declares one source field. The engine writes one value
// per ALT allele ('.' when the allele is not in the source or has no value),
// so Number is always A; the source's Type is kept when its values are
// single per allele, otherwise they may hold escaped lists and are Strings.
func sourceFieldHeader(src refdata.SourceInfo, f refdata.FieldInfo) string {
	desc := f.Description
	if desc == "" {
		desc = "Field " + f.Name
	}
	desc = strings.NewReplacer(`"`, "'", `\`, "/", "\n", " ", "\r", " ").Replace(desc)
	return `##INFO=<ID=` + f.Key + `,Number=A,Type=` + f.OutputType() + `,Description="` + desc +
		` [source ` + src.Name + `] ` + sourceDescSuffix + `">`
}

// sourceHeader records a source's name, kind, version and input checksum.
func sourceHeader(src refdata.SourceInfo) string {
	line := `##gas_source=<ID=` + src.Name + `,Kind=` + src.Kind
	if src.Version != "" {
		line += `,Version="` + quoted(src.Version) + `"`
	}
	if src.File != "" {
		line += `,File="` + quoted(src.File) + `"`
	}
	if src.SHA256 != "" {
		line += `,SHA256=` + headerText(src.SHA256)
	}
	if src.ID {
		line += `,IDColumn=yes`
	}
	return line + ">"
}

// quoted keeps a value safe inside a quoted header value.
func quoted(s string) string {
	return strings.NewReplacer(`"`, "'", `\`, "/", "\n", " ", "\r", " ", ">", ")").Replace(s)
}

// contigSeq adapts one contig of a reference to seqSource.
type contigSeq struct {
	ref    reference
	contig int
}

func (c contigSeq) Seq(start, end int) ([]byte, error) { return c.ref.Seq(c.contig, start, end) }

// modelCache holds the derived model of every transcript, built on first use
// and shared by the workers without locks (a lost race builds a model twice,
// which is harmless).
type modelCache struct {
	slots []atomic.Pointer[txModel]
}

func newModelCache(n int) *modelCache {
	return &modelCache{slots: make([]atomic.Pointer[txModel], n)}
}

func (c *modelCache) get(t *refdata.Transcript) *txModel {
	if t.Index < 0 || t.Index >= len(c.slots) {
		return newTxModel(t)
	}
	s := &c.slots[t.Index]
	if m := s.Load(); m != nil && m.t == t {
		return m
	}
	m := newTxModel(t)
	s.Store(m)
	return m
}
