package refdata

import (
	"bytes"
	"encoding/binary"
)

// knownRecSize is the width of one known-variant record: pos uint32, allele
// hash uint32, heap offset uint64 (little endian). Fixed-width records sorted
// by (contig, pos) let a memory-mapped file be binary-searched in place.
const knownRecSize = 16

// knownBlock is the sampling step of the block index: the position of every
// knownBlock-th record is kept in a small table (1.25 MB for 20 million
// records) searched first, so that a lookup touches one or two pages of the
// mapped records instead of a page per binary-search step.
const knownBlock = 64

// knownIndex is the known-variant table. blocks, recs and heap may alias a
// memory-mapped file. A heap entry is uvarint-length-prefixed ref, alt, id
// and info.
type knownIndex struct {
	first  []int64 // per contig: index of its first record; len = contigs+1
	blocks []byte  // uint32 pos of records 0, knownBlock, 2*knownBlock, …
	recs   []byte
	heap   []byte
}

func (k *knownIndex) blockPos(i int64) uint32 {
	return binary.LittleEndian.Uint32(k.blocks[4*i:])
}

// alleleHash hashes normalised ref and alt (FNV-1a, with a separator) so that
// most candidates at a position are rejected without touching the heap.
func alleleHash(ref, alt []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range ref {
		h = (h ^ uint32(c)) * 16777619
	}
	h = (h ^ '>') * 16777619
	for _, c := range alt {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

// normalise trims the common suffix, then the common prefix, of ref and alt,
// moving pos past the trimmed prefix. Either allele may become empty (a pure
// insertion or deletion).
func normalise(pos int, ref, alt []byte) (int, []byte, []byte) {
	for len(ref) > 0 && len(alt) > 0 && ref[len(ref)-1] == alt[len(alt)-1] {
		ref, alt = ref[:len(ref)-1], alt[:len(alt)-1]
	}
	for len(ref) > 0 && len(alt) > 0 && ref[0] == alt[0] {
		ref, alt = ref[1:], alt[1:]
		pos++
	}
	return pos, ref, alt
}

// upperInto returns s unchanged when it has no lower-case letter, else an
// upper-cased copy in buf (which must be at least len(s) long).
func upperInto(buf []byte, s []byte) []byte {
	for _, c := range s {
		if c >= 'a' && c <= 'z' {
			out := buf[:0]
			for _, c := range s {
				if c >= 'a' && c <= 'z' {
					c -= 'a' - 'A'
				}
				out = append(out, c)
			}
			return out
		}
	}
	return s
}

func (k *knownIndex) lookup(contig, pos int, ref, alt []byte) (id, info []byte, ok bool) {
	if contig < 0 || contig+1 >= len(k.first) {
		return nil, nil, false
	}
	// Short alleles (nearly all) are upper-cased on the stack; long ones
	// with lower case pay for a copy.
	var rb, ab [64]byte
	if len(ref) <= len(rb) {
		ref = upperInto(rb[:], ref)
	} else {
		ref = bytes.ToUpper(ref)
	}
	if len(alt) <= len(ab) {
		alt = upperInto(ab[:], alt)
	} else {
		alt = bytes.ToUpper(alt)
	}
	pos, ref, alt = normalise(pos, ref, alt)
	if len(ref) == 0 && len(alt) == 0 || pos < 0 || pos > 1<<32-1 {
		return nil, nil, false
	}
	p := uint32(pos)
	lo, hi := k.first[contig], k.first[contig+1]
	if lo == hi {
		return nil, nil, false
	}
	// Narrow [lo,hi) with the block index: find the first sampled record of
	// the contig at or after p; the answer lies between it and the sample
	// before it.
	bLo, bHi := (lo+knownBlock-1)/knownBlock, (hi+knownBlock-1)/knownBlock // samples inside [lo,hi)
	a, z := bLo, bHi
	for a < z {
		mid := int64(uint64(a+z) >> 1)
		if k.blockPos(mid) < p {
			a = mid + 1
		} else {
			z = mid
		}
	}
	if a > bLo {
		lo = max(lo, (a-1)*knownBlock)
	}
	if a < bHi {
		hi = min(hi, a*knownBlock+1)
	}
	// Binary search for the first record with pos >= p.
	for lo < hi {
		mid := int64(uint64(lo+hi) >> 1)
		if binary.LittleEndian.Uint32(k.recs[mid*knownRecSize:]) < p {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	h := alleleHash(ref, alt)
	end := k.first[contig+1]
	for i := lo; i < end; i++ {
		r := k.recs[i*knownRecSize : (i+1)*knownRecSize]
		if binary.LittleEndian.Uint32(r) != p {
			break
		}
		if binary.LittleEndian.Uint32(r[4:]) != h {
			continue
		}
		off := binary.LittleEndian.Uint64(r[8:])
		if off >= uint64(len(k.heap)) {
			return nil, nil, false
		}
		e := k.heap[off:]
		var fields [4][]byte
		good := true
		for f := range fields {
			n, w := binary.Uvarint(e)
			if w <= 0 || n > uint64(len(e)-w) {
				good = false
				break
			}
			fields[f] = e[w : w+int(n) : w+int(n)]
			e = e[w+int(n):]
		}
		if good && bytes.Equal(fields[0], ref) && bytes.Equal(fields[1], alt) {
			return fields[2], fields[3], true
		}
	}
	return nil, nil, false
}

// appendKnownEntry appends a heap entry for one normalised known allele.
func appendKnownEntry(heap []byte, ref, alt, id, info []byte) []byte {
	for _, f := range [][]byte{ref, alt, id, info} {
		heap = binary.AppendUvarint(heap, uint64(len(f)))
		heap = append(heap, f...)
	}
	return heap
}
