package refinstall

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// buildFactor estimates the space the bundle build needs for an input of
// each role, as a multiple of the (compressed) input's size. These are
// rules of thumb with a margin, not measurements of the real files:
//   - fasta: the bundle stores one byte per base; gzip packs about 3.3
//     bases per byte (measured on the 1.7 Mb of genomic slices in
//     ../shared/testdata/bcftools-csq with gzip -6), so 4 leaves a margin;
//   - known: at most 24 bytes per allele on disk, against about 11 bytes a
//     record takes compressed (vep-chr21/known_variants.vcf.gz), plus room
//     for an external sort: 3;
//   - genes and tracks are small next to those: their own size, twice for
//     converted tracks.
var buildFactor = map[string]float64{
	RoleFASTA:   4,
	RoleKnown:   3,
	RoleGenes:   1,
	RoleTrack:   2,
	RoleAliases: 0,
}

// checkSpace says how much disk the install needs (the downloads still to
// come, from the manifest's sizes or the servers' Content-Length, plus an
// estimate of the build) and refuses to start when the file system holding
// RefDir has less free.
func checkSpace(ctx context.Context, opt *Options, d *Downloader, dir string, sources []Source) error {
	var download, build int64
	var unknown []string
	for _, s := range sources {
		size := s.Size
		onDisk := int64(0)
		if opt.From != "" {
			if st, err := os.Stat(filepath.Join(opt.From, s.FileName())); err == nil {
				size = st.Size()
			}
			onDisk = size
		} else {
			dest := filepath.Join(dir, s.FileName())
			if st, err := os.Stat(dest); err == nil {
				onDisk = st.Size()
				if size <= 0 {
					size = onDisk
				}
			} else if st, err := os.Stat(dest + ".part"); err == nil {
				onDisk = st.Size()
			}
			if size <= 0 {
				n, err := d.Size(ctx, s.URL)
				if err != nil || n < 0 {
					unknown = append(unknown, s.FileName())
					continue
				}
				size = n
			}
		}
		download += max(size-onDisk, 0)
		build += int64(float64(size) * buildFactor[s.Role])
	}
	need := download + build
	note := ""
	if len(unknown) > 0 {
		note = fmt.Sprintf(" (not counting %s: the server did not give the size)", strings.Join(unknown, ", "))
	}
	free := opt.FreeSpace
	if free == nil {
		free = freeSpace
	}
	avail, err := free(opt.RefDir)
	if errors.Is(err, errors.ErrUnsupported) {
		opt.stagef("disk: needs about %s (downloads %s, build about %s)%s; free space not checked on this system",
			humanBytes(need), humanBytes(download), humanBytes(build), note)
		return nil
	}
	if err != nil {
		return fmt.Errorf("free space in %s: %w", opt.RefDir, err)
	}
	if avail < need {
		return fmt.Errorf("not enough disk space in %s: the install needs about %s (downloads %s, build about %s)%s, %s is free",
			opt.RefDir, humanBytes(need), humanBytes(download), humanBytes(build), note, humanBytes(avail))
	}
	opt.stagef("disk: needs about %s (downloads %s, build about %s)%s; %s free in %s",
		humanBytes(need), humanBytes(download), humanBytes(build), note, humanBytes(avail), opt.RefDir)
	return nil
}
