// Package refinstall installs reference bundles from public sources: it
// reads a manifest of source files (URL, expected checksum, licence), fetches
// them with resumable, verified downloads, converts the track tables the
// bundle builder does not read directly, and builds and registers the bundle
// so that a failure at any step leaves no bundle under the requested name.
package refinstall

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// ManifestVersion is the manifest format this package reads.
const ManifestVersion = 1

// Manifest lists, per assembly key (e.g. "grch38"), the files a bundle is
// built from.
type Manifest struct {
	Version    int                  `json:"version"`
	Assemblies map[string]*Assembly `json:"assemblies"`
}

// Assembly is one installable reference.
type Assembly struct {
	// Assembly is the name recorded in the bundle (e.g. "GRCh38").
	Assembly    string `json:"assembly"`
	Description string `json:"description,omitempty"`
	// KnownInfo are the INFO keys carried from the known variants (empty:
	// every declared key).
	KnownInfo []string `json:"known_info,omitempty"`
	Sources   []Source `json:"sources"`
}

// Roles of a source, matching refdata.BuildOptions.
const (
	RoleGenes = "genes"
	RoleFASTA = "fasta"
	RoleKnown = "known"
	RoleTrack = "track"
)

// Formats a track source may come in; anything but BED is converted to BED
// before the build.
const (
	FormatBED      = "bed"          // chrom, start, end[, name] — also UCSC cytoBand.txt
	FormatUCSCBin  = "ucsc-bin"     // a UCSC table with a leading "bin" column (cpgIslandExt.txt)
	FormatGWASCat  = "gwas-catalog" // the GWAS Catalog associations TSV
	checksumSHA256 = "sha256"
)

// Source is one file of an assembly.
type Source struct {
	Role  string `json:"role"`            // genes, fasta, known, track
	Track string `json:"track,omitempty"` // INFO key of a track (role track)
	// Format of a track file: bed (default), ucsc-bin or gwas-catalog.
	Format string `json:"format,omitempty"`
	URL    string `json:"url"`
	// File is the local file name (default: the last element of the URL
	// path); --from DIR looks for it.
	File string `json:"file,omitempty"`
	// SHA256 is the expected checksum (lower-case hex). Empty means the
	// file cannot be verified: the installer refuses it unless told to
	// accept unverified files.
	SHA256 string `json:"sha256,omitempty"`
	// Size in bytes, checked when set (with or without SHA256).
	Size int64 `json:"size,omitempty"`
	// Version names the release of the data (e.g. "Ensembl 113").
	Version string `json:"version"`
	// Checksum says where the provider publishes its own checksum (or that
	// it publishes none), so an operator can pin SHA256 after checking it.
	Checksum string `json:"checksum,omitempty"`
	// License is the licence or terms of use and the attribution to show.
	License string `json:"license"`
	// Optional sources are installed only when asked for (e.g. GWAS).
	Optional bool `json:"optional,omitempty"`
}

// FileName is the local name of the source.
func (s Source) FileName() string {
	if s.File != "" {
		return s.File
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		return ""
	}
	return path.Base(u.Path)
}

// Label names the source in messages: its role, and track name.
func (s Source) Label() string {
	if s.Role == RoleTrack {
		return "track " + s.Track
	}
	return s.Role
}

//go:embed default-manifest.json
var defaultManifest []byte

// Default returns the built-in manifest of public sources.
func Default() (*Manifest, error) {
	return Parse(defaultManifest, "built-in manifest")
}

// DefaultJSON is the text of the built-in manifest, to copy and pin.
func DefaultJSON() []byte { return append([]byte(nil), defaultManifest...) }

// Load reads a manifest file.
func Load(file string) (*Manifest, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	return Parse(b, file)
}

// Parse decodes and validates a manifest; name is used in error messages.
func Parse(b []byte, name string) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields() // a misspelt "sha256" must not silently disable verification
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", name, err)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", name, err)
	}
	return &m, nil
}

var (
	hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)
	trackKey  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)
)

// Validate checks a manifest: known roles and formats, one gene model,
// http(s) URLs, usable and unique file names, well-formed checksums and a
// licence for every source.
func (m *Manifest) Validate() error {
	if m.Version != ManifestVersion {
		return fmt.Errorf("version %d, this gas reads version %d", m.Version, ManifestVersion)
	}
	if len(m.Assemblies) == 0 {
		return errors.New("no assemblies")
	}
	for _, key := range m.Keys() {
		a := m.Assemblies[key]
		if key != strings.ToLower(key) {
			return fmt.Errorf("assembly key %q: use lower case (it is what 'gas refdata install' is given)", key)
		}
		if a == nil || a.Assembly == "" {
			return fmt.Errorf("assembly %q: missing \"assembly\" name", key)
		}
		var genes, fasta, known int
		files := map[string]bool{}
		tracks := map[string]bool{}
		for i, s := range a.Sources {
			where := fmt.Sprintf("assembly %q source %d (%s)", key, i+1, s.Label())
			switch s.Role {
			case RoleGenes:
				genes++
			case RoleFASTA:
				fasta++
			case RoleKnown:
				known++
			case RoleTrack:
				if !trackKey.MatchString(s.Track) {
					return fmt.Errorf("%s: \"track\" must be an INFO key (letters, digits, '_', '.'), got %q", where, s.Track)
				}
				if tracks[s.Track] {
					return fmt.Errorf("%s: track given twice", where)
				}
				tracks[s.Track] = true
				if !slices.Contains([]string{"", FormatBED, FormatUCSCBin, FormatGWASCat}, s.Format) {
					return fmt.Errorf("%s: unknown format %q (bed, ucsc-bin, gwas-catalog)", where, s.Format)
				}
			default:
				return fmt.Errorf("%s: unknown role %q (genes, fasta, known, track)", where, s.Role)
			}
			if s.Role != RoleTrack && s.Format != "" {
				return fmt.Errorf("%s: \"format\" applies to tracks only", where)
			}
			if s.Optional && (s.Role == RoleGenes) {
				return fmt.Errorf("%s: the gene model cannot be optional", where)
			}
			u, err := url.Parse(s.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("%s: url %q is not an http(s) URL", where, s.URL)
			}
			name := s.FileName()
			if name == "" || name == "." || name == "/" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
				return fmt.Errorf("%s: cannot use %q as a file name; set \"file\"", where, name)
			}
			if files[name] {
				return fmt.Errorf("%s: file name %s used twice; set \"file\"", where, name)
			}
			files[name] = true
			if s.SHA256 != "" && !hexSHA256.MatchString(s.SHA256) {
				return fmt.Errorf("%s: sha256 must be 64 lower-case hex digits", where)
			}
			if s.Size < 0 {
				return fmt.Errorf("%s: negative size", where)
			}
			if s.License == "" {
				return fmt.Errorf("%s: missing \"license\" (licence and attribution)", where)
			}
		}
		if genes != 1 || fasta > 1 || known > 1 {
			return fmt.Errorf("assembly %q: want one genes source and at most one fasta and one known source, got %d, %d, %d", key, genes, fasta, known)
		}
	}
	return nil
}

// Keys lists the assembly keys, sorted.
func (m *Manifest) Keys() []string {
	keys := make([]string, 0, len(m.Assemblies))
	for k := range m.Assemblies {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Assembly returns the assembly of key (case-insensitive).
func (m *Manifest) Assembly(key string) (*Assembly, error) {
	if a, ok := m.Assemblies[strings.ToLower(key)]; ok {
		return a, nil
	}
	return nil, fmt.Errorf("no assembly %q in the manifest (have: %s)", key, strings.Join(m.Keys(), ", "))
}
