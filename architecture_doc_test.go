package gas_test

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gas-project/gas"
)

// The parts of docs/architecture.md that restate code are generated from
// it and checked here, so the map cannot go stale silently: the job state
// machine (from gas.JobStates and the transition table) and the import
// rule (from importRules). The layer table is written by hand and checked
// against the packages `go list` reports.
//
//	go test -run TestArchitectureDoc -update .   # rewrite the generated parts

var update = flag.Bool("update", false, "rewrite the generated parts of docs/architecture.md")

const archDoc = "docs/architecture.md"

// generated is one generated block of the doc, between the lines
// "<!-- begin NAME -->" and "<!-- end NAME -->".
type generated struct {
	name   string
	render func() string
}

var archBlocks = []generated{
	{"states", renderStates},
	{"transitions", renderTransitions},
	{"import-rule", renderImportRule},
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return ""
}

// renderStates is the table of states and what each means to the rest of
// GAS (the methods of gas.JobState).
func renderStates() string {
	var b strings.Builder
	b.WriteString("| state | the job … | Terminal | InProgress | Annotated | Archived | Deletable | may move to |\n")
	b.WriteString("|---|---|:-:|:-:|:-:|:-:|:-:|---|\n")
	for _, s := range gas.JobStates() {
		var next []string
		for _, n := range s.Next() {
			next = append(next, string(n))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", s, s.About(),
			yes(s.Terminal()), yes(s.InProgress()), yes(s.Annotated()), yes(s.Archived()), yes(s.Deletable()),
			strings.Join(next, ", "))
	}
	return b.String()
}

// renderTransitions is the state machine as a Mermaid diagram.
func renderTransitions() string {
	var b strings.Builder
	b.WriteString("```mermaid\nstateDiagram-v2\n")
	fmt.Fprintf(&b, "    [*] --> %s\n", gas.JobStates()[0])
	for _, s := range gas.JobStates() {
		for _, n := range s.Next() {
			fmt.Fprintf(&b, "    %s --> %s\n", s, n)
		}
		if len(s.Next()) == 0 {
			fmt.Fprintf(&b, "    %s --> [*]\n", s)
		}
	}
	b.WriteString("```\n")
	return b.String()
}

func code(ps []string) string {
	if ps == nil {
		return "(any)"
	}
	if len(ps) == 0 {
		return "nothing of ours"
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = "`" + name(p) + "`"
	}
	return strings.Join(out, ", ")
}

// renderImportRule is importRules as a table.
func renderImportRule() string {
	var b strings.Builder
	b.WriteString("| package | may import, of this module | may be imported by (non-test code) | why |\n")
	b.WriteString("|---|---|---|---|\n")
	for _, r := range importRules {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", code(r.Pkgs), code(r.MayImport), code(r.ImportedBy), r.Why)
	}
	return b.String()
}

// replaceBlock returns doc with block name's content set to body, and
// whether the block was found.
func replaceBlock(doc, blockName, body string) (string, bool) {
	begin, end := "<!-- begin "+blockName+" -->\n", "<!-- end "+blockName+" -->"
	i := strings.Index(doc, begin)
	j := strings.Index(doc, end)
	if i < 0 || j < i {
		return doc, false
	}
	return doc[:i+len(begin)] + body + doc[j:], true
}

// TestArchitectureDoc checks (or with -update rewrites) the generated
// blocks of docs/architecture.md.
func TestArchitectureDoc(t *testing.T) {
	b, err := os.ReadFile(archDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	want := doc
	for _, g := range archBlocks {
		var ok bool
		if want, ok = replaceBlock(want, g.name, g.render()); !ok {
			t.Fatalf("%s has no block %q (<!-- begin %[2]s --> … <!-- end %[2]s -->)", archDoc, g.name)
		}
	}
	if want == doc {
		return
	}
	if *update {
		if err := os.WriteFile(archDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the generated blocks of %s", archDoc)
		return
	}
	t.Errorf("the generated blocks of %s are stale; run: go test -run TestArchitectureDoc -update .", archDoc)
}

// layerRow matches a row of the layer table: "| N. name | `pkg`, … | … |".
var layerRow = regexp.MustCompile(`^\| (\d+)\. [^|]+\| ([^|]+)\|`)
var backticked = regexp.MustCompile("`([^`]+)`")

// TestArchitectureLayers checks the hand-written layer table of
// docs/architecture.md against the code: every package of the module is
// in exactly one layer, and no package imports one of a higher layer.
func TestArchitectureLayers(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(archDoc)
	if err != nil {
		t.Fatal(err)
	}
	layerOf := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		m := layerRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		var n int
		fmt.Sscan(m[1], &n)
		for _, p := range backticked.FindAllStringSubmatch(m[2], -1) {
			pkg := p[1]
			if pkg == "gas" {
				pkg = ""
			}
			if l, dup := layerOf[pkg]; dup {
				t.Errorf("%s is in layers %d and %d", name(pkg), l, n)
			}
			layerOf[pkg] = n
		}
	}
	if len(layerOf) == 0 {
		t.Fatalf("%s has no layer table (rows \"| N. name | `pkg`, … |\")", archDoc)
	}
	pkgs := listPackages(t)
	var paths []string
	for p := range pkgs {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		l, ok := layerOf[p]
		if !ok {
			t.Errorf("package %s is in no layer of %s", name(p), archDoc)
			continue
		}
		for _, imp := range pkgs[p].Imports {
			if li, ok := layerOf[imp]; ok && li > l {
				t.Errorf("%s (layer %d) imports %s (layer %d): imports go down the layers", name(p), l, name(imp), li)
			}
		}
	}
	for p := range layerOf {
		if _, ok := pkgs[p]; !ok {
			t.Errorf("%s lists %s, which is no package of the module", archDoc, name(p))
		}
	}
}
