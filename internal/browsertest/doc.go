// Package browsertest drives the GAS site in a real headless Chromium
// (github.com/chromedp/chromedp) as a person would: sign up, upload, watch
// the progress bar, look at the charts, filter the variant table, download
// a view. The tests are named TestBrowser… so they can be run alone:
//
//	go test ./internal/browsertest/ -run TestBrowser
//
// They need /usr/bin/chromium (Debian package chromium); without it they
// are skipped, or fail when GAS_TEST_REQUIRE_SERVERS is set. Screenshots
// of each step go to GAS_SCREENSHOT_DIR (default: a new temp folder, whose
// path the test logs).
package browsertest
