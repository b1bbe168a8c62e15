// Package refinstall installs reference bundles from public sources: it
// reads a manifest of source files (URL, the provider's checksum file,
// licence), fetches them with resumable downloads checked against the
// providers' checksums (or pinned SHA-256s), converts the track tables the
// bundle builder does not read directly, and builds and registers the
// bundle so that a failure at any step leaves no bundle under the
// requested name.
package refinstall

import (
	"bytes"
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
	"time"

	"github.com/gas-project/gas/refdata"
)

// ManifestVersion is the manifest format this package reads.
const ManifestVersion = 2

// Manifest lists, per assembly key (e.g. "grch38"), the files a bundle is
// built from.
type Manifest struct {
	Version int `json:"version"`
	// Vars are substituted for {NAME} in URLs, file names and versions, so
	// that a release number (e.g. ensembl_release) is one value.
	Vars       map[string]string    `json:"vars,omitempty"`
	Assemblies map[string]*Assembly `json:"assemblies"`
	// Lock is set in a lock file (written by --write-lock): every source
	// then has its SHA-256 and size, and installs from it are strict.
	Lock *LockInfo `json:"lock,omitempty"`
}

// LockInfo says where a lock file came from.
type LockInfo struct {
	Written    time.Time `json:"written"`
	GASVersion string    `json:"gas_version,omitempty"`
}

// Assembly is one installable reference.
type Assembly struct {
	// Assembly is the name recorded in the bundle (e.g. "GRCh38").
	Assembly    string `json:"assembly"`
	Description string `json:"description,omitempty"`
	// Profile is the profile a lock file was written for (informational:
	// a lock lists exactly the sources it installs).
	Profile string   `json:"profile,omitempty"`
	Sources []Source `json:"sources"`
}

// Roles of a source.
const (
	RoleGenes   = "genes"
	RoleFASTA   = "fasta"
	RoleKnown   = "known"   // a VCF of known variants (dbSNP, ClinVar)
	RoleScores  = "scores"  // an allele-keyed table of scores (CADD, REVEL, SpliceAI style)
	RoleTrack   = "track"   // a region track
	RoleAliases = "aliases" // a contig alias table (NCBI assembly report, UCSC chromAlias)
)

// Formats a track source may come in; anything but BED is converted to BED
// before the build.
const (
	FormatBED     = "bed"          // chrom, start, end[, name] — also UCSC cytoBand.txt
	FormatUCSC    = "ucsc"         // a UCSC table with a leading "bin" column (cpgIslandExt.txt), read by the builder
	FormatUCSCBin = "ucsc-bin"     // the same as ucsc (the name earlier manifests used)
	FormatGWASCat = "gwas-catalog" // the GWAS Catalog associations TSV, plain, gzip or zip; converted to BED
)

// Profiles, smallest first; each holds the sources of the ones before it.
const (
	ProfileMinimal  = "minimal"
	ProfileClinical = "clinical"
	ProfileFull     = "full"
)

// Profiles lists the profile names, smallest first.
var Profiles = []string{ProfileMinimal, ProfileClinical, ProfileFull}

// DefaultProfile is installed when none is asked for.
const DefaultProfile = ProfileClinical

// Source is one file of an assembly.
type Source struct {
	Role string `json:"role"` // genes, fasta, known, scores, track, aliases
	// Name of a known or scores source: its INFO keys in annotated output
	// are NAME_FIELD (clinvar_CLNSIG).
	Name string `json:"name,omitempty"`
	// Fields are the INFO keys a known source carries, or the value
	// columns of a scores table (empty: all).
	Fields []string `json:"fields,omitempty"`
	// ID marks a known source whose IDs fill the ID column (dbSNP).
	ID    bool   `json:"id,omitempty"`
	Track string `json:"track,omitempty"` // INFO key of a track (role track)
	// Format of a track file: bed (default), ucsc-bin or gwas-catalog.
	Format string `json:"format,omitempty"`
	URL    string `json:"url"`
	// File is the local file name (default: the last element of the URL
	// path); --from DIR looks for it.
	File string `json:"file,omitempty"`
	// SHA256 is a pinned checksum (lower-case hex); it is the strongest
	// check and makes the provider's checksum unnecessary.
	SHA256 string `json:"sha256,omitempty"`
	// Size in bytes, checked when set.
	Size int64 `json:"size,omitempty"`
	// ChecksumType is the kind of checksum the provider publishes for the
	// file: md5, bsd-sum or none (required, so that "none" is a decision).
	ChecksumType string `json:"checksum_type"`
	// ChecksumURL is the provider's checksum file (https), for md5 and
	// bsd-sum.
	ChecksumURL string `json:"checksum_url,omitempty"`
	// Version names the release of the data (e.g. "Ensembl release 116").
	Version string `json:"version"`
	// License is the licence or terms of use and the attribution to show.
	License string `json:"license"`
	// Profile is the smallest profile that installs the source (default
	// minimal).
	Profile string `json:"profile,omitempty"`
	// Optional sources are installed only when asked for (--with-optional).
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

// Label names the source in messages: its role, and its name or track.
func (s Source) Label() string {
	switch s.Role {
	case RoleTrack:
		return "track " + s.Track
	case RoleKnown, RoleScores:
		return s.Role + " " + s.Name
	}
	return s.Role
}

// profileRank orders profiles; 0 for an unknown one.
func profileRank(p string) int {
	if p == "" {
		p = ProfileMinimal
	}
	return slices.Index(Profiles, p) + 1
}

//go:embed default-manifest.json
var defaultManifest []byte

// Default returns the built-in manifest of public sources.
func Default() (*Manifest, error) {
	return Parse(defaultManifest, "built-in manifest")
}

// DefaultJSON is the text of the built-in manifest, to copy and edit.
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
	dec := json.NewDecoder(bytes.NewReader(b))
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
	hexSHA256  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	trackKey   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)
	sourceName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	varRef     = regexp.MustCompile(`\{([A-Za-z0-9_]+)\}`)
	varName    = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
)

// expand substitutes vars for {NAME}; an unknown name is an error.
func expand(s string, vars map[string]string) (string, error) {
	var missing []string
	out := varRef.ReplaceAllStringFunc(s, func(ref string) string {
		k := ref[1 : len(ref)-1]
		v, ok := vars[k]
		if !ok {
			missing = append(missing, k)
			return ref
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("%q uses {%s}, which \"vars\" does not define", s, strings.Join(missing, "}, {"))
	}
	return out, nil
}

// expanded returns s with the variables substituted in its URLs, file
// name and version.
func (s Source) expanded(vars map[string]string) (Source, error) {
	var err error
	for _, f := range []*string{&s.URL, &s.ChecksumURL, &s.File, &s.Version} {
		if *f, err = expand(*f, vars); err != nil {
			return s, err
		}
	}
	return s, nil
}

// Validate checks a manifest: known roles and formats, one gene model,
// http(s) URLs, a checksum type for every file and an https checksum file
// where there is one, usable and unique names, well-formed checksums and a
// licence for every source. A lock must pin every file.
func (m *Manifest) Validate() error {
	if m.Version != ManifestVersion {
		return fmt.Errorf("version %d, this gas reads version %d (see docs/refdata-install.md)", m.Version, ManifestVersion)
	}
	if len(m.Assemblies) == 0 {
		return errors.New("no assemblies")
	}
	for k := range m.Vars {
		if !varName.MatchString(k) {
			return fmt.Errorf("vars: %q is not a usable name (letters, digits, '_')", k)
		}
	}
	for _, key := range m.Keys() {
		a := m.Assemblies[key]
		if key != strings.ToLower(key) {
			return fmt.Errorf("assembly key %q: use lower case (it is what 'gas refdata install' is given)", key)
		}
		if a == nil || a.Assembly == "" {
			return fmt.Errorf("assembly %q: missing \"assembly\" name", key)
		}
		if a.Profile != "" && profileRank(a.Profile) == 0 {
			return fmt.Errorf("assembly %q: unknown profile %q (%s)", key, a.Profile, strings.Join(Profiles, ", "))
		}
		var genes, fasta, aliases int
		files := map[string]bool{}
		names := map[string]bool{}
		for i, raw := range a.Sources {
			where := fmt.Sprintf("assembly %q source %d (%s)", key, i+1, raw.Label())
			s, err := raw.expanded(m.Vars)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			if err := s.validate(m.Lock != nil); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			switch s.Role {
			case RoleGenes:
				genes++
			case RoleFASTA:
				fasta++
			case RoleAliases:
				aliases++
			case RoleKnown, RoleScores, RoleTrack:
				n := s.Role + " " + s.Name + s.Track
				if s.Role == RoleScores {
					n = RoleKnown + " " + s.Name // one namespace: both prefix INFO keys
				}
				if names[n] {
					return fmt.Errorf("%s: given twice", where)
				}
				names[n] = true
			}
			name := s.FileName()
			if files[name] {
				return fmt.Errorf("%s: file name %s used twice; set \"file\"", where, name)
			}
			files[name] = true
		}
		if genes != 1 || fasta > 1 || aliases > 1 {
			return fmt.Errorf("assembly %q: want one genes source and at most one fasta and one aliases source, got %d, %d, %d", key, genes, fasta, aliases)
		}
	}
	return nil
}

// validate checks one source (variables expanded).
func (s Source) validate(locked bool) error {
	switch s.Role {
	case RoleGenes, RoleFASTA, RoleAliases:
		if s.Name != "" || s.Track != "" {
			return errors.New("\"name\" and \"track\" apply to known sources and tracks only")
		}
	case RoleKnown, RoleScores:
		if !sourceName.MatchString(s.Name) {
			return fmt.Errorf("\"name\" must be lower-case letters, digits and '_' (it prefixes the INFO keys), got %q", s.Name)
		}
		for _, f := range s.Fields {
			if !trackKey.MatchString(f) {
				return fmt.Errorf("field %q is not an INFO key", f)
			}
		}
		if s.Role == RoleScores && s.ID {
			return errors.New("\"id\" applies to known sources only (a scores table has no IDs)")
		}
	case RoleTrack:
		if !trackKey.MatchString(s.Track) {
			return fmt.Errorf("\"track\" must be an INFO key (letters, digits, '_', '.'), got %q", s.Track)
		}
		if !slices.Contains([]string{"", FormatBED, FormatUCSC, FormatUCSCBin, FormatGWASCat}, s.Format) {
			return fmt.Errorf("unknown format %q (bed, ucsc, gwas-catalog)", s.Format)
		}
	default:
		return fmt.Errorf("unknown role %q (genes, fasta, known, scores, track, aliases)", s.Role)
	}
	if s.Role != RoleTrack && s.Format != "" {
		return errors.New("\"format\" applies to tracks only")
	}
	if s.Role != RoleKnown && s.Role != RoleScores && (len(s.Fields) > 0 || s.ID) {
		return errors.New("\"fields\" and \"id\" apply to known and scores sources only")
	}
	if s.Role == RoleGenes && (s.Optional || profileRank(s.Profile) != 1) {
		return errors.New("the gene model is part of every install (no \"optional\", profile minimal)")
	}
	if profileRank(s.Profile) == 0 {
		return fmt.Errorf("unknown profile %q (%s)", s.Profile, strings.Join(Profiles, ", "))
	}
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q is not an http(s) URL", s.URL)
	}
	name := s.FileName()
	if name == "" || name == "." || name == "/" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") ||
		strings.HasSuffix(name, ".part") || strings.HasSuffix(name, ".meta") {
		return fmt.Errorf("cannot use %q as a file name; set \"file\"", name)
	}
	switch s.ChecksumType {
	case refdata.ChecksumMD5, refdata.ChecksumBSDSum:
		cu, err := url.Parse(s.ChecksumURL)
		if err != nil || cu.Scheme != "https" || cu.Host == "" {
			return fmt.Errorf("checksum_url %q: the provider's checksum file must be an https URL (it is what the download is checked against)", s.ChecksumURL)
		}
	case refdata.ChecksumNone:
		if s.ChecksumURL != "" {
			return errors.New("checksum_url given with checksum_type none")
		}
		if u.Scheme != "https" && s.SHA256 == "" {
			return errors.New("a file with neither a checksum nor TLS cannot be trusted: use https or pin its sha256")
		}
	case "":
		return errors.New("missing \"checksum_type\" (md5, bsd-sum, or none when the provider publishes no checksum)")
	default:
		return fmt.Errorf("unknown checksum_type %q (md5, bsd-sum, none)", s.ChecksumType)
	}
	if s.SHA256 != "" && !hexSHA256.MatchString(s.SHA256) {
		return errors.New("sha256 must be 64 lower-case hex digits")
	}
	if s.Size < 0 {
		return errors.New("negative size")
	}
	if locked && (s.SHA256 == "" || s.Size == 0) {
		return errors.New("a lock file pins every file: sha256 and size are required")
	}
	if s.License == "" {
		return errors.New("missing \"license\" (licence and attribution)")
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

// Select returns the sources of assembly key that an install of profile
// installs (optional ones only withOptional), with the manifest's vars,
// overridden by vars, substituted. A lock installs all its sources; asking
// it for another profile is an error.
func (m *Manifest) Select(key, profile string, withOptional bool, vars map[string]string) ([]Source, error) {
	a, err := m.Assembly(key)
	if err != nil {
		return nil, err
	}
	all := map[string]string{}
	for k, v := range m.Vars {
		all[k] = v
	}
	for k, v := range vars {
		if _, ok := m.Vars[k]; !ok {
			return nil, fmt.Errorf("--var %s: the manifest has no such variable (have: %s)", k, strings.Join(sortedKeys(m.Vars), ", "))
		}
		all[k] = v
	}
	if m.Lock != nil {
		if profile != "" && a.Profile != "" && profile != a.Profile {
			return nil, fmt.Errorf("the lock file was written for profile %s, not %s: a lock installs exactly what it lists", a.Profile, profile)
		}
		if len(vars) > 0 {
			return nil, errors.New("a lock file's URLs are fixed: --var does not apply")
		}
		profile, withOptional = ProfileFull, true
	}
	if profile == "" {
		profile = DefaultProfile
	}
	rank := profileRank(profile)
	if rank == 0 {
		return nil, fmt.Errorf("unknown profile %q (%s)", profile, strings.Join(Profiles, ", "))
	}
	var out []Source
	for _, s := range a.Sources {
		if profileRank(s.Profile) > rank || (s.Optional && !withOptional) {
			continue
		}
		e, err := s.expanded(all)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Label(), err)
		}
		if err := e.validate(m.Lock != nil); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Label(), err)
		}
		out = append(out, e)
	}
	return out, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// lockManifest is the lock file of an install: the installed sources of
// one assembly, variables substituted, with the SHA-256 and size of each
// file as installed.
func lockManifest(key string, a *Assembly, profile string, sources []Source, version string, now time.Time) *Manifest {
	la := &Assembly{Assembly: a.Assembly, Description: a.Description, Profile: profile, Sources: sources}
	for i := range la.Sources {
		la.Sources[i].Profile = ""
		la.Sources[i].Optional = false
	}
	return &Manifest{Version: ManifestVersion, Assemblies: map[string]*Assembly{key: la},
		Lock: &LockInfo{Written: now.UTC().Truncate(time.Second), GASVersion: version}}
}
