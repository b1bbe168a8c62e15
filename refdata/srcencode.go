package refdata

import (
	"encoding/binary"
	"math"
	"strconv"
	"unsafe"
)

// Dictionary limits: string values that repeat (ClinVar significance, a
// gene name) are stored once per field and referenced by number. The caps
// keep a field of unique values (HGVS strings) from growing memory: past
// them, values are stored inline.
const (
	maxDictEntries = 1 << 16
	maxDictBytes   = 64 << 20 // per source, all fields together
)

// fieldEnc is one kept field while building.
type fieldEnc struct {
	info FieldInfo
	kind uint8
	dict map[string]uint32
	list []string
}

// encoder turns one record's values into stored bodies. It keeps the
// per-field dictionaries, which the writer stores at the end.
type encoder struct {
	fields    []fieldEnc
	byName    map[string]int
	hasIDs    bool
	prefix    []byte
	prefixSet bool
	dictBytes int
	report    *SourceReport

	vals   [][]byte // per field: the record's raw value (nil: absent)
	idPart []byte
}

func newEncoder(fields []FieldInfo, hasIDs bool, report *SourceReport) *encoder {
	e := &encoder{byName: map[string]int{}, hasIDs: hasIDs, report: report}
	for i, f := range fields {
		k, _ := storedKind(f.Stored)
		fe := fieldEnc{info: f, kind: k}
		if k == stString {
			fe.dict = map[string]uint32{}
		}
		e.fields = append(e.fields, fe)
		e.byName[f.Name] = i
	}
	e.vals = make([][]byte, len(fields))
	return e
}

func (e *encoder) infos() []FieldInfo {
	out := make([]FieldInfo, len(e.fields))
	for i := range e.fields {
		out[i] = e.fields[i].info
	}
	return out
}

func (e *encoder) dicts() [][]string {
	out := make([][]string, len(e.fields))
	for i := range e.fields {
		out[i] = e.fields[i].list
	}
	return out
}

// resetValues clears the record's values.
func (e *encoder) resetValues() {
	for i := range e.vals {
		e.vals[i] = nil
	}
}

// setID encodes the record's ID once for all its alleles. The first
// numeric-looking ID fixes the source's prefix ("rs" for dbSNP).
func (e *encoder) setID(id []byte) {
	if !e.hasIDs {
		e.idPart = e.idPart[:0]
		return
	}
	if !e.prefixSet && len(id) > 0 && !(len(id) == 1 && id[0] == '.') {
		if p, ok := idPrefixOf(id); ok {
			e.prefix = append([]byte(nil), p...)
			e.prefixSet = true
		}
	}
	e.idPart = appendIDCode(e.idPart[:0], id, e.prefix)
}

// pick returns the value of field f for ALT alt of nalts: Number=A fields
// give that ALT's value, Number=R fields that ALT's (not REF's), all others
// the whole value.
func pick(v []byte, number string, alt, nalts int) []byte {
	if nalts <= 0 {
		return v
	}
	var want, idx int
	switch number {
	case "A":
		want, idx = nalts, alt
	case "R":
		want, idx = nalts+1, alt+1
	default:
		return v
	}
	if want == 1 {
		return v
	}
	n := 0
	start := 0
	for i := 0; i <= len(v); i++ {
		if i == len(v) || v[i] == ',' {
			if n == idx {
				if countByte(v, ',') != want-1 {
					return v // a list of another length: keep it whole
				}
				return v[start:i]
			}
			n++
			start = i + 1
		}
	}
	return v
}

func countByte(b []byte, c byte) int {
	n := 0
	for _, x := range b {
		if x == c {
			n++
		}
	}
	return n
}

// bstr views b as a string without copying, for parsing and map lookups
// that do not keep it.
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func isMissing(v []byte) bool { return len(v) == 0 || len(v) == 1 && v[0] == '.' }

// appendBody builds the stored body of one allele: the ID part, the
// alleles when their code is a hash, a presence bitmap and the present
// values.
func (e *encoder) appendBody(dst []byte, ref, alt []byte, exact bool, alti, nalts int) []byte {
	dst = append(dst, e.idPart...)
	if !exact {
		dst = binary.AppendUvarint(dst, uint64(len(ref)))
		dst = append(dst, ref...)
		dst = binary.AppendUvarint(dst, uint64(len(alt)))
		dst = append(dst, alt...)
	}
	nf := len(e.fields)
	if nf == 0 {
		return dst
	}
	bm := len(dst)
	for i := 0; i < (nf+7)/8; i++ {
		dst = append(dst, 0)
	}
	for f := range e.fields {
		fe := &e.fields[f]
		v := e.vals[f]
		if v == nil {
			continue
		}
		if fe.kind == stFlag {
			dst[bm+f>>3] |= 1 << (f & 7)
			continue
		}
		v = pick(v, fe.info.Number, alti, nalts)
		if isMissing(v) {
			continue
		}
		switch fe.kind {
		case stFloat:
			x, err := strconv.ParseFloat(bstr(v), 32)
			if err != nil {
				e.report.BadValues++
				continue
			}
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(x)))
		case stInt:
			x, err := strconv.ParseInt(bstr(v), 10, 64)
			if err != nil {
				e.report.BadValues++
				continue
			}
			dst = binary.AppendVarint(dst, x)
		default:
			dst = e.appendString(dst, fe, v)
		}
		dst[bm+f>>3] |= 1 << (f & 7)
	}
	return dst
}

func (e *encoder) appendString(dst []byte, fe *fieldEnc, v []byte) []byte {
	if i, ok := fe.dict[bstr(v)]; ok {
		return binary.AppendUvarint(dst, uint64(i)<<1|1)
	}
	if len(fe.list) < maxDictEntries && e.dictBytes+len(v) <= maxDictBytes && len(v) <= 256 {
		i := uint32(len(fe.list))
		s := string(v)
		fe.dict[s] = i
		fe.list = append(fe.list, s)
		e.dictBytes += len(v)
		return binary.AppendUvarint(dst, uint64(i)<<1|1)
	}
	dst = binary.AppendUvarint(dst, uint64(len(v))<<1)
	return append(dst, v...)
}
