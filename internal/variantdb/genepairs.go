package variantdb

import (
	"context"
	"database/sql"
	"fmt"
)

// The (gene, record) pairs of rec_gene used to go through a temporary
// table, sorted by SQLite into rec_gene and read back for the gene-pair
// columns: a quarter of a 1M-record build. With the bulk loader they are
// kept in memory (24 bytes each), put in (gid, rid) order by a counting
// sort on gid (they arrive in rid order), and written to rec_gene's
// B-tree and to the gp:* columns directly. Past maxMemGenePairs, or when
// the sort keys no longer fit in memory, they are spilled to the
// temporary table and the SQL way is taken.

// maxMemGenePairs bounds the pairs kept in memory to about 200 MiB.
const maxMemGenePairs = 8 << 20

type genePair struct {
	gid, rid uint32
	imp      int64
	terms    int64
}

type genePairs struct {
	p      []genePair
	maxGID uint32
	limit  int // most pairs kept
}

func (g *genePairs) add(gid, rid int64, imp int, terms int64) {
	g.p = append(g.p, genePair{uint32(gid), uint32(rid), int64(imp), terms})
	g.maxGID = max(g.maxGID, uint32(gid))
}

// sorted returns the pairs in (gid, rid) order: a stable counting sort
// by gid of pairs that came in rid order.
func (g *genePairs) sorted() []genePair {
	start := make([]int, int(g.maxGID)+2)
	for _, p := range g.p {
		start[p.gid+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	out := make([]genePair, len(g.p))
	for _, p := range g.p {
		out[start[p.gid]] = p
		start[p.gid]++
	}
	return out
}

// spill moves the pairs to the temporary table (the SQL way).
func (g *genePairs) spill(s *sqlDB) error {
	for _, p := range g.p {
		if err := s.gene.add(int64(p.gid), int64(p.rid), p.imp, p.terms); err != nil {
			return fmt.Errorf("variantdb: insert gene: %w", err)
		}
	}
	return nil
}

// writeTree fills rec_gene's bulk tree.
func writeGeneTree(t *indexTree, pairs []genePair) error {
	for _, p := range pairs {
		if err := t.add(int64(p.gid), int64(p.rid), p.imp, p.terms); err != nil {
			return err
		}
	}
	return nil
}

// writeGenePairsMem writes the gp:* columns and the gene_pairs count as
// writeGenePairs does from rec_gene.
func writeGenePairsMem(ctx context.Context, tx *sql.Tx, pairs []genePair) error {
	gid, rid := &colWriter{name: "gp:gid", width: 4}, &colWriter{name: "gp:rid", width: 4}
	imp, terms := &colWriter{name: "gp:imp", width: 1}, &colWriter{name: "gp:terms", width: 8}
	for _, p := range pairs {
		for _, c := range []struct {
			c *colWriter
			v uint64
		}{{gid, uint64(p.gid)}, {rid, uint64(p.rid)}, {imp, uint64(p.imp + 1)}, {terms, uint64(p.terms)}} {
			if err := c.c.put(tx, c.v); err != nil {
				return err
			}
		}
	}
	for _, c := range []*colWriter{gid, rid, imp, terms} {
		if err := c.flush(tx); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta VALUES ('gene_pairs', ?)`, itoa(int64(len(pairs)))); err != nil {
		return fmt.Errorf("variantdb: gene pairs: %w", err)
	}
	return nil
}
