package web

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gas-project/gas/internal/submit"
)

// TestPasteUpload: variants pasted in the upload form's box become a job
// whose input is a VCF made from them (its records the progress total),
// straight away or through the pre-flight report; bad lines are refused
// with their numbers and the text kept in the box; a file and a paste
// together, an empty form and a paste over the plan limit are refused and
// leave nothing stored.
func TestPasteUpload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t, func(c *Config) { c.FreeUploadLimit = 4 << 10 })
	c := f.client()
	c.signup("paste@example.org", "paste password 1")
	const paste = "21 25585733 C T\r\n21:25587701:T:C\r\n"

	id := jobIDFrom(t, c.postMultipart("/annotate", []field{{"mode", "all"}, {"paste", paste}}, "", nil))
	j, err := f.jobs.Job(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := f.blobs.Open(ctx, j.InputKey)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(rc)
	rc.Close()
	want, n, err := submit.PasteToVCF([]byte(paste))
	if err != nil || n != 2 || j.InputName != submit.PasteName || string(stored) != string(want) {
		t.Fatalf("pasted job: input %q, %d records, %v\n%s", j.InputName, n, err, stored)
	}
	if st := status(t, c, id); st.RecordsTotal != 2 {
		t.Fatalf("progress total %d, want the paste's 2 records", st.RecordsTotal)
	}

	// With the pre-flight report, as the browser form sends it.
	r := c.postMultipart("/annotate", []field{{"preflight", "1"}, {"paste", paste}}, "", nil)
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/uploads/") {
		t.Fatalf("checked paste: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if got := text(find(c.get(r.Header.Get("Location")).doc(t), "#pf-records")); got != "2" {
		t.Fatalf("report's records %q", got)
	}
	before := len(f.storedFiles("user"))

	bad := "21 25585733 C T\n21 x T C\n21:25587701:T:Q\n"
	r = c.postMultipart("/annotate", []field{{"paste", bad}}, "", nil)
	doc := r.doc(t)
	msg := text(find(doc, "#form-error"))
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(msg, "2 pasted lines cannot be read") ||
		!strings.Contains(msg, "line 2: POS") || !strings.Contains(msg, "line 3: ALT") {
		t.Fatalf("bad paste: %d %q", r.StatusCode, msg)
	}
	if got := text(find(doc, "#paste")); got != strings.Join(strings.Fields(bad), " ") { // text() folds the spaces
		t.Fatalf("the box lost the pasted text: %q", got)
	}

	for name, tc := range map[string]struct {
		fields []field
		file   string
		code   int
		want   string
	}{
		"file and paste": {[]field{{"paste", paste}}, "x.vcf", http.StatusBadRequest, "not both"},
		"nothing":        {[]field{{"paste", " \n "}}, "", http.StatusBadRequest, "or paste variants"},
		"over the limit": {[]field{{"paste", strings.Repeat("21 25585733 C T\n", 400)}}, "", http.StatusRequestEntityTooLarge, ""},
	} {
		r := c.postMultipart("/annotate", tc.fields, tc.file, []byte(miniVCF))
		if r.StatusCode != tc.code || !strings.Contains(text(find(r.doc(t), "#form-error")), tc.want) {
			t.Errorf("%s: %d %q", name, r.StatusCode, text(find(r.doc(t), "#form-error")))
		}
	}
	if after := len(f.storedFiles("user")); after != before {
		t.Fatalf("refused pastes left files: %d before, %d after", before, after)
	}
}
