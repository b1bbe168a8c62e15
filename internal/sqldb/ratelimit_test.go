package sqldb

import (
	"sync"
	"testing"
	"time"
)

// TestRateLimiterStore: the database's rate limits behave as auth.Limiter
// (burst, then one per period; a refusal takes nothing and says when to
// come back; Refund gives an attempt back and forgets a full bucket) and
// are shared: two limiters of the same name — two servers — count
// together, other names apart, and parallel attempts never pass more than
// the burst. On every engine.
func TestRateLimiterStore(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]opener{"sqlite": openSQLiteForTest, "postgres": openPostgresForTest} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, open)
			now := f.clock.Now
			a := f.db.RateLimiter("web.signin.account", 10*time.Second, 3, now)
			b := f.db.RateLimiter("web.signin.account", 10*time.Second, 3, now) // another server
			other := f.db.RateLimiter("api.token.address", 10*time.Second, 3, now)

			for i, l := range []interface {
				Allow(string) (bool, time.Duration)
			}{a, b, a} {
				if ok, _ := l.Allow("x@example.org"); !ok {
					t.Fatalf("attempt %d of a burst of 3 refused", i+1)
				}
			}
			ok, retry := b.Allow("x@example.org")
			if ok || retry != 10*time.Second {
				t.Fatalf("4th attempt across two servers: ok=%v retry=%v, want refused for 10s", ok, retry)
			}
			if ok, _ := other.Allow("x@example.org"); !ok {
				t.Fatal("another limit's bucket for the same key was used up")
			}
			if ok, _ := a.Allow("y@example.org"); !ok {
				t.Fatal("another key was refused")
			}
			f.clock.Add(4 * time.Second)
			if ok, retry := a.Allow("x@example.org"); ok || retry != 6*time.Second {
				t.Fatalf("after 4 s: ok=%v retry=%v, want refused for 6 s (a refusal takes nothing)", ok, retry)
			}
			f.clock.Add(6 * time.Second)
			if ok, _ := b.Allow("x@example.org"); !ok {
				t.Fatal("one attempt refilled after 10 s, refused")
			}
			if ok, _ := a.Allow("x@example.org"); ok {
				t.Fatal("a second attempt passed after one period")
			}
			// Refund: a success gives the attempt back.
			a.Refund("x@example.org")
			if ok, _ := b.Allow("x@example.org"); !ok {
				t.Fatal("refunded attempt refused")
			}
			// A full bucket is forgotten.
			count := func(limit string) int {
				t.Helper()
				var n int
				if err := f.db.sql.QueryRow(f.db.q(`SELECT COUNT(*) FROM rate_limits WHERE name = ?`), limit).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := count("web.signin.account"); n != 2 {
				t.Fatalf("%d buckets for two keys", n)
			}
			a.Refund("y@example.org")
			if n := count("web.signin.account"); n != 1 {
				t.Fatalf("full bucket kept: %d buckets left, want 1", n)
			}
			// What was typed is not stored, only its hash.
			var raw int
			if err := f.db.sql.QueryRow(`SELECT COUNT(*) FROM rate_limits WHERE bucket LIKE '%@%'`).Scan(&raw); err != nil || raw != 0 {
				t.Fatalf("%d rows keep the key as typed (%v)", raw, err)
			}

			// Parallel attempts on a fresh key: exactly the burst passes.
			c := f.db.RateLimiter("web.bearer.address", time.Hour, 5, now)
			var mu sync.Mutex
			passed := 0
			var wg sync.WaitGroup
			for i := 0; i < 20; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if ok, _ := c.Allow("198.51.100.9"); ok {
						mu.Lock()
						passed++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if passed != 5 {
				t.Fatalf("%d of 20 parallel attempts passed a burst of 5", passed)
			}
		})
	}
}
