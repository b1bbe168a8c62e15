package variantdb

// schemaVersion changes whenever the layout below changes; Open refuses
// files of another version so a stale index is rebuilt, not misread.
const schemaVersion = "3"

// createTables runs before the load. Tables carry no secondary index yet:
// building indexes after the bulk insert is several times faster and gives
// densely packed index pages.
const createTables = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE chrom (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE term (bit INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE track (bit INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE tx (
	id INTEGER PRIMARY KEY,
	feature TEXT NOT NULL, feature_type TEXT NOT NULL,
	gene TEXT NOT NULL, gene_id TEXT NOT NULL, biotype TEXT NOT NULL
);
CREATE TABLE rec (
	rid INTEGER PRIMARY KEY,   -- 1-based record ordinal in the source
	chrom INTEGER NOT NULL,    -- chrom.id; ids follow the ##contig order
	pos INTEGER NOT NULL,
	vid TEXT NOT NULL,         -- ID column (rsIDs), '' for '.'
	ref TEXT NOT NULL,
	alt TEXT NOT NULL,         -- ALT column as written
	impact INTEGER NOT NULL,   -- worst impact: 3 HIGH .. 0 MODIFIER, -1 none
	terms INTEGER NOT NULL,    -- bit mask over term.bit
	known INTEGER NOT NULL,    -- 1 when some ALT matches a known variant
	freq REAL,                 -- highest known frequency, NULL without one
	gene TEXT NOT NULL,        -- the most severe annotation's gene
	csq TEXT NOT NULL,         -- ... its consequence terms (a&b)
	hgvsc TEXT NOT NULL,
	hgvsp TEXT NOT NULL,
	nann INTEGER NOT NULL,     -- number of ANN entries
	tracks INTEGER NOT NULL,   -- bit mask over track.bit
	trackhits TEXT NOT NULL,   -- 'KEY=a,b;KEY2=c'
	bad TEXT,                  -- parse error of a record written through unannotated
	info TEXT NOT NULL,        -- INFO without ANN (source fields, tracks, the input's own keys)
	samples TEXT NOT NULL      -- FORMAT and sample columns as written, '' without samples
);
CREATE TABLE ann (
	k INTEGER PRIMARY KEY,     -- rid<<16 | n
	allele INTEGER NOT NULL,   -- 0-based ALT index, -1 when the allele matches no ALT
	tx INTEGER,                -- tx.id, NULL for entries without a feature
	terms INTEGER NOT NULL,
	impact INTEGER NOT NULL,
	rank TEXT NOT NULL, hgvsc TEXT NOT NULL, hgvsp TEXT NOT NULL,
	cdna TEXT NOT NULL, cds TEXT NOT NULL, aa TEXT NOT NULL,
	distance TEXT NOT NULL, notes TEXT NOT NULL
);
-- gene maps lower-cased gene names and IDs to gene numbers (gid, one per
-- gene ID); a name shared by several genes has several rows.
CREATE TABLE gene (key TEXT NOT NULL, gid INTEGER NOT NULL, PRIMARY KEY (key, gid)) WITHOUT ROWID;
-- The (gid, rid) pairs are staged in a temporary table while loading and
-- copied into rec_gene in key order at the end, which packs its pages.
-- impact and terms are the gene's own annotation on the record: the most
-- severe impact and the union of the terms of the entries on that gene.
CREATE TEMP TABLE gene_stage (gid INTEGER NOT NULL, rid INTEGER NOT NULL, impact INTEGER NOT NULL, terms INTEGER NOT NULL);
-- col holds packed per-record arrays in chunks (see columns.go).
CREATE TABLE col (name TEXT NOT NULL, chunk INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (name, chunk));
CREATE TABLE rec_gene (gid INTEGER NOT NULL, rid INTEGER NOT NULL, impact INTEGER NOT NULL, terms INTEGER NOT NULL,
	PRIMARY KEY (gid, rid)) WITHOUT ROWID;
-- sigterm is the dictionary of a ClinVar-significance source field's
-- values (the bits of its "sig:KEY" column, see columns.go).
CREATE TABLE sigterm (field TEXT NOT NULL, bit INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (field, bit)) WITHOUT ROWID;
`

// finishLoad runs after the load: it packs the gene pairs. The table has
// no other secondary index: filters, counts and sort orders are answered
// from the packed columns (columns.go), and pages fetch rows by rid.
const finishLoad = `
INSERT INTO rec_gene SELECT gid, rid, impact, terms FROM gene_stage ORDER BY gid, rid;
DROP TABLE gene_stage;
`
