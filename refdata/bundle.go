// Package refdata builds and opens reference bundles: versioned directories
// holding a gene model, an optional genome sequence, optional known variants
// and region tracks, as compact indexes that open quickly.
package refdata

// Bundle is an opened reference bundle. It is safe for concurrent use.
// (Being filled in: see the engine issue.)
type Bundle struct {
	contigs []string
}
