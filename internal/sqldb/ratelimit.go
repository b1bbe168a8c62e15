package sqldb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/gas-project/gas/internal/auth"
)

// Rate limits in the database (docs/deploy.md, "Rate limits"): the same
// token buckets as auth.Limiter, one row per (limit, key), so that sign-in
// and token failures count across every web and API server sharing the
// database instead of each server allowing its own burst.

// RateLimiter returns the limit called name, kept in the database: burst
// attempts per key at once, then one per every, on the clock now (nil:
// the DB's). It is an auth.LimiterFunc.
func (db *DB) RateLimiter(name string, every time.Duration, burst int, now func() time.Time) auth.RateLimiter {
	if now == nil {
		now = db.now
	}
	return &sqlLimiter{db: db, name: name, every: max(every, time.Microsecond), burst: max(burst, 1), now: now}
}

type sqlLimiter struct {
	db    *DB
	name  string
	every time.Duration
	burst int
	now   func() time.Time
	calls atomic.Uint64 // Allow calls, to sweep every sweepEvery-th
}

// limiterTimeout bounds one check: a database too slow to answer lets the
// attempt through rather than holding the request.
const limiterTimeout = 5 * time.Second

// Allow takes an attempt for key. A refused attempt takes nothing. When
// the database cannot be reached the attempt is allowed (and logged): the
// limit is a brake on guessing, and the guess needs the database anyway.
func (l *sqlLimiter) Allow(key string) (bool, time.Duration) {
	key = bucketOf(key)
	ctx, cancel := context.WithTimeout(context.Background(), limiterTimeout)
	defer cancel()
	now := l.now()
	ok, retry := true, time.Duration(0)
	err := l.db.inTx(ctx, func(tx *sql.Tx) error {
		tokens, err := l.refill(ctx, tx, key, now)
		if err != nil {
			return err
		}
		if tokens < 1 {
			ok, retry = false, time.Duration(math.Ceil((1-tokens)*float64(l.every)))
			return nil
		}
		return l.store(ctx, tx, key, tokens-1, now)
	})
	if err != nil {
		l.db.logger.Warn("rate limit: database unavailable, attempt allowed", slog.String("limit", l.name), slog.String("err", err.Error()))
		return true, 0
	}
	if l.calls.Add(1)%sweepEvery == 0 {
		l.sweep(ctx, now)
	}
	return ok, retry
}

// Refund gives back an attempt Allow took; a bucket full again is
// forgotten, as auth.Limiter forgets it.
func (l *sqlLimiter) Refund(key string) {
	key = bucketOf(key)
	ctx, cancel := context.WithTimeout(context.Background(), limiterTimeout)
	defer cancel()
	now := l.now()
	err := l.db.inTx(ctx, func(tx *sql.Tx) error {
		tokens, err := l.refill(ctx, tx, key, now)
		if err != nil {
			return err
		}
		if tokens+1 >= float64(l.burst) {
			_, err := tx.ExecContext(ctx, l.db.q(`DELETE FROM rate_limits WHERE name = ? AND bucket = ?`), l.name, key)
			return err
		}
		return l.store(ctx, tx, key, tokens+1, now)
	})
	if err != nil {
		l.db.logger.Warn("rate limit: database unavailable, refund lost", slog.String("limit", l.name), slog.String("err", err.Error()))
	}
}

// bucketOf is the row key of a limit's key: a hash, so that what was typed
// at a failed sign-in (an email, perhaps someone else's) or a client
// address is not kept in the database.
func bucketOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// refill returns key's tokens brought up to now, holding its row for the
// rest of tx (a key without a row has a full bucket).
func (l *sqlLimiter) refill(ctx context.Context, tx *sql.Tx, key string, now time.Time) (float64, error) {
	// Make sure the row exists, so that two servers checking the same new
	// key both wait on one row instead of both inserting a full bucket.
	if _, err := tx.ExecContext(ctx, l.db.q(`INSERT INTO rate_limits (name, bucket, tokens, at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name, bucket) DO NOTHING`), l.name, key, float64(l.burst), micro(now)); err != nil {
		return 0, err
	}
	var tokens float64
	var at int64
	if err := tx.QueryRowContext(ctx, l.db.q(`SELECT tokens, at FROM rate_limits WHERE name = ? AND bucket = ?`+l.db.d.lockRow),
		l.name, key).Scan(&tokens, &at); err != nil {
		return 0, err
	}
	if d := micro(now) - at; d > 0 {
		tokens = math.Min(float64(l.burst), tokens+float64(d)/float64(l.every.Microseconds()))
	}
	return tokens, nil
}

func (l *sqlLimiter) store(ctx context.Context, tx *sql.Tx, key string, tokens float64, now time.Time) error {
	_, err := tx.ExecContext(ctx, l.db.q(`UPDATE rate_limits SET tokens = ?, at = ? WHERE name = ? AND bucket = ?`),
		tokens, micro(now), l.name, key)
	return err
}

// sweepEvery: one Allow in this many also deletes the limit's rows idle
// long enough to be full again, so the table holds only keys with recent
// failures.
const sweepEvery = 64

func (l *sqlLimiter) sweep(ctx context.Context, now time.Time) {
	full := l.every * time.Duration(l.burst)
	if _, err := l.db.sql.ExecContext(ctx, l.db.q(`DELETE FROM rate_limits WHERE name = ? AND at < ?`),
		l.name, micro(now.Add(-full))); err != nil {
		l.db.logger.Warn("rate limit: sweep failed", slog.String("limit", l.name), slog.String("err", err.Error()))
	}
}
