package refdata

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Build reads the sources and writes a bundle directory at opt.Out, which
// must not exist yet. Everything is written to a temporary directory next to
// it and renamed at the end, so a failed or cancelled build leaves no bundle.
func Build(ctx context.Context, opt BuildOptions) (*Manifest, error) {
	if opt.Out == "" || opt.Genes == "" || opt.Name == "" {
		return nil, errors.New("refdata: build: name, genes and out are required")
	}
	if _, err := os.Lstat(opt.Out); err == nil {
		return nil, fmt.Errorf("refdata: build: %s already exists", opt.Out)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(opt.Out), "."+filepath.Base(opt.Out)+".building-")
	if err != nil {
		return nil, fmt.Errorf("refdata: build: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	m, err := build(ctx, opt, tmp)
	if err != nil {
		return nil, fmt.Errorf("refdata: build %s: %w", opt.Name, err)
	}
	if err := os.Rename(tmp, opt.Out); err != nil {
		return nil, fmt.Errorf("refdata: build: %w", err)
	}
	ok = true
	return m, nil
}

func build(ctx context.Context, opt BuildOptions, dir string) (*Manifest, error) {
	m := &Manifest{
		Name: opt.Name, Assembly: opt.Assembly, Created: time.Now().UTC().Truncate(time.Second),
		FormatVersion: FormatVersion, Version: opt.Version, Description: opt.Description,
		Counts: Counts{TrackIntervals: map[string]int64{}},
	}
	specs, err := sourceSpecs(opt)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !opt.SkipSpaceCheck {
		if err := checkSpace(ctx, opt, specs, filepath.Dir(dir)); err != nil {
			return nil, err
		}
	}
	var aliases *aliasTable
	if opt.ContigAliases != "" {
		src, err := openSource(opt.ContigAliases, "aliases", "contig aliases", opt.Progress)
		if err != nil {
			return nil, err
		}
		aliases, err = parseAliases(ctx, src.r, opt.ContigAliases)
		if err != nil {
			src.close()
			return nil, err
		}
		s, err := src.finish()
		if err != nil {
			return nil, err
		}
		m.Sources = append(m.Sources, s)
	}
	cs := newContigSet(aliases, opt.Assembly)

	// 1. Sequence: the FASTA order defines the contig IDs.
	seqF, err := os.Create(filepath.Join(dir, sequenceFile))
	if err != nil {
		return nil, err
	}
	defer seqF.Close()
	if opt.FASTA != "" {
		src, err := openSource(opt.FASTA, "fasta", "sequence", opt.Progress)
		if err != nil {
			return nil, err
		}
		contigs, err := writeFASTA(ctx, src.r, seqF, opt.FASTA)
		if err != nil {
			src.close()
			return nil, err
		}
		s, err := src.finish()
		if err != nil {
			return nil, err
		}
		m.Sources = append(m.Sources, s)
		for _, c := range contigs {
			if _, dup := cs.resolve(c.name, false); dup {
				return nil, fmt.Errorf("%s: sequences %s and an alias of it both present", opt.FASTA, c.name)
			}
			id, _ := cs.resolve(c.name, true)
			cs.length[id], cs.hasSeq[id] = c.length, true
			m.Counts.Bases += c.length
		}
	}
	if err := seqF.Close(); err != nil {
		return nil, err
	}

	// 2. Gene model.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	src, err := openSource(opt.Genes, "genes", "genes", opt.Progress)
	if err != nil {
		return nil, err
	}
	gm, err := parseGenes(ctx, src.r, opt.Genes)
	if err != nil {
		src.close()
		return nil, err
	}
	s, err := src.finish()
	if err != nil {
		return nil, err
	}
	m.Sources = append(m.Sources, s)
	if len(gm.tx) == 0 {
		return nil, fmt.Errorf("%s: no transcripts (no exon or CDS lines with a parent): not a GFF3/GTF gene model?", opt.Genes)
	}
	remap := make([]int, len(gm.contigs))
	for i, name := range gm.contigs {
		remap[i], _ = cs.resolve(name, true)
	}
	regions := map[int]Span{}
	for name, r := range gm.regions {
		if id, ok := cs.resolve(name, false); ok {
			regions[id] = r
		}
	}
	tx := gm.tx
	for i := range tx {
		t := &tx[i]
		t.Contig = remap[t.Contig]
		if cs.hasSeq[t.Contig] && int64(t.End) > cs.length[t.Contig] {
			return nil, fmt.Errorf("%s: transcript %s ends at %d, beyond %s (length %d in %s)", opt.Genes, t.ID, t.End, cs.names[t.Contig], cs.length[t.Contig], opt.FASTA)
		}
		cs.see(t.Contig, int64(t.End))
		m.Counts.Transcripts++
		if t.Coding() {
			m.Counts.CodingTranscripts++
		}
	}
	m.Counts.Genes = gm.genes
	sortTranscripts(tx)
	for i := range tx {
		tx[i].Index = i
	}

	// 3. Annotation sources, each streamed into its own files.
	tmpDir := opt.TempDir
	if tmpDir == "" {
		tmpDir = dir
	}
	for _, spec := range specs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		info, in, err := buildSource(ctx, spec, cs, dir, tmpDir, opt.SortMemory, opt.Progress)
		if err != nil {
			return nil, err
		}
		m.Sources = append(m.Sources, in)
		m.AnnotationSources = append(m.AnnotationSources, info)
		if info.Kind == KindKnown {
			m.Counts.KnownVariants += info.Alleles
		}
	}

	// 4. Tracks.
	var tracks []builtTrack
	names := map[string]bool{}
	for _, tr := range opt.Tracks {
		if tr.Name == "" || strings.ContainsAny(tr.Name, ",;=\t\n ") {
			return nil, fmt.Errorf("track name %q: want a non-empty INFO key (no spaces, commas, ';' or '=')", tr.Name)
		}
		if names[tr.Name] {
			return nil, fmt.Errorf("track %s given twice", tr.Name)
		}
		names[tr.Name] = true
		bt, src, err := readBED(ctx, tr, cs, opt.Progress)
		if err != nil {
			return nil, err
		}
		m.Sources = append(m.Sources, src)
		tracks = append(tracks, bt)
		m.Tracks = append(m.Tracks, tr.Name)
		m.Counts.TrackIntervals[tr.Name] = int64(len(bt.ivs))
	}

	// 5. Write the indexes. Contigs are final now.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, transcriptsFile), encodeTranscripts(tx), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, tracksFile), encodeTracks(tracks), 0o644); err != nil {
		return nil, err
	}
	for i, n := range cs.names {
		m.Contigs = append(m.Contigs, ContigInfo{Name: n, Length: cs.length[i], HasSequence: cs.hasSeq[i], Aliases: cs.aliasesOf(i)})
	}
	coverage(m.Contigs, tx, regions)
	m.Counts.Contigs = len(cs.names)
	if m.Tracks == nil {
		m.Tracks = []string{}
	}
	if m.AnnotationSources == nil {
		m.AnnotationSources = []SourceInfo{}
	}
	attachOrigins(m, opt.Origins)
	if err := finishManifest(dir, m); err != nil {
		return nil, err
	}
	return m, nil
}

// dataFiles lists the bundle's data files in checksum order: sequence,
// transcripts, tracks, then each source's index and values.
func dataFiles(m *Manifest) []string {
	out := []string{sequenceFile, transcriptsFile, tracksFile}
	for _, s := range m.AnnotationSources {
		out = append(out, s.Data[0], s.Data[1])
	}
	return out
}

// finishManifest hashes the data files not yet listed in m.Files (files
// already listed keep their recorded hash, so changing one source does not
// re-read the genome), computes the bundle checksum and writes
// manifest.json atomically.
func finishManifest(dir string, m *Manifest) error {
	known := map[string]FileInfo{}
	for _, f := range m.Files {
		known[f.Name] = f
	}
	m.Files = m.Files[:0]
	// The checksum covers every data file through its hash, in a fixed order.
	sum := sha256.New()
	for _, name := range dataFiles(m) {
		fi, ok := known[name]
		if !ok {
			var err error
			if fi, err = hashFile(filepath.Join(dir, name)); err != nil {
				return err
			}
			fi.Name = name
		}
		m.Files = append(m.Files, fi)
		fmt.Fprintf(sum, "%s %d %s\n", fi.Name, fi.Size, fi.SHA256)
	}
	m.Checksum = hex.EncodeToString(sum.Sum(nil))
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, manifestFile+".tmp")
	if err := os.WriteFile(tmp, append(js, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, manifestFile))
}

func hashFile(path string) (FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileInfo{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return FileInfo{}, fmt.Errorf("hash %s: %w", path, err)
	}
	return FileInfo{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}
