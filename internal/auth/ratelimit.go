package auth

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter throttles attempts per key (for sign-in: client IP + email) with a
// token bucket per key. It is safe for concurrent use. Keys idle long enough
// for their bucket to refill are dropped, so memory stays bounded by the
// number of keys active in one refill period.
type Limiter struct {
	every time.Duration
	burst int
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewLimiter allows burst attempts per key at once, then one per every.
// now is the clock (nil means time.Now); tests pass a fake one.
func NewLimiter(every time.Duration, burst int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	if burst < 1 {
		burst = 1
	}
	return &Limiter{every: every, burst: burst, now: now, buckets: map[string]*bucket{}}
}

// Allow takes one attempt for key and reports whether it is within the limit.
// When it is not, retryAfter says when the next attempt will be allowed.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, l.every
	}
	if d := r.DelayFrom(now); d > 0 {
		// Give the token back: a refused attempt must not push the
		// next allowed one further out.
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Blocked reports, without taking an attempt, whether the next attempt
// for key would be refused and when it would be allowed. Paired with Allow
// on failures only, it limits failed attempts while successes run free
// (the API's token checks).
func (l *Limiter) Blocked(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		return false, 0
	}
	if tokens := b.lim.TokensAt(now); tokens < 1 {
		return true, time.Duration((1 - tokens) * float64(l.every))
	}
	return false, 0
}

// sweep drops buckets that have been idle long enough to be full again,
// at most once per refill period so Allow stays O(1) amortised.
func (l *Limiter) sweep(now time.Time) {
	full := l.every * time.Duration(l.burst)
	if now.Sub(l.lastSweep) < full {
		return
	}
	l.lastSweep = now
	for k, b := range l.buckets {
		if now.Sub(b.seen) >= full {
			delete(l.buckets, k)
		}
	}
}

// Len returns the number of keys being tracked.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
