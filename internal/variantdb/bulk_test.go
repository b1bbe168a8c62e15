package variantdb

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// bulkRow is row i of the bulk-loader test table: every serial type
// (NULL, 0, 1, integers of 1 to 8 bytes, negative ones, floats, NaN, text
// and blobs), and every 97th row a text long enough to need overflow pages
// (a chain of several on small pages).
func bulkRow(i int) []any {
	ints := []int64{0, 1, -1, 127, -128, 300, -32768, 70000, -8388608, 1 << 30, -1 << 40, 1 << 50, math.MinInt64, math.MaxInt64}
	var text any = fmt.Sprintf("row %d é", i)
	if i%97 == 0 {
		text = strings.Repeat(fmt.Sprintf("long %d|", i), 40+i%300)
	}
	var f any = float64(i) / 7
	switch i % 11 {
	case 3:
		f = math.NaN() // stored as NULL
	case 5:
		f = nil
	}
	return []any{int64(3*i + 1), ints[i%len(ints)], f, text, []byte{byte(i), 0, byte(i >> 8)}, int(i % 3)}
}

// indexRow is row i of the WITHOUT ROWID test table, in key order.
func indexRow(i int) []any {
	var x any = int64(i) << 20
	if i%5 == 0 {
		x = fmt.Sprintf("v%d", i)
	}
	return []any{int64(i / 7), int64(i%7)*1000 + 3, int64(i % 4), x}
}

// TestBulkTables loads tables with the bulk loader on small pages (so the
// trees have several interior levels) and checks that SQLite finds the
// file sound (integrity_check) and reads every row back as written, for
// an empty table, a one-row table and a 30,000-row one, rowid and
// WITHOUT ROWID.
func TestBulkTables(t *testing.T) {
	for _, pageSize := range []int{512, 8192} {
		t.Run(fmt.Sprint(pageSize), func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "b.sqlite")
			db, err := sql.Open("sqlite", "file:"+path+fmt.Sprintf("?_pragma=page_size(%d)&_pragma=journal_mode(OFF)", pageSize))
			if err != nil {
				t.Fatal(err)
			}
			db.SetMaxOpenConns(1)
			for _, name := range []string{"empty", "one", "big"} {
				if _, err := db.Exec(`CREATE TABLE ` + name + ` (k INTEGER PRIMARY KEY, i INTEGER, f REAL, s TEXT, b BLOB, n INTEGER NOT NULL)`); err != nil {
					t.Fatal(err)
				}
			}
			for _, name := range []string{"iempty", "ione", "ibig"} {
				if _, err := db.Exec(`CREATE TABLE ` + name + ` (g INTEGER NOT NULL, r INTEGER NOT NULL, i INTEGER NOT NULL, x, PRIMARY KEY (g, r)) WITHOUT ROWID`); err != nil {
					t.Fatal(err)
				}
			}
			bt, roots, err := startBulk(ctx, db, t.TempDir(), "empty", "one", "big", "iempty", "ione", "ibig")
			if err != nil {
				t.Fatal(err)
			}
			defer bt.discard()
			// SQLite keeps writing other tables while the bulk ones load.
			if _, err := db.Exec(`CREATE TABLE side (x); INSERT INTO side VALUES (randomblob(5000)), (2)`); err != nil {
				t.Fatal(err)
			}
			if err := bt.table("one").add(bulkRow(0)...); err != nil {
				t.Fatal(err)
			}
			const n = 30000
			for i := 0; i < n; i++ {
				if err := bt.table("big").add(bulkRow(i)...); err != nil {
					t.Fatal(err)
				}
			}
			if err := bt.index("ione").add(indexRow(0)...); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < n; i++ {
				if err := bt.index("ibig").add(indexRow(i)...); err != nil {
					t.Fatal(err)
				}
			}
			if err := bt.index("ibig").add(int64(1)); err == nil {
				t.Fatal("an index row with too few values was accepted")
			}
			if err := bt.table("big").add(bulkRow(5)...); err == nil {
				t.Fatal("a rowid out of order was accepted")
			}
			if err := bt.table("big").add(int64(1 << 40)); err == nil {
				t.Fatal("a row with too few values was accepted")
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if err := bt.install(path, roots); err != nil {
				t.Fatal(err)
			}
			levels, ilevels := len(bt.table("big").levels), len(bt.index("ibig").levels)
			if pageSize == 512 && (levels < 2 || ilevels < 2) {
				t.Fatalf("big has %d interior levels and ibig %d on 512-byte pages, want several", levels, ilevels)
			}

			db, err = sql.Open("sqlite", "file:"+path+"?mode=ro")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var check string
			if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
				t.Fatalf("integrity_check: %q, %v", check, err)
			}
			for name, want := range map[string]int{"empty": 0, "one": 1, "big": n} {
				rows, err := db.Query(`SELECT k, i, f, s, b, n FROM ` + name + ` ORDER BY k`)
				if err != nil {
					t.Fatal(err)
				}
				got := 0
				for rows.Next() {
					var k, i, nn int64
					var f sql.NullFloat64
					var s string
					var b []byte
					if err := rows.Scan(&k, &i, &f, &s, &b, &nn); err != nil {
						t.Fatal(err)
					}
					w := bulkRow(got)
					wf, isF := w[2].(float64)
					if isF && math.IsNaN(wf) {
						isF = false
					}
					if k != w[0].(int64) || i != w[1].(int64) || s != w[3].(string) || !bytes.Equal(b, w[4].([]byte)) ||
						nn != int64(w[5].(int)) || f.Valid != isF || isF && f.Float64 != wf {
						t.Fatalf("%s row %d: got %v %v %v %q %v %v, want %v", name, got, k, i, f, s, b, nn, w)
					}
					got++
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				rows.Close()
				if got != want {
					t.Fatalf("%s has %d rows, want %d", name, got, want)
				}
			}
			for name, want := range map[string]int{"iempty": 0, "ione": 1, "ibig": n} {
				rows, err := db.Query(`SELECT g, r, i, x FROM ` + name + ` ORDER BY g, r`)
				if err != nil {
					t.Fatal(err)
				}
				got := 0
				for rows.Next() {
					var g, r, i int64
					var x any
					if err := rows.Scan(&g, &r, &i, &x); err != nil {
						t.Fatal(err)
					}
					w := indexRow(got)
					if g != w[0].(int64) || r != w[1].(int64) || i != w[2].(int64) || fmt.Sprint(x) != fmt.Sprint(w[3]) {
						t.Fatalf("%s row %d: got %v %v %v %v, want %v", name, got, g, r, i, x, w)
					}
					got++
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				rows.Close()
				if got != want {
					t.Fatalf("%s has %d rows, want %d", name, got, want)
				}
			}
			var r int64
			if err := db.QueryRow(`SELECT r FROM ibig WHERE g = ? AND r = ?`, indexRow(23456)[0], indexRow(23456)[1]).Scan(&r); err != nil || r != indexRow(23456)[1] {
				t.Fatalf("index lookup: %v, %v", r, err)
			}
			// Lookups by key go through the interior pages.
			var s string
			if err := db.QueryRow(`SELECT s FROM big WHERE k = ?`, 3*12345+1).Scan(&s); err != nil || s != bulkRow(12345)[3] {
				t.Fatalf("lookup: %q, %v", s, err)
			}
			var side int
			if err := db.QueryRow(`SELECT count(*) FROM side`).Scan(&side); err != nil || side != 2 {
				t.Fatalf("side table: %d, %v", side, err)
			}
		})
	}
}

// TestBulkBuildSameAsInserts builds one result with the bulk loader (gene
// pairs in memory, or spilled to SQL part-way) and with INSERTs and
// compares every row of the tables that hold records, gene pairs and
// columns; the bulk files pass integrity_check.
func TestBulkBuildSameAsInserts(t *testing.T) {
	src := shuffledSynth(t, 4000)
	// A record with an INFO field far larger than a page: overflow pages.
	lines := bytes.SplitAfter(src, []byte("\n"))
	for i, l := range lines {
		if len(l) > 0 && l[0] != '#' {
			lines[i] = bytes.Replace(l, []byte("\tPASS\t"), []byte("\tPASS\tNOTE="+strings.Repeat("x", 30000)+";"), 1)
			break
		}
	}
	src = bytes.Join(lines, nil)
	dump := func(path string) map[string][]string {
		db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var check string
		if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
			t.Fatalf("integrity_check: %q, %v", check, err)
		}
		out := map[string][]string{}
		for _, table := range []string{"rec", "ann", "tx", "gene", "rec_gene", "col", "meta"} {
			rows, err := db.Query(`SELECT * FROM ` + table + ` ORDER BY 1, 2`)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				out[table] = append(out[table], fmt.Sprintf("%#v", vals))
			}
			rows.Close()
		}
		return out
	}
	var dumps []map[string][]string
	// INSERTs; bulk; bulk with the gene pairs spilled to SQL part-way.
	for _, opt := range []BuildOptions{{sqlInserts: true}, {}, {pairsLimit: 1500}} {
		path := filepath.Join(t.TempDir(), "x.sqlite")
		opt.BatchRecords = 1000
		if _, err := Build(context.Background(), bytes.NewReader(src), path, opt); err != nil {
			t.Fatal(err)
		}
		dumps = append(dumps, dump(path))
	}
	if len(dumps[0]["rec"]) != 4000 || len(dumps[0]["ann"]) < 4000 {
		t.Fatalf("%d rec rows, %d ann rows", len(dumps[0]["rec"]), len(dumps[0]["ann"]))
	}
	if len(dumps[0]["rec_gene"]) <= 1500 {
		t.Fatalf("%d gene pairs: too few to spill", len(dumps[0]["rec_gene"]))
	}
	for k, d := range dumps[1:] {
		for table, want := range dumps[0] {
			if got := d[table]; !reflect.DeepEqual(got, want) {
				for i := range want {
					if i >= len(got) || got[i] != want[i] {
						t.Fatalf("build %d: %s row %d: bulk %.300s, inserts %.300s", k+1, table, i, got[min(i, len(got)-1)], want[i])
					}
				}
				t.Fatalf("build %d: %s: bulk has %d rows, inserts %d", k+1, table, len(got), len(want))
			}
		}
	}
}
