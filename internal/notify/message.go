package notify

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"

	gomail "github.com/wneessen/go-mail"

	"github.com/gas-project/gas"
)

// Mail is one notification ready to send: the outbox row plus the sender.
type Mail struct {
	NotificationID int64
	JobID          string
	From           string // "Name <addr>" or a bare address
	To             string
	Subject        string
	Body           string    // plain text
	Date           time.Time // when the change happened (the row's creation), so a resend is identical
}

// mailFromRow turns an outbox row into a Mail from the given sender.
func mailFromRow(n *gas.Notification, from string) *Mail {
	return &Mail{NotificationID: n.ID, JobID: n.JobID, From: from, To: n.To,
		Subject: n.Subject, Body: n.Body, Date: n.CreatedAt}
}

// MessageID is the Message-ID of the mail, without angle brackets. It
// depends only on the notification and the sender's domain, so a message
// sent twice (see the worker's duplicate window) carries the same ID and
// mail clients that deduplicate by Message-ID show it once.
func (m *Mail) MessageID() string {
	return fmt.Sprintf("gas-notification-%d@%s", m.NotificationID, senderDomain(m.From))
}

// senderDomain is the domain of the From address, or "localhost" when it
// has none usable as a Message-ID right-hand side.
func senderDomain(from string) string {
	a, err := mail.ParseAddress(from)
	if err != nil {
		return "localhost"
	}
	_, domain, ok := strings.Cut(a.Address, "@")
	if !ok || domain == "" || strings.ContainsAny(domain, "<>[] \t\"") {
		return "localhost"
	}
	return domain
}

// message builds the RFC 5322 message: plain text UTF-8, quoted-printable,
// with the deterministic Message-ID and Date.
func (m *Mail) message() (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("notify: sender address %q: %w", m.From, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, permanent(fmt.Errorf("notify: recipient address %q: %w", m.To, err))
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID())
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	msg.SetDateWithValue(date.UTC())
	msg.SetUserAgent("GAS")
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	return msg, nil
}

// composeInput is what a notification says.
type composeInput struct {
	Kind    gas.NotificationKind
	Job     *gas.Job
	BaseURL string
	// ArchiveAt is when a Free user's completed result moves to the
	// archive; zero for a result that stays.
	ArchiveAt time.Time
}

// compose writes the subject and plain-text body of a notification. The
// job is named by its name (by default the file the user uploaded), which
// is what they know it by.
func compose(in composeInput) (subject, body string) {
	name := jobName(in.Job.Title())
	base := strings.TrimRight(in.BaseURL, "/")
	link := base + "/jobs/" + in.Job.ID
	var b strings.Builder
	b.WriteString("Hello,\n\n")
	switch in.Kind {
	case gas.NotifyJobCompleted:
		subject = fmt.Sprintf("GAS: the annotation of %s is complete", name)
		fmt.Fprintf(&b, "Your annotation of %s is complete", name)
		if in.Job.Records > 0 {
			fmt.Fprintf(&b, ": %d records annotated", in.Job.Records)
		}
		b.WriteString(".\n")
		if !in.ArchiveAt.IsZero() {
			fmt.Fprintf(&b, "\nOn the Free plan the result moves to the archive on %s, %s after it completed.\n"+
				"Download it before then, or upgrade to Premium to keep it (archived results come back when you upgrade): %s/subscribe\n\n",
				in.ArchiveAt.UTC().Format("2006-01-02 15:04 UTC"), days(in.ArchiveAt.Sub(in.Job.CompletedAt)), base)
		}
	case gas.NotifyJobFailed:
		subject = fmt.Sprintf("GAS: the annotation of %s failed", name)
		fmt.Fprintf(&b, "Your annotation of %s failed.\n", name)
		if r := strings.TrimSpace(in.Job.FailReason); r != "" {
			fmt.Fprintf(&b, "Reason: %s\n", r)
		}
	case gas.NotifyJobRestored:
		subject = fmt.Sprintf("GAS: the result of %s is available again", name)
		fmt.Fprintf(&b, "The result of your annotation of %s was brought back from the archive: your result is available again.\n", name)
	}
	fmt.Fprintf(&b, "Status: %s\n", in.Job.State)
	fmt.Fprintf(&b, "Details and downloads: %s\n", link)
	b.WriteString("\n-- \nGAS, the Genomics Annotation Service\n")
	return subject, b.String()
}

// days says a retention in words: "7 days", "1 day", or hours below a day.
func days(d time.Duration) string {
	switch h := int(d.Round(time.Hour).Hours()); {
	case h >= 24 && h%24 == 0 && h/24 == 1:
		return "1 day"
	case h >= 24 && h%24 == 0:
		return fmt.Sprintf("%d days", h/24)
	case h == 1:
		return "1 hour"
	case h > 1:
		return fmt.Sprintf("%d hours", h)
	}
	return d.Round(time.Second).String()
}

// maxNameRunes keeps a subject readable when a file name is very long.
const maxNameRunes = 80

// jobName is the uploaded file name made safe for a subject line: control
// characters (a newline would be a header injection in a naive mailer)
// become spaces and a long name is shortened.
func jobName(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if s == "" {
		return "your file"
	}
	if r := []rune(s); len(r) > maxNameRunes {
		s = string(r[:maxNameRunes-1]) + "…"
	}
	return s
}
