package web

// exampleVCF returns the demo VCF submitted by "Try the example", or nil
// while no demo is available, which hides the button.
func exampleVCF() []byte {
	return nil
}
