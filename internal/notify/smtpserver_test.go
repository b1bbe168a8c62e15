package notify_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"go/build"
	"io"
	"log"
	"net"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// mailServer is a real SMTP server a test can start on a chosen port and
// ask how many messages with a Message-ID it received.
type mailServer interface {
	count(t *testing.T, messageID string) int
}

// freePort finds a loopback port nobody listens on; it stays closed until
// the test starts a server there.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// mailpitPath finds mailpit on PATH or in $(go env GOPATH)/bin, where
// `go install github.com/axllent/mailpit@v1.33.1` puts it. GAS_TEST_NO_MAILPIT=1
// hides it, to run the in-process server instead.
func mailpitPath() string {
	if os.Getenv("GAS_TEST_NO_MAILPIT") == "1" {
		return ""
	}
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	for _, dir := range filepath.SplitList(build.Default.GOPATH) {
		p := filepath.Join(dir, "bin", "mailpit")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// mailServerAuth is the auth parameter of the SMTP URL for the server
// startMailServer will start: mailpit offers only PLAIN and LOGIN without
// TLS, which the client uses only when told; the in-process server offers
// CRAM-MD5, which it picks by itself.
func mailServerAuth() string {
	if mailpitPath() != "" {
		return "?auth=plain"
	}
	return ""
}

// startMailServer starts mailpit when installed, else an in-process
// go-smtp server, listening for SMTP on 127.0.0.1:port. Both accept any
// user and password.
func startMailServer(t *testing.T, port int) mailServer {
	t.Helper()
	if p := mailpitPath(); p != "" {
		t.Logf("SMTP server: mailpit (%s)", p)
		return startMailpit(t, p, port)
	}
	if os.Getenv("GAS_TEST_REQUIRE_SERVERS") != "" && os.Getenv("GAS_TEST_NO_MAILPIT") != "1" {
		// CI installs mailpit; falling back there would hide that it is gone.
		t.Fatal("mailpit not found; install it with: go install github.com/axllent/mailpit@v1.33.1")
	}
	t.Log("SMTP server: in-process github.com/emersion/go-smtp (mailpit not installed)")
	return startGoSMTP(t, port)
}

type mailpit struct {
	api string
}

func startMailpit(t *testing.T, path string, port int) *mailpit {
	t.Helper()
	httpPort := freePort(t)
	dir := t.TempDir()
	cmd := exec.Command(path,
		"--listen", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--smtp", fmt.Sprintf("127.0.0.1:%d", port),
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--smtp-disable-rdns",
		"--disable-version-check", "--database", filepath.Join(dir, "mailpit.db"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mailpit: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	m := &mailpit{api: fmt.Sprintf("http://127.0.0.1:%d", httpPort)}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("mailpit exited: %v\n%s", err, out.String())
		default:
		}
		if resp, err := http.Get(m.api + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit not ready after 30 s:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (m *mailpit) count(t *testing.T, messageID string) int {
	t.Helper()
	resp, err := http.Get(m.api + "/api/v1/messages?limit=1000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Messages []struct {
			MessageID string `json:"MessageID"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatalf("mailpit messages: %v", err)
	}
	n := 0
	for _, msg := range list.Messages {
		if strings.Trim(msg.MessageID, "<>") == messageID {
			n++
		}
	}
	return n
}

// goSMTP is the in-process server: it keeps every message it accepts.
type goSMTP struct {
	mu   sync.Mutex
	msgs []*mail.Message
	// rejectRcpt refuses every recipient for good (550), as a server does
	// for an address that does not exist.
	rejectRcpt bool
	// open accepts mail without authentication.
	open bool
	// tlsConf, when set, offers STARTTLS; implicit serves TLS from the first byte.
	tlsConf  *tls.Config
	implicit bool
	// overTLS records, per accepted message, whether it came over TLS.
	overTLS []bool
}

func startGoSMTP(t *testing.T, port int) *goSMTP {
	t.Helper()
	return serveGoSMTP(t, port, &goSMTP{})
}

func serveGoSMTP(t *testing.T, port int, g *goSMTP) *goSMTP {
	t.Helper()
	s := smtp.NewServer(g)
	s.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	s.Domain = "localhost"
	s.AllowInsecureAuth = true // a loopback test; the client still avoids PLAIN without TLS
	s.ReadTimeout, s.WriteTimeout = 30*time.Second, 30*time.Second
	s.TLSConfig = g.tlsConf
	s.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are what some tests want
	var l net.Listener
	var err error
	if g.implicit {
		l, err = tls.Listen("tcp", s.Addr, g.tlsConf)
	} else {
		l, err = net.Listen("tcp", s.Addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(l) }()
	t.Cleanup(func() { s.Close(); <-done })
	return g
}

func (g *goSMTP) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &goSession{srv: g, conn: c}, nil
}

// tlsFlags returns, per accepted message, whether it came over TLS.
func (g *goSMTP) tlsFlags() []bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]bool(nil), g.overTLS...)
}

func (g *goSMTP) count(_ *testing.T, messageID string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, m := range g.msgs {
		if strings.Trim(m.Header.Get("Message-Id"), "<>") == messageID {
			n++
		}
	}
	return n
}

type goSession struct {
	srv  *goSMTP
	conn *smtp.Conn
	user string
}

func (s *goSession) AuthMechanisms() []string { return []string{"CRAM-MD5"} }

// testPassword is the password the in-process server expects.
const testPassword = "secret"

// Auth offers only CRAM-MD5, which the client may use without TLS since the
// password never crosses the wire.
func (s *goSession) Auth(mech string) (sasl.Server, error) {
	if mech != "CRAM-MD5" {
		return nil, errors.New("unsupported mechanism")
	}
	return &cramMD5{password: testPassword, onUser: func(u string) { s.user = u }}, nil
}

func (s *goSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *goSession) Rcpt(string, *smtp.RcptOptions) error {
	if s.srv.rejectRcpt {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	return nil
}
func (s *goSession) Reset()        {}
func (s *goSession) Logout() error { return nil }

func (s *goSession) Data(r io.Reader) error {
	if s.user == "" && !s.srv.open {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "unparsable message"}
	}
	_, overTLS := s.conn.TLSConnectionState()
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, m)
	s.srv.overTLS = append(s.srv.overTLS, overTLS)
	s.srv.mu.Unlock()
	return nil
}

// cramMD5 is the server side of CRAM-MD5 (RFC 2195), which go-sasl lacks.
type cramMD5 struct {
	password  string
	challenge string
	onUser    func(string)
}

func (c *cramMD5) Next(response []byte) ([]byte, bool, error) {
	if c.challenge == "" {
		c.challenge = fmt.Sprintf("<%d.test@localhost>", time.Now().UnixNano())
		return []byte(c.challenge), false, nil
	}
	user, digest, ok := strings.Cut(string(response), " ")
	if !ok || user == "" {
		return nil, false, errors.New("malformed CRAM-MD5 response")
	}
	mac := hmac.New(md5.New, []byte(c.password))
	mac.Write([]byte(c.challenge))
	if d, err := hex.DecodeString(digest); err != nil || !hmac.Equal(d, mac.Sum(nil)) {
		return nil, false, &smtp.SMTPError{Code: 535, Message: "authentication failed"}
	}
	c.onUser(user)
	return nil, true, nil
}
