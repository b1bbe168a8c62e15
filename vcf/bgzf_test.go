package vcf

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// members walks a BGZF stream member by member, checking the structure a
// BGZF reader relies on, and returns the compressed and uncompressed size of
// each member.
func members(t *testing.T, b []byte) (csize, usize []int) {
	t.Helper()
	for off := 0; off < len(b); {
		h := b[off:]
		if len(h) < 28 || h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 || h[3] != 4 {
			t.Fatalf("member at %d: bad gzip header % x", off, h[:min(len(h), 18)])
		}
		if binary.LittleEndian.Uint16(h[10:]) != 6 || h[12] != 'B' || h[13] != 'C' || binary.LittleEndian.Uint16(h[14:]) != 2 {
			t.Fatalf("member at %d: missing BC extra field", off)
		}
		bsize := int(binary.LittleEndian.Uint16(h[16:])) + 1
		if bsize > len(h) {
			t.Fatalf("member at %d: BSIZE %d beyond the end of the data", off, bsize)
		}
		csize = append(csize, bsize)
		usize = append(usize, int(binary.LittleEndian.Uint32(h[bsize-4:])))
		off += bsize
	}
	return csize, usize
}

func TestBGZFWriter(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 300_000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	inputs := map[string][]byte{
		"empty":          nil,
		"one byte":       []byte("x"),
		"vcf":            genVCF(20000, 11),
		"exact block":    bytes.Repeat([]byte("a"), bgzfMaxInput),
		"incompressible": random,
	}
	for name, in := range inputs {
		for _, workers := range []int{1, 3, 0} {
			for _, chunk := range []int{1 << 20, 1000, 7} {
				if chunk == 7 && len(in) > 100000 {
					continue
				}
				var out bytes.Buffer
				bw := NewBGZFWriter(&out, workers)
				for p := in; len(p) > 0; {
					n := min(chunk, len(p))
					if w, err := bw.Write(p[:n]); err != nil || w != n {
						t.Fatalf("%s: Write = %d, %v", name, w, err)
					}
					p = p[n:]
				}
				if err := bw.Close(); err != nil {
					t.Fatalf("%s: Close: %v", name, err)
				}
				b := out.Bytes()
				if !bytes.HasSuffix(b, bgzfEOF) {
					t.Errorf("%s: no BGZF EOF marker at the end", name)
				}
				cs, us := members(t, b)
				total := 0
				for i := range cs {
					if cs[i] > 65536 || us[i] > bgzfMaxInput {
						t.Errorf("%s: member %d has %d compressed / %d uncompressed bytes", name, i, cs[i], us[i])
					}
					total += us[i]
				}
				if total != len(in) {
					t.Errorf("%s: members hold %d bytes, want %d", name, total, len(in))
				}
				zr, err := gzip.NewReader(bytes.NewReader(b))
				if err != nil {
					t.Fatalf("%s: gzip.NewReader: %v", name, err)
				}
				got, err := io.ReadAll(zr)
				if err != nil || !bytes.Equal(got, in) {
					t.Errorf("%s (workers %d, chunk %d): compress/gzip reads back %d bytes, err %v; want the input (%d bytes)", name, workers, chunk, len(got), err, len(in))
				}
			}
		}
	}
}

func TestBGZFWriterCompresses(t *testing.T) {
	t.Parallel()
	in := genVCF(20000, 12)
	out := bgzfBytes(t, in, 2)
	if ratio := float64(len(out)) / float64(len(in)); ratio > 0.35 {
		t.Errorf("compressed to %.0f%% of the input; VCF text should shrink far more", 100*ratio)
	}
}

type failWriter struct {
	n   int
	err error
}

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	f.n--
	return len(p), nil
}

func TestBGZFWriterError(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk full")
	bw := NewBGZFWriter(&failWriter{n: 2, err: boom}, 2)
	in := genVCF(50000, 13)
	var werr error
	for p := in; len(p) > 0 && werr == nil; p = p[min(len(p), 10000):] {
		_, werr = bw.Write(p[:min(len(p), 10000)])
	}
	cerr := bw.Close()
	if !errors.Is(werr, boom) && !errors.Is(cerr, boom) {
		t.Errorf("Write err %v, Close err %v; want %v", werr, cerr, boom)
	}
	if !errors.Is(cerr, boom) {
		t.Errorf("Close = %v, want %v", cerr, boom)
	}
	if _, err := bw.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
	// Failing on the EOF marker is reported too.
	bw = NewBGZFWriter(&failWriter{n: 1, err: boom}, 1)
	bw.Write([]byte("hello"))
	if err := bw.Close(); !errors.Is(err, boom) {
		t.Errorf("Close with failing EOF write = %v", err)
	}
}

func TestBGZFLevel(t *testing.T) {
	t.Parallel()
	if _, err := NewBGZFWriterLevel(io.Discard, 1, 10); err == nil {
		t.Error("level 10 accepted")
	}
	in := genVCF(5000, 14)
	for _, lvl := range []int{1, 9} {
		var out bytes.Buffer
		bw, err := NewBGZFWriterLevel(&out, 2, lvl)
		if err != nil {
			t.Fatal(err)
		}
		bw.Write(in)
		if err := bw.Close(); err != nil {
			t.Fatal(err)
		}
		zr, _ := gzip.NewReader(&out)
		if got, err := io.ReadAll(zr); err != nil || !bytes.Equal(got, in) {
			t.Errorf("level %d: round trip failed: %v", lvl, err)
		}
	}
}

// TestBGZFWithHtslib checks the output with the reference implementation
// when bgzip and bcftools are installed.
func TestBGZFWithHtslib(t *testing.T) {
	t.Parallel()
	bgzip, err := exec.LookPath("bgzip")
	if err != nil {
		t.Skip("bgzip not on PATH (Debian package tabix)")
	}
	dir := t.TempDir()
	in := genVCF(30000, 15)
	path := filepath.Join(dir, "out.vcf.gz")
	if err := os.WriteFile(path, bgzfBytes(t, in, 2), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bgzip, "-t", path).CombinedOutput(); err != nil {
		t.Fatalf("bgzip -t: %v\n%s", err, out)
	}
	out, err := exec.Command(bgzip, "-dc", path).Output()
	if err != nil || !bytes.Equal(out, in) {
		t.Fatalf("bgzip -dc differs from the input (err %v)", err)
	}
	// And we read what bgzip writes, in parallel.
	ref := filepath.Join(dir, "ref.vcf")
	os.WriteFile(ref, in, 0o644)
	if out, err := exec.Command(bgzip, "-f", ref).CombinedOutput(); err != nil {
		t.Fatalf("bgzip: %v\n%s", err, out)
	}
	raw, _ := os.ReadFile(ref + ".gz")
	if !isBGZF(raw[:18]) {
		t.Fatal("bgzip output not detected as BGZF")
	}
	if _, body, err := readAll(t, raw, ReaderOptions{Workers: 3}, 0); err != nil || body != string(in[len(genHeader):]) {
		t.Errorf("reading bgzip output: err %v, same lines %v", err, body == string(in[len(genHeader):]))
	}

	bcftools, err := exec.LookPath("bcftools")
	if err != nil {
		t.Skip("bcftools not on PATH")
	}
	cmd := exec.Command(bcftools, "view", "-H", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("bcftools view: %v\n%s", err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("bcftools view warned: %s", stderr.String())
	}
	if got := strings.Count(string(out), "\n"); got != 30000 {
		t.Errorf("bcftools view read %d records, want 30000", got)
	}
	if out, err := exec.Command(filepath.Join(filepath.Dir(bgzip), "tabix"), "-p", "vcf", path).CombinedOutput(); err != nil {
		t.Errorf("tabix -p vcf: %v\n%s", err, out)
	}
}
