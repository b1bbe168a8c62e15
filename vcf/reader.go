package vcf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// DefaultMaxLineBytes is the longest line accepted when
// ReaderOptions.MaxLineBytes is not set.
const DefaultMaxLineBytes = 1 << 20

// DefaultBlockRecords is the number of records ReadBlock reads when asked
// for maxRecords <= 0.
const DefaultBlockRecords = 4096

// blockByteBudget caps the bytes one Block holds so that a block of very
// long lines (many samples) cannot grow memory without bound; ReadBlock then
// returns fewer than maxRecords lines.
const blockByteBudget = 8 << 20

// readBufSize is the initial size of the reader's line buffer: large enough
// that refills are rare, small enough to stay in L2 cache.
const readBufSize = 256 << 10

// ReaderOptions bound what a Reader accepts, so that a hostile or broken
// upload fails with a clear error instead of exhausting memory or disk.
type ReaderOptions struct {
	// MaxLineBytes is the longest accepted line (header or data), without
	// its newline; <= 0 means DefaultMaxLineBytes. A longer line is a
	// *ParseError.
	MaxLineBytes int
	// MaxInputBytes limits the decompressed bytes read; <= 0 means
	// unlimited. Exceeding it is a *ParseError (a guard against gzip bombs).
	MaxInputBytes int64
	// Workers is the number of goroutines decompressing BGZF input in
	// parallel; <= 0 means GOMAXPROCS. Plain and ordinary gzip input is
	// read by one goroutine regardless.
	Workers int
}

// Reader streams a VCF: NewReader parses the header, then ReadBlock hands
// out the data lines in blocks. A Reader is not safe for concurrent use;
// the Blocks it fills may be parsed concurrently.
type Reader struct {
	src     io.Reader // decompressed text
	closer  io.Closer // stops background decompression, may be nil
	gz      bool      // input is compressed, so errors mention gzip
	buf     []byte
	pos     int // start of unconsumed data in buf
	end     int // end of valid data in buf
	eof     bool
	err     error // sticky error
	lineNo  int64
	maxLine int
	filled  int64 // decompressed bytes read into buf so far
	hdr     *Header
	raw     *countingReader
}

// NewReader detects plain, gzip or BGZF input by its magic bytes, then reads
// and parses the header. Problems with the input are returned as
// *ParseError: not a VCF (including binary data or another compression
// format), a missing #CHROM line, fewer than 8 columns, truncated or corrupt
// gzip, a too long line or too much data.
func NewReader(r io.Reader, opt ReaderOptions) (*Reader, error) {
	raw := &countingReader{r: r}
	r = raw
	rd := &Reader{maxLine: opt.MaxLineBytes, raw: raw}
	if rd.maxLine <= 0 {
		rd.maxLine = DefaultMaxLineBytes
	}
	var magic [18]byte
	n, err := io.ReadFull(r, magic[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("vcf: read input: %w", err)
	}
	head := magic[:n]
	if msg := otherFormat(head); msg != "" {
		return nil, &ParseError{Msg: "not a VCF file: " + msg}
	}
	var src io.Reader
	switch {
	case n >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		rd.gz = true
		full := io.MultiReader(bytes.NewReader(head), r)
		if isBGZF(head) {
			br := newBGZFReader(full, opt.Workers)
			src, rd.closer = br, br
		} else {
			zr, err := gzip.NewReader(full)
			if err != nil {
				return nil, rd.inputError(err)
			}
			src = zr
		}
		rd.buf = make([]byte, readBufSize)
	default:
		// Plain text: the bytes already read are the start of the file.
		src = r
		rd.buf = make([]byte, readBufSize)
		rd.end = copy(rd.buf, head)
		rd.filled = int64(rd.end)
	}
	if opt.MaxInputBytes > 0 {
		src = &limitReader{r: src, left: opt.MaxInputBytes + 1 - rd.filled, limit: opt.MaxInputBytes}
		if rd.filled > opt.MaxInputBytes {
			return nil, &ParseError{Msg: tooLargeMsg(opt.MaxInputBytes)}
		}
	}
	rd.src = src
	if err := rd.readHeader(); err != nil {
		rd.Close()
		return nil, err
	}
	return rd, nil
}

// otherFormat recognises files that are clearly something else, so that the
// user learns what they uploaded rather than a parse error on line 1.
func otherFormat(h []byte) string {
	switch {
	case bytes.HasPrefix(h, []byte("BZh")) && len(h) > 3 && h[3] >= '1' && h[3] <= '9':
		return "the input is bzip2-compressed; compress it with gzip or bgzip instead"
	case bytes.HasPrefix(h, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return "the input is xz-compressed; compress it with gzip or bgzip instead"
	case bytes.HasPrefix(h, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return "the input is zstd-compressed; compress it with gzip or bgzip instead"
	case bytes.HasPrefix(h, []byte("PK\x03\x04")):
		return "the input is a zip archive; upload the .vcf or .vcf.gz file itself"
	case bytes.HasPrefix(h, []byte("BCF\x02")):
		return "the input is uncompressed BCF; convert it with bcftools view -Oz"
	case bytes.HasPrefix(h, []byte("CRAM")):
		return "the input is a CRAM file (aligned reads); call variants first and upload the VCF"
	}
	return ""
}

// innerFormat recognises what is found after decompression when it is not
// VCF text: the binary formats of the same toolchain, which are BGZF too.
func innerFormat(h []byte) string {
	switch {
	case bytes.HasPrefix(h, []byte("BAM\x01")):
		return "the input is a BAM file (aligned reads); call variants first and upload the VCF"
	case bytes.HasPrefix(h, []byte("BCF\x02")):
		return "the input is BCF; convert it with bcftools view -Oz -o out.vcf.gz"
	case bytes.HasPrefix(h, []byte{0x1f, 0x8b}):
		return "the input is compressed twice; decompress it once (gunzip) and upload the result"
	}
	return ""
}

// isBGZF reports whether a gzip member header carries the BGZF "BC" extra
// subfield, which gives each member's compressed size and so allows
// parallel decompression.
func isBGZF(h []byte) bool {
	return len(h) >= 18 && h[3]&4 != 0 && h[10] == 6 && h[11] == 0 &&
		h[12] == 'B' && h[13] == 'C' && h[14] == 2 && h[15] == 0
}

// Header returns the parsed header. Changes made to it (Header.Add) are
// seen by later callers, which is how an annotator prepares its output
// header.
func (r *Reader) Header() *Header { return r.hdr }

// BytesRead returns the decompressed bytes consumed so far, for progress
// reporting. Call it from the goroutine that calls ReadBlock; use
// InputBytesRead from other goroutines.
func (r *Reader) BytesRead() int64 { return r.filled - int64(r.end-r.pos) }

// InputBytesRead returns the bytes consumed from the underlying reader
// (compressed bytes for gzip input), to compare with a file's size for a
// progress bar. Decompression reads ahead, so it runs slightly ahead of the
// records handed out. It is safe to call from any goroutine.
func (r *Reader) InputBytesRead() int64 { return r.raw.n.Load() }

// countingReader counts bytes read; atomically, because the BGZF producer
// goroutine reads while the caller asks for progress.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// Close stops background decompression goroutines. It is safe to call more
// than once and after io.EOF; it does not close the underlying io.Reader (a
// goroutine blocked in its Read ends when that Read returns).
func (r *Reader) Close() error {
	if r.closer != nil {
		c := r.closer
		r.closer = nil
		return c.Close()
	}
	return nil
}

func (r *Reader) readHeader() error {
	// Check the start of the file before looking for a newline: a binary
	// file has no newline for megabytes and would otherwise be reported as a
	// "too long line" instead of "not a VCF".
	for r.end-r.pos < 64 && !r.eof {
		if err := r.fill(); err != nil {
			return err
		}
	}
	start := r.buf[r.pos:r.end]
	if bytes.HasPrefix(start, []byte{0xef, 0xbb, 0xbf}) {
		// A UTF-8 byte order mark from a Windows editor; harmless.
		r.pos += 3
		start = start[3:]
	}
	if len(start) == 0 {
		return &ParseError{Msg: "not a VCF file: the input is empty"}
	}
	if !bytes.HasPrefix(start, []byte("##fileformat=VCFv4.")) {
		if msg := innerFormat(start); msg != "" {
			return &ParseError{Line: 1, Msg: "not a VCF file: " + msg}
		}
		if looksBinary(start[:min(len(start), 1024)]) {
			return &ParseError{Line: 1, Msg: binaryMsg}
		}
		first := start[:min(len(start), 256)]
		if nl := bytes.IndexByte(first, '\n'); nl >= 0 {
			first = first[:nl]
		}
		return checkFileformat(bytes.TrimSuffix(first, []byte{'\r'}), 1)
	}
	var p headerParser
	for {
		line, err := r.nextLine()
		if err == io.EOF {
			return p.missingChrom(r.lineNo)
		}
		if err != nil {
			return err
		}
		done, err := p.line(line, r.lineNo)
		if err != nil {
			return err
		}
		if done {
			r.hdr = p.h
			return nil
		}
	}
}

// nextLine returns the next line without its newline (and without a
// trailing \r). The slice aliases r.buf and is valid until the next call.
func (r *Reader) nextLine() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	for {
		data := r.buf[r.pos:r.end]
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line := data[:i]
			r.pos += i + 1
			r.lineNo++
			if i > 0 && line[i-1] == '\r' {
				line = line[:i-1]
			}
			if len(line) > r.maxLine {
				return nil, r.fail(&ParseError{Line: r.lineNo, Msg: r.tooLongMsg()})
			}
			return line, nil
		}
		if len(data) > r.maxLine+1 {
			return nil, r.fail(&ParseError{Line: r.lineNo + 1, Msg: r.tooLongMsg()})
		}
		if r.eof {
			if len(data) == 0 {
				return nil, io.EOF
			}
			r.pos = r.end
			r.lineNo++
			if data[len(data)-1] == '\r' {
				data = data[:len(data)-1]
			}
			if len(data) > r.maxLine {
				return nil, r.fail(&ParseError{Line: r.lineNo, Msg: r.tooLongMsg()})
			}
			return data, nil
		}
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
}

func (r *Reader) tooLongMsg() string {
	return "line is longer than the limit of " + strconv.Itoa(r.maxLine) + " bytes (a missing newline or a binary file?)"
}

func (r *Reader) fail(err error) error {
	r.err = err
	return err
}

// fill moves unconsumed data to the front of buf, grows buf when a single
// line fills it, and reads more input.
func (r *Reader) fill() error {
	if r.pos > 0 {
		r.end = copy(r.buf, r.buf[r.pos:r.end])
		r.pos = 0
	}
	if r.end == len(r.buf) {
		n := min(2*len(r.buf), r.maxLine+2)
		if n <= len(r.buf) {
			n = len(r.buf) + 1
		}
		nb := make([]byte, n)
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	for range 100 {
		n, err := r.src.Read(r.buf[r.end:])
		r.end += n
		r.filled += int64(n)
		if err == io.EOF {
			r.eof = true
			return nil
		}
		if err != nil {
			return r.fail(r.inputError(err))
		}
		if n > 0 {
			return nil
		}
	}
	return r.fail(fmt.Errorf("vcf: read input: %w", io.ErrNoProgress))
}

// errTooLarge is returned by limitReader when MaxInputBytes is exceeded.
var errTooLarge = errors.New("input too large")

// inputError turns a decompression or read error into a message for the
// person who supplied the file.
func (r *Reader) inputError(err error) error {
	line := r.lineNo + 1
	var lim *limitError
	var corrupt flate.CorruptInputError
	switch {
	case errors.As(err, &lim):
		return &ParseError{Line: line, Msg: tooLargeMsg(lim.limit)}
	case errors.Is(err, errBGZFNoEOF):
		return &ParseError{Line: line, Msg: "truncated BGZF input: the file ends without the BGZF end-of-file marker block, so it was cut short " +
			"at a block boundary (was the upload or download interrupted? bgzip writes the marker when it finishes)"}
	case errors.Is(err, io.ErrUnexpectedEOF) && r.gz:
		return &ParseError{Line: line, Msg: "truncated gzip input: the file ends in the middle of compressed data (was the upload or download cut short?)"}
	case errors.Is(err, gzip.ErrChecksum):
		return &ParseError{Line: line, Msg: "corrupt gzip input: checksum mismatch (the file was damaged after compression)"}
	case errors.Is(err, gzip.ErrHeader):
		return &ParseError{Line: line, Msg: "corrupt gzip input: invalid gzip header"}
	case errors.As(err, &corrupt):
		return &ParseError{Line: line, Msg: "corrupt gzip input: invalid compressed data"}
	case errors.Is(err, errBGZF):
		return &ParseError{Line: line, Msg: "corrupt gzip input: " + err.Error()}
	}
	return fmt.Errorf("vcf: read input: %w", err)
}

func tooLargeMsg(limit int64) string {
	return tooLargePrefix + strconv.FormatInt(limit, 10) + " bytes after decompression"
}

const tooLargePrefix = "input is larger than the limit of "

// IsTooLarge reports whether err is the reader's refusal of an input over
// ReaderOptions.MaxInputBytes after decompression (rather than malformed
// input), so a caller can word it as a limit.
func IsTooLarge(err error) bool {
	var pe *ParseError
	return errors.As(err, &pe) && strings.HasPrefix(pe.Msg, tooLargePrefix)
}

// limitError reports which limit limitReader enforced.
type limitError struct{ limit int64 }

func (e *limitError) Error() string { return errTooLarge.Error() }
func (e *limitError) Unwrap() error { return errTooLarge }

// limitReader lets limit bytes through and fails on the next one. Unlike
// io.LimitReader it distinguishes "exactly at the limit" from "over it".
type limitReader struct {
	r     io.Reader
	left  int64 // bytes still allowed, plus one to detect the overflow
	limit int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, &limitError{limit: l.limit}
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left <= 0 {
		return n, &limitError{limit: l.limit}
	}
	return n, err
}

// Block holds a batch of raw data lines in one reusable buffer. A Block is
// filled by Reader.ReadBlock and may then be handed to another goroutine.
type Block struct {
	buf     []byte
	starts  []int
	ends    []int
	lineNos []int64
}

// Len returns the number of lines in the block.
func (b *Block) Len() int { return len(b.starts) }

// Line returns line i without its newline. It aliases the block's buffer
// and is valid until the next ReadBlock into b.
func (b *Block) Line(i int) []byte { return b.buf[b.starts[i]:b.ends[i]:b.ends[i]] }

// LineNo returns the 1-based line number of line i in the decompressed
// file, counting header lines.
func (b *Block) LineNo(i int) int64 { return b.lineNos[i] }

// Bytes returns the total size of the lines in the block, for accounting.
func (b *Block) Bytes() int { return len(b.buf) }

func (b *Block) reset() {
	b.buf = b.buf[:0]
	b.starts = b.starts[:0]
	b.ends = b.ends[:0]
	b.lineNos = b.lineNos[:0]
}

func (b *Block) add(line []byte, lineNo int64) {
	b.starts = append(b.starts, len(b.buf))
	b.buf = append(b.buf, line...)
	b.ends = append(b.ends, len(b.buf))
	b.lineNos = append(b.lineNos, lineNo)
}

// ReadBlock fills b, reusing its buffers, with up to maxRecords data lines
// (DefaultBlockRecords when maxRecords <= 0), copied so they outlive the
// reader's buffer. Empty lines are skipped. It may return fewer lines when
// they are long (a block holds a few MiB at most). At the end of the input
// it returns io.EOF with b.Len() == 0. Other errors are *ParseError for bad
// input, or wrapped I/O errors; after an error b's content is unspecified
// and the Reader returns the same error again.
func (r *Reader) ReadBlock(b *Block, maxRecords int) error {
	b.reset()
	if maxRecords <= 0 {
		maxRecords = DefaultBlockRecords
	}
	for len(b.starts) < maxRecords && len(b.buf) < blockByteBudget {
		line, err := r.nextLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.reset()
			return err
		}
		if len(line) == 0 {
			continue
		}
		b.add(line, r.lineNo)
	}
	if len(b.starts) == 0 {
		return io.EOF
	}
	return nil
}
