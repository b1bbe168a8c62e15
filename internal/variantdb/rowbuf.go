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

// rowScratch holds the serial types of a row's values, reused from row to
// row (an array on the stack would be cleared per row).
type rowScratch struct {
	types []uint64
}

// appendRowRecord is appendRecord for a rowBuf's bytes; it returns the
// first value (the rowid of a rowid table) too.
func (sc *rowScratch) appendRowRecord(b []byte, row []byte, cols int, nullFirst bool) ([]byte, int64, error) {
	if len(sc.types) < cols {
		sc.types = make([]uint64, cols)
	}
	types := sc.types[:cols]
	n, hdr, p := 0, 0, 0
	var first int64
	for p < len(row) {
		if n == cols {
			return nil, 0, fmt.Errorf("more than %d values", cols)
		}
		var st uint64
		switch row[p] {
		case tagNull:
			p++
		case tagInt, tagFloat:
			if len(row)-p < 9 {
				return nil, 0, fmt.Errorf("column %d: short value", n+1)
			}
			if row[p] == tagFloat {
				st = 7
			} else {
				v := int64(binary.LittleEndian.Uint64(row[p+1:]))
				if n == 0 {
					first = v
				}
				st = intSerialType(v)
			}
			p += 9
		case tagText:
			if len(row)-p < 5 {
				return nil, 0, fmt.Errorf("column %d: short value", n+1)
			}
			l := int(binary.LittleEndian.Uint32(row[p+1:]))
			if len(row)-p-5 < l {
				return nil, 0, fmt.Errorf("column %d: short text", n+1)
			}
			st = uint64(l)*2 + 13
			p += 5 + l
		default:
			return nil, 0, fmt.Errorf("column %d: bad tag %d", n+1, row[p])
		}
		if n == 0 && nullFirst {
			if row[0] != tagInt {
				return nil, 0, fmt.Errorf("rowid is not an integer")
			}
			st = 0
		}
		types[n] = st
		hdr += varintLen(st)
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
	for _, st := range types {
		b = appendVarint(b, st)
	}
	// The bodies, walking the row again.
	p = 0
	for _, st := range types {
		tag := row[p]
		switch tag {
		case tagNull:
			p++
		case tagInt:
			b = appendInt(b, int64(binary.LittleEndian.Uint64(row[p+1:])), st)
			p += 9
		case tagFloat:
			if st != 0 {
				b = binary.BigEndian.AppendUint64(b, binary.LittleEndian.Uint64(row[p+1:]))
			}
			p += 9
		case tagText:
			l := int(binary.LittleEndian.Uint32(row[p+1:]))
			b = append(b, row[p+5:p+5+l]...)
			p += 5 + l
		}
	}
	return b, first, nil
}
