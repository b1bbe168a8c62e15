// Package vcf reads and writes Variant Call Format (VCF 4.x) files as a
// stream, in plain text, gzip or BGZF, and writes BGZF that htslib tools
// (bgzip, tabix, bcftools) accept.
//
// The package is built for the hot path of an annotation pipeline: a single
// goroutine reads blocks of raw lines with [Reader.ReadBlock], worker
// goroutines split them with [ParseRecord] (no copying, no allocation once a
// [Record] has grown), and [AppendRecord] rebuilds an output line from the
// original bytes. [BGZFWriter] compresses the output in parallel while
// keeping its order.
//
// Malformed input never panics: it is reported as a [*ParseError] carrying
// the 1-based line number of the decompressed file and a message meant for
// the person who produced the file.
package vcf
