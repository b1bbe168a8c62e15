package refdata

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"crypto/sha256"
	"encoding/hex"
)

// Open opens the bundle in dir. It checks the format version and the size of
// every data file against the manifest (a cheap guard against truncated
// copies; Verify hashes them), memory-maps the sequence and known-variant
// files and decodes the transcript and track indexes.
func Open(dir string) (*Bundle, error) {
	b, err := open(dir)
	if err != nil {
		return nil, fmt.Errorf("refdata: open %s: %w", dir, err)
	}
	return b, nil
}

func open(dir string) (_ *Bundle, err error) {
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	b := &Bundle{dir: dir, manifest: m, contigIdx: map[string]int{}, aliasIdx: map[string]int{}}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	need := map[string]int64{}
	for _, f := range m.Files {
		need[f.Name] = f.Size
	}
	for _, name := range dataFiles(m) {
		want, ok := need[name]
		if !ok {
			return nil, fmt.Errorf("manifest does not list %s", name)
		}
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if st.Size() != want {
			return nil, fmt.Errorf("%s is %d bytes, the manifest says %d: truncated or modified bundle", name, st.Size(), want)
		}
	}
	// Contigs and sequence offsets.
	b.contigs = make([]string, len(m.Contigs))
	b.seqOff = make([]int64, len(m.Contigs))
	b.seqLen = make([]int64, len(m.Contigs))
	var off int64
	for i, c := range m.Contigs {
		if _, dup := b.contigIdx[c.Name]; dup || c.Name == "" {
			return nil, fmt.Errorf("%s: bad or duplicate contig name %q", manifestFile, c.Name)
		}
		b.contigs[i] = c.Name
		b.contigIdx[c.Name] = i
		for _, a := range c.Aliases {
			if _, ok := b.aliasIdx[a]; !ok {
				b.aliasIdx[a] = i
			}
		}
		b.seqLen[i] = -1
		if c.HasSequence {
			if c.Length < 0 {
				return nil, fmt.Errorf("%s: contig %s has a negative length", manifestFile, c.Name)
			}
			b.seqOff[i], b.seqLen[i] = off, c.Length
			off += c.Length
		}
	}
	if off != need[sequenceFile] {
		return nil, fmt.Errorf("%s is %d bytes, the contig lengths add up to %d", sequenceFile, need[sequenceFile], off)
	}
	if b.seq, err = b.mmap(filepath.Join(dir, sequenceFile)); err != nil {
		return nil, err
	}
	// Transcripts: decoded (small; the engine wants real structs).
	raw, err := os.ReadFile(filepath.Join(dir, transcriptsFile))
	if err != nil {
		return nil, err
	}
	if b.tx, err = decodeTranscripts(raw, len(b.contigs)); err != nil {
		return nil, fmt.Errorf("%s: %w", transcriptsFile, err)
	}
	b.txIndex = make([]ivIndex, len(b.contigs))
	nodes := make([]ivNode, len(b.tx))
	at := 0
	for c := range b.contigs {
		first := at
		for at < len(b.tx) && b.tx[at].Contig == c {
			t := &b.tx[at]
			if at > first && t.Start < b.tx[at-1].Start {
				return nil, fmt.Errorf("%s: transcripts not sorted: %w", transcriptsFile, errCorrupt)
			}
			nodes[at] = ivNode{Start: int32(t.Start), End: int32(t.End), ID: int32(at)}
			at++
		}
		b.txIndex[c] = newIvIndex(nodes[first:at])
	}
	if at != len(b.tx) {
		return nil, fmt.Errorf("%s: transcripts not sorted by contig: %w", transcriptsFile, errCorrupt)
	}
	// Annotation sources: memory-mapped, searched in place.
	for _, si := range m.AnnotationSources {
		kinds := make([]uint8, len(si.Fields))
		for i, f := range si.Fields {
			k, ok := storedKind(f.Stored)
			if !ok {
				return nil, fmt.Errorf("source %s field %s: unknown stored type %q", si.Name, f.Name, f.Stored)
			}
			kinds[i] = k
		}
		idx, err := b.mmap(filepath.Join(dir, si.Data[0]))
		if err != nil {
			return nil, err
		}
		dat, err := b.mmap(filepath.Join(dir, si.Data[1]))
		if err != nil {
			return nil, err
		}
		s, err := parseSource(idx, dat, len(b.contigs), kinds)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", si.Name, err)
		}
		b.sources = append(b.sources, s)
	}
	// Tracks.
	raw, err = os.ReadFile(filepath.Join(dir, tracksFile))
	if err != nil {
		return nil, err
	}
	var names []string
	if b.tracks, names, err = decodeTracks(raw, len(b.contigs)); err != nil {
		return nil, fmt.Errorf("%s: %w", tracksFile, err)
	}
	if len(names) != len(m.Tracks) {
		return nil, fmt.Errorf("%s has %d tracks, the manifest %d", tracksFile, len(names), len(m.Tracks))
	}
	for i := range names {
		if names[i] != m.Tracks[i] {
			return nil, fmt.Errorf("%s track %d is %s, the manifest says %s", tracksFile, i, names[i], m.Tracks[i])
		}
	}
	return b, nil
}

// mmap maps a file read-only (or reads it where mapping is unavailable) and
// registers the unmapping with Close.
func (b *Bundle) mmap(path string) ([]byte, error) {
	data, release, err := mapFile(path)
	if err != nil {
		return nil, err
	}
	if release != nil {
		b.closers = append(b.closers, release)
	}
	return data, nil
}

// Verify re-hashes every data file and compares it with the manifest, for
// installs and audits (Open only checks sizes, to stay fast).
func (b *Bundle) Verify() error {
	sum := sha256.New()
	for _, f := range b.manifest.Files {
		fi, err := hashFile(filepath.Join(b.dir, f.Name))
		if err != nil {
			return fmt.Errorf("refdata: verify: %w", err)
		}
		if fi.SHA256 != f.SHA256 || fi.Size != f.Size {
			return fmt.Errorf("refdata: verify %s: %s does not match the manifest checksum", b.dir, f.Name)
		}
		fmt.Fprintf(sum, "%s %d %s\n", f.Name, f.Size, f.SHA256)
	}
	if hex.EncodeToString(sum.Sum(nil)) != b.manifest.Checksum {
		return errors.New("refdata: verify: manifest checksum does not match its file list")
	}
	return nil
}
