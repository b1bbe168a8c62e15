package jobs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"regexp"
	"strconv"

	"github.com/klauspost/compress/flate"

	"github.com/gas-project/gas/annotate"
)

// BGZF layout (SAM/BAM specification §4.1): an 18-byte gzip header whose
// extra field carries the member's total size minus one ("BC" subfield),
// deflate data, then CRC32 and the uncompressed size. A BGZF file is any
// sequence of members ending with an empty one (the EOF marker).
const (
	bgzfHeader  = 18
	bgzfFooter  = 8
	bgzfMaxData = 0xff00 // uncompressed bytes per member, as htslib
)

var bgzfEOF = []byte{
	0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43,
	0x02, 0x00, 0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
}

// errHeaderMismatch means shard outputs disagree on their header: they were
// made by different gas versions or bundles, and no merge of them is the
// result of one run. Retrying does not help.
var errHeaderMismatch = errors.New("shard outputs have different VCF headers (workers with different gas versions or bundles?)")

// readMember returns the next whole BGZF member of r, or io.EOF at the end.
func readMember(r *bufio.Reader, buf []byte) ([]byte, error) {
	head, err := r.Peek(12)
	if err == io.EOF && len(head) == 0 {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("BGZF member header: %w", noEOF(err))
	}
	if head[0] != 0x1f || head[1] != 0x8b || head[2] != 8 || head[3]&4 == 0 {
		return nil, errors.New("not a BGZF member")
	}
	xlen := int(binary.LittleEndian.Uint16(head[10:]))
	hx, err := r.Peek(12 + xlen)
	if err != nil {
		return nil, fmt.Errorf("BGZF extra field: %w", noEOF(err))
	}
	size := -1
	for x := hx[12:]; len(x) >= 4; {
		slen := int(binary.LittleEndian.Uint16(x[2:]))
		if x[0] == 'B' && x[1] == 'C' && slen == 2 && len(x) >= 6 {
			size = int(binary.LittleEndian.Uint16(x[4:])) + 1
		}
		if len(x) < 4+slen {
			break
		}
		x = x[4+slen:]
	}
	if size < 12+xlen+bgzfFooter {
		return nil, errors.New("gzip member without a valid BGZF block size")
	}
	buf = append(buf[:0], make([]byte, size)...)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("BGZF member: %w", noEOF(err))
	}
	return buf, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// memberSize is the uncompressed size of a member (its ISIZE).
func memberSize(m []byte) uint32 { return binary.LittleEndian.Uint32(m[len(m)-4:]) }

// inflateMember returns a member's uncompressed data, checking its CRC.
func inflateMember(m []byte) ([]byte, error) {
	xlen := int(binary.LittleEndian.Uint16(m[10:]))
	fr := flate.NewReader(bytes.NewReader(m[12+xlen : len(m)-bgzfFooter]))
	defer fr.Close()
	data, err := io.ReadAll(fr)
	if err != nil {
		return nil, fmt.Errorf("inflate BGZF member: %w", err)
	}
	if crc32.ChecksumIEEE(data) != binary.LittleEndian.Uint32(m[len(m)-8:]) || uint32(len(data)) != memberSize(m) {
		return nil, errors.New("BGZF member fails its checksum")
	}
	return data, nil
}

// memberWriter writes data as new BGZF members.
type memberWriter struct {
	fw  *flate.Writer
	buf bytes.Buffer
}

func (mw *memberWriter) write(w io.Writer, data []byte) error {
	if mw.fw == nil {
		mw.fw, _ = flate.NewWriter(nil, 2) // vcf.DefaultBGZFLevel: speed over the last bytes
	}
	for len(data) > 0 {
		n := min(len(data), bgzfMaxData)
		chunk := data[:n]
		data = data[n:]
		mw.buf.Reset()
		mw.buf.Write([]byte{0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 'B', 'C', 2, 0, 0, 0})
		mw.fw.Reset(&mw.buf)
		if _, err := mw.fw.Write(chunk); err != nil {
			return err
		}
		if err := mw.fw.Close(); err != nil {
			return err
		}
		b := mw.buf.Bytes()
		b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
		b = binary.LittleEndian.AppendUint32(b, uint32(n))
		if len(b) > 1<<16 {
			return errors.New("BGZF member over 64 KiB") // cannot happen at level 2 on 0xff00 bytes
		}
		binary.LittleEndian.PutUint16(b[16:], uint16(len(b)-1))
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// mergeBGZF writes to w one BGZF VCF made of the n annotated pieces that
// open returns in order: the header once (the pieces' headers must be
// equal), then every piece's records, then one EOF marker. Only the members
// holding a header are decompressed and rewritten; the records' members are
// copied as they are, so the merge costs little more than reading the
// pieces. Concatenated BGZF members are valid BGZF, and the records are
// byte for byte those of the pieces.
func mergeBGZF(ctx context.Context, w io.Writer, n int, open func(i int) (io.ReadCloser, error)) error {
	var first []byte // the header of piece 0
	var mw memberWriter
	var m []byte
	for i := range n {
		if err := ctx.Err(); err != nil {
			return err
		}
		rc, err := open(i)
		if err != nil {
			return fmt.Errorf("open piece %d: %w", i, err)
		}
		err = func() error {
			defer rc.Close()
			br := bufio.NewReaderSize(rc, 1<<20)
			var text []byte // decompressed start of the piece, until the header ends
			inHeader := true
			for k := 0; ; k++ {
				if k&1023 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				m, err = readMember(br, m)
				if err == io.EOF {
					break
				}
				if err != nil {
					return err
				}
				if memberSize(m) == 0 {
					continue // an EOF marker (or empty member): one goes at the very end
				}
				if !inHeader {
					if _, err := w.Write(m); err != nil {
						return fmt.Errorf("write result: %w", err)
					}
					continue
				}
				data, err := inflateMember(m)
				if err != nil {
					return err
				}
				text = append(text, data...)
				end := headerEnd(text)
				if end < 0 {
					continue
				}
				inHeader = false
				hdr, rest := text[:end], text[end:]
				if i == 0 {
					first = append([]byte(nil), hdr...)
					rest = text
				} else if !bytes.Equal(hdr, first) {
					return errHeaderMismatch
				}
				if err := mw.write(w, rest); err != nil {
					return fmt.Errorf("write result: %w", err)
				}
			}
			if inHeader {
				return errors.New("annotated piece has no complete header")
			}
			return nil
		}()
		if err != nil {
			return fmt.Errorf("piece %d: %w", i, err)
		}
	}
	if _, err := w.Write(bgzfEOF); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}

// headerEnd returns the length of the VCF header at the start of text (up
// to and including the newline of the #CHROM line), or -1 if text does not
// hold all of it yet.
func headerEnd(text []byte) int {
	off := 0
	for off < len(text) {
		nl := bytes.IndexByte(text[off:], '\n')
		if nl < 0 {
			return -1
		}
		if bytes.HasPrefix(text[off:], []byte("#CHROM")) {
			return off + nl + 1
		}
		off += nl + 1
	}
	return -1
}

// lineRef matches the "line N: " that starts the engine's messages.
var lineRef = regexp.MustCompile(`^line ([0-9]+): `)

// shiftLine rewrites a leading "line N: " of msg to the whole input's numbering.
func shiftLine(msg string, offset int64) string {
	m := lineRef.FindStringSubmatchIndex(msg)
	if m == nil || offset == 0 {
		return msg
	}
	n, err := strconv.ParseInt(msg[m[2]:m[3]], 10, 64)
	if err != nil {
		return msg
	}
	return "line " + strconv.FormatInt(n+offset, 10) + ": " + msg[m[1]:]
}

// omitted is the marker the engine appends to a capped list.
const omitted = "... (further entries omitted)"

// maxListed caps merged warnings and errors, as the engine caps them.
const maxListed = 100

// mergeSummaries adds up the summaries of the pieces, in order, into the
// summary one run over the whole input would give: counts and tallies are
// summed, line numbers in messages shifted by each piece's offset, and
// repeated warnings (a contig missing from the bundle) listed once.
func mergeSummaries(sums []*annotate.Summary, offsets []int64) *annotate.Summary {
	out := &annotate.Summary{Consequences: map[string]int64{}, Impacts: map[string]int64{}, Chromosomes: map[string]int64{}, Tracks: map[string]int64{}}
	seen := map[string]bool{}
	add := func(list *[]string, s string, dedup bool) {
		if s == omitted || (dedup && seen[s]) {
			return
		}
		seen[s] = true
		switch {
		case len(*list) < maxListed:
			*list = append(*list, s)
		case len(*list) == maxListed:
			*list = append(*list, omitted)
		}
	}
	for i, s := range sums {
		if s == nil {
			continue
		}
		if out.Bundle == "" {
			out.Bundle, out.BundleChecksum, out.BundleCoverage = s.Bundle, s.BundleChecksum, s.BundleCoverage
		}
		out.Records += s.Records
		out.Alleles += s.Alleles
		out.Annotated += s.Annotated
		out.NotAnnotated += s.NotAnnotated
		out.RefEqualsAlt += s.RefEqualsAlt
		out.Skipped += s.Skipped
		out.Known += s.Known
		out.Novel += s.Novel
		out.Uncovered += s.Uncovered
		out.NoSequence += s.NoSequence
		for k, v := range s.Sources {
			if out.Sources == nil {
				out.Sources = map[string]int64{}
			}
			out.Sources[k] += v
		}
		for _, m := range []struct{ dst, src map[string]int64 }{
			{out.Consequences, s.Consequences}, {out.Impacts, s.Impacts}, {out.Chromosomes, s.Chromosomes}, {out.Tracks, s.Tracks},
		} {
			for k, v := range m.src {
				m.dst[k] += v
			}
		}
		var off int64
		if i < len(offsets) {
			off = offsets[i]
		}
		for _, w := range s.Warnings {
			add(&out.Warnings, shiftLine(w, off), true)
		}
		for _, e := range s.Errors {
			add(&out.Errors, shiftLine(e, off), false)
		}
		out.Seconds += s.Seconds
	}
	out.FinishCoverage() // the shares and coverage warnings of the whole input
	return out
}
