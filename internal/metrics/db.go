package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gas-project/gas"
)

var (
	jobsDesc = prometheus.NewDesc("gas_jobs",
		"Annotation jobs by state, read from the database.", []string{"state"}, nil)
	queueDesc = prometheus.NewDesc("gas_queue_jobs",
		"Queued work by queue and River state (available = waiting for a worker).", []string{"queue", "state"}, nil)
	queueAgeDesc = prometheus.NewDesc("gas_queue_oldest_age_seconds",
		"Age of the oldest job waiting for a worker, by queue (0 when none waits).", []string{"queue"}, nil)
	outboxDesc = prometheus.NewDesc("gas_notifications",
		"Notification emails by delivery state; PENDING is the outbox backlog, FAILED needs an admin.", []string{"state"}, nil)
	scrapeErrDesc = prometheus.NewDesc("gas_metrics_scrape_errors",
		"1 when a database read for this scrape failed (the other gauges may be missing).", nil, nil)
)

// The queues GAS always has, reported even while empty so dashboards and
// alerts see a 0 rather than a missing series.
var knownQueues = []string{"annotate", "notify", "lifecycle"}

// dbCollector reads the gauges at scrape time.
type dbCollector struct {
	db      *sql.DB
	dialect string // "sqlite" or "postgres": placeholders differ
	logger  *slog.Logger
	now     func() time.Time
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobsDesc
	ch <- queueDesc
	ch <- queueAgeDesc
	ch <- outboxDesc
	ch <- scrapeErrDesc
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	failed := 0.0
	for _, read := range []func(context.Context, chan<- prometheus.Metric) error{c.jobs, c.queues, c.outbox} {
		if err := read(ctx, ch); err != nil {
			c.logger.Warn("metrics: database read failed", "err", err)
			failed = 1
		}
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, failed)
}

// counts runs a GROUP BY query whose rows are (labels…, count).
func (c *dbCollector) counts(ctx context.Context, query string, nlabels int) (map[string]float64, error) {
	rows, err := c.db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		labels := make([]string, nlabels)
		dest := make([]any, 0, nlabels+1)
		for i := range labels {
			dest = append(dest, &labels[i])
		}
		var n int64
		dest = append(dest, &n)
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		out[strings.Join(labels, "\x00")] = float64(n)
	}
	return out, rows.Err()
}

func (c *dbCollector) jobs(ctx context.Context, ch chan<- prometheus.Metric) error {
	n, err := c.counts(ctx, `SELECT state, COUNT(*) FROM jobs GROUP BY state`, 1)
	if err != nil {
		return fmt.Errorf("jobs by state: %w", err)
	}
	for _, s := range gas.JobStates() {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, n[string(s)], string(s))
	}
	return nil
}

func (c *dbCollector) outbox(ctx context.Context, ch chan<- prometheus.Metric) error {
	n, err := c.counts(ctx, `SELECT state, COUNT(*) FROM notifications GROUP BY state`, 1)
	if err != nil {
		return fmt.Errorf("notifications by state: %w", err)
	}
	for _, s := range gas.DeliveryStates() {
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, n[string(s)], string(s))
	}
	return nil
}

func (c *dbCollector) queues(ctx context.Context, ch chan<- prometheus.Metric) error {
	states := []string{"available", "scheduled", "retryable", "running"}
	n, err := c.counts(ctx, `SELECT queue, state, COUNT(*) FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable', 'running') GROUP BY queue, state`, 2)
	if err != nil {
		return fmt.Errorf("queue depth: %w", err)
	}
	queues := map[string]bool{}
	for _, q := range knownQueues {
		queues[q] = true
	}
	for k := range n {
		q, _, _ := strings.Cut(k, "\x00")
		queues[q] = true
	}
	oldest := `SELECT scheduled_at FROM river_job WHERE state = 'available' AND queue = ? ORDER BY scheduled_at LIMIT 1`
	if c.dialect == "postgres" {
		oldest = strings.Replace(oldest, "?", "$1", 1)
	}
	now := c.now()
	for q := range queues {
		for _, s := range states {
			ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, n[q+"\x00"+s], q, s)
		}
		age := 0.0
		if n[q+"\x00available"] > 0 {
			var v any
			if err := c.db.QueryRowContext(ctx, oldest, q).Scan(&v); err != nil && err != sql.ErrNoRows {
				return fmt.Errorf("queue age: %w", err)
			}
			if t, ok := asTime(v); ok && now.After(t) {
				age = now.Sub(t).Seconds()
			}
		}
		ch <- prometheus.MustNewConstMetric(queueAgeDesc, prometheus.GaugeValue, age, q)
	}
	return nil
}

// asTime reads a timestamp column: drivers return time.Time for declared
// timestamp columns, but SQLite may hand back the stored text.
func asTime(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, true
	case []byte:
		return asTime(string(t))
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
			if p, err := time.Parse(layout, t); err == nil {
				return p, true
			}
		}
	}
	return time.Time{}, false
}
