package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testParams keep the hashing cheap: the machine is shared and the format,
// not the cost, is under test.
var testParams = Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashPasswordRoundTrip(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("correct horse", testParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string", h)
	}
	ok, err := VerifyPassword(h, "correct horse")
	if err != nil || !ok {
		t.Fatalf("VerifyPassword(right) = %v, %v; want true, nil", ok, err)
	}
	ok, err = VerifyPassword(h, "correct horsE")
	if err != nil || ok {
		t.Fatalf("VerifyPassword(wrong) = %v, %v; want false, nil", ok, err)
	}
	h2, err := HashPassword("correct horse", testParams)
	if err != nil {
		t.Fatal(err)
	}
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

func TestHashPasswordDefaultParams(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("pw", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h, "$m=19456,t=2,p=1$") {
		t.Fatalf("default hash %q does not carry the default parameters", h)
	}
	if ok, err := VerifyPassword(h, "pw"); !ok || err != nil {
		t.Fatalf("verify = %v, %v", ok, err)
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	t.Parallel()
	good, err := HashPassword("pw", testParams)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	for name, s := range map[string]string{
		"empty":        "",
		"bcrypt":       "$2a$10$abcdefghijklmnopqrstuv",
		"argon2i":      strings.Replace(good, "argon2id", "argon2i", 1),
		"version":      strings.Replace(good, "v=19", "v=16", 1),
		"huge memory":  strings.Replace(good, "m=1024", "m=4000000000", 1),
		"zero time":    strings.Replace(good, "t=1", "t=0", 1),
		"unknown key":  strings.Replace(good, "p=1", "x=1", 1),
		"bad salt b64": strings.Join([]string{"", parts[1], parts[2], parts[3], "!!!", parts[5]}, "$"),
		"short key":    strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$"),
		"extra field":  good + "$x",
	} {
		ok, err := VerifyPassword(s, "pw")
		if ok || !errors.Is(err, ErrMalformedHash) {
			t.Errorf("%s: VerifyPassword(%q) = %v, %v; want false, ErrMalformedHash", name, s, ok, err)
		}
	}
}

func TestHashPasswordTooLong(t *testing.T) {
	t.Parallel()
	if _, err := HashPassword(strings.Repeat("a", MaxPasswordBytes+1), testParams); err == nil {
		t.Fatal("want an error for an over-long password")
	}
	if _, err := HashPassword("pw", Params{}); err == nil {
		t.Fatal("want an error for zero parameters")
	}
}

func TestSessionCookieFlags(t *testing.T) {
	t.Parallel()
	for _, secure := range []bool{false, true} {
		rec := httptest.NewRecorder()
		SetSessionCookie(rec, "tok123", 2*time.Hour, secure)
		cs := rec.Result().Cookies()
		if len(cs) != 1 {
			t.Fatalf("got %d cookies", len(cs))
		}
		c := cs[0]
		if c.Name != CookieName(secure) || c.Value != "tok123" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode ||
			c.Secure != secure || c.Path != "/" || c.MaxAge != 7200 {
			t.Errorf("secure=%v: cookie %+v", secure, c)
		}
		req := httptest.NewRequest("GET", "/", nil)
		req.AddCookie(c)
		if got := SessionToken(req, secure); got != "tok123" {
			t.Errorf("SessionToken = %q", got)
		}
		if got := SessionToken(req, !secure); got != "" {
			t.Errorf("SessionToken with the other name = %q", got)
		}
		rec = httptest.NewRecorder()
		ClearSessionCookie(rec, secure)
		c = rec.Result().Cookies()[0]
		if c.MaxAge >= 0 || c.Value != "" {
			t.Errorf("clear cookie %+v does not expire it", c)
		}
	}
	if CookieName(true) != "__Host-gas_session" {
		t.Errorf("secure cookie name %q lacks the __Host- prefix", CookieName(true))
	}
	if got := SessionToken(httptest.NewRequest("GET", "/", nil), false); got != "" {
		t.Errorf("SessionToken without cookie = %q", got)
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewLimiter(10*time.Second, 3, clk.Now)
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("ip|a@x"); !ok {
			t.Fatalf("attempt %d refused within burst", i+1)
		}
	}
	ok, retry := l.Allow("ip|a@x")
	if ok || retry <= 0 || retry > 10*time.Second {
		t.Fatalf("4th attempt = %v, retry %v; want refused with 0<retry<=10s", ok, retry)
	}
	// Refused attempts must not push the next allowed one further out.
	for i := 0; i < 5; i++ {
		l.Allow("ip|a@x")
	}
	if ok, _ := l.Allow("ip|b@x"); !ok {
		t.Fatal("another key is limited by the first")
	}
	clk.Add(10 * time.Second)
	if ok, _ := l.Allow("ip|a@x"); !ok {
		t.Fatal("attempt after one refill period refused")
	}
	if ok, _ := l.Allow("ip|a@x"); ok {
		t.Fatal("second attempt after one refill period allowed")
	}
	// Idle keys are forgotten once their bucket would be full again.
	clk.Add(31 * time.Second)
	l.Allow("ip|c@x")
	if n := l.Len(); n != 1 {
		t.Fatalf("tracking %d keys after sweep, want 1", n)
	}
}

// BenchmarkVerifyPassword measures one sign-in's hashing cost with the
// production parameters.
func BenchmarkVerifyPassword(b *testing.B) {
	h, err := HashPassword("benchmark password", DefaultParams)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, err := VerifyPassword(h, "benchmark password"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func TestLimiterRefund(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{t: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)}
	l := NewLimiter(time.Second, 2, clk.Now)
	// Refunded attempts (checks that succeeded) never use the burst up.
	for i := 0; i < 10; i++ {
		if ok, _ := l.Allow("ip"); !ok {
			t.Fatalf("attempt %d refused although every earlier one was refunded", i+1)
		}
		l.Refund("ip")
	}
	l.Allow("ip")
	l.Allow("ip")
	ok, retry := l.Allow("ip")
	if ok || retry <= 0 || retry > time.Second {
		t.Fatalf("after two failures: ok=%v retry=%v", ok, retry)
	}
	// A refund never fills the bucket beyond its burst.
	clk.Add(time.Hour)
	l.Refund("ip")
	l.Refund("ip")
	for i := 0; i < 2; i++ {
		if ok, _ := l.Allow("ip"); !ok {
			t.Fatalf("attempt %d after an hour refused", i+1)
		}
	}
	if ok, _ := l.Allow("ip"); ok {
		t.Fatal("refunds raised the burst above 2")
	}
	// Refunding an unknown key is harmless, and a key whose every attempt
	// was refunded is not kept.
	l.Refund("never-seen")
	l.Allow("invented@example.org")
	l.Refund("invented@example.org")
	if l.Len() != 1 {
		t.Fatalf("tracking %d keys, want 1", l.Len())
	}
}
