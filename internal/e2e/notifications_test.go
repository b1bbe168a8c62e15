package e2e

import (
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
)

// waitOutbox polls <data>/outbox until it holds at least n .eml files:
// notifications are delivered by their own queued job, after the state
// change that caused them.
func waitOutbox(t *testing.T, dir string, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		total := 0
		for _, k := range outboxFiles(t, dir) {
			total += k
		}
		if total >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox holds %d .eml files after %s, want %d", total, timeout, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkNotifications checks a stopped server's outbox: each job in want has
// exactly that many .eml files, no other job has any, every row of the
// outbox table was SENT, and each job's rows are of the expected kinds.
func checkNotifications(t *testing.T, dir, email string, want map[string][]gas.NotificationKind) {
	t.Helper()
	checkOutboxFiles(t, dir, want)
	checkNotificationRows(t, dir, email, want)
}

// checkOutboxFiles: each job in want has exactly as many .eml files as
// kinds listed, and no other job has any.
func checkOutboxFiles(t *testing.T, dir string, want map[string][]gas.NotificationKind) {
	t.Helper()
	files := outboxFiles(t, dir)
	for id, kinds := range want {
		if files[id] != len(kinds) {
			t.Errorf("job %s has %d .eml files in the outbox, want %d", id, files[id], len(kinds))
		}
	}
	for id, n := range files {
		if _, ok := want[id]; !ok {
			t.Errorf("outbox has %d .eml files for unexpected job %s", n, id)
		}
	}
}

// checkNotificationRows: the outbox table of a stopped server holds, per
// job in want, rows of exactly those kinds, all SENT, and no other rows.
// It returns the rows.
func checkNotificationRows(t *testing.T, dir, email string, want map[string][]gas.NotificationKind) []*gas.Notification {
	t.Helper()
	db := openData(t, dir)
	defer db.Close()
	ctx := context.Background()
	u, err := db.UserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]gas.NotificationKind{}
	var rows []*gas.Notification
	for {
		page, total, err := db.ListNotifications(ctx, u.ID, gas.Page{Offset: countKinds(got), Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, page...)
		for _, n := range page {
			got[n.JobID] = append(got[n.JobID], n.Kind)
			if n.State != gas.DeliverySent {
				t.Errorf("notification %d (%s of job %s) is %s (%s), want SENT", n.ID, n.Kind, n.JobID, n.State, n.LastError)
			}
		}
		if len(page) == 0 || countKinds(got) >= total {
			break
		}
	}
	for id, kinds := range want {
		if !sameKinds(got[id], kinds) {
			t.Errorf("job %s: notifications %v, want %v", id, got[id], kinds)
		}
	}
	if countKinds(got) != countKinds(want) {
		t.Errorf("%d notifications in the outbox table, want %d", countKinds(got), countKinds(want))
	}
	return rows
}

// checkEML requires every .eml file of a job to link to the job's page, and
// one of them to say all the words.
func checkEML(t *testing.T, dir, id string, words ...string) {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, "outbox", "*-"+id+".eml"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no .eml file for job %s (%v)", id, err)
	}
	var said []string
	for _, m := range matches {
		subject, body := readEML(t, m)
		msg := subject + "\n" + body
		if !strings.Contains(msg, "/jobs/"+id) {
			t.Errorf("%s does not link to the job page:\n%s", filepath.Base(m), msg)
		}
		all := true
		for _, w := range words {
			all = all && strings.Contains(msg, w)
		}
		if all {
			return
		}
		said = append(said, msg)
	}
	t.Errorf("no email of job %s says all of %q:\n%s", id, words, strings.Join(said, "\n---\n"))
}

// readEML parses an .eml file and returns its decoded subject and body
// (the sender writes quoted-printable, which may wrap long links).
func readEML(t *testing.T, path string) (subject, body string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	msg, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("%s: subject: %v", path, err)
	}
	var r io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: body: %v", path, err)
	}
	return subject, string(b)
}

func countKinds(m map[string][]gas.NotificationKind) int {
	n := 0
	for _, k := range m {
		n += len(k)
	}
	return n
}

// sameKinds compares two lists of kinds as multisets.
func sameKinds(a, b []gas.NotificationKind) bool {
	if len(a) != len(b) {
		return false
	}
	left := map[gas.NotificationKind]int{}
	for _, k := range a {
		left[k]++
	}
	for _, k := range b {
		left[k]--
	}
	for _, n := range left {
		if n != 0 {
			return false
		}
	}
	return true
}
