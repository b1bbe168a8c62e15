package variantdb

// The loader's goroutine parses records and makes their rows; encoding the
// rows and filling pages (a fifth of the build) runs on a goroutine of its
// own, so a build uses a second core. Rows travel in batches; the values
// are not copied (each add gets a fresh slice, and the strings in it are
// immutable).

const asyncBatchRows = 1024

type asyncRow struct {
	t    bulkTree
	vals []any
}

// asyncTrees feeds the bulk trees from one writer goroutine.
type asyncTrees struct {
	batch  []asyncRow
	closed bool
	ch     chan []asyncRow
	free   chan []asyncRow
	done   chan struct{}
	err    error // the writer's first error, read after done
}

func newAsyncTrees() *asyncTrees {
	a := &asyncTrees{ch: make(chan []asyncRow, 4), free: make(chan []asyncRow, 6), done: make(chan struct{})}
	go a.run(a.ch)
	return a
}

func (a *asyncTrees) run(ch <-chan []asyncRow) {
	defer close(a.done)
	for b := range ch {
		for i, r := range b {
			if a.err == nil {
				a.err = r.t.add(r.vals...)
			}
			b[i] = asyncRow{}
		}
		select {
		case a.free <- b[:0]:
		default:
		}
	}
}

// sink returns the rowSink that queues rows for t.
func (a *asyncTrees) sink(t bulkTree) rowSink { return asyncSink{a, t} }

type asyncSink struct {
	a *asyncTrees
	t bulkTree
}

func (s asyncSink) add(vals ...any) error {
	a := s.a
	if a.batch == nil {
		select {
		case a.batch = <-a.free:
		default:
			a.batch = make([]asyncRow, 0, asyncBatchRows)
		}
	}
	a.batch = append(a.batch, asyncRow{s.t, vals})
	if len(a.batch) == asyncBatchRows {
		a.send()
	}
	return nil
}

func (a *asyncTrees) send() {
	if len(a.batch) > 0 {
		a.ch <- a.batch
	}
	a.batch = nil
}

// wait sends what is queued, stops the writer and returns its first error.
func (a *asyncTrees) wait() error {
	if !a.closed {
		a.send()
		close(a.ch)
		a.closed = true
	}
	<-a.done
	return a.err
}
