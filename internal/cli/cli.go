// Package cli implements the gas command: it parses arguments, builds the
// configuration and wires the stores, queue, workers and web site together.
// It is the only package that knows every other one. Run is testable: tests
// start the whole service in-process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/config"
)

// Version is the gas version, set at link time with
// -ldflags "-X github.com/gas-project/gas/internal/cli.Version=v1.2.3".
var Version = ""

// version returns Version, else the module version from the build info
// (set by `go install …@vX`), else "dev".
func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// usageError is a mistake on the command line: exit status 2 and a hint.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// env is what a command gets from the process: environment and output streams.
type env struct {
	vars   map[string]string
	stdout io.Writer
	stderr io.Writer
}

func commands() []command {
	return []command{
		{"serve", "run the web site and the annotation workers on this machine", runServe},
		{"web", "run only the web site (workers run elsewhere)", runWeb},
		{"worker", "run only the annotation workers", runWorker},
		{"annotate", "annotate a VCF file with a reference bundle", runAnnotate},
		{"refdata", "install, build, list or remove reference bundles (refdata install|build|list|remove)", runRefdata},
		{"bench", "generate synthetic benchmark data (bench gen)", runBench},
		{"migrate", "create or update the database schema", runMigrate},
		{"client", "use a GAS server through its API (client submit|list|status|download|cancel)", runClient},
		{"admin", "manage accounts and deliveries (admin users create|set-plan, admin notifications)", runAdmin},
		{"version", "print the version", runVersion},
	}
}

const usageHead = `gas — the Genomics Annotation Service

Usage:
  gas <command> [flags] [arguments]

Commands:
`

const usageTail = `
Run 'gas <command> -h' for the flags of a command. Settings can also come from
GAS_* environment variables and a config file (--config FILE of key = value lines).
`

func printUsage(w io.Writer) {
	fmt.Fprint(w, usageHead)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, usageTail)
}

// Run executes the gas command line args (without the program name) and
// returns the process exit status: 0 on success, 1 on failure, 2 on a usage
// error. environ holds "KEY=value" entries as from os.Environ; only GAS_*
// variables are read.
func Run(ctx context.Context, args []string, environ []string, stdout, stderr io.Writer) int {
	e := &env{vars: config.EnvMap(environ), stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		printUsage(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		printUsage(stdout)
		return 0
	case "-v", "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, e, args[1:])
		var ue *usageError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "gas %s: %s\nRun 'gas %s -h' for usage.\n", name, ue.msg, name)
			return 2
		default:
			// A coded error carries a sentence meant for people; anything
			// else is shown whole, since the operator needs the detail.
			msg := err.Error()
			if code := gas.ErrorCode(err); code != gas.EINTERNAL {
				msg = gas.ErrorMessage(err)
			}
			fmt.Fprintf(stderr, "gas %s: %s\n", name, msg)
			return 1
		}
	}
	fmt.Fprintf(stderr, "gas: unknown command %q\n\n", name)
	printUsage(stderr)
	return 2
}

// newFlagSet returns a FlagSet that reports errors instead of exiting, with
// a usage text naming the command and its arguments.
func newFlagSet(e *env, name, argsHelp, about string) *flag.FlagSet {
	fs := flag.NewFlagSet("gas "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: %s\n\n%s\n\nFlags:\n", strings.TrimSpace("gas "+name+" [flags] "+argsHelp), about)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, turning flag errors into usage errors (exit 2).
// Flags may come after positional arguments too (gas annotate in.vcf -o
// out.vcf.gz), as users of other tools expect; "--" ends the flags. The
// positional arguments are then fs.Args().
func parseFlags(fs *flag.FlagSet, args []string) error {
	var positional []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			// The flag package has already printed the problem and the flag list.
			return &usageError{err.Error()}
		}
		left := fs.Args()
		if used := len(rest) - len(left); used > 0 && rest[used-1] == "--" {
			positional = append(positional, left...)
			break
		}
		if len(left) == 0 {
			break
		}
		positional = append(positional, left[0])
		rest = left[1:]
	}
	// Parsing again keeps the flags already set and makes Args() the positionals.
	return fs.Parse(append([]string{"--"}, positional...))
}

// loadConfig binds the configuration flags to fs, parses args and loads
// the configuration.
func loadConfig(e *env, fs *flag.FlagSet, args []string) (config.Config, error) {
	f := config.Bind(fs)
	if err := parseFlags(fs, args); err != nil {
		return config.Config{}, err
	}
	cfg, err := f.Load(e.vars)
	if err != nil {
		return cfg, err
	}
	return cfg, nil
}

// newLogger builds the process logger from the configuration.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	switch cfg.LogLevel {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func runVersion(_ context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "version", "", "Print the gas version.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	fmt.Fprintf(e.stdout, "gas %s\n", version())
	return nil
}

// sortedKeys returns the keys of m in order, for stable listings.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
