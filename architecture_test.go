package gas_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
)

// module is this module's path; packages are named relative to it below
// ("" is the root package gas).
const module = "github.com/gas-project/gas"

// pkg is what `go list -json` says of one package of the module.
type pkg struct {
	ImportPath   string
	Imports      []string // of the package's own (non-test) files
	TestImports  []string
	XTestImports []string
}

// listPackages runs `go list -json ./...` at the module root (the
// directory of this test) and returns the module's packages by relative
// path, with their imports of the module also made relative.
func listPackages(t *testing.T) map[string]*pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]*pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		p.ImportPath = rel(p.ImportPath)
		p.Imports = ours(p.Imports)
		p.TestImports = ours(p.TestImports)
		p.XTestImports = ours(p.XTestImports)
		pkgs[p.ImportPath] = &p
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

// rel names a package of the module relative to it ("" for the root).
func rel(importPath string) string {
	return strings.TrimPrefix(strings.TrimPrefix(importPath, module), "/")
}

// ours keeps the imports of this module's packages, made relative.
func ours(imports []string) []string {
	var out []string
	for _, p := range imports {
		if p == module || strings.HasPrefix(p, module+"/") {
			out = append(out, rel(p))
		}
	}
	return out
}

// importRule is one line of the import rule of docs/architecture.md. A
// package matching Pkgs (relative paths; "x/..." matches x and everything
// under it) may import, of this module, only what matches MayImport; and
// when ImportedBy is set, only packages matching it may import it from
// their non-test files (tests may import anything).
type importRule struct {
	Pkgs       []string
	MayImport  []string // nil: no constraint; empty: nothing of ours
	ImportedBy []string // nil: no constraint
	Why        string
}

// engine is the public library; it knows nothing of the service.
var engine = []string{"vcf/...", "refdata/...", "annotate/..."}

// adapters implement the domain's interfaces on real infrastructure; only
// the wiring (internal/cli) picks them, so services never depend on them.
var adapters = []string{"internal/sqldb", "internal/blob", "internal/blob/s3blob", "internal/archive", "internal/archive/s3archive"}

// testOnly are fixtures and conformance suites for tests.
var testOnly = []string{"internal/sqldb/sqldbtest", "internal/archive/archivetest", "internal/blob/blobtest",
	"internal/s3test", "internal/sharedtest", "internal/testserver"}

var importRules = []importRule{
	{Pkgs: []string{""}, MayImport: []string{},
		Why: "the domain: every other package depends inward on it"},
	{Pkgs: []string{"vcf/..."}, MayImport: []string{"vcf/..."},
		Why: "the VCF library stands alone"},
	{Pkgs: []string{"refdata/..."}, MayImport: []string{"vcf/...", "refdata/..."},
		Why: "reference bundles use only the VCF library"},
	{Pkgs: []string{"annotate/..."}, MayImport: engine,
		Why: "the engine knows nothing of HTTP, databases or queues"},
	{Pkgs: []string{"internal/sqldb"}, ImportedBy: []string{"internal/cli", "internal/sqldb/sqldbtest"},
		Why: "all SQL lives in the adapter; services see it through interfaces"},
	{Pkgs: adapters[1:], ImportedBy: append([]string{"internal/cli"}, adapters...),
		Why: "file and cold stores are chosen by the wiring; adapters may build on each other"},
	{Pkgs: []string{"internal/cli"}, ImportedBy: []string{"cmd/gas"},
		Why: "only the command wires everything"},
	{Pkgs: testOnly, ImportedBy: testOnly,
		Why: "test fixtures and conformance suites never reach the binary"},
}

// matches reports whether package p matches one of the patterns.
func matches(p string, patterns []string) bool {
	for _, pat := range patterns {
		if base, ok := strings.CutSuffix(pat, "/..."); ok {
			if p == base || strings.HasPrefix(p, base+"/") {
				return true
			}
		} else if p == pat {
			return true
		}
	}
	return false
}

func name(p string) string {
	if p == "" {
		return "gas"
	}
	return p
}

// TestImportRule checks the import rule of docs/architecture.md on the
// packages `go list` reports.
func TestImportRule(t *testing.T) {
	t.Parallel()
	pkgs := listPackages(t)
	var paths []string
	for p := range pkgs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, r := range importRules {
		found := map[string]bool{}
		for _, p := range paths {
			i := slices.IndexFunc(r.Pkgs, func(rp string) bool { return matches(p, []string{rp}) })
			if i < 0 {
				continue
			}
			pat := r.Pkgs[i]
			found[pat] = true
			if r.MayImport != nil {
				for _, imp := range pkgs[p].Imports {
					if !matches(imp, r.MayImport) {
						t.Errorf("%s imports %s: %s may import only %v (%s)", name(p), name(imp), name(pat), r.MayImport, r.Why)
					}
				}
			}
			if r.ImportedBy != nil {
				for _, q := range paths {
					if slices.Contains(pkgs[q].Imports, p) && !matches(q, r.ImportedBy) && !matches(q, []string{pat}) {
						t.Errorf("%s imports %s: only %v may (%s)", name(q), name(p), r.ImportedBy, r.Why)
					}
				}
			}
		}
		// A rule about a package that no longer exists protects nothing.
		for _, rp := range r.Pkgs {
			if !found[rp] {
				t.Errorf("import rule for %s matches no package", name(rp))
			}
		}
	}
}
