package refdata

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Track formats.
const (
	// TrackBED is chrom, 0-based start, end, optional name (BED and
	// BED-like files, tab- or space-separated).
	TrackBED = "bed"
	// TrackUCSC is a UCSC table dump (genomicSuperDups.txt, dgvMerged.txt,
	// rmsk.txt…): a leading bin column, then chrom, chromStart, chromEnd,
	// name, tab-separated.
	TrackUCSC = "ucsc"
)

// bedInterval is one region while building a track (1-based, inclusive).
type bedInterval struct {
	contig, start, end int
	nameOff, nameLen   uint32
}

type builtTrack struct {
	name string
	ivs  []bedInterval
	heap strHeap
}

// trackFormat decides a track's format: the given one, else UCSC for a
// ".txt" or ".txt.gz" file whose first data line starts with a bin number
// followed by a non-numeric chrom and two coordinates, else BED.
func trackFormat(tr Track, first []byte) string {
	if tr.Format != "" {
		return tr.Format
	}
	base := strings.TrimSuffix(strings.ToLower(filepath.Base(tr.Path)), ".gz")
	if !strings.HasSuffix(base, ".txt") {
		return TrackBED
	}
	f := bytes.Split(first, []byte("\t"))
	if len(f) >= 4 && isUint(f[0]) && !isUint(f[1]) && isUint(f[2]) && isUint(f[3]) {
		return TrackUCSC
	}
	return TrackBED
}

func isUint(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// readBED reads a region track: BED(-like) or a UCSC table (see TrackBED
// and TrackUCSC); "track"/"browser"/"#" lines are skipped. A zero-length
// interval (start == end, an insertion point) is kept as the one base after
// it.
func readBED(ctx context.Context, tr Track, cs *contigSet, prog func(string, int64, int64)) (builtTrack, Source, error) {
	bt := builtTrack{name: tr.Name}
	switch tr.Format {
	case "", TrackBED, TrackUCSC:
	default:
		return bt, Source{}, fmt.Errorf("track %s: format %q, want %q or %q", tr.Name, tr.Format, TrackBED, TrackUCSC)
	}
	src, err := openSource(tr.Path, "track:"+tr.Name, "track "+tr.Name, prog)
	if err != nil {
		return bt, Source{}, err
	}
	defer src.close()
	sc := bufio.NewScanner(src.r)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	line := 0
	format := ""
	skip := 0 // leading columns before chrom
	for sc.Scan() {
		line++
		if line&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return bt, Source{}, err
			}
		}
		b := bytes.TrimRight(sc.Bytes(), "\r")
		if len(bytes.TrimSpace(b)) == 0 || b[0] == '#' || bytes.HasPrefix(b, []byte("track")) || bytes.HasPrefix(b, []byte("browser")) {
			continue
		}
		if format == "" {
			format = trackFormat(tr, b)
			if format == TrackUCSC {
				skip = 1
			}
		}
		var f [][]byte
		if format == TrackUCSC || bytes.IndexByte(b, '\t') >= 0 {
			f = bytes.Split(b, []byte("\t"))
		} else {
			f = bytes.Fields(b)
		}
		if len(f) < 3+skip {
			if skip > 0 {
				return bt, Source{}, fmt.Errorf("%s:%d: expected bin, chrom, start, end (UCSC table)", tr.Path, line)
			}
			return bt, Source{}, fmt.Errorf("%s:%d: expected chrom, start, end", tr.Path, line)
		}
		f = f[skip:]
		s, err1 := strconv.Atoi(string(bytes.TrimSpace(f[1])))
		e, err2 := strconv.Atoi(string(bytes.TrimSpace(f[2])))
		if err1 != nil || err2 != nil || s < 0 || e > maxCoord {
			return bt, Source{}, fmt.Errorf("%s:%d: bad coordinates %q %q", tr.Path, line, f[1], f[2])
		}
		if e < s {
			return bt, Source{}, fmt.Errorf("%s:%d: end %d is before start %d", tr.Path, line, e, s)
		}
		if e == s {
			e = s + 1
		}
		c, _ := cs.resolve(string(f[0]), true)
		cs.see(c, int64(e))
		iv := bedInterval{contig: c, start: s + 1, end: e}
		if len(f) > 3 {
			name := string(bytes.TrimSpace(f[3]))
			if strings.ContainsAny(name, ",;= ") {
				// The name goes into an INFO value: keep it parseable.
				name = strings.NewReplacer(",", "_", ";", "_", "=", "_", " ", "_").Replace(name)
			}
			if name != "." && name != "" {
				iv.nameOff, iv.nameLen = bt.heap.ref(name)
			}
		}
		bt.ivs = append(bt.ivs, iv)
	}
	if err := sc.Err(); err != nil {
		return bt, Source{}, fmt.Errorf("%s: line %d: %w", tr.Path, line+1, err)
	}
	s, err := src.finish()
	if err != nil {
		return bt, Source{}, err
	}
	sort.SliceStable(bt.ivs, func(i, j int) bool {
		a, b := bt.ivs[i], bt.ivs[j]
		if a.contig != b.contig {
			return a.contig < b.contig
		}
		return a.start < b.start
	})
	return bt, s, nil
}
