// Package variantdb turns one job's annotated VCF into a small SQLite file
// that the variant browser pages through, filters and sorts, and that the
// downloads (VCF, TSV, summary JSON of the full result or of a filtered
// view) are drawn from.
//
// The file is built once when a job completes (Build) and is read-only
// afterwards (Open). It holds:
//
//   - rec: one row per VCF record, in file order (rid is the 1-based record
//     ordinal). Besides the columns the table shows (chrom, pos, ID, REF,
//     ALTs, the most severe annotation's gene, consequence and HGVS, the
//     allele frequency, track hits) it carries per-record aggregates the
//     filters use: worst impact, a bit mask of all consequence terms, known
//     (any ALT matches a known variant) and the highest known frequency.
//     These are the "per-record view" of the table; every filter except the
//     gene is a condition on this one row, so a page and its total count
//     need no join.
//   - ann: one row per record × ALT × transcript annotation (the ANN
//     entries), keyed rid<<16|n so the rows of a record are a primary-key
//     range; transcripts (feature, gene, biotype) are stored once in tx.
//   - rec_gene: (lower-cased gene name or ID, rid) pairs for the gene filter.
//   - term, chrom, meta: dictionaries and build facts (record count, the
//     source's SHA-256, the frequency field used).
//
// Filter semantics (all conditions must hold, each is about the record):
// Gene — some annotation names the gene (name or ID, case-insensitive);
// MinImpact — the record's most severe impact is at least this;
// Consequence — some annotation has this SO term; Known — known: some ALT
// matches a known variant, novel: none does; MaxFreq — the record's highest
// known frequency is at most this, records without a frequency (novel, or a
// known variant without the field) are kept.
package variantdb
