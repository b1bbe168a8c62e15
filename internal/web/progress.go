package web

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gas-project/gas"
)

// ProgressStore is what the live job pages read besides the job itself
// (sqldb.DB implements it): how far a running job has got, its place in
// the queue, and how fast recent jobs ran, for the estimates.
type ProgressStore interface {
	JobProgress(ctx context.Context, ids ...string) (map[string]gas.Progress, error)
	QueueAhead(ctx context.Context, jobID string) (int, error)
	RecentThroughput(ctx context.Context, n int) (gas.Throughput, error)
}

// throughputJobs is how many recent completions the estimates average.
const throughputJobs = 20

// live is the progress of one job as the pages and the status JSON show it.
type live struct {
	Done, Total int64         // records annotated, of the input's records (Total 0: unknown)
	Percent     int           // 0–100; -1 when the total is unknown
	Elapsed     time.Duration // since RUNNING (until completion for finished jobs)
	ETA         time.Duration // time left for a running job; -1 when not known yet
	QueueAhead  int           // PENDING jobs queued before this one; -1 when not known
	StartIn     time.Duration // estimated wait before a PENDING job starts; -1 when not known
	IndexKey    string        // the variant index blob, "" until built
	Text        string        // one line for people, e.g. "1,024 of 10,000 records (10%) · 0:12 elapsed · about 1:48 left"
}

// liveInfo reads the progress of jobs (all of them with one query); the
// queue and throughput reads are only done for a single PENDING or
// RUNNING job. A store failure leaves the figures unknown: the page still
// shows the job.
func (s *server) liveInfo(ctx context.Context, detail bool, jobs ...*gas.Job) map[string]*live {
	out := make(map[string]*live, len(jobs))
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	var ps map[string]gas.Progress
	if s.d.Progress != nil && len(ids) > 0 {
		var err error
		if ps, err = s.d.Progress.JobProgress(ctx, ids...); err != nil {
			s.logger.WarnContext(ctx, "read job progress", "err", err)
		}
	}
	now := s.now()
	for _, j := range jobs {
		p := ps[j.ID]
		l := &live{Total: p.InputRecords, Done: p.Records, Percent: -1, ETA: -1, QueueAhead: -1, StartIn: -1, IndexKey: p.IndexKey}
		switch {
		case j.State == gas.JobRunning:
			if !j.StartedAt.IsZero() {
				l.Elapsed = now.Sub(j.StartedAt)
			}
		case j.State.Annotated():
			l.Done = j.Records
			if l.Total < l.Done {
				l.Total = l.Done
			}
			if !j.StartedAt.IsZero() && !j.CompletedAt.IsZero() {
				l.Elapsed = j.CompletedAt.Sub(j.StartedAt)
			}
		case j.State == gas.JobPending:
			l.Done = 0
		}
		if l.Total > 0 {
			l.Done = min(l.Done, l.Total)
			l.Percent = int(100 * l.Done / l.Total)
		}
		out[j.ID] = l
	}
	if detail && len(jobs) == 1 && s.d.Progress != nil {
		s.estimate(ctx, jobs[0], out[jobs[0].ID], ps[jobs[0].ID], now)
	}
	for _, j := range jobs {
		out[j.ID].Text = out[j.ID].text(j.State)
	}
	return out
}

// estimate fills the queue place and the times left of one job.
func (s *server) estimate(ctx context.Context, j *gas.Job, l *live, p gas.Progress, now time.Time) {
	if !j.State.InProgress() {
		return
	}
	tp, err := s.d.Progress.RecentThroughput(ctx, throughputJobs)
	if err != nil {
		s.logger.LogAttrs(ctx, slog.LevelWarn, "read throughput", slog.String("err", err.Error()))
	}
	if j.State == gas.JobPending {
		n, err := s.d.Progress.QueueAhead(ctx, j.ID)
		if err != nil {
			s.logger.LogAttrs(ctx, slog.LevelWarn, "read queue position", slog.String("err", err.Error()))
			return
		}
		l.QueueAhead = n
		if n == 0 {
			l.StartIn = 0
		} else if tp.Jobs > 0 {
			// One worker at least: the jobs ahead take at most their
			// mean run each.
			l.StartIn = time.Duration(n) * tp.MeanRun
		}
		return
	}
	// RUNNING: this job's own pace once it has reported, else the recent pace.
	if l.Total <= 0 {
		return
	}
	left := l.Total - l.Done
	switch {
	case l.Done > 0 && !p.At.IsZero() && p.At.After(j.StartedAt):
		rate := float64(l.Done) / p.At.Sub(j.StartedAt).Seconds()
		l.ETA = max(0, time.Duration(float64(left)/rate*float64(time.Second))-now.Sub(p.At))
	case tp.RecordsPerSec > 0:
		l.ETA = max(0, time.Duration(float64(l.Total)/tp.RecordsPerSec*float64(time.Second))-l.Elapsed)
	}
}

// text is the one-line description of the progress.
func (l *live) text(state gas.JobState) string {
	switch {
	case state == gas.JobPending:
		switch {
		case l.QueueAhead < 0:
			return "Waiting in the queue."
		case l.QueueAhead == 0:
			return "Next in the queue: it starts as soon as a worker is free."
		case l.StartIn > 0:
			return fmt.Sprintf("Position %d in the queue (%d ahead); estimated start in about %s.", l.QueueAhead+1, l.QueueAhead, hms(l.StartIn))
		default:
			return fmt.Sprintf("Position %d in the queue (%d ahead).", l.QueueAhead+1, l.QueueAhead)
		}
	case state == gas.JobRunning:
		var t string
		if l.Total > 0 {
			t = fmt.Sprintf("%s of %s records (%d%%)", groupDigits(l.Done), groupDigits(l.Total), l.Percent)
		} else {
			t = groupDigits(l.Done) + " records"
		}
		t += " · " + hms(l.Elapsed) + " elapsed"
		if l.ETA >= 0 {
			t += " · about " + hms(l.ETA) + " left"
		}
		return t
	case state.Annotated():
		return fmt.Sprintf("%s records annotated in %s.", groupDigits(l.Done), hms(l.Elapsed))
	}
	return ""
}

// hms writes a duration as h:mm:ss or m:ss, rounded to the second.
func hms(d time.Duration) string {
	d = d.Round(time.Second)
	if d < 0 {
		d = 0
	}
	h, m, sec := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}

// groupDigits writes n with thousands separators (1,234,567).
func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// until says how far t is from now in words, for the archive countdown
// ("in 6 days 4 hours", "in 35 minutes", "now").
func until(t, now time.Time) string {
	d := t.Sub(now)
	if d <= 0 {
		return "now"
	}
	days, hours, mins := int(d/(24*time.Hour)), int(d/time.Hour)%24, int(d/time.Minute)%60
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case days > 0:
		return "in " + plural(days, "day") + " " + plural(hours, "hour")
	case hours > 0:
		return "in " + plural(hours, "hour") + " " + plural(mins, "minute")
	case mins > 0:
		return "in " + plural(mins, "minute")
	}
	return "in less than a minute"
}
