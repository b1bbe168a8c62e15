package auth

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies tells the address of the client of a request, which rate limits
// key on. Behind a reverse proxy or load balancer every request comes from
// the proxy, so the client's address must be taken from the header the
// proxy adds; but anyone can send that header, so it is believed only when
// the peer is one of the trusted proxies (config GAS_TRUSTED_PROXIES).
// The zero value trusts no proxy: the peer is the client.
type Proxies struct {
	trusted []netip.Prefix
}

// NewProxies trusts the proxies in the given ranges.
func NewProxies(trusted []netip.Prefix) Proxies {
	return Proxies{trusted: append([]netip.Prefix(nil), trusted...)}
}

// maxForwardedHops bounds the work spent on an X-Forwarded-For list; no
// real chain of proxies is that long.
const maxForwardedHops = 32

// ClientIP returns the client's address as text (IPv4-mapped IPv6
// addresses are shown as IPv4). When the peer is a trusted proxy it walks
// X-Forwarded-For from the right — each proxy appends the address it saw —
// past the trusted proxies, and the first address that is not one is the
// client. Entries to its left were written by the client or by proxies we
// do not know, so they are never believed. Without X-Forwarded-For, a
// trusted peer's X-Real-IP (nginx's habit) is used. An entry that cannot be
// read ends the walk at the trusted hop to its right: a trusted proxy
// writes only addresses, so garbage there came from the client, who must
// not choose its own key with it.
func (p Proxies) ClientIP(r *http.Request) string {
	peer, ok := parseAddr(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if !p.trusts(peer) {
		return peer.String()
	}
	hops := forwardedFor(r.Header)
	if len(hops) == 0 {
		if a, ok := parseAddr(strings.TrimSpace(r.Header.Get("X-Real-IP"))); ok {
			return a.String()
		}
		return peer.String()
	}
	client := peer
	for i := len(hops) - 1; i >= 0 && i >= len(hops)-maxForwardedHops; i-- {
		a, ok := parseAddr(hops[i])
		if !ok {
			break
		}
		client = a
		if !p.trusts(a) {
			break
		}
	}
	return client.String()
}

func (p Proxies) trusts(a netip.Addr) bool {
	for _, pr := range p.trusted {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedFor returns the X-Forwarded-For entries in order; a proxy may
// add a header line of its own instead of extending the last one.
func forwardedFor(h http.Header) []string {
	var out []string
	for _, line := range h.Values("X-Forwarded-For") {
		for _, f := range strings.Split(line, ",") {
			out = append(out, strings.TrimSpace(f))
		}
	}
	return out
}

// parseAddr reads an address with or without a port ("203.0.113.9",
// "203.0.113.9:4711", "[2001:db8::1]:443", "2001:db8::1"); zones are
// dropped and IPv4-mapped addresses unmapped, so one client has one key.
func parseAddr(s string) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.WithZone("").Unmap(), true
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}
