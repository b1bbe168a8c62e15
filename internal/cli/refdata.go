package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gas-project/gas/internal/config"
)

const refdataUsage = `Usage:
  gas refdata build [flags]   turn GFF3/GTF, FASTA, known variants and BED tracks into a bundle
  gas refdata list [flags]    list the bundles in the data directory`

func runRefdata(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("expected 'build' or 'list'\n%s", refdataUsage)
	}
	switch args[0] {
	case "build":
		return refdataBuild(ctx, e, args[1:])
	case "list":
		return refdataList(ctx, e, args[1:])
	case "-h", "--help", "help":
		fmt.Fprintln(e.stdout, refdataUsage)
		return nil
	default:
		return usagef("unknown refdata command %q\n%s", args[0], refdataUsage)
	}
}

func refdataList(_ context.Context, e *env, args []string) error {
	flags := newFlagSet(e, "refdata list", "", "List the reference bundles under DATA_DIR/refdata.")
	dataDir := flags.String("data-dir", "", "data directory [$GAS_DATA_DIR] (default gas-data)")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return usagef("unexpected arguments: %s", strings.Join(flags.Args(), " "))
	}
	dir := *dataDir
	if dir == "" {
		dir = e.vars["GAS_DATA_DIR"]
	}
	if dir == "" {
		dir = config.Default().DataDir
	}
	ref := filepath.Join(dir, refdataDirName)
	entries, err := os.ReadDir(ref)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(e.stdout, "no bundles in %s (it does not exist yet; 'gas serve' creates the demo bundle)\n", ref)
		return nil
	}
	if err != nil {
		return fmt.Errorf("list bundles: %w", err)
	}
	n := 0
	for _, en := range entries {
		if !en.IsDir() || strings.HasPrefix(en.Name(), ".") {
			continue
		}
		n++
		fmt.Fprintln(e.stdout, describeBundle(filepath.Join(ref, en.Name())))
	}
	if n == 0 {
		fmt.Fprintf(e.stdout, "no bundles in %s\n", ref)
	}
	return nil
}

// describeBundle is one line of 'gas refdata list'.
func describeBundle(dir string) string {
	return filepath.Base(dir) + "\t" + dir
}

func refdataBuild(_ context.Context, _ *env, _ []string) error {
	return errors.New("building bundles is not available in this build yet")
}
