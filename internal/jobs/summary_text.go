package jobs

import (
	"fmt"
	"io"
	"sort"

	"github.com/gas-project/gas/annotate"
)

// WriteSummaryText renders the counts of a run for people reading the log.
func WriteSummaryText(w io.Writer, s *annotate.Summary) {
	fmt.Fprintf(w, "reference bundle: %s (checksum %s)\n", s.Bundle, s.BundleChecksum)
	fmt.Fprintf(w, "records: %d\nalleles: %d (annotated %d, not annotated %d)\n", s.Records, s.Alleles, s.Annotated, s.NotAnnotated)
	fmt.Fprintf(w, "skipped malformed records: %d\nknown alleles: %d\nnovel alleles: %d\n", s.Skipped, s.Known, s.Novel)
	writeCounts(w, "impacts", s.Impacts)
	writeCounts(w, "consequences", s.Consequences)
	writeCounts(w, "chromosomes", s.Chromosomes)
	writeCounts(w, "tracks", s.Tracks)
	if len(s.Warnings) > 0 {
		fmt.Fprintf(w, "\nwarnings:\n")
		for _, m := range s.Warnings {
			fmt.Fprintf(w, "  %s\n", m)
		}
	}
	if len(s.Errors) > 0 {
		fmt.Fprintf(w, "\nskipped records:\n")
		for _, m := range s.Errors {
			fmt.Fprintf(w, "  %s\n", m)
		}
	}
	fmt.Fprintf(w, "\nengine time: %.3f s\n", s.Seconds)
}

// writeCounts prints a count table, largest first, names breaking ties, so
// logs of the same input are identical.
func writeCounts(w io.Writer, title string, m map[string]int64) {
	if len(m) == 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	fmt.Fprintf(w, "\n%s:\n", title)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-40s %d\n", k, m[k])
	}
}
