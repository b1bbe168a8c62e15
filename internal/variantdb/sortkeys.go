package variantdb

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
)

// The sort orders (columns "sort:KEY", see columns.go) used to come from
// SQL ORDER BY queries over rec after the load: a fifth of a 1M-record
// build went into SQLite's sorter and into scanning a million rids back
// through database/sql. The loader now keeps each record's sort keys in
// memory (25 bytes per record) and sorts them in Go. Above
// maxMemSortRecords the keys are dropped and the SQL queries, which sort
// with bounded memory, are used as before.

// maxMemSortRecords bounds the in-memory sort keys to about 200 MiB.
const maxMemSortRecords = 8 << 20

// sortKeys are the per-record keys of the sort orders, in rid order.
type sortKeys struct {
	chrom  []int32
	pos    []int64
	impact []int8
	freq   []float64 // NaN: no frequency (NULL in rec.freq, first when ascending)
	gene   []uint32  // index into genes
	genes  []string  // distinct values of rec.gene, in first-seen order
	geneAt map[string]uint32
}

func newSortKeys() *sortKeys { return &sortKeys{geneAt: map[string]uint32{}} }

// add appends one record's keys; it returns false (and frees the keys)
// once the records are too many to sort in memory.
func (k *sortKeys) add(chrom, pos int64, impact int, freq float64, gene string) bool {
	if len(k.chrom) >= maxMemSortRecords {
		*k = sortKeys{}
		return false
	}
	g, ok := k.geneAt[gene]
	if !ok {
		g = uint32(len(k.genes))
		k.geneAt[gene] = g
		k.genes = append(k.genes, gene)
	}
	k.chrom = append(k.chrom, int32(chrom))
	k.pos = append(k.pos, pos)
	k.impact = append(k.impact, int8(impact))
	k.freq = append(k.freq, freq)
	k.gene = append(k.gene, g)
	return true
}

// orders returns each sort key's ascending record order (rids), with the
// same ties as the SQL queries of sortQueries: by contig, position, rid.
// sorted says the records came in position order already.
func (k *sortKeys) orders(sorted bool) map[string][]uint32 {
	n := len(k.chrom)
	byPos := make([]uint32, n)
	for i := range byPos {
		byPos[i] = uint32(i)
	}
	if !sorted {
		slices.SortFunc(byPos, func(a, b uint32) int {
			if c := cmp.Compare(k.chrom[a], k.chrom[b]); c != 0 {
				return c
			}
			if c := cmp.Compare(k.pos[a], k.pos[b]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
	}
	// rank[i] is record i's place in the position order: every other
	// order is (key, rank), packed into one integer where the key fits.
	rank := make([]uint32, n)
	for r, i := range byPos {
		rank[i] = uint32(r)
	}
	geneRank := make([]uint32, len(k.genes))
	names := make([]uint32, len(k.genes))
	for i := range names {
		names[i] = uint32(i)
	}
	// Go compares strings byte by byte, as SQLite's BINARY collation does.
	slices.SortFunc(names, func(a, b uint32) int { return cmp.Compare(k.genes[a], k.genes[b]) })
	for r, g := range names {
		geneRank[g] = uint32(r)
	}
	packed := make([]uint64, n)
	byKey := func(key func(i int) uint32) []uint32 {
		for i := range packed {
			packed[i] = uint64(key(i))<<32 | uint64(rank[i])
		}
		slices.Sort(packed)
		out := make([]uint32, n)
		for j, p := range packed {
			out[j] = byPos[uint32(p)] + 1
		}
		return out
	}
	out := map[string][]uint32{
		SortGene:   byKey(func(i int) uint32 { return geneRank[k.gene[i]] }),
		SortImpact: byKey(func(i int) uint32 { return uint32(int32(k.impact[i]) + 1) }),
	}
	// Frequencies order as numbers, NULL (NaN here) first; ties by rank.
	byFreq := make([]uint32, n)
	copy(byFreq, byPos)
	slices.SortStableFunc(byFreq, func(a, b uint32) int {
		fa, fb := k.freq[a], k.freq[b]
		switch na, nb := math.IsNaN(fa), math.IsNaN(fb); {
		case na && nb:
			return 0
		case na:
			return -1
		case nb:
			return 1
		}
		return cmp.Compare(fa, fb)
	})
	for j := range byPos {
		byPos[j]++
		byFreq[j]++
	}
	out[SortPos] = byPos
	out[SortFreq] = byFreq
	return out
}

// writeSortsMem stores the orders computed from the in-memory keys, and
// the gene pairs as writeSorts does: from pairs when the loader kept them
// in memory, else from rec_gene.
func writeSortsMem(ctx context.Context, db *sql.DB, orders map[string][]uint32, pairs []genePair, pairsInMem bool) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("variantdb: begin: %w", err)
	}
	defer tx.Rollback()
	for _, key := range []string{SortPos, SortGene, SortImpact, SortFreq} {
		c := &colWriter{name: "sort:" + key, width: 4}
		for _, rid := range orders[key] {
			if err := c.put(tx, uint64(rid)); err != nil {
				return fmt.Errorf("variantdb: sort by %s: %w", key, err)
			}
		}
		if err := c.flush(tx); err != nil {
			return fmt.Errorf("variantdb: sort by %s: %w", key, err)
		}
	}
	if pairsInMem {
		err = writeGenePairsMem(ctx, tx, pairs)
	} else {
		err = writeGenePairs(ctx, tx)
	}
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("variantdb: commit sort orders: %w", err)
	}
	return nil
}
