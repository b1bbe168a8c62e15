package auth

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

// FuzzClientIP: whatever a client writes in X-Forwarded-For and X-Real-IP,
// ClientIP answers an address (or the peer as given), never panics, and
// believes the headers only from a trusted peer.
func FuzzClientIP(f *testing.F) {
	f.Add("10.1.2.3:80", "198.51.100.1, 10.9.9.9", "")
	f.Add("10.1.2.3:80", "", "198.51.100.3")
	f.Add("203.0.113.9:4711", "1.1.1.1", "2.2.2.2")
	f.Add("[fd00::1]:80", "[2001:db8::7]:51000,unknown", "")
	f.Add("10.1.2.3:80", ",,, ,", "::ffff:1.2.3.4")
	proxies := NewProxies([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")})
	f.Fuzz(func(t *testing.T, peer, xff, realIP string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = peer
		r.Header.Set("X-Forwarded-For", xff)
		r.Header.Set("X-Real-IP", realIP)
		got := proxies.ClientIP(r)
		p, ok := parseAddr(peer)
		if !ok {
			if got != peer {
				t.Fatalf("unparsable peer %q: got %q, want it unchanged", peer, got)
			}
			return
		}
		if !proxies.trusts(p) && got != p.String() {
			t.Fatalf("untrusted peer %q: got %q from its headers", peer, got)
		}
		if a, err := netip.ParseAddr(got); err != nil || a.String() != got {
			t.Fatalf("ClientIP = %q, not an address in canonical form", got)
		}
	})
}
