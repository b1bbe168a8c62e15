package refdata

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// errUnsorted stops a streaming build at the first record out of order; the
// build then starts again with an external sort.
var errUnsorted = errors.New("input not sorted by contig and position")

// sink receives the alleles of a source in input order. record is called
// once per input record before its alleles (contig and position as in the
// input); add once per allele with its normalised position (never before
// the record's own position).
type sink interface {
	record(contig int, pos uint32) error
	add(contig int, pos, code uint32, body []byte) error
	finish() (runs int, err error)
}

// streamSink writes a sorted input straight to the writer. Normalising can
// move an allele forward (a padded indel), so alleles whose position is
// past their record's wait in a small pending list until the input reaches
// them: no later record can produce an allele before its own position.
type streamSink struct {
	w      *srcWriter
	contig int
	pos    uint32
	done   []bool
	pend   []pendEntry
	arena  []byte
	seq    uint64
}

type pendEntry struct {
	pos, code uint32
	seq       uint64
	off, n    int
}

func newStreamSink(w *srcWriter) *streamSink { return &streamSink{w: w, contig: -1} }

func (s *streamSink) record(contig int, pos uint32) error {
	if contig != s.contig {
		if err := s.flush(^uint32(0)); err != nil {
			return err
		}
		for len(s.done) <= contig {
			s.done = append(s.done, false)
		}
		if s.done[contig] {
			return errUnsorted
		}
		if s.contig >= 0 {
			s.done[s.contig] = true
		}
		s.contig, s.pos = contig, 0
	} else if pos < s.pos {
		return errUnsorted
	}
	s.pos = pos
	if len(s.pend) > 0 && s.pend[0].pos <= pos {
		return s.flush(pos)
	}
	return nil
}

func (s *streamSink) add(contig int, pos, code uint32, body []byte) error {
	if pos == s.pos {
		return s.w.add(contig, pos, code, body)
	}
	e := pendEntry{pos: pos, code: code, seq: s.seq, off: len(s.arena), n: len(body)}
	s.seq++
	s.arena = append(s.arena, body...)
	// Insert in (pos, seq) order; the list is short and nearly sorted.
	i := len(s.pend)
	s.pend = append(s.pend, e)
	for i > 0 && s.pend[i-1].pos > pos {
		s.pend[i] = s.pend[i-1]
		i--
	}
	s.pend[i] = e
	return nil
}

// flush writes the pending alleles at or before pos.
func (s *streamSink) flush(pos uint32) error {
	n := 0
	for n < len(s.pend) && s.pend[n].pos <= pos {
		p := s.pend[n]
		if err := s.w.add(s.contig, p.pos, p.code, s.arena[p.off:p.off+p.n]); err != nil {
			return err
		}
		n++
	}
	s.pend = append(s.pend[:0], s.pend[n:]...)
	if len(s.pend) == 0 {
		s.arena = s.arena[:0]
	}
	return nil
}

func (s *streamSink) finish() (int, error) { return 0, s.flush(^uint32(0)) }

// extSink sorts an unsorted input: alleles collect in memory up to a
// budget, are sorted and spilled to run files, and the runs are merged into
// the writer at the end. Equal positions keep their input order (within a
// run by arena offset, across runs by run number).
type extSink struct {
	w      *srcWriter
	dir    string
	budget int
	arena  []byte
	ents   []extEnt
	runs   []string
}

type extEnt struct {
	key    uint64 // contig<<32 | pos
	off, n uint32 // body in arena (after its 4-byte code)
}

func newExtSink(w *srcWriter, dir string, budget int) *extSink {
	if budget <= 0 {
		budget = defaultSortMemory
	}
	return &extSink{w: w, dir: dir, budget: budget}
}

func (s *extSink) record(int, uint32) error { return nil }

func (s *extSink) add(contig int, pos, code uint32, body []byte) error {
	if s.arena == nil {
		// Both buffers are allocated once at their full size, half the
		// budget each, and never grown: growing by append would hold the
		// old and the new array at once and leave garbage for the collector
		// to let the heap double over, which took a 384 MiB budget to 1.3 GB
		// of RSS on 20M shuffled alleles.
		s.arena = make([]byte, 0, max(s.budget/2, 1<<10))
		s.ents = make([]extEnt, 0, max(s.budget/2/16, 64))
	}
	need := 4 + len(body)
	if len(s.ents) == cap(s.ents) || len(s.arena)+need > cap(s.arena) {
		if len(s.ents) > 0 {
			if err := s.spill(); err != nil {
				return err
			}
		}
		if need > cap(s.arena) {
			// One body larger than half the budget: a run of its own.
			s.arena = make([]byte, 0, need)
		}
	}
	off := len(s.arena)
	s.arena = binary.LittleEndian.AppendUint32(s.arena, code)
	s.arena = append(s.arena, body...)
	s.ents = append(s.ents, extEnt{key: uint64(contig)<<32 | uint64(pos), off: uint32(off), n: uint32(len(body))})
	return nil
}

func (s *extSink) sort() {
	slices.SortFunc(s.ents, func(a, b extEnt) int {
		if a.key != b.key {
			if a.key < b.key {
				return -1
			}
			return 1
		}
		return int(int64(a.off) - int64(b.off))
	})
}

func (s *extSink) spill() error {
	s.sort()
	f, err := os.CreateTemp(s.dir, "sort-run-")
	if err != nil {
		return fmt.Errorf("external sort: %w", err)
	}
	s.runs = append(s.runs, f.Name())
	bw := bufio.NewWriterSize(f, 1<<20)
	var hdr []byte
	for _, e := range s.ents {
		hdr = binary.LittleEndian.AppendUint64(hdr[:0], e.key)
		hdr = append(hdr, s.arena[e.off:e.off+4]...)
		hdr = binary.AppendUvarint(hdr, uint64(e.n))
		bw.Write(hdr)
		bw.Write(s.arena[e.off+4 : e.off+4+e.n])
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("external sort: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("external sort: %w", err)
	}
	s.arena, s.ents = s.arena[:0], s.ents[:0]
	return nil
}

func (s *extSink) finish() (int, error) {
	defer func() {
		for _, r := range s.runs {
			os.Remove(r)
		}
	}()
	if len(s.runs) == 0 {
		s.sort()
		for _, e := range s.ents {
			code := binary.LittleEndian.Uint32(s.arena[e.off:])
			if err := s.w.add(int(e.key>>32), uint32(e.key), code, s.arena[e.off+4:e.off+4+e.n]); err != nil {
				return 1, err
			}
		}
		return 1, nil
	}
	if len(s.ents) > 0 {
		if err := s.spill(); err != nil {
			return 0, err
		}
	}
	s.arena, s.ents = nil, nil
	h := &runHeap{}
	for i, name := range s.runs {
		f, err := os.Open(name)
		if err != nil {
			return 0, fmt.Errorf("external sort: %w", err)
		}
		defer f.Close()
		r := &runReader{br: bufio.NewReaderSize(f, 256<<10), run: i}
		ok, err := r.next()
		if err != nil {
			return 0, err
		}
		if ok {
			h.rs = append(h.rs, r)
		}
	}
	heap.Init(h)
	for len(h.rs) > 0 {
		r := h.rs[0]
		if err := s.w.add(int(r.key>>32), uint32(r.key), r.code, r.body); err != nil {
			return 0, err
		}
		ok, err := r.next()
		if err != nil {
			return 0, err
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return len(s.runs), nil
}

type runReader struct {
	br   *bufio.Reader
	hdr  [12]byte
	run  int
	key  uint64
	code uint32
	body []byte
}

func (r *runReader) next() (bool, error) {
	hdr := r.hdr[:] // a field: a local array read through an io.Reader escapes, 16 bytes of garbage a record
	if _, err := io.ReadFull(r.br, hdr); err != nil {
		if err == io.EOF {
			return false, nil
		}
		return false, fmt.Errorf("external sort: read run: %w", err)
	}
	r.key = binary.LittleEndian.Uint64(hdr[:8])
	r.code = binary.LittleEndian.Uint32(hdr[8:])
	n, err := binary.ReadUvarint(r.br)
	if err != nil {
		return false, fmt.Errorf("external sort: read run: %w", err)
	}
	if cap(r.body) < int(n) {
		r.body = make([]byte, n)
	}
	r.body = r.body[:n]
	if _, err := io.ReadFull(r.br, r.body); err != nil {
		return false, fmt.Errorf("external sort: read run: %w", err)
	}
	return true, nil
}

type runHeap struct{ rs []*runReader }

func (h *runHeap) Len() int { return len(h.rs) }
func (h *runHeap) Less(i, j int) bool {
	a, b := h.rs[i], h.rs[j]
	if a.key != b.key {
		return a.key < b.key
	}
	return a.run < b.run
}
func (h *runHeap) Swap(i, j int) { h.rs[i], h.rs[j] = h.rs[j], h.rs[i] }
func (h *runHeap) Push(x any)    { h.rs = append(h.rs, x.(*runReader)) }
func (h *runHeap) Pop() any {
	r := h.rs[len(h.rs)-1]
	h.rs = h.rs[:len(h.rs)-1]
	return r
}
