package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestTooLargePageSaysSize: the Free plan's 413 page gives the size of
// what was sent against the limit and links to the plans.
func TestTooLargePageSaysSize(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.FreeUploadLimit = 2000 })
	c := f.client()
	c.signup("size@example.org", "size password 12")
	body := []byte(miniVCF + strings.Repeat("21\t25585733\trs1\tC\tT\t.\t.\t.\n", 400)) // ~12 kB
	r := c.upload("big.vcf", body, "all")
	doc := r.doc(t)
	msg := text(find(doc, "#error-message"))
	if r.StatusCode != http.StatusRequestEntityTooLarge || !strings.HasPrefix(msg, "The upload is about 1") ||
		!strings.Contains(msg, "kB; your Free plan allows files up to 2 kB") {
		t.Fatalf("413: %d %q", r.StatusCode, msg)
	}
	if got := attr(find(doc, "#offer-link"), "href"); got != "/subscribe" {
		t.Fatalf("plans link %q", got)
	}
}
