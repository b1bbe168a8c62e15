package notify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/gas-project/gas/internal/notify"
)

// testCert makes a self-signed certificate for 127.0.0.1 and a pool that
// trusts it, so the client verifies the server as it would in production.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "gas test mail server"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// TestSMTPTLSModes: smtp:// upgrades with STARTTLS when the server offers
// it, smtps:// speaks TLS from the start, and a certificate the client does
// not trust fails the delivery instead of sending in the clear.
func TestSMTPTLSModes(t *testing.T) {
	t.Parallel()
	cert, pool := testCert(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
	clientTLS := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	mail := func(id int64) *notify.Mail {
		return &notify.Mail{NotificationID: id, JobID: "j", From: "gas@example.org", To: "ada@example.org",
			Subject: "s", Body: "b\n", Date: time.Now()}
	}
	for i, c := range []struct {
		scheme   string
		implicit bool
	}{{"smtp", false}, {"smtps", true}} {
		port := freePort(t)
		srv := serveGoSMTP(t, port, &goSMTP{tlsConf: serverTLS, implicit: c.implicit})
		s, err := notify.NewSMTPSender(fmt.Sprintf("%s://ada:%s@127.0.0.1:%d", c.scheme, testPassword, port),
			notify.SMTPOptions{Timeout: 5 * time.Second, TLSConfig: clientTLS})
		if err != nil {
			t.Fatal(err)
		}
		m := mail(int64(i + 1))
		if err := s.Send(context.Background(), m); err != nil {
			t.Fatalf("%s: %v", c.scheme, err)
		}
		if flags := srv.tlsFlags(); srv.count(t, m.MessageID()) != 1 || len(flags) != 1 || !flags[0] {
			t.Fatalf("%s: messages over TLS: %v", c.scheme, flags)
		}
	}

	// An untrusted certificate on smtps:// is an error, not a plain-text fallback.
	port := freePort(t)
	srv := serveGoSMTP(t, port, &goSMTP{tlsConf: serverTLS, implicit: true})
	s, err := notify.NewSMTPSender(fmt.Sprintf("smtps://127.0.0.1:%d", port), notify.SMTPOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), mail(9)); err == nil {
		t.Fatal("sent to a server whose certificate is not trusted")
	}
	if n := srv.count(t, mail(9).MessageID()); n != 0 {
		t.Fatalf("untrusted server got %d messages", n)
	}
}

// TestSMTPSilentServerTimesOut: a server that accepts the connection but
// never greets makes Send fail after the timeout instead of hanging the
// delivery worker.
func TestSMTPSilentServerTimesOut(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent, until the test ends
		}
	}()
	s, err := notify.NewSMTPSender("smtp://"+l.Addr().String(), notify.SMTPOptions{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- s.Send(context.Background(), &notify.Mail{NotificationID: 1, From: "gas@example.org", To: "a@example.org", Subject: "s"})
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a silent server accepted the mail")
		}
		t.Logf("silent server: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("Send hung on a silent server")
	}
}
