package variantdb

// schemaVersion changes whenever the layout below changes; Open refuses
// files of another version so a stale index is rebuilt, not misread.
const schemaVersion = "1"

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
	bad TEXT                   -- parse error of a record written through unannotated
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
CREATE TABLE rec_gene (gene TEXT NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (gene, rid)) WITHOUT ROWID;
`

// createIndexes runs after the load. Each sort has an index in its order
// (ties broken by position), so a page in sort order reads only the rows it
// shows; impact and known lead the filter indexes because they are the
// usual first filters.
const createIndexes = `
CREATE INDEX rec_pos ON rec (chrom, pos);
CREATE INDEX rec_gene_sort ON rec (gene, chrom, pos);
CREATE INDEX rec_impact ON rec (impact, chrom, pos);
CREATE INDEX rec_freq ON rec (freq, chrom, pos);
CREATE INDEX rec_known ON rec (known, impact);
ANALYZE;
`
