package vcf

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"github.com/gas-project/gas/internal/sharedtest"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// readAll reads every data line through blocks of blockSize and returns them
// joined with newlines, plus the header text.
func readAll(t testing.TB, in []byte, opt ReaderOptions, blockSize int) (header, body string, err error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(in), opt)
	if err != nil {
		return "", "", err
	}
	defer r.Close()
	var sb strings.Builder
	var b Block
	for {
		err := r.ReadBlock(&b, blockSize)
		if err == io.EOF {
			if b.Len() != 0 {
				t.Errorf("io.EOF with %d lines in the block", b.Len())
			}
			break
		}
		if err != nil {
			return "", "", err
		}
		if b.Len() == 0 || (blockSize > 0 && b.Len() > blockSize) {
			t.Fatalf("block of %d lines for maxRecords %d", b.Len(), blockSize)
		}
		for i := range b.Len() {
			sb.Write(b.Line(i))
			sb.WriteByte('\n')
		}
	}
	return string(r.Header().AppendTo(nil)), sb.String(), nil
}

func TestReaderRoundTrip(t *testing.T) {
	t.Parallel()
	plain := genVCF(5000, 1)
	want := string(plain[len(genHeader):])
	inputs := map[string][]byte{
		"plain":        plain,
		"gzip":         gzipBytes(t, plain),
		"bgzf":         bgzfBytes(t, plain, 3),
		"bgzf-1worker": bgzfBytes(t, plain, 1),
		// Two ordinary gzip members back to back, as `cat a.gz b.gz` makes.
		"multi-member": append(gzipBytes(t, plain[:len(plain)/2]), gzipBytes(t, plain[len(plain)/2:])...),
	}
	for name, in := range inputs {
		for _, bs := range []int{1, 7, 0} {
			hdr, body, err := readAll(t, in, ReaderOptions{Workers: 2}, bs)
			if err != nil {
				t.Fatalf("%s/%d: %v", name, bs, err)
			}
			if hdr != genHeader {
				t.Errorf("%s: header = %q", name, hdr)
			}
			if body != want {
				t.Errorf("%s/%d: body differs (%d vs %d bytes)", name, bs, len(body), len(want))
			}
		}
	}
}

func TestReaderOneByteReads(t *testing.T) {
	t.Parallel()
	plain := genVCF(300, 2)
	for name, in := range map[string][]byte{"plain": plain, "gzip": gzipBytes(t, plain), "bgzf": bgzfBytes(t, plain, 2)} {
		r, err := NewReader(iotest.OneByteReader(bytes.NewReader(in)), ReaderOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var b Block
		var got bytes.Buffer
		for r.ReadBlock(&b, 50) == nil {
			for i := range b.Len() {
				got.Write(b.Line(i))
				got.WriteByte('\n')
			}
		}
		if got.String() != string(plain[len(genHeader):]) {
			t.Errorf("%s: one-byte reads give different lines", name)
		}
		if r.BytesRead() != int64(len(plain)) {
			t.Errorf("%s: BytesRead = %d, want %d", name, r.BytesRead(), len(plain))
		}
		r.Close()
	}
}

func TestReaderLineNumbersCRLFAndBlanks(t *testing.T) {
	t.Parallel()
	in := "\xef\xbb\xbf##fileformat=VCFv4.3\r\n##source=x\r\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\r\n" +
		"1\t5\t.\tA\tC\t.\t.\t.\r\n\r\n\n1\t6\t.\tA\tC\t.\t.\tX=1\r\n#comment\n1\t7\t.\tA\tG\t.\t.\t." // no final newline
	r, err := NewReader(strings.NewReader(in), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m := r.Header().Meta(); len(m) != 2 || m[0] != "##fileformat=VCFv4.3" {
		t.Errorf("Meta = %q", m)
	}
	var b Block
	if err := r.ReadBlock(&b, 100); err != nil {
		t.Fatal(err)
	}
	wantLines := []string{"1\t5\t.\tA\tC\t.\t.\t.", "1\t6\t.\tA\tC\t.\t.\tX=1", "#comment", "1\t7\t.\tA\tG\t.\t.\t."}
	wantNos := []int64{4, 7, 8, 9}
	if b.Len() != len(wantLines) {
		t.Fatalf("block has %d lines, want %d", b.Len(), len(wantLines))
	}
	for i := range wantLines {
		if string(b.Line(i)) != wantLines[i] || b.LineNo(i) != wantNos[i] {
			t.Errorf("line %d = %q (no %d), want %q (no %d)", i, b.Line(i), b.LineNo(i), wantLines[i], wantNos[i])
		}
	}
	// The stray header line reaches ParseRecord, which explains it.
	var rec Record
	if err := ParseRecord(b.Line(2), b.LineNo(2), &rec); err == nil || !strings.HasPrefix(err.Error(), "line 8: unexpected header line") {
		t.Errorf("ParseRecord(#comment) = %v", err)
	}
	if err := r.ReadBlock(&b, 100); err != io.EOF || b.Len() != 0 {
		t.Errorf("second ReadBlock = %v with %d lines, want io.EOF", err, b.Len())
	}
	if err := r.ReadBlock(&b, 100); err != io.EOF {
		t.Errorf("ReadBlock after EOF = %v", err)
	}
}

func TestReaderBlockReuseDoesNotAlias(t *testing.T) {
	t.Parallel()
	in := genVCF(100, 3)
	r, err := NewReader(bytes.NewReader(in), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b1, b2 Block
	if err := r.ReadBlock(&b1, 10); err != nil {
		t.Fatal(err)
	}
	first := string(b1.Line(0))
	if err := r.ReadBlock(&b2, 10); err != nil {
		t.Fatal(err)
	}
	if string(b1.Line(0)) != first {
		t.Error("reading into a second block changed the first one")
	}
}

func expectParseError(t *testing.T, err error, line int64, want string) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v (%T), want *ParseError containing %q", err, err, want)
	}
	if (line >= 0 && pe.Line != line) || !strings.Contains(pe.Msg, want) {
		t.Errorf("error = line %d %q, want line %d containing %q", pe.Line, pe.Msg, line, want)
	}
	if pe.Line == 0 && err.Error() != pe.Msg {
		t.Errorf("Error() = %q for an error without a line, want just the message", err.Error())
	}
}

// readErr runs a whole input through a Reader and returns the first error
// other than io.EOF.
func readErr(in []byte, opt ReaderOptions) error {
	r, err := NewReader(bytes.NewReader(in), opt)
	if err != nil {
		return err
	}
	defer r.Close()
	var b Block
	for {
		if err := r.ReadBlock(&b, 0); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

func TestReaderTruncatedAndCorrupt(t *testing.T) {
	t.Parallel()
	plain := genVCF(20000, 4)
	gz := gzipBytes(t, plain)
	bg := bgzfBytes(t, plain, 2)
	bgNoEOF := bg[:len(bg)-len(bgzfEOF)]
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"gzip cut in half", gz[:len(gz)/2], "truncated gzip input"},
		{"gzip without trailer", gz[:len(gz)-4], "truncated gzip input"},
		{"bgzf cut in half", bg[:len(bg)/2], "truncated gzip input"},
		{"bgzf cut inside header", bgNoEOF[:len(bgNoEOF)-len(bgNoEOF)%1000+5], "truncated gzip input"},
		{"gzip bad crc", flip(gz, len(gz)-6), "checksum mismatch"},
		{"bgzf bad crc", flip(bgNoEOF, len(bgNoEOF)-6), "checksum mismatch"},
		{"gzip garbage after member", append(append([]byte{}, gz...), "junk at the end"...), "corrupt gzip input"},
		{"bgzf garbage after member", append(append([]byte{}, bg...), "junk at the end!!"...), "corrupt gzip input"},
		{"bgzf corrupt deflate", corruptMiddle(bg), "corrupt gzip input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expectParseError(t, readErr(tc.in, ReaderOptions{Workers: 2}), -1, tc.want)
		})
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte{}, b...)
	c[i] ^= 0x55
	return c
}

// corruptMiddle overwrites part of the deflate stream of a member in the
// middle of the file with bytes that cannot form a valid stream.
func corruptMiddle(b []byte) []byte {
	c := append([]byte{}, b...)
	for i := len(c)/2 - 50; i < len(c)/2+50; i++ {
		c[i] = 0xff
	}
	return c
}

// bgzfMemberEnds returns the offset just past each member of a BGZF file,
// read from the members' BC fields.
func bgzfMemberEnds(t *testing.T, bg []byte) []int {
	t.Helper()
	var ends []int
	for off := 0; off < len(bg); {
		if len(bg)-off < bgzfHeaderLen || bg[off+12] != 'B' || bg[off+13] != 'C' {
			t.Fatalf("no BGZF member at offset %d", off)
		}
		off += int(binary.LittleEndian.Uint16(bg[off+16:])) + 1
		ends = append(ends, off)
	}
	return ends
}

// TestTruncatedInputBGZFBlockBoundary cuts a BGZF file exactly between two
// members, where every member read is whole and valid: only the missing
// end-of-file marker tells a cut file from a complete one, and the reader
// must fail rather than hand out the records before the cut as if they
// were all.
func TestTruncatedInputBGZFBlockBoundary(t *testing.T) {
	t.Parallel()
	plain := genVCF(12000, 5)
	bg := bgzfBytes(t, plain, 2)
	ends := bgzfMemberEnds(t, bg)
	if len(ends) < 4 {
		t.Fatalf("only %d members; the test needs several", len(ends))
	}
	cuts := map[string][]byte{
		"after the first member":  bg[:ends[0]],
		"in the middle":           bg[:ends[len(ends)/2]],
		"only the marker missing": bg[:ends[len(ends)-2]],
		// Two complete bgzipped files concatenated, the second cut: the
		// first one's marker in the middle does not make the end complete.
		"second of two files": slicesConcat(bg, bg[:ends[len(ends)/2]]),
	}
	for name, in := range cuts {
		for _, workers := range []int{1, 4} {
			err := readErr(in, ReaderOptions{Workers: workers})
			expectParseError(t, err, -1, "truncated BGZF input")
			if err != nil && !strings.Contains(err.Error(), "end-of-file marker") {
				t.Errorf("%s: %v does not name the missing marker", name, err)
			}
		}
	}
	// The whole file, and two whole files concatenated, still read.
	for _, in := range [][]byte{bg, slicesConcat(bg, bg)} {
		if err := readErr(in, ReaderOptions{Workers: 2}); err != nil {
			t.Errorf("complete BGZF input: %v", err)
		}
	}
	// CountRecords (the split step's count) refuses it the same way.
	if _, err := CountRecords(context.Background(), bytes.NewReader(bg[:ends[len(ends)/2]]), ReaderOptions{}); err == nil ||
		!strings.Contains(err.Error(), "truncated BGZF input") {
		t.Errorf("CountRecords of a cut file: %v", err)
	}
}

// TestTruncatedInputGzipMidMember cuts ordinary gzip (one member, and the
// last of several) and BGZF inside a member: the deflate stream or trailer
// ends early, and the error says the file was cut short.
func TestTruncatedInputGzipMidMember(t *testing.T) {
	t.Parallel()
	plain := genVCF(12000, 6)
	gz := gzipBytes(t, plain)
	half := bytes.IndexByte(plain[len(plain)/2:], '\n') + len(plain)/2 + 1
	multi := slicesConcat(gzipBytes(t, plain[:half]), gzipBytes(t, plain[half:]))
	bg := bgzfBytes(t, plain, 2)
	ends := bgzfMemberEnds(t, bg)
	cases := map[string][]byte{
		"gzip cut mid-member":        gz[:len(gz)*2/3],
		"gzip cut in the trailer":    gz[:len(gz)-3],
		"second gzip member cut":     multi[:len(multi)-100],
		"bgzf cut inside a member":   bg[:ends[2]+100],
		"bgzf cut inside the footer": bg[:ends[2]-3],
	}
	for name, in := range cases {
		err := readErr(in, ReaderOptions{Workers: 2})
		if err == nil {
			t.Errorf("%s: read without error", name)
			continue
		}
		expectParseError(t, err, -1, "truncated gzip input")
	}
}

func TestReaderMaxInputBytes(t *testing.T) {
	t.Parallel()
	// A gzip bomb: a valid header, then 64 MiB of zeros, compressing to
	// about 64 KB.
	var zeros bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zeros, gzip.BestCompression)
	zw.Write([]byte(testHeader))
	zw.Write(make([]byte, 64<<20))
	zw.Close()
	if zeros.Len() > 100<<10 {
		t.Fatalf("bomb is %d bytes, expected a small file", zeros.Len())
	}
	expectParseError(t, readErr(zeros.Bytes(), ReaderOptions{MaxInputBytes: 512 << 10}), -1, "larger than the limit of 524288 bytes after decompression")

	// Many valid records: the limit, not the line length, stops it.
	line := "1\t100\t.\tA\tC\t.\t.\t.\n"
	big := []byte(genHeader + strings.Repeat(line, 1<<20))
	for name, in := range map[string][]byte{"plain": big, "gzip": gzipBytes(t, big), "bgzf": bgzfBytes(t, big, 2)} {
		expectParseError(t, readErr(in, ReaderOptions{MaxInputBytes: 1 << 20}), -1, "larger than the limit")
		// Exactly at the limit is allowed.
		if err := readErr(in, ReaderOptions{MaxInputBytes: int64(len(big))}); err != nil {
			t.Errorf("%s: input of exactly MaxInputBytes: %v", name, err)
		}
		expectParseError(t, readErr(in, ReaderOptions{MaxInputBytes: int64(len(big)) - 1}), -1, "larger than the limit")
	}
	// A limit smaller than the header also fails cleanly.
	expectParseError(t, readErr([]byte(testHeader), ReaderOptions{MaxInputBytes: 10}), -1, "larger than the limit of 10 bytes")
}

func TestReaderMaxLineBytes(t *testing.T) {
	t.Parallel()
	long := "1\t100\t.\tA\tC\t.\t.\tX=" + strings.Repeat("7", 10<<20) + "\n"
	in := []byte("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t1\t.\tA\tC\t.\t.\t.\n" + long)
	for name, data := range map[string][]byte{"plain": in, "bgzf": bgzfBytes(t, in, 2)} {
		expectParseError(t, readErr(data, ReaderOptions{}), 4, "line is longer than the limit of 1048576 bytes")
		if err := readErr(data, ReaderOptions{MaxLineBytes: 11 << 20}); err != nil {
			t.Errorf("%s: with MaxLineBytes 11 MiB: %v", name, err)
		}
	}
	// The limit counts the line without its newline (or \r\n).
	exact := "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t1\t.\tA\tC\t.\t.\tX=" + strings.Repeat("1", 44) + "\r\n"
	if err := readErr([]byte(exact), ReaderOptions{MaxLineBytes: 60}); err != nil {
		t.Errorf("line of exactly MaxLineBytes: %v", err)
	}
	expectParseError(t, readErr([]byte(exact), ReaderOptions{MaxLineBytes: 59}), 3, "longer than the limit of 59")
	expectParseError(t, readErr([]byte(exact[:len(exact)-2]), ReaderOptions{MaxLineBytes: 59}), 3, "longer than the limit of 59")
}

func TestReaderNotVCF(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 7))
	garbage := make([]byte, 10<<20)
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	garbage[0] = 'Q' // not a gzip or other known magic
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"random bytes", garbage, "not a VCF file: the input is binary data"},
		{"png", append([]byte("\x89PNG\r\n\x1a\n"), garbage[:1000]...), "binary data"},
		{"gzipped random", gzipBytes(t, garbage[:100000]), "not a VCF file"},
		{"bzip2", []byte("BZh91AY&SY..."), "bzip2"},
		{"xz", []byte("\xfd7zXZ\x00\x00"), "xz"},
		{"zstd", []byte("\x28\xb5\x2f\xfd\x00\x00"), "zstd"},
		{"zip", []byte("PK\x03\x04\x14\x00"), "zip archive"},
		{"empty", nil, "not a VCF file: the input is empty"},
		{"gzipped empty", gzipBytes(t, nil), "not a VCF file: the input is empty"},
		{"text", []byte("hello world\nthis is not a VCF\n"), `found "hello world"`},
		{"csv without newline", bytes.Repeat([]byte("a,b,c;"), 1<<20), "the first line must be ##fileformat=VCFv4.x"},
		{"bad gzip header", []byte{0x1f, 0x8b, 9, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3}, "corrupt gzip input"},
		{"bam", bgzfBytes(t, []byte("BAM\x01\x00\x00\x00\x00"), 1), "BAM file"},
		{"bcf", bgzfBytes(t, []byte("BCF\x02\x02rest"), 1), "the input is BCF"},
		{"cram", []byte("CRAM\x03\x00"), "CRAM file"},
		{"gzip twice", gzipBytes(t, gzipBytes(t, genVCF(3, 1))), "compressed twice"},
		{"header only, no chrom", []byte("##fileformat=VCFv4.2\n##a=b\n"), "missing #CHROM header line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewReader(bytes.NewReader(tc.in), ReaderOptions{})
			expectParseError(t, err, -1, tc.want)
		})
	}
}

// errReader fails after returning its data, like a broken network stream.
type errReader struct {
	data []byte
	err  error
}

func (e *errReader) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestReaderIOErrorIsWrapped(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection reset")
	plain := genVCF(50000, 8)
	for name, in := range map[string][]byte{"plain": plain, "gzip": gzipBytes(t, plain), "bgzf": bgzfBytes(t, plain, 2)} {
		err := readErr(nil, ReaderOptions{}) // warm-up: empty input is a ParseError
		if err == nil {
			t.Fatal("empty input accepted")
		}
		r, err := NewReader(&errReader{data: in[:len(in)/2], err: boom}, ReaderOptions{})
		if err != nil {
			t.Fatalf("%s: NewReader: %v", name, err)
		}
		var b Block
		for err == nil {
			err = r.ReadBlock(&b, 0)
		}
		if !errors.Is(err, boom) {
			t.Errorf("%s: error = %v, want it to wrap %v", name, err, boom)
		}
		// The error is sticky.
		if err2 := r.ReadBlock(&b, 0); !errors.Is(err2, boom) {
			t.Errorf("%s: second ReadBlock = %v", name, err2)
		}
		r.Close()
	}
}

func TestReaderCloseEarly(t *testing.T) {
	t.Parallel()
	in := bgzfBytes(t, genVCF(50000, 9), 2)
	for range 20 {
		r, err := NewReader(bytes.NewReader(in), ReaderOptions{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		var b Block
		if err := r.ReadBlock(&b, 10); err != nil {
			t.Fatal(err)
		}
		r.Close()
		r.Close()
	}
}

func TestReaderSharedTestdata(t *testing.T) {
	t.Parallel()
	td := sharedtest.Dir(t)
	files, _ := filepath.Glob(filepath.Join(td, "*", "*.vcf*"))
	more, _ := filepath.Glob(filepath.Join(td, "*", "*", "*.vcf"))
	files = append(files, more...)
	if len(files) == 0 {
		t.Skip("no VCF files in shared test data")
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".tbi") {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		plain := raw
		if strings.HasSuffix(f, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if plain, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		hdr, body, err := readAll(t, raw, ReaderOptions{}, 0)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if got := hdr + body; got != strings.ReplaceAll(string(plain), "\n\n", "\n") {
			t.Errorf("%s: lines differ from a plain decompression", f)
		}
		// Every record of the real files parses.
		r, _ := NewReader(bytes.NewReader(raw), ReaderOptions{})
		var b Block
		var rec Record
		for r.ReadBlock(&b, 0) == nil {
			for i := range b.Len() {
				if err := ParseRecord(b.Line(i), b.LineNo(i), &rec); err != nil {
					t.Errorf("%s: %v", f, err)
				}
			}
		}
		r.Close()
	}
}

func TestReaderHeaderOnlyAndProgress(t *testing.T) {
	t.Parallel()
	r, err := NewReader(strings.NewReader(testHeader), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b Block
	if err := r.ReadBlock(&b, 0); err != io.EOF || b.Len() != 0 {
		t.Errorf("header-only file: ReadBlock = %v, %d lines; want io.EOF", err, b.Len())
	}
	if r.BytesRead() != int64(len(testHeader)) || r.InputBytesRead() != int64(len(testHeader)) {
		t.Errorf("BytesRead %d, InputBytesRead %d; want %d", r.BytesRead(), r.InputBytesRead(), len(testHeader))
	}
	plain := genVCF(20000, 31)
	gz := bgzfBytes(t, plain, 2)
	r, err = NewReader(bytes.NewReader(gz), ReaderOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.ReadBlock(&b, 0) == nil {
	}
	if r.BytesRead() != int64(len(plain)) || r.InputBytesRead() != int64(len(gz)) {
		t.Errorf("BGZF: BytesRead %d (want %d), InputBytesRead %d (want %d)", r.BytesRead(), len(plain), r.InputBytesRead(), len(gz))
	}
}

func TestReaderBGZFThenPlainGzip(t *testing.T) {
	t.Parallel()
	plain := genVCF(30000, 51)
	// Cut at line ends so that the first part alone is a complete VCF.
	i := bytes.IndexByte(plain[len(plain)/3:], '\n') + len(plain)/3 + 1
	j := bytes.IndexByte(plain[2*len(plain)/3:], '\n') + 2*len(plain)/3 + 1
	a, b, c := plain[:i], plain[i:j], plain[j:]
	// A gzip member with an extra field that is not BGZF's.
	var withExtra bytes.Buffer
	zw := gzip.NewWriter(&withExtra)
	zw.Extra = []byte{'X', 'Y', 2, 0, 1, 2}
	zw.Write(b)
	zw.Close()
	bgzfA := bgzfBytes(t, a, 2)
	cases := map[string][]byte{
		"bgzf+gzip":       append(append([]byte{}, bgzfA...), gzipBytes(t, b[:0:0])...),
		"bgzf+gzip+bgzf":  slicesConcat(bgzfA, gzipBytes(t, b), bgzfBytes(t, c, 1)),
		"bgzf+extra+gzip": slicesConcat(bgzfA, withExtra.Bytes(), gzipBytes(t, c)),
	}
	wants := map[string][]byte{
		"bgzf+gzip":       a,
		"bgzf+gzip+bgzf":  plain,
		"bgzf+extra+gzip": plain,
	}
	for name, in := range cases {
		_, body, err := readAll(t, in, ReaderOptions{Workers: 2}, 0)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if body != string(wants[name][len(genHeader):]) {
			t.Errorf("%s: %d bytes of records, want %d", name, len(body), len(wants[name])-len(genHeader))
		}
	}
	gz := gzipBytes(t, c)
	expectParseError(t, readErr(slicesConcat(bgzfA, gz[:len(gz)/2]), ReaderOptions{Workers: 2}), -1, "truncated gzip input")
	expectParseError(t, readErr(slicesConcat(bgzfA, flip(gz, len(gz)-6)), ReaderOptions{Workers: 2}), -1, "checksum mismatch")
}

func slicesConcat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
