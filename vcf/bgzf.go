package vcf

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// BGZF is gzip made of independent members of at most 64 KiB, each carrying
// its own compressed size in a "BC" extra field (SAM/BAM specification,
// section 4.1). That size is what lets both directions run in parallel.
const (
	bgzfHeaderLen = 18
	bgzfFooterLen = 8
	// bgzfMaxBlock is the largest member, header and footer included.
	bgzfMaxBlock = 1 << 16
	// bgzfMaxInput is the uncompressed bytes per member. htslib uses the
	// same 0xff00 so that even incompressible data stored verbatim fits in
	// a 64 KiB member.
	bgzfMaxInput = 0xff00
)

// bgzfEOF is the empty member htslib appends to mark a complete file.
var bgzfEOF = []byte{
	0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43,
	0x02, 0x00, 0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
}

// DefaultBGZFLevel is the deflate level NewBGZFWriter uses. Output
// compression is on the critical path of every annotation job, so speed wins
// over the last bytes. On real dbSNP records (BenchmarkBGZFWriteKnownVariants,
// one worker) klauspost level 2 costs 36 instructions per input byte for a
// 0.255 size ratio, the same as libdeflate's level 1 in bgzip; level 6 costs
// 61 for 0.230, and bgzip's default 85 for 0.204. Level 1 is slightly
// cheaper but larger. See docs/vcf.md; pass a higher level to
// NewBGZFWriterLevel for archival copies.
const DefaultBGZFLevel = 2

// errBGZF marks structural errors in BGZF input.
var errBGZF = errors.New("invalid BGZF block")

// errBGZFNoEOF reports BGZF input that ends cleanly between members but
// without the empty end-of-file member htslib always writes last. A file
// cut at a block boundary looks exactly like that, and reading on would
// silently annotate only the records before the cut.
var errBGZFNoEOF = errors.New("BGZF input ends without its end-of-file marker block")

// bgzfJob is one member travelling through the parallel pipeline.
type bgzfJob struct {
	in   []byte        // uncompressed bytes
	out  []byte        // compressed member
	err  error         // set by the producer or the worker
	done chan struct{} // signalled once out (or err) is ready
}

// BGZFWriter compresses a stream into standard BGZF, readable by bgzip,
// tabix, bcftools and any gzip reader. Members are compressed in parallel
// and written in order; Close writes the EOF marker member. It is an
// io.WriteCloser; Close does not close the underlying writer. A BGZFWriter
// is not safe for concurrent Writes.
type BGZFWriter struct {
	w       io.Writer
	level   int
	cur     *bgzfJob
	work    chan *bgzfJob
	ordered chan *bgzfJob
	free    chan *bgzfJob
	wg      sync.WaitGroup
	outDone chan struct{}
	mu      sync.Mutex
	err     error
	closed  bool
}

// NewBGZFWriter returns a writer compressing with DefaultBGZFLevel on
// workers goroutines (<= 0 means GOMAXPROCS).
func NewBGZFWriter(w io.Writer, workers int) *BGZFWriter {
	bw, _ := NewBGZFWriterLevel(w, workers, DefaultBGZFLevel)
	return bw
}

// NewBGZFWriterLevel is NewBGZFWriter with an explicit deflate level, 1
// (fastest) to 9 (smallest); 0 means DefaultBGZFLevel.
func NewBGZFWriterLevel(w io.Writer, workers, level int) (*BGZFWriter, error) {
	if level == 0 {
		level = DefaultBGZFLevel
	}
	if level < 1 || level > 9 {
		return nil, fmt.Errorf("vcf: new BGZF writer: deflate level %d out of range 1-9", level)
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	n := 2*workers + 2
	bw := &BGZFWriter{
		w:       w,
		level:   level,
		work:    make(chan *bgzfJob, n),
		ordered: make(chan *bgzfJob, n),
		free:    make(chan *bgzfJob, n),
		outDone: make(chan struct{}),
	}
	for range n {
		bw.free <- &bgzfJob{done: make(chan struct{}, 1)}
	}
	for range workers {
		bw.wg.Add(1)
		go bw.compressLoop()
	}
	go bw.writeLoop()
	return bw, nil
}

// Write buffers p, compressing and writing each full 64 KiB member.
func (bw *BGZFWriter) Write(p []byte) (int, error) {
	if bw.closed {
		return 0, errors.New("vcf: BGZF write: writer is closed")
	}
	if err := bw.loadErr(); err != nil {
		return 0, err
	}
	written := 0
	for len(p) > 0 {
		if bw.cur == nil {
			bw.cur = <-bw.free
			if bw.cur.in == nil {
				bw.cur.in = make([]byte, 0, bgzfMaxInput)
			}
		}
		n := min(len(p), bgzfMaxInput-len(bw.cur.in))
		bw.cur.in = append(bw.cur.in, p[:n]...)
		p = p[n:]
		written += n
		if len(bw.cur.in) == bgzfMaxInput {
			bw.submit()
			if err := bw.loadErr(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

func (bw *BGZFWriter) submit() {
	j := bw.cur
	bw.cur = nil
	j.err = nil
	bw.ordered <- j
	bw.work <- j
}

func (bw *BGZFWriter) loadErr() error {
	bw.mu.Lock()
	defer bw.mu.Unlock()
	return bw.err
}

func (bw *BGZFWriter) setErr(err error) {
	bw.mu.Lock()
	if bw.err == nil {
		bw.err = err
	}
	bw.mu.Unlock()
}

// Close compresses what is buffered, waits for all members to be written,
// then writes the EOF marker. It returns the first error met.
func (bw *BGZFWriter) Close() error {
	if bw.closed {
		return bw.loadErr()
	}
	bw.closed = true
	if bw.cur != nil && len(bw.cur.in) > 0 {
		bw.submit()
	}
	close(bw.work)
	close(bw.ordered)
	bw.wg.Wait()
	<-bw.outDone
	if err := bw.loadErr(); err != nil {
		return err
	}
	if _, err := bw.w.Write(bgzfEOF); err != nil {
		bw.setErr(fmt.Errorf("vcf: write BGZF EOF block: %w", err))
	}
	return bw.loadErr()
}

func (bw *BGZFWriter) compressLoop() {
	defer bw.wg.Done()
	fw, _ := flate.NewWriter(nil, bw.level)
	for j := range bw.work {
		j.out = compressMember(j.out[:0], j.in, fw)
		j.done <- struct{}{}
	}
}

func (bw *BGZFWriter) writeLoop() {
	defer close(bw.outDone)
	for j := range bw.ordered {
		<-j.done
		if bw.loadErr() == nil {
			if _, err := bw.w.Write(j.out); err != nil {
				bw.setErr(fmt.Errorf("vcf: write BGZF block: %w", err))
			}
		}
		j.in = j.in[:0]
		bw.free <- j
	}
}

// appendWriter lets the deflate writer append straight into a job's buffer.
type appendWriter struct{ b []byte }

func (a *appendWriter) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

// compressMember appends one complete BGZF member holding in to dst.
func compressMember(dst, in []byte, fw *flate.Writer) []byte {
	dst = append(dst, 0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 'B', 'C', 2, 0, 0, 0)
	aw := appendWriter{b: dst}
	fw.Reset(&aw)
	_, err := fw.Write(in)
	if err == nil {
		err = fw.Close()
	}
	dst = aw.b
	if err != nil || len(dst)+bgzfFooterLen > bgzfMaxBlock {
		// Incompressible input: a stored deflate block always fits, which
		// is why members hold at most bgzfMaxInput bytes.
		dst = dst[:bgzfHeaderLen]
		dst = append(dst, 1, byte(len(in)), byte(len(in)>>8), ^byte(len(in)), ^byte(len(in)>>8))
		dst = append(dst, in...)
	}
	dst = binary.LittleEndian.AppendUint32(dst, crc32.ChecksumIEEE(in))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(in)))
	binary.LittleEndian.PutUint16(dst[16:], uint16(len(dst)-1))
	return dst
}

// bgzfReader decompresses BGZF members in parallel, keeping their order. A
// producer goroutine splits the input into members using the BC field,
// workers inflate them, and Read hands out the results in order.
type bgzfReader struct {
	src     *bufio.Reader
	work    chan *bgzfJob
	ordered chan *bgzfJob
	free    chan *bgzfJob
	stop    chan struct{}
	once    sync.Once
	cur     *bgzfJob
	off     int
	err     error
}

func newBGZFReader(r io.Reader, workers int) *bgzfReader {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	n := 4*workers + 4
	br := &bgzfReader{
		src:     bufio.NewReaderSize(r, 256<<10),
		work:    make(chan *bgzfJob, n),
		ordered: make(chan *bgzfJob, n),
		free:    make(chan *bgzfJob, n),
		stop:    make(chan struct{}),
	}
	for range n {
		br.free <- &bgzfJob{done: make(chan struct{}, 1)}
	}
	for range workers {
		go br.inflateLoop()
	}
	go br.produce()
	return br
}

// produce reads members and queues them; it ends at EOF, on the first
// error (queued as a job so Read reports it in order) or on Close. A
// stream of BGZF members must end with an empty one (the EOF marker), or it
// was cut short; once the stream falls back to ordinary gzip members
// (sequential) that rule no longer applies.
func (br *bgzfReader) produce() {
	defer close(br.work)
	defer close(br.ordered)
	lastEmpty := false // the last member read holds no data: the EOF marker
	for {
		var j *bgzfJob
		select {
		case j = <-br.free:
		case <-br.stop:
			return
		}
		more, err := br.readMember(j)
		if !more && err == nil {
			if lastEmpty {
				return
			}
			err = errBGZFNoEOF
		}
		if err == nil {
			// ISIZE, the member's uncompressed length, ends its footer.
			lastEmpty = binary.LittleEndian.Uint32(j.in[len(j.in)-4:]) == 0
		}
		var pm *plainMember
		if errors.As(err, &pm) {
			br.sequential(j, pm.head)
			return
		}
		j.err = err
		br.ordered <- j
		if err != nil {
			j.done <- struct{}{}
			return
		}
		br.work <- j
	}
}

// readMember reads the next member's compressed bytes into j.in. It returns
// more == false at a clean end of input.
func (br *bgzfReader) readMember(j *bgzfJob) (more bool, err error) {
	var h [12]byte
	n, err := io.ReadFull(br.src, h[:])
	if n == 0 && err == io.EOF {
		return false, nil
	}
	if err != nil {
		return true, eofIsTruncation(err)
	}
	if h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 {
		return true, fmt.Errorf("%w: bad gzip magic bytes (data after the end of the compressed stream?)", errBGZF)
	}
	if h[3] != 4 {
		return true, &plainMember{head: append([]byte(nil), h[:]...)}
	}
	xlen := int(binary.LittleEndian.Uint16(h[10:]))
	if cap(j.in) < bgzfMaxBlock {
		j.in = make([]byte, 0, bgzfMaxBlock)
	}
	extra := j.in[:xlen]
	if _, err := io.ReadFull(br.src, extra); err != nil {
		return true, eofIsTruncation(err)
	}
	bsize := -1
	for e := extra; len(e) >= 4; {
		sl := int(binary.LittleEndian.Uint16(e[2:]))
		if e[0] == 'B' && e[1] == 'C' && sl == 2 && len(e) >= 6 {
			bsize = int(binary.LittleEndian.Uint16(e[4:])) + 1
		}
		if 4+sl > len(e) {
			break
		}
		e = e[4+sl:]
	}
	if bsize < 0 {
		return true, &plainMember{head: append(append([]byte(nil), h[:]...), extra...)}
	}
	rest := bsize - 12 - xlen
	if rest < bgzfFooterLen {
		return true, fmt.Errorf("%w: missing or bad BC block size", errBGZF)
	}
	j.in = j.in[:rest]
	if _, err := io.ReadFull(br.src, j.in); err != nil {
		return true, eofIsTruncation(err)
	}
	return true, nil
}

// plainMember reports a gzip member without the BGZF size field, as found
// when a bgzipped file and a gzipped one are concatenated. head holds the
// bytes of it already consumed.
type plainMember struct{ head []byte }

func (p *plainMember) Error() string { return "gzip member without the BGZF block size" }

// sequential decompresses the rest of the input with an ordinary gzip
// reader, starting with the member whose first bytes are head, and queues
// the output in 64 KiB jobs that skip the workers. Such input is rare, so
// it is accepted at single-thread speed rather than rejected.
func (br *bgzfReader) sequential(j *bgzfJob, head []byte) {
	zr, err := gzip.NewReader(io.MultiReader(bytes.NewReader(head), br.src))
	for {
		n := 0
		if err == nil {
			if cap(j.out) < bgzfMaxBlock {
				j.out = make([]byte, 0, bgzfMaxBlock)
			}
			buf := j.out[:bgzfMaxBlock]
			for n < len(buf) && err == nil {
				var m int
				m, err = zr.Read(buf[n:])
				n += m
			}
			j.out = buf[:n]
		}
		if n > 0 {
			j.err = nil
			br.ordered <- j
			j.done <- struct{}{}
			if err == nil {
				select {
				case j = <-br.free:
				case <-br.stop:
					return
				}
				continue
			}
			if err == io.EOF {
				return
			}
			select {
			case j = <-br.free:
			case <-br.stop:
				return
			}
		}
		if err == io.EOF {
			j.out = j.out[:0]
			br.free <- j
			return
		}
		j.err = err
		br.ordered <- j
		j.done <- struct{}{}
		return
	}
}

// eofIsTruncation maps an end of input inside a member to
// io.ErrUnexpectedEOF and keeps real I/O errors as they are.
func eofIsTruncation(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (br *bgzfReader) inflateLoop() {
	var fr io.ReadCloser
	// A *bytes.Reader, not a custom type: the inflater has a fast path
	// specialised for it.
	src := bytes.NewReader(nil)
	for j := range br.work {
		j.err = nil
		data := j.in[:len(j.in)-bgzfFooterLen]
		foot := j.in[len(j.in)-bgzfFooterLen:]
		size := int(binary.LittleEndian.Uint32(foot[4:]))
		if size > bgzfMaxBlock {
			j.err = fmt.Errorf("%w: member claims %d uncompressed bytes, BGZF allows at most 65536", errBGZF, size)
			j.done <- struct{}{}
			continue
		}
		src.Reset(data)
		if fr == nil {
			fr = flate.NewReader(src)
		} else {
			_ = fr.(flate.Resetter).Reset(src, nil)
		}
		if cap(j.out) < bgzfMaxBlock+1 {
			j.out = make([]byte, 0, bgzfMaxBlock+1)
		}
		// Read one byte more than announced to detect a lying ISIZE.
		out := j.out[:size+1]
		n, err := io.ReadFull(fr, out)
		switch {
		case err == io.ErrUnexpectedEOF || err == io.EOF:
			if n != size {
				j.err = fmt.Errorf("%w: member size does not match its content", errBGZF)
			}
		case err != nil:
			j.err = err
		default:
			j.err = fmt.Errorf("%w: member size does not match its content", errBGZF)
		}
		j.out = out[:n]
		if j.err == nil && crc32.ChecksumIEEE(j.out) != binary.LittleEndian.Uint32(foot) {
			j.err = fmt.Errorf("%w: checksum mismatch (the file was damaged after compression)", errBGZF)
		}
		j.done <- struct{}{}
	}
}

// Read copies decompressed bytes in file order.
func (br *bgzfReader) Read(p []byte) (int, error) {
	if br.err != nil {
		return 0, br.err
	}
	for br.cur == nil || br.off == len(br.cur.out) {
		if br.cur != nil {
			br.cur.out = br.cur.out[:0]
			br.free <- br.cur
			br.cur = nil
		}
		j, ok := <-br.ordered
		if !ok {
			br.err = io.EOF
			return 0, io.EOF
		}
		<-j.done
		if j.err != nil {
			br.err = j.err
			return 0, j.err
		}
		br.cur, br.off = j, 0
	}
	n := copy(p, br.cur.out[br.off:])
	br.off += n
	return n, nil
}

// Close stops the producer and lets the workers drain.
func (br *bgzfReader) Close() error {
	br.once.Do(func() {
		close(br.stop)
		// Drain so that a producer blocked on a full queue can see stop.
		go func() {
			for j := range br.ordered {
				<-j.done
			}
		}()
	})
	return nil
}
