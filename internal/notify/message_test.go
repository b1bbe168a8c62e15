package notify

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

func TestNotifyComposeKinds(t *testing.T) {
	t.Parallel()
	job := &gas.Job{ID: "3f1c", InputName: "trio.vcf.gz", State: gas.JobCompleted, Records: 1234}
	cases := []struct {
		kind     gas.NotificationKind
		job      gas.Job
		subject  string
		contains []string
	}{
		{gas.NotifyJobCompleted, *job, "GAS: the annotation of trio.vcf.gz is complete",
			[]string{"1234 records annotated", "Status: COMPLETED", "https://gas.example.org/jobs/3f1c"}},
		{gas.NotifyJobFailed, gas.Job{ID: "3f1c", InputName: "trio.vcf.gz", State: gas.JobFailed, FailReason: "line 7: no REF"},
			"GAS: the annotation of trio.vcf.gz failed",
			[]string{"Reason: line 7: no REF", "Status: FAILED", "https://gas.example.org/jobs/3f1c"}},
		{gas.NotifyJobRestored, *job, "GAS: the result of trio.vcf.gz is available again",
			[]string{"your result is available again", "Status: COMPLETED", "https://gas.example.org/jobs/3f1c"}},
	}
	for _, c := range cases {
		subject, body := compose(composeInput{Kind: c.kind, Job: &c.job, BaseURL: "https://gas.example.org/"})
		if subject != c.subject {
			t.Errorf("%s: subject %q, want %q", c.kind, subject, c.subject)
		}
		for _, want := range c.contains {
			if !strings.Contains(body, want) {
				t.Errorf("%s: body lacks %q:\n%s", c.kind, want, body)
			}
		}
	}
}

func TestNotifyComposeHostileName(t *testing.T) {
	t.Parallel()
	j := &gas.Job{ID: "j1", InputName: "a.vcf\r\nBcc: victim@example.org" + strings.Repeat("x", 200), State: gas.JobCompleted}
	subject, _ := compose(composeInput{Kind: gas.NotifyJobCompleted, Job: j, BaseURL: "http://h"})
	if strings.ContainsAny(subject, "\r\n") {
		t.Fatalf("subject keeps a line break: %q", subject)
	}
	if n := len([]rune(jobName(j.InputName))); n != maxNameRunes {
		t.Fatalf("long name is %d runes, want %d", n, maxNameRunes)
	}
	if got := jobName("  "); got != "your file" {
		t.Fatalf("empty name = %q", got)
	}
}

func TestNotifyMessageIDIsDeterministic(t *testing.T) {
	t.Parallel()
	a := &Mail{NotificationID: 42, From: "GAS <gas@lab.example.org>"}
	b := &Mail{NotificationID: 42, From: "gas@lab.example.org", Subject: "other"}
	if a.MessageID() != "gas-notification-42@lab.example.org" || a.MessageID() != b.MessageID() {
		t.Fatalf("message IDs %q, %q", a.MessageID(), b.MessageID())
	}
	if c := (&Mail{NotificationID: 43, From: "gas@lab.example.org"}); c.MessageID() == a.MessageID() {
		t.Fatal("two notifications share a Message-ID")
	}
	if got := (&Mail{NotificationID: 1, From: "not an address"}).MessageID(); got != "gas-notification-1@localhost" {
		t.Fatalf("fallback domain: %q", got)
	}
}

func TestOutboxFileSenderWritesParsableEML(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "outbox")
	fs, err := NewFileSender(dir)
	if err != nil {
		t.Fatal(err)
	}
	j := &gas.Job{ID: "0b6e2a52-8c3b-4b43-9d43-5ad1a2b0e1f7", InputName: "Ünïcode sample.vcf", State: gas.JobCompleted, Records: 2}
	subject, body := compose(composeInput{Kind: gas.NotifyJobCompleted, Job: j, BaseURL: "http://127.0.0.1:8080"})
	m := &Mail{NotificationID: 7, JobID: j.ID, From: "GAS <gas@example.org>", To: "ada@example.org",
		Subject: subject, Body: body, Date: time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)}
	if err := fs.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "7-"+j.ID+".eml")
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(first)))
	if err != nil {
		t.Fatalf("parse .eml: %v\n%s", err, first)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "ada@example.org" {
		t.Fatalf("To = %v, %v", to, err)
	}
	dec := new(mime.WordDecoder)
	gotSubject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || gotSubject != subject {
		t.Fatalf("Subject = %q (%v), want %q", gotSubject, err, subject)
	}
	if id := msg.Header.Get("Message-Id"); id != "<gas-notification-7@example.org>" {
		t.Fatalf("Message-ID = %q", id)
	}
	if d, err := msg.Header.Date(); err != nil || !d.Equal(m.Date) {
		t.Fatalf("Date = %v, %v", d, err)
	}
	text, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), "http://127.0.0.1:8080/jobs/"+j.ID) {
		t.Fatalf("body lacks the job link:\n%s", text)
	}

	// A resend replaces the same file with the same bytes and leaves no temporary file.
	if err := fs.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != filepath.Base(path) {
		t.Fatalf("outbox holds %v", entries)
	}
	if second, _ := os.ReadFile(path); string(second) != string(first) {
		t.Fatal("a resend wrote different bytes")
	}
}

func TestOutboxFileSenderBadRecipientIsPermanent(t *testing.T) {
	t.Parallel()
	fs, err := NewFileSender(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	err = fs.Send(context.Background(), &Mail{NotificationID: 1, From: "gas@example.org", To: "not an address", Subject: "s"})
	if err == nil || !isPermanent(err) {
		t.Fatalf("bad recipient: %v", err)
	}
	if got := FileName(3, "../../etc/passwd"); got != "3-______etc_passwd.eml" {
		t.Fatalf("file name of a hostile job ID: %q", got)
	}
	if got := FileName(4, ""); got != "4.eml" {
		t.Fatalf("file name without a job: %q", got)
	}
}
