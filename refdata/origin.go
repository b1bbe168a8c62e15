package refdata

import "time"

// Trust says how far the content of a downloaded input file was checked
// against something other than the connection it came over. The levels
// are ordered: a pinned SHA-256 beats a provider's MD5, which beats a
// provider's 16-bit sum, which beats a bare TLS connection.
type Trust string

// Trust levels, strongest first.
const (
	// TrustPinnedSHA256: the file's SHA-256 equals one fixed in advance (a
	// lock file or a manifest entry), so it is the very file seen before.
	TrustPinnedSHA256 Trust = "pinned-sha256"
	// TrustProviderMD5: the file's MD5 equals the one the provider
	// publishes beside it (NCBI, ClinVar), fetched over TLS.
	TrustProviderMD5 Trust = "provider-md5"
	// TrustProviderSum: the file's BSD sum (16-bit checksum and 1 KiB block
	// count) equals the provider's (Ensembl CHECKSUMS), fetched over TLS. It
	// catches damage in transit, not a deliberate substitution.
	TrustProviderSum Trust = "provider-sum"
	// TrustTLSOnly: nothing was compared; only the TLS connection to the
	// provider vouches for the bytes (UCSC database tables, the GWAS
	// Catalog).
	TrustTLSOnly Trust = "tls-only"
	// TrustNone: nothing vouches for the file (a copy from a local folder
	// with no checksum to compare); accepted only when asked for.
	TrustNone Trust = "none"
)

// Rank orders trust levels: higher is stronger, 0 for an unknown level.
func (t Trust) Rank() int {
	switch t {
	case TrustPinnedSHA256:
		return 4
	case TrustProviderMD5:
		return 3
	case TrustProviderSum:
		return 2
	case TrustTLSOnly:
		return 1
	}
	return 0
}

// Checksum types a provider publishes.
const (
	ChecksumMD5    = "md5"     // md5sum output (NCBI .md5, md5checksums.txt)
	ChecksumBSDSum = "bsd-sum" // BSD sum output: checksum and 1 KiB blocks (Ensembl CHECKSUMS)
	ChecksumNone   = "none"    // the provider publishes no checksum (UCSC database/, GWAS Catalog)
)

// Origin records where one input file of a bundle came from and how it was
// checked. The installer fills it in for each file it downloads; a bundle
// built from local files has none. It is stored in manifest.json with the
// input it describes (Source.Origin).
type Origin struct {
	// URL is the address asked for, FinalURL the one that answered after
	// redirects (empty when the same).
	URL      string `json:"url"`
	FinalURL string `json:"final_url,omitempty"`
	// Size is the byte count of the downloaded file.
	Size int64 `json:"size"`
	// LastModified is the server's Last-Modified date of the file (zero
	// when not sent); Fetched is when the download completed.
	LastModified time.Time `json:"last_modified,omitzero"`
	Fetched      time.Time `json:"fetched"`
	// ProviderChecksum is the value the provider publishes for the file
	// (hex MD5, or "SUM BLOCKS" for bsd-sum), ProviderChecksumType its
	// type (ChecksumMD5, ChecksumBSDSum, ChecksumNone) and
	// ProviderChecksumURL the file it was read from.
	ProviderChecksum     string `json:"provider_checksum,omitempty"`
	ProviderChecksumType string `json:"provider_checksum_type,omitempty"`
	ProviderChecksumURL  string `json:"provider_checksum_url,omitempty"`
	// SHA256 is computed from the downloaded bytes. When the bundle
	// imported a converted form of the file (a BED made from a UCSC table
	// or a zip), the Source's own SHA-256 is that of the converted file and
	// Transform says what was done.
	SHA256    string `json:"sha256"`
	Transform string `json:"transform,omitempty"`
	// Trust is the strongest check the file passed.
	Trust Trust `json:"trust"`
	// Version and License are the release of the data and its terms, as
	// the install manifest gives them.
	Version string `json:"version,omitempty"`
	License string `json:"license,omitempty"`
}

// attachOrigins sets the Origin of each source the build recorded from
// origins, keyed by the role the build gives the source (Source.Role:
// genes, fasta, known…, track:NAME). A role without an entry keeps none.
func attachOrigins(m *Manifest, origins map[string]*Origin) {
	if len(origins) == 0 {
		return
	}
	for i := range m.Sources {
		if o, ok := origins[m.Sources[i].Role]; ok {
			m.Sources[i].Origin = o
		}
	}
}
