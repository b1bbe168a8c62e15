package variantdb

// The loader's goroutine parses records and makes their rows; encoding the
// rows and filling pages (a fifth of the build) runs on a goroutine of its
// own, so a build uses a second core. Rows travel in batches: each batch
// is one byte buffer of rows in rowBuf form (rowbuf.go) and the row ends,
// and batches are recycled, so a row costs no allocation.

const asyncBatchRows = 1024

type asyncRow struct {
	t   *tableTree
	end int // the row's end in asyncBatch.data; it starts where the previous ends
}

type asyncBatch struct {
	data []byte
	rows []asyncRow
}

// asyncTrees feeds the bulk trees from one writer goroutine.
type asyncTrees struct {
	batch  *asyncBatch
	closed bool
	ch     chan *asyncBatch
	free   chan *asyncBatch
	done   chan struct{}
	err    error // the writer's first error, read after done
}

func newAsyncTrees() *asyncTrees {
	a := &asyncTrees{ch: make(chan *asyncBatch, 4), free: make(chan *asyncBatch, 6), done: make(chan struct{})}
	go a.run(a.ch)
	return a
}

func (a *asyncTrees) run(ch <-chan *asyncBatch) {
	defer close(a.done)
	for b := range ch {
		start := 0
		for _, r := range b.rows {
			if a.err == nil {
				a.err = r.t.addRow(b.data[start:r.end])
			}
			start = r.end
		}
		clear(b.rows)
		b.rows, b.data = b.rows[:0], b.data[:0]
		select {
		case a.free <- b:
		default:
		}
	}
}

// sink returns the rowSink that queues rows for t.
func (a *asyncTrees) sink(t *tableTree) rowSink { return asyncSink{a, t} }

type asyncSink struct {
	a *asyncTrees
	t *tableTree
}

func (s asyncSink) addRow(row []byte) error {
	a := s.a
	if a.batch == nil {
		select {
		case a.batch = <-a.free:
		default:
			a.batch = &asyncBatch{rows: make([]asyncRow, 0, asyncBatchRows)}
		}
	}
	b := a.batch
	b.data = append(b.data, row...)
	b.rows = append(b.rows, asyncRow{s.t, len(b.data)})
	if len(b.rows) == asyncBatchRows {
		a.send()
	}
	return nil
}

func (a *asyncTrees) send() {
	if a.batch != nil && len(a.batch.rows) > 0 {
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
