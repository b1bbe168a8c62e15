package refinstall

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// BarMeter returns a Meter factory drawing a progress bar (bytes, rate,
// ETA) on w. Use it only when w is a terminal: the bar redraws one line
// with carriage returns, which makes a mess of a log file.
func BarMeter(w io.Writer) func(name string) Meter {
	return func(name string) Meter { return &barMeter{w: w, name: name} }
}

type barMeter struct {
	w    io.Writer
	name string
	bar  *progressbar.ProgressBar
}

// Start draws a new bar for the bytes still to come. A resumed download
// shows only the remainder, so that the rate and ETA are those of this
// transfer rather than inflated by the bytes already on disk.
func (m *barMeter) Start(offset, remaining int64) {
	if m.bar != nil {
		_ = m.bar.Exit()
		fmt.Fprintln(m.w)
	}
	desc := m.name
	if offset > 0 {
		desc = fmt.Sprintf("%s (resumed at %s)", m.name, humanBytes(offset))
	}
	m.bar = progressbar.NewOptions64(remaining,
		progressbar.OptionSetWriter(m.w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(m.w) }),
	)
}

func (m *barMeter) Add(n int) {
	if m.bar != nil {
		_ = m.bar.Add(n)
	}
}

func (m *barMeter) Finish() {
	if m.bar != nil {
		_ = m.bar.Finish()
		m.bar = nil
	}
}

// humanBytes formats a byte count with binary units.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// BuildBars returns a refdata.BuildOptions.Progress that draws one byte
// progress bar per build stage on w (a terminal).
func BuildBars(w io.Writer) func(stage string, done, total int64) {
	var (
		bar  *progressbar.ProgressBar
		last string
	)
	return func(stage string, done, total int64) {
		if stage != last {
			if bar != nil {
				_ = bar.Finish()
			}
			last = stage
			max := total
			if max <= 0 {
				max = -1 // unknown size: a spinner
			}
			bar = progressbar.NewOptions64(max,
				progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription("build: "+stage),
				progressbar.OptionShowBytes(true),
				progressbar.OptionShowTotalBytes(true),
				progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionUseIECUnits(true),
				progressbar.OptionSetWidth(30),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionSpinnerType(14),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
			)
		}
		_ = bar.Set64(done)
		if total > 0 && done >= total {
			_ = bar.Finish()
		}
	}
}

// BuildLines returns a refdata.BuildOptions.Progress that prints one line
// per build stage: byte counts change too often for a log.
func BuildLines(w io.Writer) func(stage string, done, total int64) {
	last := ""
	return func(stage string, done, total int64) {
		if stage != last {
			last = stage
			if total > 0 {
				fmt.Fprintf(w, "  build: %s (%s)\n", stage, humanBytes(total))
			} else {
				fmt.Fprintf(w, "  build: %s\n", stage)
			}
		}
	}
}
