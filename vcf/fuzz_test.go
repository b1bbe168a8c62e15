package vcf

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzSeedFiles returns the VCFs of the shared test data, or nothing when it
// is absent, so that fuzzing still runs on the built-in seeds.
func fuzzSeedFiles(f *testing.F) [][]byte {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(dir) == dir {
			return nil
		}
		dir = filepath.Dir(dir)
	}
	td := filepath.Join(dir, "..", "shared", "testdata")
	files, _ := filepath.Glob(filepath.Join(td, "*", "*", "*.vcf"))
	more, _ := filepath.Glob(filepath.Join(td, "*", "*.vcf"))
	var out [][]byte
	for _, p := range append(files, more...) {
		if b, err := os.ReadFile(p); err == nil {
			out = append(out, b)
		}
	}
	return out
}

func FuzzParseRecord(f *testing.F) {
	f.Add([]byte("chr1\t12345\trs1\tA\tC,GT,<DEL>,*\t50\tPASS\tDP=3\tGT:DP\t0/1:3"))
	f.Add([]byte("1\t1\t.\tN\t.\t.\t.\t."))
	f.Add([]byte("2\t321681\tbnd_W\tG\tG]17:198982]\t6\tPASS\tSVTYPE=BND"))
	f.Add([]byte("1 2 3"))
	for _, file := range fuzzSeedFiles(f) {
		for _, l := range strings.Split(string(file), "\n") {
			if l != "" && l[0] != '#' {
				f.Add([]byte(l))
			}
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var rec Record
		err := ParseRecord(line, 7, &rec)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != 7 || pe.Msg == "" {
				t.Fatalf("error %v is not a *ParseError for line 7", err)
			}
			return
		}
		if rec.Pos <= 0 || len(rec.Ref) == 0 || firstNonACGTN(rec.Ref) >= 0 || len(rec.Chrom) == 0 {
			t.Fatalf("accepted an invalid record: %+v", rec)
		}
		for _, a := range rec.Alts {
			if len(a) == 0 || (!IsSymbolic(a) && firstNonACGTN(a) >= 0) {
				t.Fatalf("accepted ALT %q", a)
			}
		}
		// Writing the record back gives a line that parses to the same
		// variant.
		out := AppendRecord(nil, &rec, nil, nil)
		if out[len(out)-1] != '\n' {
			t.Fatal("AppendRecord did not end the line")
		}
		var again Record
		if err := ParseRecord(out[:len(out)-1], 7, &again); err != nil {
			t.Fatalf("AppendRecord output %q does not parse: %v", out, err)
		}
		if !bytes.Equal(again.Chrom, rec.Chrom) || again.Pos != rec.Pos || !bytes.Equal(again.Ref, rec.Ref) ||
			len(again.Alts) != len(rec.Alts) || !bytes.Equal(again.Rest, rec.Rest) ||
			(len(rec.Info) > 0 && !bytes.Equal(again.Info, rec.Info)) {
			t.Fatalf("round trip changed the record:\n%q\n%q", line, out)
		}
		for i := range rec.Alts {
			if !bytes.Equal(again.Alts[i], rec.Alts[i]) {
				t.Fatalf("round trip changed ALT %d: %q -> %q", i, rec.Alts[i], again.Alts[i])
			}
		}
	})
}

func FuzzReader(f *testing.F) {
	small := genVCF(20, 99)
	f.Add(small)
	f.Add(gzipBytes(f, small))
	f.Add(bgzfBytes(f, small, 1))
	f.Add(slicesConcat(bgzfBytes(f, small[:len(genHeader)], 1), gzipBytes(f, small[len(genHeader):])))
	f.Add([]byte("##fileformat=VCFv4.2\r\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\r\n1\t2\t.\tA\tC\t.\t.\t.\r\n"))
	f.Add([]byte("##fileformat=VCFv4.1\n#CHROM\tPOS\n"))
	for _, file := range fuzzSeedFiles(f) {
		if len(file) < 64<<10 {
			f.Add(file)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		opt := ReaderOptions{MaxLineBytes: 4096, MaxInputBytes: 4 << 20, Workers: 2}
		r, err := NewReader(bytes.NewReader(in), opt)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("NewReader error %v (%T) is not a *ParseError", err, err)
			}
			return
		}
		defer r.Close()
		h := r.Header()
		if h == nil || !strings.HasPrefix(h.ChromLine(), "#") || len(h.Meta()) == 0 {
			t.Fatalf("accepted a header without #CHROM or ##fileformat: %q", h.AppendTo(nil))
		}
		// The header text re-parses to the same header.
		h2, err := ParseHeader(string(h.AppendTo(nil)))
		if err != nil || string(h2.AppendTo(nil)) != string(h.AppendTo(nil)) {
			t.Fatalf("header does not round-trip: %v", err)
		}
		var b Block
		var rec Record
		last := int64(0)
		for {
			err := r.ReadBlock(&b, 3)
			if err == io.EOF {
				break
			}
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("ReadBlock error %v (%T) is not a *ParseError", err, err)
				}
				return
			}
			for i := range b.Len() {
				l := b.Line(i)
				if len(l) == 0 || len(l) > opt.MaxLineBytes || bytes.IndexByte(l, '\n') >= 0 || l[len(l)-1] == '\r' {
					t.Fatalf("bad line %q", l)
				}
				if b.LineNo(i) <= last {
					t.Fatalf("line numbers not increasing: %d after %d", b.LineNo(i), last)
				}
				last = b.LineNo(i)
				_ = ParseRecord(l, b.LineNo(i), &rec)
			}
		}
		if r.BytesRead() > opt.MaxInputBytes {
			t.Fatalf("read %d bytes past the %d limit", r.BytesRead(), opt.MaxInputBytes)
		}
	})
}

// FuzzBGZFRoundTrip writes arbitrary data through BGZFWriter in arbitrary
// chunks and reads it back with the parallel BGZF reader and compress/gzip.
func FuzzBGZFRoundTrip(f *testing.F) {
	f.Add([]byte("##fileformat=VCFv4.2\n"), uint16(7))
	f.Add(bytes.Repeat([]byte{0}, 70000), uint16(65535))
	f.Add([]byte{}, uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16) {
		// Repeat small inputs so that they span several members.
		if len(data) > 0 && len(data) < 1000 {
			data = bytes.Repeat(data, 1+200000/len(data)/16)
		}
		var out bytes.Buffer
		bw := NewBGZFWriter(&out, 2)
		step := int(chunk) + 1
		for p := data; len(p) > 0; p = p[min(step, len(p)):] {
			if _, err := bw.Write(p[:min(step, len(p))]); err != nil {
				t.Fatal(err)
			}
		}
		if err := bw.Close(); err != nil {
			t.Fatal(err)
		}
		br := newBGZFReader(bytes.NewReader(out.Bytes()), 2)
		defer br.Close()
		got, err := io.ReadAll(br)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("BGZF reader: %d bytes back (err %v), want %d", len(got), err, len(data))
		}
		zr, err := gzip.NewReader(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := io.ReadAll(zr); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("compress/gzip: %d bytes back (err %v), want %d", len(got), err, len(data))
		}
	})
}
