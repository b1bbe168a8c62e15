package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/testserver"
	"github.com/gas-project/gas/refdata"
)

// TestSMTPDownThenUpServe configures gas serve with a mail server that is
// not running yet: the jobs complete, their notifications fail and the
// user's notifications page shows the failed attempts; once the mail
// server (mailpit) comes up, the retries deliver every notification
// exactly once.
func TestSMTPDownThenUpServe(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: waits for the delivery retry of the real binary")
	}
	const jobs = 5
	mailpit := testserver.Find(t, "mailpit", "go install github.com/axllent/mailpit@v1.33.1")
	smtpPort := testserver.FreePort(t) // nothing listens here yet: connections are refused
	dir := t.TempDir()
	env := map[string]string{
		"GAS_SMTP_URL":       fmt.Sprintf("smtp://e2e:%s@127.0.0.1:%d?auth=plain", strings.ReplaceAll(testPassword, " ", "-"), smtpPort),
		"GAS_MAIL_FROM":      "GAS <gas@e2e.example.org>",
		"GAS_FREE_RETENTION": "1h",
	}
	s := startServer(t, dir, env)
	c := signUp(t, s.url, "smtp@example.org")
	var ids []string
	for i := range jobs {
		ids = append(ids, c.mustUpload(fmt.Sprintf("mail-%d.vcf", i), refdata.DemoVCF()))
	}
	c.waitState(ids, string(gas.JobCompleted), time.Minute)

	// Nothing is silently dropped: every notification is listed as not yet
	// delivered, with the failed attempt and its error.
	waitNotificationsPage(t, c, jobs, time.Minute)

	api := startMailpit(t, mailpit, smtpPort)
	up := time.Now()
	deadline := up.Add(2 * time.Minute)
	for len(mailpitMessages(t, api)) < jobs {
		if time.Now().After(deadline) {
			t.Fatalf("mailpit holds %d messages after 2 minutes, want %d", len(mailpitMessages(t, api)), jobs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("all %d notifications delivered %s after the mail server came up", jobs, time.Since(up).Round(time.Millisecond))
	s.stop()

	want := map[string][]gas.NotificationKind{}
	for _, id := range ids {
		want[id] = []gas.NotificationKind{gas.NotifyJobCompleted}
	}
	rows := checkNotificationRows(t, dir, c.email, want)
	got, subjects := map[string]int{}, map[string]string{}
	msgs := mailpitMessages(t, api)
	for _, m := range msgs {
		mid := strings.Trim(m.MessageID, "<>")
		got[mid]++
		subjects[mid] = m.Subject
	}
	for _, n := range rows {
		if n.Attempts < 1 {
			t.Errorf("notification %d was delivered without a failed attempt first", n.ID)
		}
		mid := fmt.Sprintf("gas-notification-%d@e2e.example.org", n.ID)
		if got[mid] != 1 {
			t.Errorf("mailpit holds %d messages with Message-ID %s (job %s), want 1", got[mid], mid, n.JobID)
		}
		if subjects[mid] != n.Subject {
			t.Errorf("message %s has subject %q, the notification %q", mid, subjects[mid], n.Subject)
		}
	}
	if len(msgs) != len(rows) {
		t.Errorf("mailpit holds %d messages, want %d", len(msgs), len(rows))
	}
	if files := outboxFiles(t, dir); len(files) != 0 {
		t.Errorf("with SMTP configured, .eml files were written too: %v", files)
	}
}

var (
	pendingRow = regexp.MustCompile(`data-state="PENDING"`)
	failedTry  = regexp.MustCompile(`class="text-body-secondary last-error"`)
)

// waitNotificationsPage polls GET /notifications until it lists n
// notifications, all PENDING with a failed attempt and its error.
func waitNotificationsPage(t *testing.T, c *client, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		code, page := c.get("/notifications")
		if code != http.StatusOK {
			t.Fatalf("GET /notifications = %d", code)
		}
		pending, failed := len(pendingRow.FindAll(page, -1)), len(failedTry.FindAll(page, -1))
		if pending == n && failed == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /notifications lists %d PENDING rows and %d errors after %s, want %d of each", pending, failed, timeout, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startMailpit runs mailpit with its SMTP on smtpPort (accepting any
// login) and returns the URL of its API once it is ready.
func startMailpit(t *testing.T, path string, smtpPort int) string {
	t.Helper()
	httpPort := testserver.FreePort(t)
	p := testserver.Start(t, path,
		"--listen", testserver.Addr(httpPort), "--smtp", testserver.Addr(smtpPort),
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--smtp-disable-rdns",
		"--disable-version-check", "--database", filepath.Join(t.TempDir(), "mailpit.db"))
	api := "http://" + testserver.Addr(httpPort)
	p.WaitHTTP(t, api+"/readyz")
	return api
}

// mailpitMessage is the part of mailpit's message summary checked here.
type mailpitMessage struct {
	MessageID string `json:"MessageID"`
	Subject   string `json:"Subject"`
}

// mailpitMessages lists what mailpit received.
func mailpitMessages(t *testing.T, api string) []mailpitMessage {
	t.Helper()
	resp, err := http.Get(api + "/api/v1/messages?limit=1000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit messages: %s", resp.Status)
	}
	var list struct {
		Messages []mailpitMessage `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatalf("mailpit messages: %v", err)
	}
	return list.Messages
}
