package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/vcf"
)

// piece is one contiguous run of records written by splitVCF.
type piece struct {
	Records int64
	// LineOffset turns a line number of the piece's records into the line
	// number in the whole input: the piece keeps blank-line gaps, so one
	// offset holds for all of its records.
	LineOffset int64
	// First and Last are the CHROM:POS of the piece's first and last records.
	First, Last string
}

// region renders the span of a piece for people, e.g. "1:10177-2:4400".
func (p piece) region() string { return p.First + "-" + p.Last }

// pieceSink receives one piece. finish(nil) completes it; finish(err)
// abandons it so nothing partial becomes visible.
type pieceSink struct {
	w      io.Writer
	finish func(error) error
}

// splitConfig tunes splitVCF.
type splitConfig struct {
	Pieces        int   // how many pieces to aim for (>= 1)
	Records       int64 // the input's record count, from a first pass
	Workers       int   // BGZF compression and decompression goroutines
	MaxInputBytes int64 // decompressed input limit (gzip-bomb guard)
}

// splitVCF copies the VCF in r (plain, gzip or BGZF), in file order, into
// about cfg.Pieces BGZF pieces made by create, each with the input's header.
// Pieces hold about the same number of records; a piece ends where the
// position changes once it has its share, and earlier (from 90% of its
// share) where the chromosome changes, so pieces follow genomic regions
// and records of one position stay together. Nothing is parsed beyond
// CHROM and POS: malformed records travel to the pieces, where the engine
// reports them (with the line numbers of the whole input once LineOffset is
// added) exactly as a single run would.
func splitVCF(ctx context.Context, r io.Reader, cfg splitConfig, create func(i int) (pieceSink, error)) (out []piece, err error) {
	if cfg.Pieces < 1 {
		cfg.Pieces = 1
	}
	rd, err := vcf.NewReader(r, vcf.ReaderOptions{MaxInputBytes: cfg.MaxInputBytes, Workers: cfg.Workers})
	if err != nil {
		return nil, splitInputErr(err)
	}
	defer rd.Close()
	hdr := rd.Header().AppendTo(nil)
	hdrLines := int64(bytes.Count(hdr, []byte{'\n'}))

	var (
		sink      pieceSink
		bw        *vcf.BGZFWriter
		open      bool
		cur       piece
		prevLine  int64
		prevChrom []byte
		prevPos   []byte
		left      = cfg.Records
		target    = share(left, cfg.Pieces)
		buf       []byte
		blk       vcf.Block
	)
	// closeCur flushes buf and completes (or, on error, abandons) the open piece.
	closeCur := func(cause error) error {
		if !open {
			return cause
		}
		open = false
		if cause == nil && len(buf) > 0 {
			if _, werr := bw.Write(buf); werr != nil {
				cause = werr
			}
		}
		buf = buf[:0]
		if cerr := bw.Close(); cause == nil && cerr != nil {
			cause = cerr
		}
		if ferr := sink.finish(cause); cause == nil && ferr != nil {
			cause = ferr
		}
		if cause == nil {
			out = append(out, cur)
			left -= cur.Records
			target = share(left, cfg.Pieces-len(out))
		}
		return cause
	}
	defer func() {
		if open {
			_ = closeCur(errors.New("split stopped before finishing"))
		}
	}()

	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rerr := rd.ReadBlock(&blk, 0)
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return nil, splitInputErr(rerr)
		}
		for i := range blk.Len() {
			line, lineNo := blk.Line(i), blk.LineNo(i)
			chrom, pos := chromPos(line)
			if open && len(out) < cfg.Pieces-1 && cut(cur.Records, target, !bytes.Equal(chrom, prevChrom), !bytes.Equal(pos, prevPos)) {
				if err := closeCur(nil); err != nil {
					return nil, err
				}
			}
			if !open {
				if sink, err = create(len(out)); err != nil {
					return nil, err
				}
				bw = vcf.NewBGZFWriter(sink.w, cfg.Workers)
				open = true
				cur = piece{LineOffset: lineNo - (hdrLines + 1), First: string(chrom) + ":" + string(pos)}
				buf = append(buf[:0], hdr...)
				prevLine = lineNo - 1
			}
			// Keep blank lines as blank lines, so that line numbers in
			// the piece stay one offset away from the input's.
			for ; prevLine < lineNo-1; prevLine++ {
				buf = append(buf, '\n')
			}
			buf = append(buf, line...)
			buf = append(buf, '\n')
			prevLine = lineNo
			cur.Records++
			cur.Last = string(chrom) + ":" + string(pos)
			prevChrom, prevPos = append(prevChrom[:0], chrom...), append(prevPos[:0], pos...)
			if len(buf) >= 1<<20 {
				if _, err := bw.Write(buf); err != nil {
					return nil, fmt.Errorf("write piece %d: %w", len(out), err)
				}
				buf = buf[:0]
			}
		}
	}
	if err := closeCur(nil); err != nil {
		return nil, fmt.Errorf("write piece %d: %w", len(out), err)
	}
	return out, nil
}

// share is the records each of the remaining pieces should get.
func share(records int64, pieces int) int64 {
	if pieces < 1 {
		pieces = 1
	}
	return max(1, (records+int64(pieces)-1)/int64(pieces))
}

// cut says whether a piece holding n records, aiming at target, should end
// before the next record (which starts a new chromosome or position).
func cut(n, target int64, newChrom, newPos bool) bool {
	switch {
	case n >= 2*target: // one position repeated without end: cut anyway
		return true
	case n >= target && (newChrom || newPos):
		return true
	case n >= target-target/10 && newChrom:
		return true
	}
	return false
}

// chromPos returns the CHROM and POS fields of a data line (empty when the
// line has fewer fields; the engine reports such lines).
func chromPos(line []byte) (chrom, pos []byte) {
	t := bytes.IndexByte(line, '\t')
	if t < 0 {
		return line, nil
	}
	chrom, rest := line[:t], line[t+1:]
	if t = bytes.IndexByte(rest, '\t'); t >= 0 {
		rest = rest[:t]
	}
	return chrom, rest
}

// splitInputErr reports unreadable input the way the engine does, so the
// user reads the same reason whether or not the job was split.
func splitInputErr(err error) error {
	var pe *vcf.ParseError
	if errors.As(err, &pe) {
		return &annotate.InputError{Line: pe.Line, Msg: pe.Msg}
	}
	return fmt.Errorf("split input: %w", err)
}
