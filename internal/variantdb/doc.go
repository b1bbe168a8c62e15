// Package variantdb turns one job's annotated VCF into a small SQLite file
// that the variant browser pages through, filters and sorts, and that the
// downloads (VCF, TSV, summary JSON of the full result or of a filtered
// view) are drawn from.
//
// The file is built once when a job completes (Build) and is read-only
// afterwards (Open). It holds:
//
//   - rec: one row per VCF record, in file order (rid is the 1-based record
//     ordinal): the columns the table shows (chrom, pos, ID, REF, ALTs, the
//     most severe annotation's gene, consequence and HGVS, the allele
//     frequency, track hits), the INFO column without ANN (source fields),
//     the FORMAT and sample columns as written, and the per-record
//     aggregates the filters use:
//     worst impact, a bit mask of all consequence terms, known (any ALT
//     matches a known variant) and the highest known frequency. This is the
//     "per-record view" of the table.
//   - col: the filter aggregates again as packed arrays, plus the record
//     order of each sort key (see columns.go). An open Index keeps the
//     filter arrays in memory (17 bytes per record), so a count is one pass
//     over them and a page a walk along the sort order: milliseconds for a
//     million records whatever the filter, where SQL would scan the table.
//   - ann: one row per record × ALT × transcript annotation (the ANN
//     entries), keyed rid<<16|n so the rows of a record are a primary-key
//     range; transcripts (feature, gene, biotype) are stored once in tx.
//   - rec_gene: (gene, rid) pairs for the gene filter, genes being the
//     lower-cased gene names and IDs of the gene dictionary, with the
//     gene's own impact and terms on the record (the most severe of the
//     entries on that gene), so a gene filter judges and shows the gene's
//     annotation, not the record's most severe one on another gene.
//   - per-record columns of the position, each numeric source field, each
//     clinical-significance field and the genotype (class, GQ, DP) of the
//     first MaxGenotypeSamples samples, the class alone of the next ones up
//     to MaxClassSamples; sigterm holds the significance dictionaries.
//   - term, chrom, meta: dictionaries and build facts (record count, the
//     source's SHA-256, the frequency field used, the result's header).
//
// Filter semantics (all conditions must hold, each is about the record):
// Gene — some annotation names the gene (name or ID, case-insensitive);
// MinImpact — the record's most severe impact is at least this;
// Consequence — some annotation has this SO term; Known — known: some ALT
// matches a known variant, novel: none does and some ALT was annotated (a
// record whose alleles carry notes only, such as REF = ALT, is neither,
// as in the engine's summary); MaxFreq — the record's highest
// known frequency is at most this, records without a frequency (novel, or a
// known variant without the field) are kept.
package variantdb
