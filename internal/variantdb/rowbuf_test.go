package variantdb

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// TestRowBufRecord checks that a row made in rowBuf form encodes to the
// same record bytes as the same values given as []any (appendRecord, the
// encoder TestBulkTables checks against SQLite), and decodes back to them.
func TestRowBufRecord(t *testing.T) {
	long := strings.Repeat("x", 300)
	var r rowBuf
	r.int(1 << 40) // the rowid
	want := []any{int64(1 << 40)}
	for _, n := range []int64{0, 1, -1, 127, -128, 300, -40000, 1 << 20, 1 << 30, -1 << 40, math.MaxInt64, math.MinInt64} {
		r.int(n)
		want = append(want, n)
	}
	r.float(0.25)
	r.float(math.NaN()) // NULL, as SQLite stores NaN
	r.null()
	r.str("")
	r.str(long)
	r.text([]byte("a\tb"))
	r.unescaped([]byte("p.Arg%2CGly%7Cx%zz%4"))
	want = append(want, 0.25, nil, nil, "", long, "a\tb", "p.Arg,Gly|x%zz%4")
	for _, nullFirst := range []bool{true, false} {
		got, rowid, err := new(rowScratch).appendRowRecord(nil, r.b, len(want), nullFirst)
		if err != nil {
			t.Fatal(err)
		}
		exp, err := appendRecord(nil, want, nullFirst)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, exp) {
			t.Errorf("nullFirst=%v: record\n%x, want\n%x", nullFirst, got, exp)
		}
		if rowid != 1<<40 {
			t.Errorf("rowid %d", rowid)
		}
	}
	vals, err := decodeRow(r.b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != len(want) {
		t.Fatalf("decoded %d values, want %d", len(vals), len(want))
	}
	for i := range want {
		if vals[i] != want[i] {
			t.Errorf("value %d: %#v, want %#v", i, vals[i], want[i])
		}
	}
	// A wrong column count and a cut row are errors, not a bad record.
	if _, _, err := new(rowScratch).appendRowRecord(nil, r.b, len(want)+1, true); err == nil {
		t.Error("one value short: no error")
	}
	if _, _, err := new(rowScratch).appendRowRecord(nil, r.b, len(want)-1, true); err == nil {
		t.Error("one value too many: no error")
	}
	if _, _, err := new(rowScratch).appendRowRecord(nil, r.b[:len(r.b)-1], len(want), true); err == nil {
		t.Error("cut row: no error")
	}
	if _, err := decodeRow(r.b[:len(r.b)-1], nil); err == nil {
		t.Error("decodeRow of a cut row: no error")
	}
}
