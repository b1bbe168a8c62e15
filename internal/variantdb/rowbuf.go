package variantdb

import (
	"encoding/binary"
	"fmt"
	"math"
)

// rowBuf holds one row's values as tagged bytes: a tag, then 8 bytes for an
// integer or a float, or a 4-byte length and the bytes for a text. The
// loader makes ~2.7 rows per record; as []any each row cost a slice, a box
// per string or large integer and a copy of every string, about a third of
// the loader's time in allocation. Tagged bytes are appended to a reused
// buffer, copied once into the writer's batch and encoded from there.
type rowBuf struct{ b []byte }

const (
	tagNull byte = iota
	tagInt
	tagFloat
	tagText
)

func (r *rowBuf) reset() { r.b = r.b[:0] }

func (r *rowBuf) null() { r.b = append(r.b, tagNull) }

func (r *rowBuf) int(v int64) {
	r.b = binary.LittleEndian.AppendUint64(append(r.b, tagInt), uint64(v))
}

// float stores v; NaN is NULL, as SQLite stores it.
func (r *rowBuf) float(v float64) {
	if math.IsNaN(v) {
		r.null()
		return
	}
	r.b = binary.LittleEndian.AppendUint64(append(r.b, tagFloat), math.Float64bits(v))
}

func (r *rowBuf) text(s []byte) {
	r.b = binary.LittleEndian.AppendUint32(append(r.b, tagText), uint32(len(s)))
	r.b = append(r.b, s...)
}

func (r *rowBuf) str(s string) {
	r.b = binary.LittleEndian.AppendUint32(append(r.b, tagText), uint32(len(s)))
	r.b = append(r.b, s...)
}

// unescaped stores unescape(s) without making the string.
func (r *rowBuf) unescaped(s []byte) {
	at := len(r.b) + 1
	r.b = append(r.b, tagText, 0, 0, 0, 0)
	r.b = appendUnescape(r.b, s)
	binary.LittleEndian.PutUint32(r.b[at:], uint32(len(r.b)-at-4))
}

// rowValue is one decoded value of a rowBuf: its tag, an integer or the
// bits of a float, or the text.
type rowValue struct {
	tag  byte
	n    int64
	text []byte
}

// nextValue decodes the value at the start of row and returns the rest.
func nextValue(row []byte) (rowValue, []byte, error) {
	if len(row) == 0 {
		return rowValue{}, nil, fmt.Errorf("empty row")
	}
	switch tag := row[0]; tag {
	case tagNull:
		return rowValue{}, row[1:], nil
	case tagInt, tagFloat:
		if len(row) < 9 {
			return rowValue{}, nil, fmt.Errorf("short value")
		}
		return rowValue{tag: tag, n: int64(binary.LittleEndian.Uint64(row[1:]))}, row[9:], nil
	case tagText:
		if len(row) < 5 {
			return rowValue{}, nil, fmt.Errorf("short value")
		}
		n := int(binary.LittleEndian.Uint32(row[1:]))
		if len(row) < 5+n {
			return rowValue{}, nil, fmt.Errorf("short text")
		}
		return rowValue{tag: tag, text: row[5 : 5+n]}, row[5+n:], nil
	default:
		return rowValue{}, nil, fmt.Errorf("bad tag %d", tag)
	}
}

// serialType is the value's serial type in the record format.
func (v *rowValue) serialType() uint64 {
	switch v.tag {
	case tagInt:
		return intSerialType(v.n)
	case tagFloat:
		return 7
	case tagText:
		return uint64(len(v.text))*2 + 13
	}
	return 0
}

func (v *rowValue) appendTo(b []byte, st uint64) []byte {
	switch v.tag {
	case tagInt:
		return appendInt(b, v.n, st)
	case tagFloat:
		return binary.BigEndian.AppendUint64(b, uint64(v.n))
	case tagText:
		return append(b, v.text...)
	}
	return b
}

// decodeRow returns the row's values as database/sql arguments (the
// INSERT path the tests compare with).
func decodeRow(row []byte, vals []any) ([]any, error) {
	for len(row) > 0 {
		v, rest, err := nextValue(row)
		if err != nil {
			return nil, err
		}
		row = rest
		switch v.tag {
		case tagNull:
			vals = append(vals, nil)
		case tagInt:
			vals = append(vals, v.n)
		case tagFloat:
			vals = append(vals, math.Float64frombits(uint64(v.n)))
		case tagText:
			vals = append(vals, string(v.text))
		}
	}
	return vals, nil
}

// rowScratch is the decoded values of a row and their serial types,
// reused from row to row (arrays on the stack would be cleared per row).
type rowScratch struct {
	vals  []rowValue
	types []uint64
}

// appendRowRecord is appendRecord for a rowBuf's bytes; it returns the
// first value (the rowid of a rowid table) too.
func (sc *rowScratch) appendRowRecord(b []byte, row []byte, cols int, nullFirst bool) ([]byte, int64, error) {
	if len(sc.vals) < cols {
		sc.vals, sc.types = make([]rowValue, cols), make([]uint64, cols)
	}
	vals, types := sc.vals[:cols], sc.types[:cols]
	n, hdr := 0, 0
	for len(row) > 0 {
		if n == cols {
			return nil, 0, fmt.Errorf("more than %d values", cols)
		}
		v, rest, err := nextValue(row)
		if err != nil {
			return nil, 0, fmt.Errorf("column %d: %w", n+1, err)
		}
		row = rest
		vals[n] = v
		types[n] = 0
		if n > 0 || !nullFirst {
			types[n] = v.serialType()
		}
		hdr += varintLen(types[n])
		n++
	}
	if n != cols {
		return nil, 0, fmt.Errorf("%d values for %d columns", n, cols)
	}
	l := 1
	for varintLen(uint64(hdr+l)) > l {
		l++
	}
	b = appendVarint(b, uint64(hdr+l))
	for _, st := range types[:n] {
		b = appendVarint(b, st)
	}
	for i := range vals[:n] {
		if types[i] != 0 {
			b = vals[i].appendTo(b, types[i])
		}
	}
	var first int64
	if n > 0 && vals[0].tag == tagInt {
		first = vals[0].n
	} else if nullFirst {
		return nil, 0, fmt.Errorf("rowid is not an integer")
	}
	return b, first, nil
}
