package variantdb

import (
	"strings"

	"github.com/gas-project/gas/vcf"
)

// These suffixes are how the annotate engine describes the INFO fields it
// adds (annotate/reference.go knownHeader, annotate/pipeline.go addHeader).
// The annotated VCF is the only input, so its header is where the known-
// variant and track fields are recognised.
const (
	knownDescSuffix = "(one value per ALT allele; . when the allele matches no known variant)"
	trackDescPrefix = "Names of the "
	trackDescSuffix = " track intervals overlapping the REF allele"
)

// fields lists what the header says about the engine's INFO fields.
type fields struct {
	known  []string // known-variant keys (Number=A), in header order
	floats map[string]bool
	tracks []string // track keys
	freq   string   // the known field used as "the" frequency, "" if none
	hasANN bool
	srcs   []SourceField // the known-variant (source) fields in header order
}

// SourceField is one annotation-source field of the result: an INFO key
// NAME_FIELD with one value per ALT allele (annotate/reference.go).
type SourceField struct {
	Key         string // INFO key, e.g. clinvar_CLNSIG
	Source      string // source name, e.g. clinvar ("" when the header does not say)
	Type        string // Float, Integer, String, Flag
	Description string // the header's description without the engine's suffix
	// Sig marks a clinical-significance field (…CLIN_SIG, …CLNSIG): its
	// values are a filter's choices.
	Sig bool
}

// Numeric says the field's values are numbers (a frequency or score): it
// can be a "maximum" filter.
func (f SourceField) Numeric() bool { return f.Type == "Float" || f.Type == "Integer" }

// isSigKey recognises ClinVar clinical-significance keys by name, the way
// dbSNP (CLIN_SIG) and ClinVar (CLNSIG) VCFs name them.
func isSigKey(key string) bool {
	u := strings.ToUpper(key)
	return strings.HasSuffix(u, "CLIN_SIG") || strings.HasSuffix(u, "CLNSIG")
}

func headerFields(h *vcf.Header, freq string) (fields, error) {
	f := fields{floats: map[string]bool{}}
	for _, line := range h.Meta() {
		if !strings.HasPrefix(line, "##INFO=<") {
			continue
		}
		id, desc, typ := infoAttr(line, "ID"), infoAttr(line, "Description"), infoAttr(line, "Type")
		switch {
		case id == "ANN":
			f.hasANN = true
		case strings.HasSuffix(desc, knownDescSuffix):
			f.known = append(f.known, id)
			if typ == "Float" {
				f.floats[id] = true
			}
			d := strings.TrimSpace(strings.TrimSuffix(desc, knownDescSuffix))
			sf := SourceField{Key: id, Type: typ, Sig: isSigKey(id)}
			if i := strings.LastIndex(d, "[source "); i >= 0 && strings.HasSuffix(d, "]") {
				sf.Source = d[i+len("[source ") : len(d)-1]
				d = strings.TrimSpace(d[:i])
			}
			sf.Description = d
			f.srcs = append(f.srcs, sf)
		case strings.HasPrefix(desc, trackDescPrefix) && strings.HasSuffix(desc, trackDescSuffix):
			f.tracks = append(f.tracks, id)
		}
	}
	if freq != "" {
		if !f.floats[freq] {
			return f, &InputError{Msg: "frequency field " + freq + " is not a Float known-variant field of this result (have: " + strings.Join(f.known, ", ") + ")"}
		}
		f.freq = freq
		return f, nil
	}
	f.freq = pickFreq(f)
	return f, nil
}

// pickFreq prefers an overall allele frequency: AF, then gnomAD-style
// overall fields, then MAF (the 1000 Genomes global minor allele
// frequency), then the first Float field whose name ends in AF.
func pickFreq(f fields) string {
	for _, k := range []string{"AF", "gnomAD_AF", "gnomADg_AF", "gnomADe_AF", "MAF"} {
		if f.floats[k] {
			return k
		}
	}
	for _, k := range f.known {
		if f.floats[k] && strings.HasSuffix(strings.ToUpper(k), "AF") {
			return k
		}
	}
	return ""
}

// infoAttr returns one attribute of a structured ##INFO=<...> line, with
// quotes removed; "" when absent.
func infoAttr(line, key string) string {
	body := strings.TrimSuffix(line[strings.IndexByte(line, '<')+1:], ">")
	for body != "" {
		eq := strings.IndexByte(body, '=')
		if eq < 0 {
			return ""
		}
		k := body[:eq]
		body = body[eq+1:]
		var v string
		if strings.HasPrefix(body, `"`) {
			end := strings.IndexByte(body[1:], '"')
			if end < 0 {
				v, body = body[1:], ""
			} else {
				v, body = body[1:end+1], strings.TrimPrefix(body[end+2:], ",")
			}
		} else if c := strings.IndexByte(body, ','); c >= 0 {
			v, body = body[:c], body[c+1:]
		} else {
			v, body = body, ""
		}
		if k == key {
			return v
		}
	}
	return ""
}
