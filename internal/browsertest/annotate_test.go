package browsertest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// pageState is what the job page shows, read in the browser.
type pageState struct {
	State   string `json:"state"`
	Percent string `json:"percent"` // aria-valuenow of the bar, "" when there is none
	Text    string `json:"text"`
	Charts  int    `json:"charts"`
}

const readJobPage = `(() => {
  const badge = document.querySelector("#status .job-state");
  const bar = document.querySelector("#progress [role=progressbar]");
  const text = document.querySelector("#progress-text");
  return {state: badge ? badge.dataset.state : "",
          percent: bar ? (bar.getAttribute("aria-valuenow") || "") : "",
          text: text ? text.textContent : "",
          charts: document.querySelectorAll("#charts svg").length};
})()`

// TestBrowserAnnotateWatchBrowse follows a scientist through the site in
// Chromium: sign up, upload a VCF, read its pre-flight report and go on, watch the job list and the job page
// update live while the real engine annotates it (the progress bar moves
// and stops at COMPLETED), look at the summary charts, open the variant
// browser once the index is built, filter it and download the filtered
// TSV, whose stated count matches the page. A phone-sized view of the job
// page must not scroll sideways.
func TestBrowserAnnotateWatchBrowse(t *testing.T) {
	b := newBrowser(t)
	s := startSite(t, 40*time.Millisecond)
	input, records := demoRecords(t, 150_000)

	b.do("sign up",
		chromedp.Navigate(s.URL+"/signup"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SetValue(chromedp.ID("email"), "ada@example.org"),
		chromedp.SetValue(chromedp.ID("name"), "Ada Lovelace"),
		chromedp.SetValue(chromedp.ID("password"), "browser test password"),
		chromedp.Click(chromedp.CSS("main form button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("upload-form")))
	b.shot("01-signed-up-upload-form")

	b.do("upload",
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{input}),
		chromedp.Click(chromedp.CSS("#upload-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("preflight-report")))
	if got := mustEval[string](b, `document.getElementById("pf-records").textContent`); got != group(records) {
		t.Fatalf("pre-flight report counts %s records, the file has %d", got, records)
	}
	b.shot("02-preflight-report")
	b.do("go on",
		chromedp.Click(chromedp.ID("preflight-go")),
		chromedp.WaitVisible(chromedp.ID("job-details")))
	loc := mustEval[string](b, `location.pathname`)
	id := strings.TrimPrefix(loc, "/jobs/")
	if id == loc || id == "" {
		t.Fatalf("after the upload the browser is at %q, not a job page", loc)
	}
	b.shot("02-job-page-queued")

	// The list, in a second tab: its badge must turn COMPLETED in place.
	list := b.tab()
	list.do("job list",
		chromedp.Navigate(s.URL+"/jobs"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-job-id="`+id+`"]`)))
	mustEval[int](list, `window.gasNoReload = 1`)
	list.shot("03-job-list-live")

	// Watch the job page until the job completes and its charts appear.
	seen := map[int]bool{}
	var texts []string
	deadline := time.Now().Add(3 * time.Minute) // a hang guard, not a timing check
	var st pageState
	for {
		if time.Now().After(deadline) {
			b.shot("failed-watch")
			t.Fatalf("the job page never showed the completed job with charts; last %+v, progress seen %v", st, seen)
		}
		var err error
		if st, err = eval[pageState](b, readJobPage); err != nil {
			// The page reloads once when the job finishes.
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if p, err := strconv.Atoi(st.Percent); err == nil && p > 0 && p < 100 && !seen[p] {
			seen[p] = true
			texts = append(texts, st.Text)
			if len(seen) <= 3 {
				b.shot(fmt.Sprintf("04-progress-%d-%02dpct", len(seen), p))
			}
		}
		if st.State == "COMPLETED" && st.Charts > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("progress shown: %v", texts)
	if len(seen) < 2 {
		t.Fatalf("the progress bar showed %d intermediate values (%v); it should move while the job runs", len(seen), texts)
	}
	for _, tx := range texts {
		if !strings.Contains(tx, fmt.Sprintf("of %s records", group(records))) || !strings.Contains(tx, "elapsed") {
			t.Fatalf("progress line %q does not say records of %d and the time", tx, records)
		}
	}
	if !strings.Contains(st.Text, group(records)+" records annotated") {
		t.Fatalf("completed line %q", st.Text)
	}
	if mustEval[bool](b, `document.querySelector("#progress") !== null`) {
		t.Fatal("a completed job still shows its progress bar")
	}
	// The charts are drawn: their bars have a size in the rendered page.
	bars := mustEval[int](b, `Array.from(document.querySelectorAll("#charts rect.chart-bar")).filter(r => r.getBBox().width > 0).length`)
	charts := mustEval[[]string](b, `Array.from(document.querySelectorAll("#charts figure")).map(f => f.id)`)
	if bars == 0 || len(charts) < 3 {
		t.Fatalf("charts %v with %d drawn bars", charts, bars)
	}
	b.do("scroll to the charts", chromedp.ScrollIntoView(chromedp.ID("charts")))
	b.shot("05-job-completed-charts")

	list.do("list badge turns COMPLETED",
		chromedp.WaitVisible(chromedp.CSS(`tr[data-job-id="`+id+`"] .job-state[data-state="COMPLETED"]`)))
	if mustEval[int](list, `window.gasNoReload || 0`) != 1 {
		t.Fatal("the job list reloaded instead of updating in place")
	}
	list.shot("06-job-list-completed")

	// The variant browser: it shows "being built" until the index job is
	// done, then reloads itself into the table.
	b.do("open the variant browser",
		chromedp.Click(chromedp.ID("variants-link")),
		chromedp.WaitVisible(chromedp.ID("variants")))
	count := mustEval[string](b, `document.getElementById("variant-count").textContent`)
	if !strings.Contains(count, "of "+group(records)) {
		t.Fatalf("browser count %q, want all %d records", count, records)
	}
	b.shot("07-variant-browser")

	b.do("filter",
		chromedp.SetValue(chromedp.ID("f-impact"), "moderate"),
		chromedp.Click(chromedp.ID("filter-apply")),
		chromedp.WaitReady(chromedp.CSS(`#f-impact option[value="moderate"][selected]`)))
	if q := mustEval[string](b, `location.search`); !strings.Contains(q, "impact=moderate") {
		t.Fatalf("the filtered view's URL %q does not carry the filter", q)
	}
	impacts := mustEval[[]string](b, `Array.from(document.querySelectorAll("#variants tbody td .badge")).map(e => e.textContent)`)
	if len(impacts) == 0 {
		t.Fatal("the filtered view is empty")
	}
	for _, imp := range impacts {
		if imp != "HIGH" && imp != "MODERATE" {
			t.Fatalf("impact >= moderate view shows %s", imp)
		}
	}
	filtered := mustEval[string](b, `document.querySelector("#variant-count strong").textContent`)
	b.shot("08-variant-browser-filtered")

	// Download the filtered TSV through the page's link, with the
	// browser's session: its stated count is the page's.
	type download struct {
		Status  int    `json:"status"`
		Records string `json:"records"`
		First   string `json:"first"`
		Rows    int    `json:"rows"`
	}
	d := mustEval[download](b, `fetch(document.getElementById("export-tsv").href, {credentials: "same-origin"})
	  .then(r => r.text().then(t => ({status: r.status, records: r.headers.get("X-GAS-Records"),
	    first: t.split("\n")[0], rows: t.split("\n").filter(l => l && !l.startsWith("#")).length - 1})))`,
		chromedp.EvalAwaitPromise)
	want := strings.ReplaceAll(filtered, ",", "")
	if d.Status != 200 || d.Records != want || !strings.Contains(d.First, "records="+want+" ") || !strings.Contains(d.First, "impact>=MODERATE") {
		t.Fatalf("TSV download: %+v; the page says %s records", d, filtered)
	}
	if d.Rows < len(impacts) {
		t.Fatalf("TSV has %d rows for a view of %s records", d.Rows, filtered)
	}
	t.Logf("filtered view: %s records; TSV %d rows (record × transcript)", filtered, d.Rows)

	// A phone: the job page fits the width.
	b.do("phone view",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(s.URL+"/jobs/"+id),
		chromedp.WaitVisible(chromedp.ID("charts")))
	if w := mustEval[int](b, `document.documentElement.scrollWidth`); w > 390 {
		wide := mustEval[[]string](b, `Array.from(document.querySelectorAll("body *")).filter(e => !e.closest("figure") && e.getBoundingClientRect().right > 390).slice(0, 8).map(e => e.tagName + "#" + e.id + "." + String(e.className) + ":" + Math.round(e.getBoundingClientRect().right))`)
		t.Errorf("the job page is %d px wide on a 390 px phone; too wide: %v", w, wide)
	}
	b.shot("09-phone-job-page")
}

// group writes n with thousands separators, as the pages do.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
