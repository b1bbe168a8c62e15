package refdata

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
)

// source is one input file being read: transparently gunzipped (gzip and
// BGZF, which is multi-member gzip), hashed and counted as it is read so the
// manifest can record the SHA-256 of exactly what was imported without a
// second pass.
type source struct {
	path  string
	role  string
	f     *os.File
	size  int64
	h     hash.Hash
	read  atomic.Int64
	r     io.Reader // decompressed content
	gz    *gzip.Reader
	prog  func(stage string, done, total int64)
	stage string
}

type countingReader struct {
	s *source
	r io.Reader
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.s.h.Write(p[:n])
		done := c.s.read.Add(int64(n))
		if c.s.prog != nil && (done>>22) != ((done-int64(n))>>22) { // every 4 MiB
			c.s.prog(c.s.stage, done, c.s.size)
		}
	}
	return n, err
}

func openSource(path, role, stage string, prog func(string, int64, int64)) (*source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s source: %w", role, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open %s source: %w", role, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("open %s source %s: is a directory", role, path)
	}
	s := &source{path: path, role: role, f: f, size: st.Size(), h: sha256.New(), prog: prog, stage: stage}
	br := bufio.NewReaderSize(&countingReader{s: s, r: f}, 1<<20)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("open %s source %s: %w", role, path, err)
		}
		s.gz = gz
		s.r = gz
	} else {
		s.r = br
	}
	if prog != nil {
		prog(stage, 0, s.size)
	}
	return s, nil
}

// finish drains what the parser did not read (so the hash covers the whole
// file), closes it and returns its manifest entry.
func (s *source) finish() (Source, error) {
	defer s.f.Close()
	if _, err := io.Copy(io.Discard, s.r); err != nil {
		return Source{}, fmt.Errorf("read %s source %s: %w", s.role, s.path, err)
	}
	if s.prog != nil {
		s.prog(s.stage, s.read.Load(), s.size)
	}
	return Source{Role: s.role, Path: filepath.Base(s.path), SHA256: hex.EncodeToString(s.h.Sum(nil)), Size: s.size}, nil
}

func (s *source) close() { s.f.Close() }
