package refinstall

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/bits"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/gas-project/gas/refdata"
)

// BSDSum is the BSD checksum that `sum` prints by default (GNU `sum` and
// `sum -r`): a 16-bit checksum rotated right by one bit before each byte is
// added, and the size in 1 KiB blocks, rounded up. Ensembl's CHECKSUMS
// files list it for every file.
type BSDSum struct {
	sum uint16
	n   int64
}

// Write adds p to the checksum; it never fails.
func (b *BSDSum) Write(p []byte) (int, error) {
	s := b.sum
	for _, c := range p {
		s = bits.RotateLeft16(s, -1) + uint16(c)
	}
	b.sum = s
	b.n += int64(len(p))
	return len(p), nil
}

// Sum16 is the 16-bit checksum of what was written.
func (b *BSDSum) Sum16() uint16 { return b.sum }

// Blocks is the number of 1 KiB blocks of what was written, rounded up.
func (b *BSDSum) Blocks() int64 { return (b.n + 1023) / 1024 }

// String formats the checksum as `sum` does: "%05d %5d".
func (b *BSDSum) String() string { return fmt.Sprintf("%05d %5d", b.sum, b.Blocks()) }

// digest hashes a byte stream with everything the installer may compare:
// SHA-256, MD5 and the BSD sum, in one pass.
type digest struct {
	sha, md5 hash.Hash
	bsd      BSDSum
	n        int64
}

func newDigest() *digest { return &digest{sha: sha256.New(), md5: md5.New()} }

// parallelChunk is the smallest write hashed on two goroutines: MD5 takes
// about as long as SHA-256 and the BSD sum together, so a second core
// halves the time, and below this size starting it costs more than it
// saves.
const parallelChunk = 16 << 10

func (d *digest) Write(p []byte) (int, error) {
	if len(p) >= parallelChunk {
		var wg sync.WaitGroup
		wg.Go(func() { d.md5.Write(p) })
		d.sha.Write(p)
		d.bsd.Write(p)
		wg.Wait()
	} else {
		d.sha.Write(p)
		d.md5.Write(p)
		d.bsd.Write(p)
	}
	d.n += int64(len(p))
	return len(p), nil
}

func (d *digest) reset() { *d = *newDigest() }

// Sums are the checksums of a file, computed in one pass.
type Sums struct {
	Size   int64
	SHA256 string
	MD5    string
	BSD    string // "SUM BLOCKS", as `sum` prints it
}

func (d *digest) sums() Sums {
	return Sums{Size: d.n, SHA256: hex.EncodeToString(d.sha.Sum(nil)), MD5: hex.EncodeToString(d.md5.Sum(nil)), BSD: d.bsd.String()}
}

// hashFile computes the sums of a whole file.
func hashFile(file string) (Sums, error) {
	f, err := os.Open(file)
	if err != nil {
		return Sums{}, err
	}
	defer f.Close()
	d := newDigest()
	if _, err := io.Copy(d, f); err != nil {
		return Sums{}, fmt.Errorf("read %s: %w", file, err)
	}
	return d.sums(), nil
}

// ProviderChecksum is the value a provider publishes for one file.
type ProviderChecksum struct {
	Type  string // refdata.ChecksumMD5 or refdata.ChecksumBSDSum
	Value string // lower-case hex MD5, or "SUM BLOCKS" without leading zeros
	URL   string // the checksum file it was read from
	// Name is the file name the checksum file gives (it may differ from
	// the one downloaded: ClinVar's clinvar.vcf.gz.md5 names the dated
	// weekly file).
	Name string
}

// errNoEntry is a checksum file that lists other files, not ours.
var errNoEntry = errors.New("no entry for the file")

// parseChecksumFile finds the checksum of file name in the content of a
// provider's checksum file of type typ.
//
// md5: lines of md5sum output ("HASH  NAME", "HASH *NAME"), BSD style
// ("MD5 (NAME) = HASH") or a bare hash. NCBI's md5checksums.txt lists a
// folder ("HASH  ./NAME"); a .md5 beside one file lists that file, under
// whatever name (ClinVar's names the dated weekly release), so a file with
// one entry is taken whatever its name.
//
// bsd-sum: lines "SUM BLOCKS NAME" (Ensembl CHECKSUMS).
func parseChecksumFile(typ string, content []byte, name string) (ProviderChecksum, error) {
	type entry struct{ value, name string }
	var entries []entry
	sc := bufio.NewScanner(bytes.NewReader(content))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		switch typ {
		case refdata.ChecksumMD5:
			v, n, ok := parseMD5Line(t)
			if !ok {
				return ProviderChecksum{}, fmt.Errorf("line %d: not an MD5 checksum line: %q", line, clip(t))
			}
			entries = append(entries, entry{v, n})
		case refdata.ChecksumBSDSum:
			f := strings.Fields(t)
			if len(f) < 2 {
				return ProviderChecksum{}, fmt.Errorf("line %d: want SUM BLOCKS NAME: %q", line, clip(t))
			}
			s, err1 := strconv.ParseUint(f[0], 10, 16)
			b, err2 := strconv.ParseInt(f[1], 10, 64)
			if err1 != nil || err2 != nil || b < 0 {
				return ProviderChecksum{}, fmt.Errorf("line %d: want SUM BLOCKS NAME: %q", line, clip(t))
			}
			n := ""
			if len(f) > 2 {
				n = strings.Join(f[2:], " ")
			}
			entries = append(entries, entry{fmt.Sprintf("%d %d", s, b), n})
		default:
			return ProviderChecksum{}, fmt.Errorf("checksum type %q has no checksum file", typ)
		}
	}
	if err := sc.Err(); err != nil {
		return ProviderChecksum{}, err
	}
	if len(entries) == 0 {
		return ProviderChecksum{}, errors.New("empty checksum file")
	}
	for _, e := range entries {
		if e.name != "" && path.Base(strings.TrimPrefix(e.name, "./")) == name {
			return ProviderChecksum{Type: typ, Value: e.value, Name: e.name}, nil
		}
	}
	if len(entries) == 1 && typ == refdata.ChecksumMD5 {
		return ProviderChecksum{Type: typ, Value: entries[0].value, Name: entries[0].name}, nil
	}
	return ProviderChecksum{}, fmt.Errorf("%w %s among %d entries", errNoEntry, name, len(entries))
}

// parseMD5Line reads one line of md5sum (GNU or BSD style) output.
func parseMD5Line(t string) (value, name string, ok bool) {
	if rest, found := strings.CutPrefix(t, "MD5 ("); found {
		n, v, found := strings.Cut(rest, ") = ")
		if !found || !isHex(v, 32) {
			return "", "", false
		}
		return strings.ToLower(v), n, true
	}
	v, n, _ := strings.Cut(t, " ")
	if !isHex(v, 32) {
		return "", "", false
	}
	n = strings.TrimLeft(n, " ")
	n = strings.TrimPrefix(n, "*") // md5sum's binary-mode marker
	return strings.ToLower(v), n, true
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// matches tells whether the computed sums agree with the provider's
// checksum.
func (p ProviderChecksum) matches(s Sums) bool {
	switch p.Type {
	case refdata.ChecksumMD5:
		return s.MD5 == p.Value
	case refdata.ChecksumBSDSum:
		return normalBSD(s.BSD) == p.Value
	}
	return false
}

// got is the computed value of the provider's checksum type, for messages.
func (p ProviderChecksum) got(s Sums) string {
	if p.Type == refdata.ChecksumBSDSum {
		return normalBSD(s.BSD)
	}
	return s.MD5
}

// trust is the level a match with this checksum gives.
func (p ProviderChecksum) trust() refdata.Trust {
	if p.Type == refdata.ChecksumBSDSum {
		return refdata.TrustProviderSum
	}
	return refdata.TrustProviderMD5
}

// normalBSD turns "%05d %5d" into "SUM BLOCKS" without padding, the form
// ProviderChecksum.Value keeps.
func normalBSD(s string) string {
	f := strings.Fields(s)
	if len(f) != 2 {
		return s
	}
	a, _ := strconv.ParseUint(f[0], 10, 16)
	b, _ := strconv.ParseInt(f[1], 10, 64)
	return fmt.Sprintf("%d %d", a, b)
}
