package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes the gas command line in-process.
func run(t *testing.T, environ []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, environ, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "Commands:"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"serve", "--no-such-flag"}, 2, "flag provided but not defined: -no-such-flag"},
		{[]string{"serve", "extra"}, 2, "unexpected arguments: extra"},
		{[]string{"serve", "--workers", "0"}, 1, "workers must be between 1 and 1024"},
		{[]string{"serve", "--addr", "nonsense"}, 1, "not host:port"},
		{[]string{"annotate"}, 2, "expected one input file"},
		{[]string{"annotate", "--transcripts", "best", "x.vcf"}, 2, `Unknown transcript choice "best"`},
		{[]string{"annotate", "--on-error", "ignore", "x.vcf"}, 2, `Unknown error policy "ignore"`},
		{[]string{"annotate", "--bgzf", "maybe", "x.vcf"}, 2, "--bgzf must be auto, true or false"},
		{[]string{"annotate", "--format", "vep", "x.vcf"}, 2, `--format must be ann or csq, got "vep"`},
		{[]string{"annotate", "--bundle", "../etc", "x.vcf"}, 1, "bundle directory ../etc not found"},
		{[]string{"refdata"}, 2, "expected 'install', 'build', 'add-source', 'remove-source', 'list' or 'remove'"},
		{[]string{"refdata", "frob"}, 2, `unknown refdata command "frob"`},
		{[]string{"admin"}, 2, "expected 'users create' or 'users set-plan'"},
		{[]string{"admin", "users", "create"}, 2, "expected exactly one EMAIL argument"},
		{[]string{"admin", "users", "set-plan", "a@b.c", "gold"}, 2, `plan must be free or premium, got "gold"`},
		{[]string{"version", "extra"}, 2, "unexpected arguments"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			code, _, stderr := run(t, []string{"GAS_DATA_DIR=" + t.TempDir()}, c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit %d mentioning %q", code, stderr, c.code, c.want)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	code, out, _ := run(t, nil, "help")
	if code != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "annotate") {
		t.Fatalf("help: %d\n%s", code, out)
	}
	code, out, _ = run(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "gas ") {
		t.Fatalf("version: %d %q", code, out)
	}
	code, _, errOut := run(t, nil, "serve", "-h")
	if code != 0 || !strings.Contains(errOut, "-data-dir") || !strings.Contains(errOut, "GAS_DATA_DIR") {
		t.Fatalf("serve -h: %d\n%s", code, errOut)
	}
}

func TestMigrateAndAdmin(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := []string{"GAS_DATA_DIR=" + dir, "GAS_LOG_LEVEL=warn"}
	code, out, errOut := run(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "migrated to schema version") {
		t.Fatalf("migrate: %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "gas.db")); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("second migrate: %d\n%s", code, out)
	}

	code, out, errOut = run(t, env, "admin", "users", "create", "--admin", "--name", "Root", "root@example.org")
	if code != 0 || !strings.Contains(out, "created admin root@example.org") || !strings.Contains(out, "password: ") {
		t.Fatalf("create: %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = run(t, env, "admin", "users", "create", "ROOT@example.org")
	if code != 1 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("duplicate create: %d\n%s", code, errOut)
	}
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run(t, env, "admin", "users", "create", "--password-file", pw, "b@example.org")
	if code != 1 || !strings.Contains(errOut, "shorter than 8") {
		t.Fatalf("short password: %d\n%s", code, errOut)
	}
	code, out, errOut = run(t, env, "admin", "users", "set-plan", "root@example.org", "premium")
	if code != 0 || !strings.Contains(out, "now on the premium plan") {
		t.Fatalf("set-plan: %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = run(t, env, "admin", "users", "set-plan", "nobody@example.org", "premium")
	if code != 1 || !strings.Contains(errOut, "User not found") {
		t.Fatalf("set-plan on missing user: %d\n%s", code, errOut)
	}
}

func TestRefdataListEmpty(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, _ := run(t, nil, "refdata", "list", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "no bundles") {
		t.Fatalf("list: %d\n%s", code, out)
	}
	if err := os.MkdirAll(filepath.Join(dir, "refdata", "mybundle"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, nil, "refdata", "list", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "mybundle") {
		t.Fatalf("list: %d\n%s", code, out)
	}
}

func TestBenchGen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errOut := run(t, nil, "bench", "gen", "--out", dir, "--chroms", "1", "--chrom-len", "20000",
		"--genes", "3", "--variants", "50", "--known", "10", "--tracks", "cpg:5")
	if code != 0 || !strings.Contains(out, `"variants": 50`) {
		t.Fatalf("bench gen: %d\n%s%s", code, out, errOut)
	}
	for _, f := range []string{"genome.fa", "genes.gff3", "variants.vcf", "known.vcf", "cpg.bed"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	code, _, errOut = run(t, nil, "bench", "gen", "--out", dir, "--chroms", "0")
	if code != 1 || !strings.Contains(errOut, "chromosomes must be between") {
		t.Fatalf("bad chroms: %d\n%s", code, errOut)
	}
	if code, _, _ := run(t, nil, "bench", "gen"); code != 2 {
		t.Fatalf("missing --out: exit %d", code)
	}
}

// dataLines returns the non-header lines of a VCF.
func dataLines(vcf []byte) []string {
	var out []string
	for _, l := range strings.Split(string(vcf), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func readMaybeGz(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s is not gzip: %v", path, err)
		}
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// missingANN returns the records that change something (ALT differs from
// REF) but carry no ANN field. A no-change record (REF == ALT, as in one
// bcftools test case in the demo) is passed through unannotated.
func missingANN(records []string) []string {
	var out []string
	for _, r := range records {
		f := strings.SplitN(r, "\t", 9)
		if len(f) < 8 || f[3] == f[4] {
			continue
		}
		if !strings.Contains(f[7], "ANN=") {
			out = append(out, r)
		}
	}
	return out
}

func TestFlagsAfterArguments(t *testing.T) {
	t.Parallel()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	o := fs.String("o", "-", "")
	v := fs.Bool("v", false, "")
	if err := parseFlags(fs, []string{"in.vcf", "-o", "out.vcf.gz", "-", "-v", "--", "-x"}); err != nil {
		t.Fatal(err)
	}
	if *o != "out.vcf.gz" || !*v || strings.Join(fs.Args(), " ") != "in.vcf - -x" {
		t.Fatalf("o=%q v=%v args=%q", *o, *v, fs.Args())
	}
}
