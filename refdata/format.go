package refdata

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// File names inside a bundle directory.
const (
	manifestFile    = "manifest.json"
	sequenceFile    = "sequence.bin"
	transcriptsFile = "transcripts.bin"
	knownFile       = "known.bin"
	tracksFile      = "tracks.bin"
)

// Magic numbers open each binary file; the last two bytes are the format
// version so a file from another version is recognised even without the
// manifest.
var (
	transcriptsMagic = [8]byte{'G', 'A', 'S', 'T', 'X', 0, 0, transcriptsVersion}
	tracksMagic      = [8]byte{'G', 'A', 'S', 'T', 'K', 0, 0, FormatVersion}
)

// Transcript flag bits.
const (
	flagReverse = 1 << iota
	flagStartIncomplete
	flagEndIncomplete
	flagCanonical
	flagMANE
	flagPhaseShift = 5      // two bits of phase above the flags
	flagCDSParts   = 1 << 7 // the transcript lists its coding parts
	flagProteinID  = 1 << 8 // a fifth string follows: the protein ID (version 4)
)

// transcriptsVersion is the version of transcripts.bin, one more than the
// bundle's FormatVersion since it gained protein IDs. Version 3 files (no
// protein IDs) are still read; a gas that reads only version 3 refuses a
// version 4 file with its "rebuild" message rather than misreading it.
const transcriptsVersion = FormatVersion + 1

// strHeap interns strings into one byte heap so that gene names and biotypes
// shared by many transcripts are stored once.
type strHeap struct {
	buf []byte
	at  map[string][2]uint32
}

func (h *strHeap) ref(s string) (uint32, uint32) {
	if h.at == nil {
		h.at = map[string][2]uint32{}
	}
	if r, ok := h.at[s]; ok {
		return r[0], r[1]
	}
	r := [2]uint32{uint32(len(h.buf)), uint32(len(s))}
	h.buf = append(h.buf, s...)
	h.at[s] = r
	return r[0], r[1]
}

// encodeTranscripts serialises transcripts (already sorted by contig and
// start): magic, uvarint count, uvarint exon count, uvarint heap length,
// heap, then per transcript a run of uvarints (see docs/refdata.md).
func encodeTranscripts(tx []Transcript) []byte {
	var h strHeap
	var body []byte
	nex := 0
	for i := range tx {
		t := &tx[i]
		nex += len(t.Exons)
		flags := uint64(t.Phase&3) << flagPhaseShift
		if t.Strand == Reverse {
			flags |= flagReverse
		}
		if t.StartIncomplete {
			flags |= flagStartIncomplete
		}
		if t.EndIncomplete {
			flags |= flagEndIncomplete
		}
		if t.Canonical {
			flags |= flagCanonical
		}
		if t.MANESelect {
			flags |= flagMANE
		}
		if len(t.CDS) > 0 {
			flags |= flagCDSParts
		}
		if t.ProteinID != "" {
			flags |= flagProteinID
		}
		body = binary.AppendUvarint(body, uint64(t.Contig))
		body = binary.AppendUvarint(body, flags)
		body = binary.AppendUvarint(body, uint64(t.Start))
		body = binary.AppendUvarint(body, uint64(t.End-t.Start))
		if t.Coding() {
			body = binary.AppendUvarint(body, uint64(t.CDSStart-t.Start+1))
			body = binary.AppendUvarint(body, uint64(t.CDSEnd-t.CDSStart))
			if len(t.CDS) > 0 {
				// Parts as (offset from CDSStart, length-1, phase); they
				// stay inside [CDSStart, CDSEnd].
				body = binary.AppendUvarint(body, uint64(len(t.CDS)))
				for _, p := range t.CDS {
					body = binary.AppendUvarint(body, uint64(p.Start-t.CDSStart))
					body = binary.AppendUvarint(body, uint64(p.End-p.Start))
					body = binary.AppendUvarint(body, uint64(p.Phase))
				}
			}
		} else {
			body = binary.AppendUvarint(body, 0)
		}
		body = binary.AppendUvarint(body, uint64(len(t.Exons)))
		prev := t.Start
		for _, e := range t.Exons {
			body = binary.AppendUvarint(body, uint64(e.Start-prev))
			body = binary.AppendUvarint(body, uint64(e.End-e.Start))
			prev = e.End
		}
		strs := []string{t.ID, t.GeneID, t.GeneName, t.Biotype, t.ProteinID}
		if t.ProteinID == "" {
			strs = strs[:4]
		}
		for _, s := range strs {
			off, n := h.ref(s)
			body = binary.AppendUvarint(body, uint64(off))
			body = binary.AppendUvarint(body, uint64(n))
		}
	}
	out := append([]byte(nil), transcriptsMagic[:]...)
	out = binary.AppendUvarint(out, uint64(len(tx)))
	out = binary.AppendUvarint(out, uint64(nex))
	out = binary.AppendUvarint(out, uint64(len(h.buf)))
	out = append(out, h.buf...)
	return append(out, body...)
}

// decoder reads uvarints, remembering the first error so that decoding code
// stays linear; a corrupt file gives an error, never a panic.
type decoder struct {
	b   []byte
	err error
}

var errCorrupt = errors.New("truncated or corrupt data")

func (d *decoder) uv() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

// int reads a uvarint that must fit in limit.
func (d *decoder) int(limit uint64) int {
	v := d.uv()
	if v > limit {
		if d.err == nil {
			d.err = errCorrupt
		}
		return 0
	}
	return int(v)
}

func (d *decoder) bytes(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.err = errCorrupt
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) magic(m [8]byte) {
	got := d.bytes(8)
	if d.err != nil {
		return
	}
	if string(got[:5]) != string(m[:5]) {
		d.err = errors.New("not a GAS bundle file")
		return
	}
	if got[7] != m[7] || got[5] != 0 || got[6] != 0 {
		d.err = fmt.Errorf("format version %d, this gas reads version %d: rebuild the bundle with `gas refdata build`", int(got[5])<<16|int(got[6])<<8|int(got[7]), int(m[7]))
	}
}

const maxCoord = 1<<31 - 2

// decodeTranscripts is the inverse of encodeTranscripts. Strings are
// substrings of one heap string and exons sub-slices of one slab, so decoding
// costs a handful of allocations whatever the number of transcripts.
func decodeTranscripts(b []byte, ncontigs int) ([]Transcript, error) {
	d := &decoder{b: b}
	if len(b) >= 8 && string(b[:5]) == string(transcriptsMagic[:5]) && b[5] == 0 && b[6] == 0 && b[7] == FormatVersion {
		// Version 3: the same layout without protein IDs.
		d.b = b[8:]
	} else {
		d.magic(transcriptsMagic)
	}
	// Bounds from the file size (an encoded transcript takes at least 16
	// bytes, an exon 2) keep a corrupt count from asking for huge memory.
	n := d.int(uint64(len(b) / 16))
	nex := d.int(uint64(len(b) / 2))
	heap := string(d.bytes(d.int(uint64(len(b)))))
	if d.err != nil {
		return nil, d.err
	}
	tx := make([]Transcript, n)
	exons := make([]Exon, nex)
	used := 0
	for i := range tx {
		t := &tx[i]
		t.Index = i
		t.Contig = d.int(uint64(max(ncontigs-1, 0)))
		if t.Contig >= ncontigs {
			return nil, fmt.Errorf("transcript %d: contig %d of %d: %w", i, t.Contig, ncontigs, errCorrupt)
		}
		flags := d.uv()
		t.Strand = Forward
		if flags&flagReverse != 0 {
			t.Strand = Reverse
		}
		t.StartIncomplete = flags&flagStartIncomplete != 0
		t.EndIncomplete = flags&flagEndIncomplete != 0
		t.Canonical = flags&flagCanonical != 0
		t.MANESelect = flags&flagMANE != 0
		t.Phase = int(flags>>flagPhaseShift) & 3
		t.Start = d.int(maxCoord)
		t.End = t.Start + d.int(maxCoord)
		if cs := d.int(maxCoord); cs > 0 {
			t.CDSStart = t.Start + cs - 1
			t.CDSEnd = t.CDSStart + d.int(maxCoord)
			if flags&flagCDSParts != 0 {
				t.CDS = decodeCDSParts(d, t.CDSStart, t.CDSEnd)
			}
		}
		ne := d.int(uint64(nex - used))
		prev := t.Start
		first := used
		for range ne {
			s := prev + d.int(maxCoord)
			e := s + d.int(maxCoord)
			exons[used] = Exon{s, e}
			used++
			prev = e
		}
		t.Exons = exons[first:used:used]
		var strs [5]string
		ns := 4
		if flags&flagProteinID != 0 {
			ns = 5
		}
		for k := range strs[:ns] {
			off := d.int(uint64(len(heap)))
			l := d.int(uint64(len(heap) - off))
			strs[k] = heap[off : off+l]
		}
		t.ID, t.GeneID, t.GeneName, t.Biotype, t.ProteinID = strs[0], strs[1], strs[2], strs[3], strs[4]
		if d.err != nil {
			return nil, fmt.Errorf("transcript %d: %w", i, d.err)
		}
		if t.End > maxCoord || prev > t.End || t.Start < 1 || t.CDSEnd > t.End || ne == 0 {
			return nil, fmt.Errorf("transcript %d (%s): %w", i, t.ID, errCorrupt)
		}
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%d trailing bytes: %w", len(d.b), errCorrupt)
	}
	return tx, nil
}

// decodeCDSParts reads the coding parts of one transcript; each must lie in
// [cdsStart, cdsEnd] with a phase of 0-2. A part takes at least 3 bytes,
// which bounds the count by the bytes left.
func decodeCDSParts(d *decoder, cdsStart, cdsEnd int) []CDSPart {
	n := d.int(uint64(len(d.b) / 3))
	if d.err != nil {
		return nil
	}
	if n == 0 {
		d.err = errCorrupt
		return nil
	}
	parts := make([]CDSPart, n)
	for k := range parts {
		s := cdsStart + d.int(maxCoord)
		e := s + d.int(maxCoord)
		parts[k] = CDSPart{Start: s, End: e, Phase: d.int(2)}
		if e > cdsEnd && d.err == nil {
			d.err = errCorrupt
		}
	}
	return parts
}

// encodeTracks serialises the region tracks: magic, uvarint track count, then
// per track: name, interval count, name heap, and per interval contig, start,
// length and name (offset, length) as uvarints. Intervals are sorted by
// contig and start.
func encodeTracks(tracks []builtTrack) []byte {
	out := append([]byte(nil), tracksMagic[:]...)
	out = binary.AppendUvarint(out, uint64(len(tracks)))
	for _, t := range tracks {
		out = binary.AppendUvarint(out, uint64(len(t.name)))
		out = append(out, t.name...)
		out = binary.AppendUvarint(out, uint64(len(t.ivs)))
		out = binary.AppendUvarint(out, uint64(len(t.heap.buf)))
		out = append(out, t.heap.buf...)
		for _, iv := range t.ivs {
			out = binary.AppendUvarint(out, uint64(iv.contig))
			out = binary.AppendUvarint(out, uint64(iv.start))
			out = binary.AppendUvarint(out, uint64(iv.end-iv.start))
			out = binary.AppendUvarint(out, uint64(iv.nameOff))
			out = binary.AppendUvarint(out, uint64(iv.nameLen))
		}
	}
	return out
}

// decodeTracks is the inverse of encodeTracks, building the interval trees.
func decodeTracks(b []byte, ncontigs int) ([]track, []string, error) {
	d := &decoder{b: b}
	d.magic(tracksMagic)
	n := d.int(uint64(len(b)))
	if d.err != nil {
		return nil, nil, d.err
	}
	tracks := make([]track, 0, n)
	var names []string
	for range n {
		name := d.bytes(d.int(uint64(len(b))))
		count := d.int(uint64(len(b) / 5)) // an interval takes at least 5 bytes
		heap := d.bytes(d.int(uint64(len(b))))
		if d.err != nil {
			return nil, nil, d.err
		}
		t := track{label: name, heap: heap}
		nodes := make([]ivNode, count)
		offs := make([]uint32, 2*count) // (start, end) of each name in heap
		perContig := make([]int, ncontigs+1)
		prevC, prevS := 0, 0
		for i := range count {
			c := d.int(uint64(max(ncontigs-1, 0)))
			s := d.int(maxCoord)
			e := s + d.int(maxCoord)
			off := d.int(uint64(len(heap)))
			l := d.int(uint64(len(heap) - off))
			if d.err != nil {
				return nil, nil, fmt.Errorf("track %s interval %d: %w", name, i, d.err)
			}
			if c >= ncontigs || c < prevC || (c == prevC && s < prevS) || e > maxCoord {
				return nil, nil, fmt.Errorf("track %s interval %d: %w", name, i, errCorrupt)
			}
			prevC, prevS = c, s
			nodes[i] = ivNode{Start: int32(s), End: int32(e), ID: int32(i)}
			offs[2*i], offs[2*i+1] = uint32(off), uint32(off+l)
			perContig[c+1]++
		}
		t.nameOff = offs
		t.index = make([]ivIndex, ncontigs)
		at := 0
		for c := range ncontigs {
			k := perContig[c+1]
			t.index[c] = newIvIndex(nodes[at : at+k])
			at += k
		}
		tracks = append(tracks, t)
		names = append(names, string(name))
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d trailing bytes: %w", len(d.b), errCorrupt)
	}
	return tracks, names, d.err
}
