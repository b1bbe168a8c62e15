package variantdb

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
)

// shuffledSynth is a synthetic result of n records with its data lines in
// random order (so the position order is not the file order), a few
// frequencies removed (NULL keys) and a few duplicated positions (ties).
func shuffledSynth(t testing.TB, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := synthVCF(&buf, n, 3); err != nil {
		t.Fatal(err)
	}
	var head, lines [][]byte
	for _, l := range bytes.SplitAfter(buf.Bytes(), []byte("\n")) {
		switch {
		case len(l) == 0:
		case l[0] == '#':
			head = append(head, l)
		default:
			lines = append(lines, l)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	rng.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	for i := 0; i+1 < len(lines); i += 7 {
		lines[i+1] = slices.Clone(lines[i]) // same contig, position and keys: ties by rid
	}
	return append(bytes.Join(head, nil), bytes.Join(lines, nil)...)
}

// TestSortOrdersMatchSQL checks that the sort orders computed in memory
// during the load (sortkeys.go) are exactly those of the SQL queries they
// replace, for sorted and unsorted input.
func TestSortOrdersMatchSQL(t *testing.T) {
	var sorted bytes.Buffer
	if err := synthVCF(&sorted, 3000, 4); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string][]byte{"sorted": sorted.Bytes(), "shuffled": shuffledSynth(t, 3000)} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.sqlite")
			if _, err := Build(context.Background(), bytes.NewReader(src), path, BuildOptions{}); err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var n int64
			if err := db.QueryRow(`SELECT count(*) FROM rec`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			for key, q := range sortQueries {
				col, err := readColumn(context.Background(), db, "sort:"+key, 4, n)
				if err != nil {
					t.Fatal(err)
				}
				var want []uint32
				rows, err := db.Query(q)
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var rid uint32
					if err := rows.Scan(&rid); err != nil {
						t.Fatal(err)
					}
					want = append(want, rid)
				}
				rows.Close()
				for i, rid := range want {
					if got := binary.LittleEndian.Uint32(col[4*i:]); got != rid {
						t.Fatalf("sort %s: place %d has rid %d, SQL gives %d", key, i, got, rid)
					}
				}
			}
		})
	}
}

// TestSortKeysFallBack: past maxMemSortRecords the keys are dropped (the
// build then sorts in SQL).
func TestSortKeysFallBack(t *testing.T) {
	k := newSortKeys()
	k.chrom = make([]int32, maxMemSortRecords)
	if k.add(1, 1, 0, 0, "") {
		t.Fatal("add past the limit kept the keys")
	}
	if k.chrom != nil || k.genes != nil {
		t.Fatal("keys not freed")
	}
}
