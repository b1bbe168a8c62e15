package refdata

import (
	"encoding/binary"
	"encoding/json"
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
	b := &Bundle{dir: dir, manifest: m, contigIdx: map[string]int{}}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	need := map[string]int64{}
	for _, f := range m.Files {
		need[f.Name] = f.Size
	}
	for _, name := range []string{sequenceFile, transcriptsFile, knownFile, tracksFile} {
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
	// Known variants: memory-mapped, searched in place.
	kb, err := b.mmap(filepath.Join(dir, knownFile))
	if err != nil {
		return nil, err
	}
	if b.known, err = parseKnown(kb, len(b.contigs)); err != nil {
		return nil, fmt.Errorf("%s: %w", knownFile, err)
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

// parseKnown checks the known.bin header and slices the mapped file into the
// index, records and heap.
func parseKnown(b []byte, ncontigs int) (knownIndex, error) {
	const hdr = 8 + 4 + 8 + 8
	if len(b) < hdr {
		return knownIndex{}, errCorrupt
	}
	d := &decoder{b: b}
	d.magic(knownMagic)
	if d.err != nil {
		return knownIndex{}, d.err
	}
	nc := int(binary.LittleEndian.Uint32(b[8:]))
	nrec := binary.LittleEndian.Uint64(b[12:])
	heapLen := binary.LittleEndian.Uint64(b[20:])
	if nc != ncontigs {
		return knownIndex{}, fmt.Errorf("%d contigs, the manifest has %d: %w", nc, ncontigs, errCorrupt)
	}
	firstEnd := uint64(hdr) + 8*uint64(nc+1)
	if nrec > uint64(len(b))/knownRecSize || heapLen > uint64(len(b)) {
		return knownIndex{}, fmt.Errorf("sizes do not add up: %w", errCorrupt)
	}
	nblocks := (nrec + knownBlock - 1) / knownBlock
	blocksEnd := firstEnd + 4*nblocks
	if blocksEnd+nrec*knownRecSize+heapLen != uint64(len(b)) {
		return knownIndex{}, fmt.Errorf("sizes do not add up: %w", errCorrupt)
	}
	k := knownIndex{first: make([]int64, nc+1)}
	prev := uint64(0)
	for i := range k.first {
		v := binary.LittleEndian.Uint64(b[hdr+8*i:])
		if v < prev || v > nrec {
			return knownIndex{}, fmt.Errorf("contig index: %w", errCorrupt)
		}
		k.first[i] = int64(v)
		prev = v
	}
	if prev != nrec {
		return knownIndex{}, fmt.Errorf("contig index: %w", errCorrupt)
	}
	k.blocks = b[firstEnd:blocksEnd]
	k.recs = b[blocksEnd : blocksEnd+nrec*knownRecSize]
	k.heap = b[blocksEnd+nrec*knownRecSize:]
	return k, nil
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
