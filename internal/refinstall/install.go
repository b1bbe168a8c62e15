package refinstall

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gas-project/gas/refdata"
)

// ProvenanceFile is written into an installed bundle: where each source
// came from, its version, licence and the SHA-256 actually installed.
const ProvenanceFile = "install.json"

// DownloadsDir is the folder under the refdata directory where downloads
// (and their .part files) wait between runs; its leading dot keeps it out
// of bundle listings.
const DownloadsDir = ".downloads"

// Options describe one install.
type Options struct {
	Manifest *Manifest
	Assembly string // manifest key, e.g. "grch38"
	Name     string // bundle name (default: the assembly key)
	RefDir   string // DATA_DIR/refdata: the bundle becomes RefDir/Name
	// From, when set, is a folder of files already downloaded, matched by
	// file name and still verified; nothing is downloaded.
	From string
	// AllowUnverified accepts sources whose manifest entry has no SHA-256.
	AllowUnverified bool
	WithOptional    bool // also install sources marked optional
	KeepDownloads   bool // keep the downloaded files after a successful install
	Downloader      *Downloader
	// Stagef reports stages and steps, one line each (nil: silent).
	Stagef func(format string, args ...any)
	// BuildProgress is passed to refdata.Build.
	BuildProgress func(stage string, done, total int64)
	Version       string // gas version recorded in the bundle
}

// Provenance is the content of ProvenanceFile.
type Provenance struct {
	Assembly  string            `json:"assembly"` // manifest key
	Installed time.Time         `json:"installed"`
	Sources   []InstalledSource `json:"sources"`
}

// InstalledSource is a manifest entry and what was found.
type InstalledSource struct {
	Source
	// Got is the SHA-256 of the file installed; Verified tells whether it
	// was compared with an expected value.
	Got      string `json:"installed_sha256"`
	Verified bool   `json:"verified"`
}

// Result is an installed bundle.
type Result struct {
	Dir        string
	Manifest   *refdata.Manifest
	Provenance *Provenance
}

func (o *Options) stagef(format string, args ...any) {
	if o.Stagef != nil {
		o.Stagef(format, args...)
	}
}

// Install fetches and verifies every source of the assembly, builds the
// bundle in a hidden work folder under RefDir, checks that it opens, and
// renames it to RefDir/Name. Until that rename nothing is under Name, so a
// checksum mismatch, an interrupted download or a build error registers no
// bundle. Downloads cut short keep their .part file under
// RefDir/.downloads/ASSEMBLY for the next run to resume.
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
	var sources []Source
	var unverified []string
	for _, s := range a.Sources {
		if s.Optional && !opt.WithOptional {
			continue
		}
		sources = append(sources, s)
		if s.SHA256 == "" {
			unverified = append(unverified, fmt.Sprintf("%s (%s)", s.FileName(), s.Label()))
		}
	}
	if len(unverified) > 0 && !opt.AllowUnverified {
		return nil, fmt.Errorf("the manifest has no SHA-256 for %s: pin them in a manifest (--manifest FILE) or accept unchecked files with --allow-unverified",
			strings.Join(unverified, ", "))
	}
	if err := os.MkdirAll(opt.RefDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", opt.RefDir, err)
	}

	// 1. Files.
	files, err := fetchAll(ctx, &opt, key, sources)
	if err != nil {
		return nil, err
	}

	// 2. Work folder: converted tracks and the bundle before its rename.
	work, err := os.MkdirTemp(opt.RefDir, ".install-"+opt.Name+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	bopt := refdata.BuildOptions{Name: opt.Name, Assembly: a.Assembly, KnownInfo: a.KnownInfo,
		Out: filepath.Join(work, "bundle"), Version: opt.Version, Progress: opt.BuildProgress}
	prov := &Provenance{Assembly: key, Installed: time.Now().UTC().Truncate(time.Second)}
	step := 0
	for i, s := range sources {
		prov.Sources = append(prov.Sources, InstalledSource{Source: s, Got: files[i].sum, Verified: s.SHA256 != ""})
		path := files[i].path
		switch s.Role {
		case RoleGenes:
			bopt.Genes = path
		case RoleFASTA:
			bopt.FASTA = path
		case RoleKnown:
			bopt.KnownVariants = path
		case RoleTrack:
			if s.Format != "" && s.Format != FormatBED {
				if step == 0 {
					opt.stagef("[2/3] prepare tracks")
				}
				step++
				out := filepath.Join(work, s.Track+".bed")
				n, skipped, err := convertTrack(ctx, s.Format, path, out)
				if err != nil {
					return nil, fmt.Errorf("convert %s: %w", s.Label(), err)
				}
				opt.stagef("  %s: %d intervals from %s (%s)%s", s.Label(), n, s.FileName(), s.Format, skippedNote(skipped))
				path = out
			}
			bopt.Tracks = append(bopt.Tracks, refdata.Track{Name: s.Track, Path: path})
		}
	}
	if step == 0 {
		opt.stagef("[2/3] prepare tracks: none to convert")
	}

	// 3. Build, check, register.
	opt.stagef("[3/3] build bundle %s (%s)", opt.Name, a.Assembly)
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
	if err := os.Rename(bopt.Out, final); err != nil {
		return nil, fmt.Errorf("register bundle %s: %w", opt.Name, err)
	}
	if opt.From == "" && !opt.KeepDownloads {
		for _, f := range files {
			os.Remove(f.path)
		}
		os.Remove(filepath.Join(opt.RefDir, DownloadsDir, key)) // only when empty
		os.Remove(filepath.Join(opt.RefDir, DownloadsDir))
	}
	return &Result{Dir: final, Manifest: m, Provenance: prov}, nil
}

func skippedNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d rows without one mapped position skipped", n)
}

type fetched struct{ path, sum string }

// fetchAll brings every source to a verified local file, from --from or
// the downloads folder.
func fetchAll(ctx context.Context, opt *Options, key string, sources []Source) ([]fetched, error) {
	out := make([]fetched, len(sources))
	if opt.From != "" {
		opt.stagef("[1/3] verify %d files in %s", len(sources), opt.From)
		for i, s := range sources {
			p := filepath.Join(opt.From, s.FileName())
			if _, err := os.Stat(p); err != nil {
				return nil, fmt.Errorf("%s: %s not found in %s (--from uses the file names of the manifest)", s.Label(), s.FileName(), opt.From)
			}
			sum, err := Verify(p, Want{SHA256: s.SHA256, Size: s.Size})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.Label(), err)
			}
			opt.stagef("  %s %s: %s", s.Label(), s.FileName(), verifiedNote(s, sum))
			out[i] = fetched{p, sum}
		}
		return out, nil
	}
	dir := filepath.Join(opt.RefDir, DownloadsDir, key)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	d := opt.Downloader
	if d == nil {
		d = &Downloader{}
	}
	opt.stagef("[1/3] download %d files into %s", len(sources), dir)
	for i, s := range sources {
		dest := filepath.Join(dir, s.FileName())
		want := Want{SHA256: s.SHA256, Size: s.Size}
		if _, err := os.Stat(dest); err == nil {
			// Left by an earlier run that failed later on.
			if sum, err := Verify(dest, want); err == nil {
				opt.stagef("  %s %s: already downloaded, %s", s.Label(), s.FileName(), verifiedNote(s, sum))
				out[i] = fetched{dest, sum}
				continue
			}
			os.Remove(dest)
		}
		opt.stagef("  %s %s (%s) from %s", s.Label(), s.FileName(), s.Version, s.URL)
		sum, err := d.Fetch(ctx, s.URL, dest, want)
		if err != nil {
			return nil, fmt.Errorf("download %s: %w", s.Label(), err)
		}
		opt.stagef("  %s %s: %s", s.Label(), s.FileName(), verifiedNote(s, sum))
		out[i] = fetched{dest, sum}
	}
	return out, nil
}

func verifiedNote(s Source, sum string) string {
	if s.SHA256 != "" {
		return "SHA-256 verified"
	}
	return "UNVERIFIED (no checksum in the manifest), sha256 " + sum
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
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
