package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
	"github.com/gas-project/gas/refdata"
)

// runGas runs the gas command in-process with env and returns its exit
// status and output.
func runGas(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, env, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestTokenClientRoundTrip: a user's token drives `gas client` against a
// running server: submit --wait, list, status, download, and refusals.
func TestTokenClientRoundTrip(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	c := newClient(t)
	resp, err := c.PostForm(s.url+"/signup", url.Values{"email": {"cli@example.org"}, "password": {"correct horse battery"}, "name": {"C"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// The token is made in the store (the profile page is the browser way).
	db := sqldbtest.OpenDataDir(t, s.dir)
	u, err := db.UserByEmail(context.Background(), "cli@example.org")
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := db.CreateToken(context.Background(), u.ID, "cli", []string{gas.ScopeJobsRead, gas.ScopeJobsWrite}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	readOnly, _, err := db.CreateToken(context.Background(), u.ID, "ro", []string{gas.ScopeJobsRead}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "demo.vcf")
	if err := os.WriteFile(in, refdata.DemoVCF(), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"GAS_URL=" + s.url, "GAS_TOKEN=" + token}

	code, out, errOut := runGas(t, env, "client", "submit", in, "--wait", "--poll", "100ms", "--transcripts", "canonical", "--name", "round trip")
	if code != 0 || !strings.Contains(out, "COMPLETED") {
		t.Fatalf("submit --wait = %d\n%s\n%s", code, out, errOut)
	}
	id := regexp.MustCompile(`submitted ([0-9a-f-]{36})`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("no job ID in %q", out)
	}
	if code, out, _ := runGas(t, env, "client", "list"); code != 0 || !strings.Contains(out, id[1]) || !strings.Contains(out, "1 of 1 jobs") ||
		!strings.Contains(out, "round trip") || !strings.Contains(out, "canonical") {
		t.Fatalf("list = %d\n%s", code, out)
	}
	// --bundle: the server's bundle by name is accepted; an unknown one is
	// refused before the file is sent, with the server's list.
	if code, out, errOut := runGas(t, env, "client", "submit", in, "--bundle", "nosuch"); code != 1 || !strings.Contains(errOut, `no bundle "nosuch"`) {
		t.Fatalf("submit --bundle nosuch = %d\n%s%s", code, out, errOut)
	}
	// --skip-malformed: a file with a broken record is refused without it
	// and queued with it.
	broken := filepath.Join(dir, "broken.vcf")
	demo := strings.TrimSuffix(string(refdata.DemoVCF()), "\n")
	last := demo[strings.LastIndexByte(demo, '\n')+1:]
	cols := strings.Split(last, "\t")
	cols[1] = "x" // the last record again, with a POS that is not a number
	if err := os.WriteFile(broken, []byte(demo+"\n"+strings.Join(cols, "\t")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runGas(t, env, "client", "submit", broken); code != 1 || !strings.Contains(errOut, "POS") {
		t.Fatalf("broken file without --skip-malformed = %d %q", code, errOut)
	}
	if code, out, errOut := runGas(t, env, "client", "submit", broken, "--skip-malformed"); code != 0 || !strings.Contains(out, "submitted") {
		t.Fatalf("broken file with --skip-malformed = %d\n%s%s", code, out, errOut)
	}
	bundle := regexp.MustCompile(`submitted \S+ \(round trip, (\S+)\)`).FindStringSubmatch(out)
	if bundle == nil {
		t.Fatalf("no bundle in %q", out)
	}
	if code, out, errOut := runGas(t, env, "client", "submit", in, "--bundle", bundle[1], "--name", "second"); code != 0 ||
		!strings.Contains(out, "(second, "+bundle[1]+")") {
		t.Fatalf("submit --bundle %s = %d\n%s%s", bundle[1], code, out, errOut)
	}
	if code, out, _ := runGas(t, env, "client", "status", id[1]); code != 0 || !strings.Contains(out, "COMPLETED") || !strings.Contains(out, "round trip") {
		t.Fatalf("status = %d\n%s", code, out)
	}
	dest := filepath.Join(dir, "out.vcf.gz")
	if code, out, errOut := runGas(t, env, "client", "download", id[1], "-o", dest); code != 0 {
		t.Fatalf("download = %d\n%s%s", code, out, errOut)
	}
	f, err := os.Open(dest)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if !bytes.Contains(body, []byte("##INFO=<ID=ANN")) {
		t.Fatalf("downloaded result is not an annotated VCF:\n%.500s", body)
	}
	// The same bytes as the browser download of the signed-in user.
	if code, page := get(t, c, s.url+"/jobs/"+id[1]+"/result"); code != http.StatusOK || !bytes.Equal(page, mustRead(t, dest)) {
		t.Fatalf("browser download differs (%d)", code)
	}

	// export: each format of the variant browser's export, with the same
	// token; the index is built just after completion, so wait for it.
	var counts []string
	for _, format := range []string{"tsv", "json", "xlsx", "vcf"} {
		dest := filepath.Join(dir, "export."+format)
		var code int
		var out, errOut string
		for try := 0; try < 100; try++ {
			code, out, errOut = runGas(t, env, "client", "export", id[1], "--format", format, "-o", dest)
			if code == 0 || !strings.Contains(errOut, "no variant index yet") {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		m := regexp.MustCompile(`wrote .* \(\d+ bytes, (\d+) records\)`).FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("export --format %s = %d\n%s%s", format, code, out, errOut)
		}
		counts = append(counts, m[1])
		if st, err := os.Stat(dest); err != nil || st.Size() == 0 {
			t.Fatalf("export --format %s wrote nothing: %v", format, err)
		}
	}
	if tsv := mustRead(t, filepath.Join(dir, "export.tsv")); !bytes.Contains(tsv, []byte("records="+counts[0])) {
		t.Fatalf("the TSV does not state %s records:\n%.300s", counts[0], tsv)
	}
	if xl := mustRead(t, filepath.Join(dir, "export.xlsx")); !bytes.HasPrefix(xl, []byte("PK")) {
		t.Fatal("the xlsx export is not a zip (Office Open XML) file")
	}
	for _, n := range counts {
		if n != counts[0] || n == "0" {
			t.Fatalf("formats state different record counts: %v", counts)
		}
	}
	code, out, errOut = runGas(t, env, "client", "export", id[1], "--format", "tsv", "--filter", "impact=high", "-o", "-")
	if code != 0 || !strings.Contains(out, "filter=impact>=HIGH") || strings.Contains(out, "records="+counts[0]+" ") {
		t.Fatalf("filtered export to stdout = %d\n%.300s%s", code, out, errOut)
	}
	if code, _, errOut := runGas(t, env, "client", "export", id[1], "--format", "pdf"); code != 2 || !strings.Contains(errOut, "unknown export format") {
		t.Fatalf("--format pdf = %d %q", code, errOut)
	}

	// Refusals are readable and exit 1.
	ro := []string{"GAS_URL=" + s.url, "GAS_TOKEN=" + readOnly}
	if code, _, errOut := runGas(t, ro, "client", "submit", in); code != 1 || !strings.Contains(errOut, "jobs:write") {
		t.Fatalf("read-only submit = %d %q", code, errOut)
	}
	bad := []string{"GAS_URL=" + s.url, "GAS_TOKEN=gas_wrong"}
	if code, _, errOut := runGas(t, bad, "client", "list"); code != 1 || !strings.Contains(errOut, "not valid") {
		t.Fatalf("wrong token = %d %q", code, errOut)
	}
	// The site's refusals of an export come as the API's JSON error: the
	// client says why.
	if code, _, errOut := runGas(t, bad, "client", "export", id[1], "--format", "tsv"); code != 1 || !strings.Contains(errOut, "not valid") {
		t.Fatalf("export with a wrong token = %d %q", code, errOut)
	}
	if code, _, errOut := runGas(t, env, "client", "export", id[1], "--format", "tsv", "--filter", "region=chrQ:x-y"); code != 1 ||
		!strings.Contains(errOut, "Bad Request") || !strings.Contains(errOut, "region") {
		t.Fatalf("export with a bad filter = %d %q", code, errOut)
	}
	if code, _, errOut := runGas(t, []string{"GAS_URL=" + s.url}, "client", "list"); code != 1 || !strings.Contains(errOut, "GAS_TOKEN") {
		t.Fatalf("no token = %d %q", code, errOut)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
