package notify

import (
	"strings"
	"testing"

	gomail "github.com/wneessen/go-mail"
)

func TestSMTPURLParsing(t *testing.T) {
	t.Parallel()
	good := []struct {
		url, str string
		port     int
		implicit bool
		auth     gomail.SMTPAuthType
	}{
		{"smtp://mail.example.org", "smtp://mail.example.org:587", 587, false, ""},
		{"smtps://u:p%40ss@mail.example.org", "smtps://u@mail.example.org:465", 465, true, gomail.SMTPAuthAutoDiscover},
		{"smtp://u:p@127.0.0.1:2525?auth=plain", "smtp://u@127.0.0.1:2525", 2525, false, gomail.SMTPAuthPlainNoEnc},
		{"smtp://u:p@[::1]:25?auth=CRAM-MD5", "smtp://u@[::1]:25", 25, false, gomail.SMTPAuthCramMD5},
	}
	for _, c := range good {
		s, err := NewSMTPSender(c.url, SMTPOptions{})
		if err != nil {
			t.Errorf("%s: %v", c.url, err)
			continue
		}
		if s.String() != c.str || s.port != c.port || s.implicit != c.implicit || s.auth != c.auth {
			t.Errorf("%s: got %s port %d implicit %v auth %q", c.url, s, s.port, s.implicit, s.auth)
		}
		if strings.Contains(s.String(), "p@ss") || strings.Contains(s.String(), ":p@") {
			t.Errorf("%s: String shows the password: %s", c.url, s)
		}
	}
	if s, _ := NewSMTPSender("smtps://u:p%40ss@mail.example.org", SMTPOptions{}); s.pass != "p@ss" || s.user != "u" {
		t.Errorf("credentials = %q %q", s.user, s.pass)
	}
	bad := map[string]string{
		"http://mail.example.org":              "scheme",
		"smtp://":                              "no host",
		"smtp://mail.example.org:0":            "bad port",
		"smtp://mail.example.org:99999":        "bad port",
		"smtp://mail.example.org/inbox":        "no path",
		"smtp://mail.example.org?tls=no":       "unknown SMTP URL parameter",
		"smtp://u:p@mail.example.org?auth=md4": "auth must be",
		"smtp://mail.example.org?auth=plain":   "no user",
		"smtp://u:secret@mail example.org":     "does not parse",
	}
	for u, want := range bad {
		_, err := NewSMTPSender(u, SMTPOptions{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to mention %q", u, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error reveals the password: %v", u, err)
		}
	}
}

func TestNotifyBackoffDoublesUpToMax(t *testing.T) {
	t.Parallel()
	got := []int64{}
	for attempt := 1; attempt <= 6; attempt++ {
		got = append(got, int64(backoff(7, 50, attempt)))
	}
	want := []int64{7, 14, 28, 50, 50, 50}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("backoff = %v, want %v", got, want)
		}
	}
	total := int64(0)
	for attempt := 1; attempt < DefaultMaxAttempts; attempt++ {
		total += int64(backoff(DefaultRetryBase, DefaultRetryMax, attempt))
	}
	// The defaults give up after about an hour of waiting (see DefaultRetryBase).
	if total < int64(50*60e9) || total > int64(70*60e9) {
		t.Fatalf("default retries span %v", total)
	}
}
