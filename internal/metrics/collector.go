package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gas-project/gas"
)

// Source is what the gauges read at scrape time (sqldb.DB implements it).
type Source interface {
	// CountJobs returns the number of jobs in each state that has some.
	CountJobs(ctx context.Context) (map[gas.JobState]int64, error)
	// CountNotifications returns the outbox rows in each delivery state.
	CountNotifications(ctx context.Context) (map[gas.DeliveryState]int64, error)
	// QueueDepths returns the unfinished work of every queue.
	QueueDepths(ctx context.Context) ([]gas.QueueDepth, error)
}

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

// dbCollector reads the gauges at scrape time. Every state and queue is
// reported, with 0 when empty, so dashboards and alerts see a 0 rather
// than a missing series.
type dbCollector struct {
	src    Source
	logger *slog.Logger
	now    func() time.Time
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

func (c *dbCollector) jobs(ctx context.Context, ch chan<- prometheus.Metric) error {
	n, err := c.src.CountJobs(ctx)
	if err != nil {
		return fmt.Errorf("jobs by state: %w", err)
	}
	for _, s := range gas.JobStates() {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(n[s]), string(s))
	}
	return nil
}

func (c *dbCollector) outbox(ctx context.Context, ch chan<- prometheus.Metric) error {
	n, err := c.src.CountNotifications(ctx)
	if err != nil {
		return fmt.Errorf("notifications by state: %w", err)
	}
	for _, s := range gas.DeliveryStates() {
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(n[s]), string(s))
	}
	return nil
}

func (c *dbCollector) queues(ctx context.Context, ch chan<- prometheus.Metric) error {
	depths, err := c.src.QueueDepths(ctx)
	if err != nil {
		return fmt.Errorf("queue depth: %w", err)
	}
	now := c.now()
	for _, d := range depths {
		for _, s := range gas.QueueStates() {
			ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(d.Jobs[s]), d.Queue, s)
		}
		age := 0.0
		if !d.OldestAvailable.IsZero() && now.After(d.OldestAvailable) {
			age = now.Sub(d.OldestAvailable).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(queueAgeDesc, prometheus.GaugeValue, age, d.Queue)
	}
	return nil
}
