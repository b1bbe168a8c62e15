package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/gas-project/gas/refdata"
)

// demoBundleName is the folder (and bundle name) of the built-in demo.
const demoBundleName = "demo"

// openBundle opens a reference bundle directory. It is the one place that
// calls into refdata for opening, so the engine's API is wired in one spot.
func openBundle(dir string) (*refdata.Bundle, error) {
	return refdata.Open(dir)
}

// ensureDemoBundle builds the demo bundle under refDir on first start and
// returns a note for the start-up banner. The bundle is built from data
// compiled into the binary, so a fresh checkout needs no download.
func ensureDemoBundle(ctx context.Context, refDir string, logger *slog.Logger) (string, error) {
	dir := filepath.Join(refDir, demoBundleName)
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err == nil {
		// Keep it if this binary can open it and built it from the same
		// demo sources; a bundle from an older gas (whose demo data or
		// format may differ; development builds all say "dev") is rebuilt,
		// since it is derived from data compiled into the binary.
		b, err := refdata.Open(dir)
		if err == nil {
			built := b.Manifest().Version
			closeBundle(b)
			if built == version() && refdata.DemoIsCurrent(dir) {
				return "demo bundle present", nil
			}
			logger.Info("rebuilding the demo bundle for this gas version", "dir", dir, "built_by", built, "version", version())
		} else {
			logger.Warn("rebuilding the demo bundle: it cannot be opened", "dir", dir, "err", err)
		}
		if err := os.RemoveAll(dir); err != nil {
			return "", fmt.Errorf("remove stale demo bundle: %w", err)
		}
	}
	start := time.Now()
	m, err := refdata.BuildDemo(ctx, dir, version())
	if err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "manifest.json")); serr == nil {
			// Another process sharing the data dir built it first.
			return "demo bundle present", nil
		}
		return "", fmt.Errorf("build demo bundle: %w", err)
	}
	logger.Info("built demo bundle", "dir", dir, "transcripts", m.Counts.Transcripts, "took", time.Since(start).Round(time.Millisecond))
	return fmt.Sprintf("demo bundle built: %d transcripts", m.Counts.Transcripts), nil
}

// closeBundle releases a bundle opened for one command.
func closeBundle(b *refdata.Bundle) {
	_ = b.Close() // read-only mappings: nothing to lose on a failed close
}
