package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gas-project/gas/internal/config"
	"github.com/gas-project/gas/refdata"
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

// describeBundle is one line of 'gas refdata list': name, assembly, counts
// and checksum from the bundle's manifest.
func describeBundle(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return fmt.Sprintf("%-16s (no manifest: not a bundle?)  %s", filepath.Base(dir), dir)
	}
	var m refdata.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Sprintf("%-16s (unreadable manifest: %v)  %s", filepath.Base(dir), err, dir)
	}
	sum := m.Checksum
	if len(sum) > 19 {
		sum = sum[:19]
	}
	return fmt.Sprintf("%-16s %-8s %6d transcripts %9d known variants %2d tracks  %s  %s",
		filepath.Base(dir), m.Assembly, m.Counts.Transcripts, m.Counts.KnownVariants, len(m.Tracks), sum, dir)
}

// trackFlags collects repeated --track NAME=FILE flags.
type trackFlags []refdata.Track

func (t *trackFlags) String() string {
	parts := make([]string, len(*t))
	for i, tr := range *t {
		parts[i] = tr.Name + "=" + tr.Path
	}
	return strings.Join(parts, ",")
}

func (t *trackFlags) Set(v string) error {
	name, path, ok := strings.Cut(v, "=")
	if !ok || name == "" || path == "" {
		return fmt.Errorf("want NAME=FILE, got %q", v)
	}
	for _, tr := range *t {
		if tr.Name == name {
			return fmt.Errorf("track %q given twice", name)
		}
	}
	*t = append(*t, refdata.Track{Name: name, Path: path})
	return nil
}

func refdataBuild(ctx context.Context, e *env, args []string) error {
	flags := newFlagSet(e, "refdata build", "--name NAME --genes FILE --out DIR",
		"Build a reference bundle from a GFF3/GTF gene model and optional FASTA, known variants and BED tracks.")
	name := flags.String("name", "", "bundle name (required)")
	assembly := flags.String("assembly", "", "assembly, e.g. GRCh38")
	genes := flags.String("genes", "", "GFF3 or GTF gene model, plain or gzip (required)")
	fasta := flags.String("fasta", "", "genome FASTA, plain or gzip (optional; without it sequence-dependent consequences are flagged)")
	known := flags.String("known-variants", "", "known variants VCF(.gz), e.g. dbSNP (optional)")
	knownInfo := flags.String("known-info", "", "comma-separated INFO fields to carry from the known variants, e.g. MAF,AF_EUR (default: all)")
	var tracks trackFlags
	flags.Var(&tracks, "track", "region track NAME=file.bed (repeatable)")
	out := flags.String("out", "", "bundle directory to create (required; must not exist)")
	quiet := flags.Bool("quiet", false, "do not print progress")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return usagef("unexpected arguments: %s", strings.Join(flags.Args(), " "))
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"--name", *name}, {"--genes", *genes}, {"--out", *out}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return usagef("missing required flags: %s", strings.Join(missing, ", "))
	}
	if !validName(*name) {
		return usagef("--name must be a plain name (letters, digits, '.', '_', '-'), got %q", *name)
	}
	opt := refdata.BuildOptions{Name: *name, Assembly: *assembly, Genes: *genes, FASTA: *fasta,
		KnownVariants: *known, Tracks: tracks, Out: *out, Version: version()}
	for _, k := range strings.Split(*knownInfo, ",") {
		if k = strings.TrimSpace(k); k != "" {
			opt.KnownInfo = append(opt.KnownInfo, k)
		}
	}
	if !*quiet {
		last := ""
		opt.Progress = func(stage string, done, total int64) {
			// One line per stage keeps logs readable; byte counts change too often.
			if stage != last {
				last = stage
				fmt.Fprintf(e.stderr, "refdata build: %s\n", stage)
			}
		}
	}
	// The bundle is built next to its final place and renamed; make sure
	// that place exists (e.g. DATA_DIR/refdata on a fresh machine).
	if err := os.MkdirAll(filepath.Dir(filepath.Clean(*out)), 0o755); err != nil {
		return fmt.Errorf("create bundle parent dir: %w", err)
	}
	m, err := refdata.Build(ctx, opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "built bundle %s (%s) in %s\n", m.Name, m.Assembly, *out)
	fmt.Fprintf(e.stdout, "  contigs %d, genes %d, transcripts %d (%d coding), bases %d, known variants %d\n",
		m.Counts.Contigs, m.Counts.Genes, m.Counts.Transcripts, m.Counts.CodingTranscripts, m.Counts.Bases, m.Counts.KnownVariants)
	for _, k := range sortedKeys(m.Counts.TrackIntervals) {
		fmt.Fprintf(e.stdout, "  track %s: %d intervals\n", k, m.Counts.TrackIntervals[k])
	}
	fmt.Fprintf(e.stdout, "  checksum %s\n", m.Checksum)
	return nil
}

// validName accepts bundle names usable as a folder and in a URL.
func validName(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '.' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
