package refinstall

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/gas-project/gas/refdata"
)

// ProvenanceFile is written into an installed bundle: the manifest entry
// of each source and where it came from (the same origins are in the
// bundle's manifest.json, with the inputs they describe).
const ProvenanceFile = "install.json"

// DownloadsDir is the folder under the refdata directory where downloads
// (and their .part files) wait between runs; its leading dot keeps it out
// of bundle listings.
const DownloadsDir = ".downloads"

// checksumFileLimit caps a provider's checksum file (Ensembl's CHECKSUMS
// for a whole FASTA folder is a few KiB; NCBI's md5checksums.txt less).
const checksumFileLimit = 16 << 20

// Options describe one install.
type Options struct {
	Manifest *Manifest
	Assembly string // manifest key, e.g. "grch38"
	// Profile is minimal, clinical or full ("" means DefaultProfile).
	Profile string
	// Vars override the manifest's variables (e.g. ensembl_release).
	Vars   map[string]string
	Name   string // bundle name (default: the assembly key)
	RefDir string // DATA_DIR/refdata: the bundle becomes RefDir/Name
	// From, when set, is a folder of files already downloaded, matched by
	// file name and still checked; only the providers' checksum files are
	// fetched.
	From string
	// AllowUnverified accepts files that nothing but TLS vouches for (no
	// pinned SHA-256, no provider checksum).
	AllowUnverified bool
	WithOptional    bool // also install sources marked optional
	KeepDownloads   bool // keep the downloaded files after a successful install
	// WriteLock, when set, is a file to write the lock manifest to after
	// a successful install: the sources installed with their SHA-256 and
	// size, for strict installs elsewhere.
	WriteLock  string
	Downloader *Downloader
	// Stagef reports stages and steps, one line each (nil: silent).
	Stagef func(format string, args ...any)
	// BuildProgress is passed to refdata.Build.
	BuildProgress func(stage string, done, total int64)
	Version       string // gas version recorded in the bundle
	// FreeSpace reports the bytes available under a directory (nil: the
	// file system's figure); tests replace it.
	FreeSpace func(dir string) (int64, error)
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Provenance is the content of ProvenanceFile.
type Provenance struct {
	Assembly  string            `json:"assembly"` // manifest key
	Profile   string            `json:"profile"`
	Installed time.Time         `json:"installed"`
	Sources   []InstalledSource `json:"sources"`
}

// InstalledSource is a manifest entry and where its file came from.
type InstalledSource struct {
	Source
	Origin *refdata.Origin `json:"origin"`
}

// Result is an installed bundle.
type Result struct {
	Dir        string
	Manifest   *refdata.Manifest
	Provenance *Provenance
	// Lock is the lock manifest of the install (written to WriteLock when
	// set).
	Lock *Manifest
}

func (o *Options) stagef(format string, args ...any) {
	if o.Stagef != nil {
		o.Stagef(format, args...)
	}
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Install fetches the providers' checksum files, then every source of the
// assembly's profile, checking each against its pinned SHA-256 or the
// provider's checksum; converts the tracks; builds the bundle in a hidden
// work folder under RefDir, checks that it opens, and renames it to
// RefDir/Name. Until that rename nothing is under Name, so a checksum
// mismatch, an interrupted download or a build error registers no bundle.
// Downloads cut short keep their .part file under RefDir/.downloads/ASSEMBLY
// for the next run to resume.
func Install(ctx context.Context, opt Options) (*Result, error) {
	if opt.Manifest == nil || opt.RefDir == "" {
		return nil, errors.New("refinstall: manifest and refdata directory are required")
	}
	if err := opt.Manifest.Validate(); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	a, err := opt.Manifest.Assembly(opt.Assembly)
	if err != nil {
		return nil, err
	}
	sources, err := opt.Manifest.Select(opt.Assembly, opt.Profile, opt.WithOptional, opt.Vars)
	if err != nil {
		return nil, err
	}
	profile := opt.Profile
	if opt.Manifest.Lock != nil {
		profile = a.Profile
	} else if profile == "" {
		profile = DefaultProfile
	}
	key := strings.ToLower(opt.Assembly)
	if opt.Name == "" {
		opt.Name = key
	}
	if !ValidName(opt.Name) {
		return nil, fmt.Errorf("bundle name %q: use letters, digits, '.', '_', '-' (not starting with '.')", opt.Name)
	}
	final := filepath.Join(opt.RefDir, opt.Name)
	if _, err := os.Lstat(final); err == nil {
		return nil, fmt.Errorf("bundle %s already exists at %s ('gas refdata remove %s' first, or choose --name)", opt.Name, final, opt.Name)
	}
	var unverified []string
	for _, s := range sources {
		if s.SHA256 == "" && s.ChecksumType == refdata.ChecksumNone {
			unverified = append(unverified, fmt.Sprintf("%s (%s)", s.FileName(), s.Label()))
		}
	}
	if len(unverified) > 0 && !opt.AllowUnverified {
		return nil, fmt.Errorf("no checksum is published for %s, so only TLS would vouch for them: accept that with --allow-unverified, pin their sha256 in a manifest (--manifest FILE), or leave them out (profile, --with-optional)",
			strings.Join(unverified, ", "))
	}
	if err := os.MkdirAll(opt.RefDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", opt.RefDir, err)
	}
	d := opt.Downloader
	if d == nil {
		d = &Downloader{}
	}
	opt.stagef("install %s (%s), profile %s: %d files", opt.Name, a.Assembly, profile, len(sources))

	// 1. The providers' checksums, over TLS, before any download.
	wants, err := providerChecksums(ctx, &opt, d, sources)
	if err != nil {
		return nil, err
	}

	// 2. Room, then files.
	dir := filepath.Join(opt.RefDir, DownloadsDir, key)
	if opt.From == "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	if err := checkSpace(ctx, &opt, d, dir, sources); err != nil {
		return nil, err
	}
	files, err := fetchAll(ctx, &opt, d, dir, sources, wants)
	if err != nil {
		return nil, err
	}

	// 3. Work folder: converted tracks and the bundle before its rename.
	work, err := os.MkdirTemp(opt.RefDir, ".install-"+opt.Name+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	bopt := refdata.BuildOptions{Name: opt.Name, Assembly: a.Assembly,
		Out: filepath.Join(work, "bundle"), Version: opt.Version, Progress: opt.BuildProgress,
		Origins: map[string]*refdata.Origin{}}
	prov := &Provenance{Assembly: key, Profile: profile, Installed: opt.now().UTC().Truncate(time.Second)}
	converted := 0
	for i, s := range sources {
		o := files[i].origin
		prov.Sources = append(prov.Sources, InstalledSource{Source: s, Origin: o})
		path := files[i].path
		switch s.Role {
		case RoleGenes:
			bopt.Genes = path
		case RoleFASTA:
			bopt.FASTA = path
		case RoleKnown, RoleScores:
			bopt.Sources = append(bopt.Sources, refdata.SourceSpec{Name: s.Name, Kind: s.Role, Path: path,
				Fields: s.Fields, ID: s.ID, Version: s.Version})
		case RoleAliases:
			bopt.ContigAliases = path
		case RoleTrack:
			tr := refdata.Track{Name: s.Track, Path: path, Format: refdata.TrackBED}
			switch s.Format {
			case FormatUCSC, FormatUCSCBin:
				tr.Format = refdata.TrackUCSC
			case FormatGWASCat:
				if converted == 0 {
					opt.stagef("[3/4] prepare tracks")
				}
				converted++
				out := filepath.Join(work, s.Track+".bed")
				c, err := convertTrack(ctx, s.Format, path, out)
				if err != nil {
					return nil, fmt.Errorf("convert %s: %w", s.Label(), err)
				}
				opt.stagef("  %s: %d intervals from %s (%s)%s", s.Label(), c.written, s.FileName(), c.from, skippedNote(c.skipped))
				o.Transform = c.from + " converted to BED"
				tr.Path = out
			}
			bopt.Tracks = append(bopt.Tracks, tr)
		}
		bopt.Origins[bundleRole(s)] = o
	}
	if converted == 0 {
		opt.stagef("[3/4] prepare tracks: none to convert")
	}

	// 4. Build, check, register.
	opt.stagef("[4/4] build bundle %s (%s)", opt.Name, a.Assembly)
	m, err := refdata.Build(ctx, bopt)
	if err != nil {
		return nil, err
	}
	if err := writeJSON(filepath.Join(bopt.Out, ProvenanceFile), prov); err != nil {
		return nil, err
	}
	b, err := refdata.Open(bopt.Out)
	if err != nil {
		return nil, fmt.Errorf("the new bundle does not open: %w", err)
	}
	b.Close()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The lock pins what was installed, whatever the check that admitted it.
	locked := make([]Source, len(sources))
	for i, s := range sources {
		s.SHA256, s.Size = files[i].origin.SHA256, files[i].origin.Size
		locked[i] = s
	}
	lock := lockManifest(key, a, profile, locked, opt.Version, opt.now())
	if opt.WriteLock != "" {
		if err := writeJSONAtomic(opt.WriteLock, lock); err != nil {
			return nil, fmt.Errorf("write lock file: %w", err)
		}
	}
	if err := os.Rename(bopt.Out, final); err != nil {
		return nil, fmt.Errorf("register bundle %s: %w", opt.Name, err)
	}
	if opt.From == "" && !opt.KeepDownloads {
		for _, f := range files {
			os.Remove(f.path)
			os.Remove(f.path + ".meta")
		}
		os.Remove(dir) // only when empty
		os.Remove(filepath.Join(opt.RefDir, DownloadsDir))
	}
	return &Result{Dir: final, Manifest: m, Provenance: prov, Lock: lock}, nil
}

// bundleRole is the role refdata records for the file of s (the key of
// BuildOptions.Origins).
func bundleRole(s Source) string {
	switch s.Role {
	case RoleTrack:
		return "track:" + s.Track
	case RoleKnown, RoleScores:
		if s.Role == RoleKnown && s.Name == refdata.LegacyKnownName {
			return refdata.LegacyKnownName // as the single known-variants file was
		}
		return s.Role + ":" + s.Name
	}
	return s.Role
}

func skippedNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d rows without one mapped position skipped", n)
}

// providerChecksums fetches each provider checksum file once, over TLS,
// and returns what every source must match: its pinned SHA-256 and size,
// or the provider's checksum. A source with a pinned SHA-256 needs no
// checksum file.
func providerChecksums(ctx context.Context, opt *Options, d *Downloader, sources []Source) ([]Want, error) {
	wants := make([]Want, len(sources))
	files := map[string][]byte{}
	first := true
	for i, s := range sources {
		wants[i] = Want{SHA256: s.SHA256, Size: s.Size}
		if s.SHA256 != "" || s.ChecksumType == refdata.ChecksumNone {
			continue
		}
		if first {
			opt.stagef("[1/4] providers' checksum files")
			first = false
		}
		body, ok := files[s.ChecksumURL]
		if !ok {
			b, tls, err := d.GetSmall(ctx, s.ChecksumURL, checksumFileLimit)
			if err != nil {
				return nil, fmt.Errorf("%s: the provider's checksum file: %w", s.Label(), err)
			}
			if !tls {
				return nil, fmt.Errorf("%s: the provider's checksum file %s: %w (a redirect to http?); it cannot vouch for a download", s.Label(), s.ChecksumURL, errNotTLS)
			}
			body, files[s.ChecksumURL] = b, b
			opt.stagef("  %s", s.ChecksumURL)
		}
		// The provider lists the file under its name on the server, which
		// "file" may have changed locally.
		pc, err := parseChecksumFile(s.ChecksumType, body, urlBase(s.URL))
		if err != nil {
			return nil, fmt.Errorf("%s: the provider's checksum file %s: %w", s.Label(), s.ChecksumURL, err)
		}
		pc.URL = s.ChecksumURL
		wants[i].Provider = &pc
	}
	if first {
		opt.stagef("[1/4] providers' checksum files: none needed")
	}
	return wants, nil
}

// urlBase is the last element of a URL's path.
func urlBase(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return path.Base(p.Path)
}

type fetched struct {
	path   string
	origin *refdata.Origin
}

// fetchAll brings every source to a checked local file, from --from or
// the downloads folder.
func fetchAll(ctx context.Context, opt *Options, d *Downloader, dir string, sources []Source, wants []Want) ([]fetched, error) {
	out := make([]fetched, len(sources))
	if opt.From != "" {
		opt.stagef("[2/4] check %d files in %s", len(sources), opt.From)
		for i, s := range sources {
			p := filepath.Join(opt.From, s.FileName())
			st, err := os.Stat(p)
			if err != nil {
				return nil, fmt.Errorf("%s: %s not found in %s (--from uses the file names of the manifest)", s.Label(), s.FileName(), opt.From)
			}
			sum, err := Verify(p, wants[i])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.Label(), err)
			}
			abs, _ := filepath.Abs(p)
			dl := &Download{Path: p, Sums: sum, URL: s.URL, FinalURL: (&url.URL{Scheme: "file", Path: abs}).String(), Fetched: opt.now().UTC().Truncate(time.Second), LastModified: st.ModTime().UTC()}
			o := originOf(s, wants[i], dl)
			opt.stagef("  %s %s: %s", s.Label(), s.FileName(), trustNote(o))
			out[i] = fetched{p, o}
		}
		return out, nil
	}
	opt.stagef("[2/4] download %d files into %s", len(sources), dir)
	for i, s := range sources {
		dest := filepath.Join(dir, s.FileName())
		if dl, ok := reuse(opt, s, wants[i], dest); ok {
			o := originOf(s, wants[i], dl)
			opt.stagef("  %s %s: already downloaded, checked again: %s", s.Label(), s.FileName(), trustNote(o))
			out[i] = fetched{dest, o}
			continue
		}
		opt.stagef("  %s %s (%s) from %s", s.Label(), s.FileName(), s.Version, s.URL)
		dl, err := d.Fetch(ctx, s.URL, dest, wants[i])
		if err != nil {
			return nil, fmt.Errorf("download %s: %w", s.Label(), err)
		}
		o := originOf(s, wants[i], dl)
		if o.Trust == refdata.TrustNone {
			// Only a redirect off https gets here: the manifest refuses
			// plain-http files without a checksum.
			os.Remove(dest)
			os.Remove(dest + ".meta")
			return nil, fmt.Errorf("download %s: %s came from %s without TLS and has no checksum: nothing vouches for it", s.Label(), s.FileName(), dl.FinalURL)
		}
		opt.stagef("  %s %s: %s", s.Label(), s.FileName(), trustNote(o))
		out[i] = fetched{dest, o}
	}
	return out, nil
}

// reuse checks a complete file left in the downloads folder by an earlier
// run (that failed later, or kept its downloads) against what is wanted
// now. A file that only TLS vouched for cannot be checked again, so it is
// downloaded again.
func reuse(opt *Options, s Source, want Want, dest string) (*Download, bool) {
	if _, err := os.Stat(dest); err != nil {
		return nil, false
	}
	m, merr := readMeta(dest + ".meta")
	if want.SHA256 == "" && want.Provider == nil || merr != nil || m.URL != s.URL {
		os.Remove(dest)
		os.Remove(dest + ".meta")
		return nil, false
	}
	sum, err := Verify(dest, want)
	if err != nil {
		opt.stagef("  %s %s: the file left by an earlier run fails the check (%v); downloading again", s.Label(), s.FileName(), err)
		os.Remove(dest)
		os.Remove(dest + ".meta")
		return nil, false
	}
	return m.download(dest, sum), true
}

// originOf records where the file of s came from and the strongest check
// it passed.
func originOf(s Source, want Want, dl *Download) *refdata.Origin {
	o := &refdata.Origin{URL: s.URL, Size: dl.Sums.Size, LastModified: dl.LastModified, Fetched: dl.Fetched,
		SHA256: dl.Sums.SHA256, Trust: want.Trust(dl.TLS), Version: s.Version, License: s.License,
		ProviderChecksumType: s.ChecksumType}
	if dl.FinalURL != s.URL {
		o.FinalURL = dl.FinalURL
	}
	if o.Trust == "" {
		o.Trust = refdata.TrustNone
	}
	if p := want.Provider; p != nil {
		o.ProviderChecksum, o.ProviderChecksumURL = p.Value, p.URL
	}
	return o
}

func trustNote(o *refdata.Origin) string {
	switch o.Trust {
	case refdata.TrustPinnedSHA256:
		return "SHA-256 matches the pinned value"
	case refdata.TrustProviderMD5:
		return "MD5 matches the provider's (" + o.ProviderChecksumURL + ")"
	case refdata.TrustProviderSum:
		return "BSD sum matches the provider's (" + o.ProviderChecksumURL + ")"
	case refdata.TrustTLSOnly:
		return "UNVERIFIED (no checksum published; TLS only), sha256 " + o.SHA256
	}
	return "UNVERIFIED (no checksum, not over TLS), sha256 " + o.SHA256
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// writeJSONAtomic writes through a temporary file and a rename, so that a
// lock file is either the old one or the whole new one.
func writeJSONAtomic(path string, v any) error {
	tmp := path + ".tmp"
	if err := writeJSON(tmp, v); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// ReadProvenance reads the install record of a bundle; fs.ErrNotExist for
// a bundle made with 'gas refdata build'.
func ReadProvenance(dir string) (*Provenance, error) {
	b, err := os.ReadFile(filepath.Join(dir, ProvenanceFile))
	if err != nil {
		return nil, err
	}
	var p Provenance
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ProvenanceFile), err)
	}
	return &p, nil
}

// Remove deletes the bundle RefDir/name. It first renames it to a hidden
// name, so the bundle disappears at once and a crash halfway through the
// deletion leaves no partial bundle under name.
func Remove(refDir, name string) error {
	if !ValidName(name) {
		return fmt.Errorf("invalid bundle name %q", name)
	}
	dir := filepath.Join(refDir, name)
	st, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no bundle %q in %s", name, refDir)
	}
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a bundle directory", dir)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	trash := filepath.Join(refDir, ".removing-"+name+"-"+hex.EncodeToString(rnd[:]))
	if err := os.Rename(dir, trash); err != nil {
		return fmt.Errorf("remove bundle %s: %w", name, err)
	}
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("remove bundle %s (now %s): %w", name, trash, err)
	}
	return nil
}

// DirSize is the total size of the regular files under dir.
func DirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	return n, err
}

// ValidName accepts bundle names usable as a folder and in a URL.
func ValidName(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '.' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// HumanBytes formats a byte count with binary units (for listings).
func HumanBytes(n int64) string { return humanBytes(n) }
