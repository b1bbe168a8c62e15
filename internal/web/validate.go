package web

import "github.com/gas-project/gas"

// invalid is an EINVALID error whose message is shown to the user.
func invalid(msg string) error {
	return &gas.Error{Code: gas.EINVALID, Message: msg}
}
