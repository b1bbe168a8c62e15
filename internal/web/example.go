package web

import "github.com/gas-project/gas/refdata"

// exampleVCF returns the demo VCF submitted by "Try the example": the one
// that matches the demo reference bundle, so the example always annotates.
// An empty result hides the button.
func exampleVCF() []byte {
	return refdata.DemoVCF()
}
