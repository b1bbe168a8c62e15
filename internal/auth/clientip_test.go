package auth

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	t.Parallel()
	proxies := NewProxies([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")})
	for _, c := range []struct {
		name, peer string
		xff        []string
		realIP     string
		want       string
	}{
		{name: "direct client, no headers", peer: "203.0.113.9:4711", want: "203.0.113.9"},
		{name: "untrusted peer's headers are ignored", peer: "203.0.113.9:4711", xff: []string{"198.51.100.1"}, realIP: "198.51.100.2", want: "203.0.113.9"},
		{name: "trusted proxy", peer: "10.1.2.3:80", xff: []string{"198.51.100.1"}, want: "198.51.100.1"},
		{name: "client-written entries left of the proxy's are not believed", peer: "10.1.2.3:80",
			xff: []string{"1.1.1.1, 2.2.2.2, 198.51.100.1"}, want: "198.51.100.1"},
		{name: "two trusted hops", peer: "10.1.2.3:80", xff: []string{"6.6.6.6, 198.51.100.1, 10.9.9.9"}, want: "198.51.100.1"},
		{name: "one header line per proxy", peer: "10.1.2.3:80", xff: []string{"6.6.6.6", "198.51.100.1", "10.9.9.9"}, want: "198.51.100.1"},
		{name: "entries with ports", peer: "10.1.2.3:80", xff: []string{"[2001:db8::7]:51000, 10.0.0.2:80"}, want: "2001:db8::7"},
		{name: "X-Real-IP when X-Forwarded-For is absent", peer: "10.1.2.3:80", realIP: "198.51.100.3", want: "198.51.100.3"},
		{name: "X-Real-IP garbage", peer: "10.1.2.3:80", realIP: "not-an-ip", want: "10.1.2.3"},
		{name: "garbage before a trusted hop", peer: "10.1.2.3:80", xff: []string{"6.6.6.6, evil, 10.9.9.9"}, want: "10.9.9.9"},
		{name: "garbage only", peer: "10.1.2.3:80", xff: []string{"unknown"}, want: "10.1.2.3"},
		{name: "everything trusted", peer: "10.1.2.3:80", xff: []string{"10.4.4.4, 10.5.5.5"}, want: "10.4.4.4"},
		{name: "IPv4-mapped peer", peer: "[::ffff:10.1.2.3]:80", xff: []string{"::ffff:198.51.100.1"}, want: "198.51.100.1"},
		{name: "IPv6 proxy", peer: "[fd00::1]:80", xff: []string{"2001:db8::9"}, want: "2001:db8::9"},
		{name: "unparsable peer kept as is", peer: "pipe", xff: []string{"198.51.100.1"}, want: "pipe"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if c.realIP != "" {
			r.Header.Set("X-Real-IP", c.realIP)
		}
		if got := proxies.ClientIP(r); got != c.want {
			t.Errorf("%s: ClientIP = %q, want %q", c.name, got, c.want)
		}
	}
	// The zero value trusts nobody: a peer in 10/8 is the client itself.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:80"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	if got := (Proxies{}).ClientIP(r); got != "10.1.2.3" {
		t.Errorf("zero Proxies: ClientIP = %q, want the peer", got)
	}
}

// A long list costs a bounded walk and still ends at an address.
func TestClientIPLongChain(t *testing.T) {
	t.Parallel()
	proxies := NewProxies([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:80"
	for i := 0; i < 1000; i++ {
		r.Header.Add("X-Forwarded-For", "10.0.0.1")
	}
	if got := proxies.ClientIP(r); got != "10.0.0.1" {
		t.Errorf("ClientIP = %q", got)
	}
}
