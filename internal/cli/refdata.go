package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/gas-project/gas/internal/config"
	"github.com/gas-project/gas/internal/refinstall"
	"github.com/gas-project/gas/refdata"
)

const refdataUsage = `Usage:
  gas refdata install [flags] grch38|grch37   download, verify, build and register a public reference
  gas refdata build [flags]   turn GFF3/GTF, FASTA, annotation sources and region tracks into a bundle
  gas refdata add-source [flags] BUNDLE NAME=FILE[:FIELD,...]   add or replace one annotation source
  gas refdata remove-source [flags] BUNDLE NAME                 remove one annotation source
  gas refdata list [flags]    list the bundles in the data directory
  gas refdata remove [flags] NAME             delete a bundle`

func runRefdata(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("expected 'install', 'build', 'add-source', 'remove-source', 'list' or 'remove'\n%s", refdataUsage)
	}
	switch args[0] {
	case "build":
		return refdataBuild(ctx, e, args[1:])
	case "add-source":
		return refdataAddSource(ctx, e, args[1:])
	case "remove-source":
		return refdataRemoveSource(ctx, e, args[1:])
	case "list":
		return refdataList(ctx, e, args[1:])
	case "install":
		return refdataInstall(ctx, e, args[1:])
	case "remove":
		return refdataRemove(ctx, e, args[1:])
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

// describeBundle is the 'gas refdata list' entry of a bundle: name,
// assembly, size on disk, checksum and counts, then one line per source
// (with version and verification from an install record when present).
func describeBundle(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return fmt.Sprintf("%-16s (no manifest: not a bundle?)  %s", filepath.Base(dir), dir)
	}
	var m refdata.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Sprintf("%-16s (unreadable manifest: %v)  %s", filepath.Base(dir), err, dir)
	}
	size := "?"
	if n, err := refinstall.DirSize(dir); err == nil {
		size = refinstall.HumanBytes(n)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%-16s %-8s %10s  checksum %s  %d transcripts, %d known variants, %d tracks  %s",
		filepath.Base(dir), m.Assembly, size, m.Checksum, m.Counts.Transcripts, m.Counts.KnownVariants, len(m.Tracks), dir)
	fmt.Fprintf(&sb, "\n    covers: %s", m.Coverage())
	for _, src := range m.AnnotationSources {
		fmt.Fprintf(&sb, "\n    source %s", sourceLine(src))
	}
	for _, s := range m.Sources {
		fmt.Fprintf(&sb, "\n    %-18s %s  %s  sha256 %s", s.Role, s.Path, refinstall.HumanBytes(s.Size), s.SHA256)
		if o := s.Origin; o != nil { // set for installed files
			fmt.Fprintf(&sb, "  [%s, %s] %s", o.Version, o.Trust, o.URL)
		}
	}
	return sb.String()
}

// sourceLine describes one annotation source for list and build output.
func sourceLine(src refdata.SourceInfo) string {
	var keys []string
	for _, f := range src.Fields {
		keys = append(keys, f.Key)
	}
	line := fmt.Sprintf("%s (%s", src.Name, src.Kind)
	if src.Version != "" {
		line += ", " + src.Version
	}
	if src.ID {
		line += ", fills ID"
	}
	line += fmt.Sprintf("): %d alleles from %s", src.Alleles, src.File)
	r := src.Report
	if n := r.SkippedTotal(); n > 0 {
		line += fmt.Sprintf(", %d skipped (%s)", n, skipReasons(r.Skipped))
	}
	if r.BadValues > 0 {
		line += fmt.Sprintf(", %d values not of their type dropped", r.BadValues)
	}
	if !r.Sorted {
		line += fmt.Sprintf(", unsorted input sorted in %d runs", r.Runs)
	}
	if len(r.NewContigs) > 0 {
		line += fmt.Sprintf(", contigs added without gene models: %s", listFew(r.NewContigs, 5))
	}
	if len(keys) > 0 {
		line += "; INFO " + listFew(keys, 8)
	}
	return line
}

func skipReasons(m map[string]int64) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %d", strings.ReplaceAll(k, "_", " "), m[k]))
	}
	return strings.Join(parts, ", ")
}

func listFew(l []string, n int) string {
	if len(l) > n {
		return strings.Join(l[:n], ", ") + fmt.Sprintf(" and %d more", len(l)-n)
	}
	return strings.Join(l, ", ")
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
	format := ""
	for _, f := range []string{refdata.TrackBED, refdata.TrackUCSC} {
		if p, ok := strings.CutPrefix(path, f+":"); ok {
			format, path = f, p
		}
	}
	*t = append(*t, refdata.Track{Name: name, Path: path, Format: format})
	return nil
}

// sourceFlags collects repeated --known/--scores NAME=FILE[:FIELD,...] flags.
type sourceFlags struct {
	kind  string
	specs *[]refdata.SourceSpec
}

func (f sourceFlags) String() string {
	if f.specs == nil {
		return ""
	}
	var parts []string
	for _, s := range *f.specs {
		if s.Kind == f.kind {
			parts = append(parts, s.Name+"="+s.Path)
		}
	}
	return strings.Join(parts, ",")
}

func (f sourceFlags) Set(v string) error {
	spec, err := parseSourceArg(v, f.kind)
	if err != nil {
		return err
	}
	for _, s := range *f.specs {
		if s.Name == spec.Name {
			return fmt.Errorf("source %q given twice", spec.Name)
		}
	}
	*f.specs = append(*f.specs, spec)
	return nil
}

// parseSourceArg reads NAME=FILE[:FIELD,...]. The field list is what
// follows the last ':' unless the whole argument after '=' names an
// existing file.
func parseSourceArg(v, kind string) (refdata.SourceSpec, error) {
	name, rest, ok := strings.Cut(v, "=")
	if !ok || name == "" || rest == "" {
		return refdata.SourceSpec{}, fmt.Errorf("want NAME=FILE[:FIELD,...], got %q", v)
	}
	if !refdata.ValidSourceName(name) {
		return refdata.SourceSpec{}, fmt.Errorf("source name %q: use a lower-case letter, then lower-case letters, digits or '_' (it prefixes the INFO keys: NAME_FIELD)", name)
	}
	spec := refdata.SourceSpec{Name: name, Kind: kind, Path: rest}
	if i := strings.LastIndexByte(rest, ':'); i > 0 {
		if _, err := os.Stat(rest); err != nil {
			spec.Path = rest[:i]
			for _, fl := range strings.Split(rest[i+1:], ",") {
				if fl = strings.TrimSpace(fl); fl != "" {
					spec.Fields = append(spec.Fields, fl)
				}
			}
		}
	}
	return spec, nil
}

func refdataBuild(ctx context.Context, e *env, args []string) error {
	flags := newFlagSet(e, "refdata build", "--name NAME --genes FILE --out DIR",
		"Build a reference bundle from a GFF3/GTF gene model and optional FASTA, known variants and BED tracks.")
	name := flags.String("name", "", "bundle name (required)")
	assembly := flags.String("assembly", "", "assembly, e.g. GRCh38")
	genes := flags.String("genes", "", "GFF3 or GTF gene model, plain or gzip (required)")
	fasta := flags.String("fasta", "", "genome FASTA, plain or gzip (optional; without it sequence-dependent consequences are flagged)")
	var specs []refdata.SourceSpec
	flags.Var(sourceFlags{refdata.KindKnown, &specs}, "known",
		"known-variant source NAME=FILE.vcf[.gz][:FIELD,...] (repeatable): INFO keys NAME_FIELD, e.g. --known clinvar=clinvar.vcf.gz:CLNSIG,CLNREVSTAT (default: every INFO field)")
	flags.Var(sourceFlags{refdata.KindScores, &specs}, "scores",
		"allele-keyed table NAME=FILE[:COLUMN,...] (repeatable): tab-separated chrom, pos, ref, alt, values, plain or bgzipped (CADD, REVEL, SpliceAI style)")
	idSources := flags.String("id-sources", "", "comma-separated sources whose IDs fill the VCF ID column (default: dbsnp, or the --known-variants source)")
	known := flags.String("known-variants", "", "known variants VCF(.gz): the same as --known known=FILE (INFO keys known_FIELD)")
	knownInfo := flags.String("known-info", "", "comma-separated INFO fields of --known-variants, e.g. MAF,AF_EUR (default: all)")
	aliases := flags.String("contig-aliases", "", "UCSC chromAlias file or NCBI assembly report, so chr1, 1, NC_000001.11 and CM000663.2 name one contig")
	var tracks trackFlags
	flags.Var(&tracks, "track", "region track NAME=FILE (repeatable): BED, or a UCSC table with a bin column (genomicSuperDups.txt.gz, dgvMerged.txt.gz); force with NAME=bed:FILE or NAME=ucsc:FILE")
	description := flags.String("description", "", "one line saying what the bundle covers (default: composed from the contents)")
	noSpace := flags.Bool("no-space-check", false, "build even when the free disk space looks smaller than the estimate")
	sortMB := flags.Int("sort-memory", 0, "MiB an external sort of an unsorted source may fill before spilling to disk (default 384)")
	tmpDir := flags.String("tmp-dir", "", "folder for the external sort's runs (default: inside the bundle being built)")
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
		KnownVariants: *known, Sources: specs, ContigAliases: *aliases, Tracks: tracks, Out: *out, Version: version(),
		Description: *description, SkipSpaceCheck: *noSpace, SortMemory: *sortMB << 20, TempDir: *tmpDir}
	for _, k := range strings.Split(*knownInfo, ",") {
		if k = strings.TrimSpace(k); k != "" {
			opt.KnownInfo = append(opt.KnownInfo, k)
		}
	}
	if *idSources != "" {
		if err := setIDSources(opt.Sources, *idSources); err != nil {
			return err
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
	fmt.Fprintf(e.stdout, "  covers: %s\n", m.Coverage())
	for _, src := range m.AnnotationSources {
		fmt.Fprintf(e.stdout, "  source %s\n", sourceLine(src))
	}
	for _, k := range sortedKeys(m.Counts.TrackIntervals) {
		fmt.Fprintf(e.stdout, "  track %s: %d intervals\n", k, m.Counts.TrackIntervals[k])
	}
	fmt.Fprintf(e.stdout, "  checksum %s\n", m.Checksum)
	return nil
}

// setIDSources marks exactly the named sources as ID sources.
func setIDSources(specs []refdata.SourceSpec, list string) error {
	want := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	for i := range specs {
		specs[i].ID = want[specs[i].Name]
		delete(want, specs[i].Name)
	}
	if len(want) > 0 {
		return usagef("--id-sources names sources not given with --known: %s", strings.Join(sortedKeys(want), ", "))
	}
	return nil
}

// bundleDir resolves a BUNDLE argument: a directory path as given, else the
// bundle of that name under DATA_DIR/refdata.
func bundleDir(cfg config.Config, arg string) (string, error) {
	if strings.ContainsRune(arg, os.PathSeparator) || arg == "." || arg == ".." {
		return arg, nil
	}
	if !validName(arg) {
		return "", usagef("invalid bundle name %q", arg)
	}
	dir := filepath.Join(cfg.DataDir, refdataDirName, arg)
	if _, err := os.Stat(dir); err != nil {
		if _, serr := os.Stat(filepath.Join(arg, "manifest.json")); serr == nil {
			return arg, nil
		}
		return "", fmt.Errorf("no bundle %s in %s", arg, filepath.Join(cfg.DataDir, refdataDirName))
	}
	return dir, nil
}

func refdataAddSource(ctx context.Context, e *env, args []string) error {
	flags := newFlagSet(e, "refdata add-source", "BUNDLE NAME=FILE[:FIELD,...]",
		"Add an annotation source to a bundle, or replace the source of that name (e.g. this week's ClinVar), without\n"+
			"rebuilding its genes or sequence. BUNDLE is a name under DATA_DIR/refdata or a directory. The bundle checksum\n"+
			"changes; results keep the checksum they were made with. Servers see the change when they reopen the bundle.")
	scores := flags.Bool("scores", false, "FILE is an allele-keyed table (chrom, pos, ref, alt, values), not a VCF")
	id := flags.Bool("id", false, "the source's IDs fill the VCF ID column (default: for a source named dbsnp)")
	ver := flags.String("source-version", "", "release of the source, e.g. 2024-05-27 (default: from the file's header)")
	noSpace := flags.Bool("no-space-check", false, "add even when the free disk space looks smaller than the estimate")
	quiet := flags.Bool("quiet", false, "do not print progress")
	cfg, err := loadConfig(e, flags, args)
	if err != nil {
		return err
	}
	if flags.NArg() != 2 {
		return usagef("expected BUNDLE and NAME=FILE[:FIELD,...], got %d arguments", flags.NArg())
	}
	dir, err := bundleDir(cfg, flags.Arg(0))
	if err != nil {
		return err
	}
	kind := refdata.KindKnown
	if *scores {
		kind = refdata.KindScores
	}
	spec, err := parseSourceArg(flags.Arg(1), kind)
	if err != nil {
		return usagef("%v", err)
	}
	spec.ID, spec.Version = *id, *ver
	opt := refdata.ChangeOptions{SkipSpaceCheck: *noSpace}
	if !*quiet {
		last := ""
		opt.Progress = func(stage string, _, _ int64) {
			if stage != last {
				last = stage
				fmt.Fprintf(e.stderr, "refdata add-source: %s\n", stage)
			}
		}
	}
	m, err := refdata.AddSource(ctx, dir, spec, opt)
	if err != nil {
		return err
	}
	for _, src := range m.AnnotationSources {
		if src.Name == spec.Name {
			fmt.Fprintf(e.stdout, "added source %s\n", sourceLine(src))
		}
	}
	fmt.Fprintf(e.stdout, "  bundle %s checksum %s\n", m.Name, m.Checksum)
	return nil
}

func refdataRemoveSource(ctx context.Context, e *env, args []string) error {
	flags := newFlagSet(e, "refdata remove-source", "BUNDLE NAME",
		"Remove one annotation source from a bundle (a name under DATA_DIR/refdata or a directory).")
	cfg, err := loadConfig(e, flags, args)
	if err != nil {
		return err
	}
	if flags.NArg() != 2 {
		return usagef("expected BUNDLE and NAME, got %d arguments", flags.NArg())
	}
	dir, err := bundleDir(cfg, flags.Arg(0))
	if err != nil {
		return err
	}
	m, err := refdata.RemoveSource(ctx, dir, flags.Arg(1))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "removed source %s from bundle %s (checksum %s)\n", flags.Arg(1), m.Name, m.Checksum)
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

// varFlags collects repeated --var NAME=VALUE flags.
type varFlags map[string]string

func (v varFlags) String() string {
	parts := make([]string, 0, len(v))
	for _, k := range sortedKeys(v) {
		parts = append(parts, k+"="+v[k])
	}
	return strings.Join(parts, ",")
}

func (v varFlags) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" || value == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	v[name] = value
	return nil
}

func refdataInstall(ctx context.Context, e *env, args []string) error {
	flags := newFlagSet(e, "refdata install", "grch38|grch37",
		"Download the public sources of an assembly's profile, check each against its provider's checksum (or the\n"+
			"SHA-256 pinned in a lock file), build the bundle and register it under DATA_DIR/refdata/NAME.\n"+
			"Interrupted downloads resume on the next run. See docs/refdata-install.md.")
	profile := flags.String("profile", refinstall.DefaultProfile, "what to install: "+strings.Join(refinstall.Profiles, ", ")+" (each holds the one before)")
	manifestFile := flags.String("manifest", "", "source manifest or lock file (JSON; default: the built-in one); a lock installs strictly what it pins")
	writeLock := flags.String("write-lock", "", "after the install, write a lock file pinning the SHA-256 and size of every file installed")
	vars := varFlags{}
	flags.Var(vars, "var", "override a manifest variable, e.g. ensembl_release=116 (repeatable)")
	from := flags.String("from", "", "use files already downloaded in this folder (matched by file name, still checked)")
	name := flags.String("name", "", "bundle name (default: the assembly, e.g. grch38)")
	allowUnverified := flags.Bool("allow-unverified", false, "accept files for which no checksum is published (only TLS vouches for them)")
	withOptional := flags.Bool("with-optional", false, "also install the optional sources (UCSC cytobands and CpG islands, the GWAS Catalog)")
	keep := flags.Bool("keep-downloads", false, "keep the downloaded files in DATA_DIR/refdata/.downloads after the install")
	quiet := flags.Bool("quiet", false, "print only the result")
	printManifest := flags.Bool("print-manifest", false, "print the built-in manifest (to copy and edit) and exit")
	dataDir := flags.String("data-dir", "", "data directory [$GAS_DATA_DIR] (default "+config.Default().DataDir+")")
	configFile := flags.String("config", "", "config file of key = value lines, for data-dir and default-bundle [$GAS_CONFIG]")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if *printManifest {
		_, err := e.stdout.Write(refinstall.DefaultJSON())
		return err
	}
	if flags.NArg() != 1 {
		return usagef("expected one assembly (grch38 or grch37), got %d arguments", flags.NArg())
	}
	if *name != "" && !validName(*name) {
		return usagef("--name must be a plain name (letters, digits, '.', '_', '-'), got %q", *name)
	}
	// Only the settings the installer uses are flags here; the rest of the
	// configuration (file, environment) is read as every command reads it.
	set := map[string]string{}
	if *dataDir != "" {
		set["data-dir"] = *dataDir
	}
	file := e.vars["GAS_CONFIG"]
	if *configFile != "" {
		file = *configFile
	}
	cfg, err := config.Load(file, e.vars, set)
	if err != nil {
		return err
	}
	var m *refinstall.Manifest
	if *manifestFile != "" {
		m, err = refinstall.Load(*manifestFile)
	} else {
		m, err = refinstall.Default()
	}
	if err != nil {
		return err
	}
	// A lock installs what it pins; --profile is checked against it only
	// when given.
	explicitProfile := *profile
	if m.Lock != nil {
		explicitProfile = ""
		flags.Visit(func(f *flag.Flag) {
			if f.Name == "profile" {
				explicitProfile = *profile
			}
		})
	}
	tty := isTerminal(e.stdout) && isTerminal(e.stderr)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// No overall timeout (a genome takes long), but a server that never
	// answers is a transient failure to retry.
	transport.ResponseHeaderTimeout = time.Minute
	d := &refinstall.Downloader{Client: &http.Client{Transport: transport},
		Logf: func(f string, a ...any) { fmt.Fprintf(e.stderr, f+"\n", a...) }}
	opt := refinstall.Options{Manifest: m, Assembly: flags.Arg(0), Profile: explicitProfile, Vars: vars, Name: *name,
		RefDir: filepath.Join(cfg.DataDir, refdataDirName), From: *from,
		AllowUnverified: *allowUnverified, WithOptional: *withOptional, KeepDownloads: *keep, WriteLock: *writeLock,
		Downloader: d, Version: version()}
	if !*quiet {
		opt.Stagef = func(f string, a ...any) { fmt.Fprintf(e.stderr, f+"\n", a...) }
		if tty {
			d.Meter = refinstall.BarMeter(e.stderr)
			opt.BuildProgress = refinstall.BuildBars(e.stderr)
		} else {
			opt.BuildProgress = refinstall.BuildLines(e.stderr)
		}
	}
	res, err := refinstall.Install(ctx, opt)
	if err != nil {
		return err
	}
	mf := res.Manifest
	fmt.Fprintf(e.stdout, "installed bundle %s (%s, profile %s) in %s\n", mf.Name, mf.Assembly, res.Provenance.Profile, res.Dir)
	fmt.Fprintf(e.stdout, "  contigs %d, genes %d, transcripts %d (%d coding), bases %d, known variants %d\n",
		mf.Counts.Contigs, mf.Counts.Genes, mf.Counts.Transcripts, mf.Counts.CodingTranscripts, mf.Counts.Bases, mf.Counts.KnownVariants)
	for _, k := range sortedKeys(mf.Counts.TrackIntervals) {
		fmt.Fprintf(e.stdout, "  track %s: %d intervals\n", k, mf.Counts.TrackIntervals[k])
	}
	for _, src := range mf.AnnotationSources {
		fmt.Fprintf(e.stdout, "  source %s\n", sourceLine(src))
	}
	fmt.Fprintf(e.stdout, "  covers: %s\n", mf.Coverage())
	fmt.Fprintf(e.stdout, "  checksum %s\n", mf.Checksum)
	for _, s := range res.Provenance.Sources {
		fmt.Fprintf(e.stdout, "  %-20s %-14s %s\n", s.Label(), s.Origin.Trust, s.FileName())
	}
	for _, s := range res.Provenance.Sources {
		if s.Origin.Trust.Rank() <= refdata.TrustTLSOnly.Rank() {
			fmt.Fprintf(e.stdout, "  UNVERIFIED %s %s sha256 %s (pin it with --write-lock once checked)\n", s.Label(), s.FileName(), s.Origin.SHA256)
		}
	}
	if *writeLock != "" {
		fmt.Fprintf(e.stdout, "  lock file %s: install the same files elsewhere with --manifest %s\n", *writeLock, *writeLock)
	}
	if cfg.DefaultBundle != mf.Name {
		fmt.Fprintf(e.stdout, "  new jobs use bundle %s; set --default-bundle %s (GAS_DEFAULT_BUNDLE) to use this one\n", cfg.DefaultBundle, mf.Name)
	}
	return nil
}

func refdataRemove(_ context.Context, e *env, args []string) error {
	flags := newFlagSet(e, "refdata remove", "NAME",
		"Delete the bundle DATA_DIR/refdata/NAME. The default bundle (--default-bundle) is kept unless --force.\n"+
			"Running servers keep using a bundle they have open until restarted.")
	force := flags.Bool("force", false, "remove the bundle even when it is the default bundle")
	cfg, err := loadConfig(e, flags, args)
	if err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return usagef("expected one bundle NAME, got %d arguments", flags.NArg())
	}
	name := flags.Arg(0)
	if !validName(name) {
		return usagef("invalid bundle name %q", name)
	}
	if name == cfg.DefaultBundle && !*force {
		return fmt.Errorf("bundle %s is the default bundle (--default-bundle / GAS_DEFAULT_BUNDLE): new jobs would fail; choose another default first, or use --force", name)
	}
	refDir := filepath.Join(cfg.DataDir, refdataDirName)
	sum := ""
	if b, err := os.ReadFile(filepath.Join(refDir, name, "manifest.json")); err == nil {
		var m refdata.Manifest
		if json.Unmarshal(b, &m) == nil {
			sum = m.Checksum
		}
	}
	if err := refinstall.Remove(refDir, name); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "removed bundle %s", name)
	if sum != "" {
		// Jobs record this checksum (BundleSum): it tells which results came from it.
		fmt.Fprintf(e.stdout, " (checksum %s)", sum)
	}
	fmt.Fprintln(e.stdout)
	return nil
}

// isTerminal tells whether w is a terminal: progress bars redraw a line
// and belong on screens, not in logs or pipes.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
