package cli

import (
	"context"
	"log/slog"

	"github.com/gas-project/gas/refdata"
)

// openBundle opens a reference bundle directory. It is the one place that
// calls into refdata for opening, so the engine's API is wired in one spot.
func openBundle(dir string) (*refdata.Bundle, error) {
	return refdata.Open(dir)
}

// ensureDemoBundle builds the demo bundle under refDir on first start and
// returns a note for the start-up banner.
func ensureDemoBundle(ctx context.Context, refDir string, logger *slog.Logger) (string, error) {
	logger.Warn("demo bundle builder not available in this build yet", "dir", refDir)
	return "no demo bundle in this build", nil
}

// closeBundle releases a bundle opened for one command.
func closeBundle(b *refdata.Bundle) {
	if c, ok := any(b).(interface{ Close() error }); ok {
		_ = c.Close() // read-only mappings: nothing to lose on a failed close
	}
}
