package refdata

import (
	"bufio"
	"io"
)

// hugePage is the size of a transparent huge page on the machines GAS runs
// on (x86-64 and arm64 with 4 KiB base pages).
const hugePage = 2 << 20

// newBundleWriter buffers the writing of a large bundle file so that it
// reaches the file in whole, aligned 2 MiB writes. Linux (ext4, XFS) keeps
// a file written that way in its page cache as 2 MiB folios, which the
// lookups' mappings then map as huge pages (see mapFile): a fresh bundle is
// fast from its first use. Only the last write of the file is shorter, and
// a single write larger than the buffer (none of the bundle's writers makes
// one) would go through unaligned.
func newBundleWriter(w io.Writer) *bufio.Writer {
	return bufio.NewWriterSize(writeOnly{w}, hugePage)
}

// writeOnly hides every method of a writer but Write, so that bufio copies
// through its buffer instead of handing a whole copy to the file's
// ReadFrom (copy_file_range), which would write in its own sizes.
type writeOnly struct{ w io.Writer }

func (o writeOnly) Write(p []byte) (int, error) { return o.w.Write(p) }
