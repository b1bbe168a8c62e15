package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTPOptions tune an SMTPSender beyond its URL.
type SMTPOptions struct {
	// Timeout bounds the dial and each command; zero means DefaultTimeout.
	Timeout time.Duration
	// TLSConfig replaces the default (system roots, server name from the
	// URL), e.g. to trust a private CA.
	TLSConfig *tls.Config
}

// SMTPSender sends through a mail server given as a URL:
//
//	smtp://[user:pass@]host[:port]    port 587 by default; STARTTLS when the server offers it
//	smtps://[user:pass@]host[:port]   port 465 by default; TLS from the first byte
//
// It authenticates only when the URL has user info. By default it picks the
// best mechanism the server offers, and without TLS only those that do not
// reveal the password (CRAM-MD5, SCRAM), so a server that offers nothing
// else over plain text fails loudly rather than receiving the password in
// the clear. The parameter ?auth=plain (or login) sends it anyway, for a
// relay on a trusted network that has no TLS; ?auth=cram-md5 forces that one.
type SMTPSender struct {
	host     string
	port     int
	implicit bool // smtps
	user     string
	pass     string
	auth     gomail.SMTPAuthType // "" when the URL has no user info
	timeout  time.Duration
	tlsConf  *tls.Config
}

// authTypes are the values of the auth parameter.
var authTypes = map[string]gomail.SMTPAuthType{
	"auto":     gomail.SMTPAuthAutoDiscover,
	"plain":    gomail.SMTPAuthPlainNoEnc,
	"login":    gomail.SMTPAuthLoginNoEnc,
	"cram-md5": gomail.SMTPAuthCramMD5,
}

// NewSMTPSender parses the URL; it does not connect.
func NewSMTPSender(rawURL string, opt SMTPOptions) (*SMTPSender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("smtp sender: the SMTP URL does not parse") // the error would repeat the password
	}
	s := &SMTPSender{timeout: opt.Timeout, tlsConf: opt.TLSConfig}
	switch u.Scheme {
	case "smtp":
		s.port = 587
	case "smtps":
		s.port, s.implicit = 465, true
	default:
		return nil, fmt.Errorf("smtp sender: the URL scheme must be smtp or smtps, not %q", u.Scheme)
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, errors.New("smtp sender: the SMTP URL has no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("smtp sender: bad port %q", p)
		}
		s.port = n
	}
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, errors.New("smtp sender: the SMTP URL takes no path")
	}
	q := u.Query()
	mech := "auto"
	for k, v := range q {
		if k != "auth" || len(v) != 1 {
			return nil, fmt.Errorf("smtp sender: unknown SMTP URL parameter %q (only auth=auto|plain|login|cram-md5)", k)
		}
		mech = strings.ToLower(v[0])
	}
	authType, ok := authTypes[mech]
	if !ok {
		return nil, fmt.Errorf("smtp sender: auth must be auto, plain, login or cram-md5, not %q", mech)
	}
	if u.User != nil {
		s.auth = authType
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	} else if q.Has("auth") {
		return nil, errors.New("smtp sender: auth is set but the SMTP URL has no user:password@")
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.tlsConf == nil {
		s.tlsConf = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	}
	return s, nil
}

// String is the URL without the password.
func (s *SMTPSender) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(s.host, strconv.Itoa(s.port))}
	if s.implicit {
		u.Scheme = "smtps"
	}
	if s.auth != "" {
		u.User = url.User(s.user)
	}
	return u.String()
}

// addr names the server in errors, which users see on their notifications
// page: host and port only, never the account.
func (s *SMTPSender) addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

// client makes a fresh go-mail client per message: a Client keeps one
// connection and is not meant to be shared by concurrent deliveries.
func (s *SMTPSender) client() (*gomail.Client, error) {
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(s.timeout),
		gomail.WithTLSConfig(s.tlsConf),
	}
	if s.implicit {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.auth != "" {
		opts = append(opts, gomail.WithSMTPAuth(s.auth),
			gomail.WithUsername(s.user), gomail.WithPassword(s.pass))
	}
	return gomail.NewClient(s.host, opts...)
}

// Send delivers one mail in one SMTP session. Once the server has accepted
// the data the mail is delivered, so an error while saying goodbye (QUIT)
// is ignored rather than causing a duplicate on retry.
func (s *SMTPSender) Send(ctx context.Context, m *Mail) error {
	msg, err := m.message()
	if err != nil {
		return err
	}
	c, err := s.client()
	if err != nil {
		return fmt.Errorf("smtp %s: %w", s.addr(), err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*s.timeout)
	defer cancel()
	conn, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", s.addr(), err)
	}
	defer func() { _ = c.CloseWithSMTPClient(conn) }()
	if err := c.SendWithSMTPClient(conn, msg); err != nil {
		err = fmt.Errorf("smtp %s: %w", s.addr(), err)
		var se *gomail.SendError
		if errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
			return permanent(err)
		}
		return err
	}
	return nil
}
