package jobs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/refdata"
)

// BundleDir opens reference bundles from <dir>/<name> once and keeps them
// open for the life of the process: opening maps indexes, which is cheap to
// share and wasteful to repeat per job.
type BundleDir struct {
	dir  string
	open func(dir string) (*refdata.Bundle, error)

	mu      sync.Mutex
	bundles map[string]*bundleEntry
}

type bundleEntry struct {
	once sync.Once
	b    *refdata.Bundle
	err  error
}

// NewBundleDir serves bundles from dir using open (refdata.Open in production).
func NewBundleDir(dir string, open func(dir string) (*refdata.Bundle, error)) *BundleDir {
	return &BundleDir{dir: dir, open: open, bundles: map[string]*bundleEntry{}}
}

// Dir returns the folder holding the bundles.
func (d *BundleDir) Dir() string { return d.dir }

// ValidBundleName reports whether name can name a bundle folder: no path
// separators or leading dot, so it cannot point outside the bundle dir.
func ValidBundleName(name string) bool {
	return name != "" && len(name) <= 128 && !strings.ContainsAny(name, `/\`) && !strings.HasPrefix(name, ".")
}

// Bundle returns the opened bundle called name; ENOTFOUND when there is no
// such folder. A failed open is not cached, so a bundle installed later (or
// a transient I/O error) is picked up by the next job.
func (d *BundleDir) Bundle(ctx context.Context, name string) (*refdata.Bundle, error) {
	if !ValidBundleName(name) {
		return nil, gas.Errorf(gas.EINVALID, "Invalid reference bundle name %q.", name)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("jobs: bundle %s: %w", name, err)
	}
	path := filepath.Join(d.dir, name)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, &gas.Error{Code: gas.ENOTFOUND, Message: fmt.Sprintf("Reference bundle %q is not installed.", name), Err: err}
	}
	d.mu.Lock()
	e, ok := d.bundles[name]
	if !ok {
		e = &bundleEntry{}
		d.bundles[name] = e
	}
	d.mu.Unlock()
	e.once.Do(func() { e.b, e.err = d.open(path) })
	if e.err != nil {
		d.mu.Lock()
		if d.bundles[name] == e {
			delete(d.bundles, name)
		}
		d.mu.Unlock()
		return nil, fmt.Errorf("jobs: open bundle %s: %w", name, e.err)
	}
	return e.b, nil
}

// Close releases every opened bundle.
func (d *BundleDir) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []error
	for name, e := range d.bundles {
		if e.b != nil {
			if err := e.b.Close(); err != nil {
				errs = append(errs, fmt.Errorf("jobs: close bundle %s: %w", name, err))
			}
		}
		delete(d.bundles, name)
	}
	return errors.Join(errs...)
}
