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
	KnownInfo() []string
	LookupKnown(contig, pos int, ref, alt []byte) (id []byte, info []byte, ok bool)
	Tracks() []string
	TrackHits(track, contig, start, end int, dst [][]byte) [][]byte
}

// bundleMeta is the descriptive part of a bundle written to the header and
// the summary.
type bundleMeta struct {
	Name, Assembly, Checksum string
	ContigLengths            map[string]int64
	Transcripts              int      // number of transcripts, to size the model cache; 0 if unknown
	KnownHeaders             []string // ##INFO lines of the known-variants source
}

// knownHeader declares a known-variant INFO field. The engine writes one
// value per ALT allele ('.' when an allele matches nothing), so Number is
// always A; the source's Type is kept when its values were single per allele
// (Number A or 1), otherwise they may hold escaped lists and become String.
func knownHeader(key string, sources []string, bundle string) string {
	typ, desc := "String", "Known variant field "+key+" from bundle "+headerText(bundle)
	for _, h := range sources {
		fields, ok := structuredFields(h)
		if !ok || fields["ID"] != key {
			continue
		}
		if n := fields["Number"]; n == "A" || n == "1" {
			switch t := fields["Type"]; t {
			case "Integer", "Float", "Character", "String":
				typ = t
			}
		}
		if d := fields["Description"]; d != "" {
			desc = d
		}
	}
	desc = strings.ReplaceAll(desc, `"`, "'")
	return `##INFO=<ID=` + key + `,Number=A,Type=` + typ + `,Description="` + desc + ` (one value per ALT allele; . when the allele matches no known variant)">`
}

// structuredFields splits "##INFO=<ID=X,Number=1,...,Description="...">"
// into its fields.
func structuredFields(line string) (map[string]string, bool) {
	i := strings.IndexByte(line, '<')
	if i < 0 || !strings.HasSuffix(line, ">") {
		return nil, false
	}
	body := line[i+1 : len(line)-1]
	out := map[string]string{}
	for len(body) > 0 {
		eq := strings.IndexByte(body, '=')
		if eq < 0 {
			break
		}
		k := body[:eq]
		body = body[eq+1:]
		var v string
		if strings.HasPrefix(body, `"`) {
			end := strings.IndexByte(body[1:], '"')
			if end < 0 {
				v, body = body[1:], ""
			} else {
				v, body = body[1:end+1], body[end+2:]
			}
		} else if c := strings.IndexByte(body, ','); c >= 0 {
			v, body = body[:c], body[c:]
		} else {
			v, body = body, ""
		}
		out[k] = v
		body = strings.TrimPrefix(body, ",")
	}
	return out, true
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
