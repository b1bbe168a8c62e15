package auth

import (
	"math"
	"sync"
	"time"
)

// RateLimiter is what the front ends ask of a rate limit: take an attempt
// for a key, and give one back. Limiter keeps its buckets in the process;
// a store's (sqldb.DB.RateLimiter) keeps them in the database, so that
// every web and API server in front of it counts together.
type RateLimiter interface {
	Allow(key string) (ok bool, retryAfter time.Duration)
	Refund(key string)
}

// LimiterFunc makes a rate limit: burst attempts per key at once, then
// one per every, on the clock now. name keeps its keys apart from other
// limits' (one name per limit and front end).
type LimiterFunc func(name string, every time.Duration, burst int, now func() time.Time) RateLimiter

// MemoryLimiters is the LimiterFunc of limits kept in the process.
func MemoryLimiters(_ string, every time.Duration, burst int, now func() time.Time) RateLimiter {
	return NewLimiter(every, burst, now)
}

// Limiter throttles attempts per key with a token bucket per key: burst
// attempts at once, then one per every. It is safe for concurrent use.
// Keys idle long enough for their bucket to refill are dropped, so memory
// stays bounded by the number of keys active in one refill period.
//
// To limit failures rather than attempts (sign-in, API tokens), take an
// attempt before the check and Refund it when the check succeeds: taking
// first keeps parallel requests from all passing a look-only test before
// any failure is counted.
type Limiter struct {
	every time.Duration
	burst int
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

// bucket holds the attempts left at time at.
type bucket struct {
	tokens float64
	at     time.Time
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
	if every <= 0 {
		every = time.Nanosecond
	}
	return &Limiter{every: every, burst: burst, now: now, buckets: map[string]*bucket{}}
}

// refill returns key's bucket brought up to now (nil for an untracked key,
// whose bucket is full).
func (l *Limiter) refill(key string, now time.Time) *bucket {
	b := l.buckets[key]
	if b == nil {
		return nil
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = math.Min(float64(l.burst), b.tokens+float64(d)/float64(l.every))
		b.at = now
	}
	return b
}

// Allow takes one attempt for key and reports whether it is within the limit.
// When it is not, retryAfter says when the next attempt will be allowed; a
// refused attempt takes nothing, so it does not push that time further out.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.refill(key, now)
	if b == nil {
		b = &bucket{tokens: float64(l.burst), at: now}
		l.buckets[key] = b
	}
	if b.tokens < 1 {
		return false, time.Duration(math.Ceil((1 - b.tokens) * float64(l.every)))
	}
	b.tokens--
	return true, 0
}

// Refund gives back an attempt Allow took, for a check that succeeded. A
// bucket that is full again is forgotten at once: keys a client invents
// (emails typed at sign-in) then cost memory only while they have failures.
func (l *Limiter) Refund(key string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.refill(key, now); b != nil {
		b.tokens = math.Min(float64(l.burst), b.tokens+1)
		if b.tokens >= float64(l.burst) {
			delete(l.buckets, key)
		}
	}
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
		if now.Sub(b.at) >= full {
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
