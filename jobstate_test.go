package gas_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
)

func TestJobStatesTable(t *testing.T) {
	t.Parallel()
	states := gas.JobStates()
	if len(states) == 0 || states[0] != gas.JobPending {
		t.Fatalf("JobStates() = %v, want PENDING first (a job's life begins there)", states)
	}
	seen := map[gas.JobState]bool{}
	for _, s := range states {
		if seen[s] {
			t.Errorf("%s listed twice", s)
		}
		seen[s] = true
		if !s.Valid() || s.About() == "" {
			t.Errorf("%s: Valid %v, About %q", s, s.Valid(), s.About())
		}
		if string(s) != strings.ToUpper(string(s)) {
			t.Errorf("%s: states are upper case", s)
		}
		for _, n := range s.Next() {
			if !n.Valid() {
				t.Errorf("%s → %s: unknown target", s, n)
			}
		}
		// Every state but the first is reached by some transition.
		reached := s == gas.JobPending
		for _, from := range states {
			reached = reached || from.CanMoveTo(s)
		}
		if !reached {
			t.Errorf("no transition leads to %s", s)
		}
		if s.InProgress() && (s.Terminal() || s.Annotated()) {
			t.Errorf("%s: in progress but terminal or annotated", s)
		}
		if s.Archived() && !s.Annotated() {
			t.Errorf("%s: an archived result is an annotated one", s)
		}
		// A state nothing leaves needs no worker: it must be terminal.
		if len(s.Next()) == 0 && !s.Terminal() {
			t.Errorf("%s: no way out, but not terminal", s)
		}
	}
	if gas.JobState("BOGUS").Valid() || gas.JobState("").Valid() {
		t.Error("unknown states are valid")
	}
	if gas.JobState("BOGUS").CanMoveTo(gas.JobPending) || gas.JobPending.CanMoveTo("BOGUS") {
		t.Error("unknown states move")
	}
}

func TestJobChangeValidate(t *testing.T) {
	t.Parallel()
	res := &gas.JobResult{ResultKey: "r"}
	for _, tc := range []struct {
		c    gas.JobChange
		code string
	}{
		{gas.JobChange{From: gas.JobPending, To: gas.JobRunning}, ""},
		{gas.JobChange{From: gas.JobRunning, To: gas.JobRunning}, ""},
		{gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted, Result: res}, ""},
		{gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted}, gas.EINVALID},  // no result
		{gas.JobChange{From: gas.JobRestoring, To: gas.JobCompleted}, ""},          // a thaw keeps the result
		{gas.JobChange{From: gas.JobArchived, To: gas.JobRestoring}, gas.EINVALID}, // no retrieval
		{gas.JobChange{From: gas.JobArchived, To: gas.JobRestoring, Restore: &gas.Retrieval{Tier: gas.TierBulk}}, ""},
		{gas.JobChange{From: gas.JobCompleted, To: gas.JobRunning}, gas.EINVALID},
		{gas.JobChange{From: gas.JobArchived, To: gas.JobCompleted, Result: res}, gas.EINVALID},
		{gas.JobChange{From: "BOGUS", To: gas.JobFailed}, gas.EINVALID},
		{gas.JobChange{From: gas.JobFailed, To: gas.JobPending}, ""},
	} {
		if got := gas.ErrorCode(tc.c.Validate()); got != tc.code {
			t.Errorf("%s → %s: code %q, want %q", tc.c.From, tc.c.To, got, tc.code)
		}
	}
}

func TestJobChangeApply(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	at := t0.Add(time.Hour)
	j := &gas.Job{ID: "j", UserID: 7, State: gas.JobPending, CreatedAt: t0}
	run, err := gas.JobChange{From: gas.JobPending, To: gas.JobRunning}.Apply(j, at)
	if err != nil || run.State != gas.JobRunning || !run.StartedAt.Equal(at) || j.State != gas.JobPending {
		t.Fatalf("start: %+v, %v (the input must stay as it was)", run, err)
	}
	if _, err := (gas.JobChange{From: gas.JobPending, To: gas.JobRunning}).Apply(run, at); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("from the wrong state: %v, want ECONFLICT", err)
	}
	done, err := gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted,
		Result: &gas.JobResult{ResultKey: "k", Records: 3}}.Apply(run, at.Add(time.Minute))
	if err != nil || !done.HasResult() || done.Records != 3 || !done.CompletedAt.Equal(at.Add(time.Minute)) {
		t.Fatalf("complete: %+v, %v", done, err)
	}
	arch, _ := gas.JobChange{From: gas.JobCompleted, To: gas.JobArchived}.Apply(done, at.Add(2*time.Hour))
	if arch.HasResult() || !arch.State.Archived() || arch.ArchivedAt.IsZero() {
		t.Fatalf("archive: %+v", arch)
	}
	rest, _ := gas.JobChange{From: gas.JobArchived, To: gas.JobRestoring,
		Restore: &gas.Retrieval{Tier: gas.TierStandard, ReadyAt: at.Add(5 * time.Hour)}}.Apply(arch, at.Add(3*time.Hour))
	back, err := gas.JobChange{From: gas.JobRestoring, To: gas.JobCompleted}.Apply(rest, at.Add(6*time.Hour))
	if err != nil || !back.HasResult() || !back.ArchivedAt.IsZero() || back.RestoreTier != "" ||
		!back.CompletedAt.Equal(done.CompletedAt) || back.ResultKey != "k" {
		t.Fatalf("thaw: %+v, %v (keeps the result and the original completion)", back, err)
	}
	failed, _ := gas.JobChange{From: gas.JobRunning, To: gas.JobFailed, Reason: "bad input"}.Apply(run, at)
	retry, _ := gas.JobChange{From: gas.JobFailed, To: gas.JobPending}.Apply(failed, at)
	if failed.FailReason != "bad input" || retry.FailReason != "" || !retry.StartedAt.IsZero() || !retry.CompletedAt.IsZero() {
		t.Fatalf("fail %+v, retry %+v", failed, retry)
	}
}

func TestJobFiles(t *testing.T) {
	t.Parallel()
	j := &gas.Job{ID: "abc", UserID: 42}
	if got := j.Key(gas.FileResult); got != "user/42/abc/result.vcf.gz" || got != gas.JobKey(42, "abc", gas.FileResult) {
		t.Fatalf("Key = %q", got)
	}
	for in, want := range map[string]string{"s.vcf.gz": "s.annotated.vcf.gz", "S.VCF": "S.annotated.vcf.gz",
		"a.b.vcf.bgz": "a.b.annotated.vcf.gz", "notes.txt": "notes.txt.annotated.vcf.gz", ".vcf": "result.annotated.vcf.gz"} {
		if got := (&gas.Job{InputName: in}).ResultName(); got != want {
			t.Errorf("ResultName of %q = %q, want %q", in, got, want)
		}
	}
}

// stateConstants returns the names of the JobState constants declared in
// the root package, from its source.
func stateConstants(t *testing.T) map[string]gas.JobState {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "jobstate.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]gas.JobState{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, sp := range g.Specs {
			vs := sp.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "JobState" {
				continue
			}
			for i, n := range vs.Names {
				v, err := strconv.Unquote(vs.Values[i].(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				out[n.Name] = gas.JobState(v)
			}
		}
	}
	return out
}

// TestStateConstantsAreTheMachine: every constant is a row of the state
// machine and the reverse, so JobStates() is the whole list.
func TestStateConstantsAreTheMachine(t *testing.T) {
	t.Parallel()
	consts := stateConstants(t)
	var vals []gas.JobState
	for _, v := range consts {
		vals = append(vals, v)
	}
	slices.Sort(vals)
	states := gas.JobStates()
	slices.Sort(states)
	if !slices.Equal(vals, states) {
		t.Fatalf("constants %v, JobStates() %v", vals, states)
	}
}

// goFiles lists the module's non-test Go files, skipping test data.
func goFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != "." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestStateSwitchesAreExhaustive does the work of an exhaustiveness check
// the compiler lacks: a switch statement with a case on a JobState
// constant and no default lists every state, so adding a state fails here
// at each place that must decide what the new state means. A switch with
// a default has decided for every other state already (the annotate
// worker's "nothing to do", a page's fallback text).
func TestStateSwitchesAreExhaustive(t *testing.T) {
	t.Parallel()
	consts := stateConstants(t)
	fset := token.NewFileSet()
	checked := 0
	for _, path := range goFiles(t) {
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		root := f.Name.Name == "gas" && filepath.Dir(path) == "."
		// stateName returns the constant an expression names, if any.
		stateName := func(e ast.Expr) (string, bool) {
			switch x := e.(type) {
			case *ast.Ident:
				if root {
					_, ok := consts[x.Name]
					return x.Name, ok
				}
			case *ast.SelectorExpr:
				if pkg, ok := x.X.(*ast.Ident); ok && pkg.Name == "gas" {
					_, ok := consts[x.Sel.Name]
					return x.Sel.Name, ok
				}
			}
			return "", false
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sw, ok := n.(*ast.SwitchStmt)
			if !ok || sw.Tag == nil {
				return true
			}
			listed := map[string]bool{}
			for _, st := range sw.Body.List {
				if st.(*ast.CaseClause).List == nil {
					return true // a default: the other states are decided
				}
				for _, e := range st.(*ast.CaseClause).List {
					if name, ok := stateName(e); ok {
						listed[name] = true
					}
				}
			}
			if len(listed) == 0 {
				return true
			}
			checked++
			var missing []string
			for name := range consts {
				if !listed[name] {
					missing = append(missing, name)
				}
			}
			slices.Sort(missing)
			if len(missing) > 0 {
				t.Errorf("%s: switch on a job state misses %s", fset.Position(sw.Pos()), strings.Join(missing, ", "))
			}
			return true
		})
	}
	if checked == 0 {
		t.Fatal("found no switch on a job state: is the test still looking at the right files?")
	}
}

// TestNoStateStringsInTemplates: pages and scripts ask the state's methods
// (Terminal, InProgress, Archived, …) or the status JSON instead of
// comparing with a state's name, so a new state needs no template change.
func TestNoStateStringsInTemplates(t *testing.T) {
	t.Parallel()
	var files []string
	for _, dir := range []string{"internal/web/templates", "internal/web/static"} {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "vendor" {
				return filepath.SkipDir
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".html") || strings.HasSuffix(p, ".js")) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 5 {
		t.Fatalf("found only %d templates and scripts", len(files))
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range gas.JobStates() {
			for _, quoted := range []string{`"` + string(s) + `"`, `'` + string(s) + `'`, string(s) + ":"} {
				if strings.Contains(string(b), quoted) {
					t.Errorf("%s compares with the state %s (%s)", p, s, quoted)
				}
			}
		}
	}
}
