package refdata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// ChangeOptions tune AddSource.
type ChangeOptions struct {
	// Progress, when set, is called as the source is read (see
	// BuildOptions.Progress).
	Progress func(stage string, done, total int64)
	// SortMemory, SkipSpaceCheck and Origins are as in BuildOptions (the
	// source's input has the role "known:NAME" or "scores:NAME").
	SortMemory     int
	SkipSpaceCheck bool
	Origins        map[string]*Origin
}

const changeLock = ".change.lock"

// lockBundle takes the bundle's change lock: one AddSource or RemoveSource
// at a time. A lock left by a crashed process must be removed by hand; the
// error says so.
func lockBundle(dir string) (func(), error) {
	p := filepath.Join(dir, changeLock)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("another change of the bundle is in progress (%s exists; remove it if no gas process is changing the bundle)", p)
	}
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(f, "pid %d since %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	f.Close()
	return func() { os.Remove(p) }, nil
}

func readManifest(dir string) (*Manifest, error) {
	js, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if errors.Is(err, os.ErrNotExist) {
		if _, serr := os.Stat(dir); serr != nil {
			return nil, serr
		}
		return nil, fmt.Errorf("not a reference bundle (no %s)", manifestFile)
	}
	if err != nil {
		return nil, err
	}
	m := new(Manifest)
	if err := json.Unmarshal(js, m); err != nil {
		return nil, fmt.Errorf("%s: %w", manifestFile, err)
	}
	if m.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("bundle format version %d, this gas reads version %d: rebuild the bundle with `gas refdata build`", m.FormatVersion, FormatVersion)
	}
	return m, nil
}

// contigsOf rebuilds a build's contig set from a manifest: its contigs, in
// ID order, with their aliases.
func contigsOf(m *Manifest) *contigSet {
	var aliases *aliasTable
	for _, c := range m.Contigs {
		if len(c.Aliases) > 0 {
			if aliases == nil {
				aliases = newAliasTable()
			}
			aliases.group(append([]string{c.Name}, c.Aliases...)...)
		}
	}
	if aliases != nil {
		aliases.finalize()
	}
	cs := &contigSet{idx: map[string]int{}, aliases: aliases}
	for i, c := range m.Contigs {
		cs.names = append(cs.names, c.Name)
		cs.idx[c.Name] = i
		cs.length = append(cs.length, c.Length)
		cs.hasSeq = append(cs.hasSeq, c.HasSequence)
	}
	return cs
}

// AddSource builds one annotation source into the bundle in dir, replacing
// a source of the same name, without touching the gene model, sequence or
// tracks (ClinVar, released weekly, is updated this way). The new files get
// names of their own and the manifest is replaced atomically, so a process
// that opened the bundle before keeps working with what it opened. The
// bundle checksum changes; results record the checksum they were made with.
func AddSource(ctx context.Context, dir string, spec SourceSpec, opt ChangeOptions) (*Manifest, error) {
	m, err := addSource(ctx, dir, spec, opt)
	if err != nil {
		return nil, fmt.Errorf("refdata: add source %s to %s: %w", spec.Name, dir, err)
	}
	return m, nil
}

func addSource(ctx context.Context, dir string, spec SourceSpec, opt ChangeOptions) (*Manifest, error) {
	if spec.Kind == "" {
		spec.Kind = KindKnown
	}
	if err := checkSpec(spec); err != nil {
		return nil, err
	}
	unlock, err := lockBundle(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	// The default ID rule, over the sources the bundle keeps.
	if !spec.ID && spec.Kind == KindKnown {
		specs := []SourceSpec{spec}
		for _, s := range m.AnnotationSources {
			if s.Name != spec.Name {
				specs = append(specs, SourceSpec{Name: s.Name, Kind: s.Kind, ID: s.ID})
			}
		}
		spec.ID = IDSources(specs)[0].ID
	}
	if !opt.SkipSpaceCheck {
		if err := checkSpace(ctx, BuildOptions{}, []SourceSpec{spec}, dir); err != nil {
			return nil, err
		}
	}
	tmp, err := os.MkdirTemp(dir, ".adding-"+spec.Name+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	cs := contigsOf(m)
	info, in, err := buildSource(ctx, spec, cs, tmp, tmp, opt.SortMemory, opt.Progress)
	if err != nil {
		return nil, err
	}
	// Name the files after their content so they never replace files a
	// reader of the old manifest may still be opening.
	fi, err := hashFile(filepath.Join(tmp, info.Data[0]))
	if err != nil {
		return nil, err
	}
	token := fi.SHA256[:12]
	final := [2]string{"src." + spec.Name + "." + token + ".idx", "src." + spec.Name + "." + token + ".dat"}
	for i := range final {
		if err := os.Rename(filepath.Join(tmp, info.Data[i]), filepath.Join(dir, final[i])); err != nil {
			return nil, err
		}
	}
	info.Data = final
	var old [2]string
	replaced := false
	for i, s := range m.AnnotationSources {
		if s.Name == spec.Name {
			old, replaced = s.Data, true
			m.AnnotationSources[i] = info
		}
	}
	if !replaced {
		m.AnnotationSources = append(m.AnnotationSources, info)
	}
	m.Sources = withoutSourceFile(m.Sources, spec.Name)
	m.Sources = append(m.Sources, in)
	attachOrigins(m, opt.Origins)
	for i := len(m.Contigs); i < len(cs.names); i++ {
		m.Contigs = append(m.Contigs, ContigInfo{Name: cs.names[i], Length: cs.length[i]})
	}
	for i := range m.Contigs {
		if !m.Contigs[i].HasSequence && cs.length[i] > m.Contigs[i].Length {
			m.Contigs[i].Length = cs.length[i]
		}
	}
	changed(m)
	if err := finishManifest(dir, m); err != nil {
		for _, f := range final {
			os.Remove(filepath.Join(dir, f))
		}
		return nil, err
	}
	if replaced && old != final {
		for _, f := range old {
			os.Remove(filepath.Join(dir, f))
		}
	}
	return m, nil
}

// RemoveSource removes one annotation source from the bundle in dir, like
// AddSource without rebuilding anything else. The bundle checksum changes.
func RemoveSource(ctx context.Context, dir, name string) (*Manifest, error) {
	m, err := removeSource(ctx, dir, name)
	if err != nil {
		return nil, fmt.Errorf("refdata: remove source %s from %s: %w", name, dir, err)
	}
	return m, nil
}

func removeSource(ctx context.Context, dir, name string) (*Manifest, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	unlock, err := lockBundle(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	var old [2]string
	found := false
	var names []string
	kept := m.AnnotationSources[:0]
	for _, s := range m.AnnotationSources {
		names = append(names, s.Name)
		if s.Name == name {
			old, found = s.Data, true
			continue
		}
		kept = append(kept, s)
	}
	if !found {
		return nil, fmt.Errorf("no source %s (sources: %s)", name, listNames(names, 20))
	}
	m.AnnotationSources = kept
	m.Sources = withoutSourceFile(m.Sources, name)
	changed(m)
	if err := finishManifest(dir, m); err != nil {
		return nil, err
	}
	for _, f := range old {
		os.Remove(filepath.Join(dir, f))
	}
	return m, nil
}

// withoutSourceFile drops the input file entry of source name.
func withoutSourceFile(in []Source, name string) []Source {
	var out []Source
	for _, s := range in {
		if s.Role == sourceRole(KindKnown, name) || s.Role == sourceRole(KindScores, name) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// changed updates the counts and dates after a source change.
func changed(m *Manifest) {
	m.Counts.KnownVariants = 0
	for _, s := range m.AnnotationSources {
		if s.Kind == KindKnown {
			m.Counts.KnownVariants += s.Alleles
		}
	}
	m.Counts.Contigs = len(m.Contigs)
	m.Modified = time.Now().UTC().Truncate(time.Second)
}
