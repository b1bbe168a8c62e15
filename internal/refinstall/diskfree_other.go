//go:build !(linux || darwin || freebsd)

package refinstall

import "errors"

// freeSpace is not implemented here: the install says so and goes on.
func freeSpace(string) (int64, error) {
	return 0, errors.ErrUnsupported
}
