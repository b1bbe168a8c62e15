package vcf

import "strconv"

// ParseError describes malformed or unreadable input. Line is the 1-based
// line number in the decompressed file (header lines included), or 0 when the
// problem is not tied to a line (for example a corrupt gzip header).
type ParseError struct {
	Line int64
	Msg  string
}

// Error formats the error as "line N: msg", or just msg when Line is 0.
func (e *ParseError) Error() string {
	if e.Line > 0 {
		return "line " + strconv.FormatInt(e.Line, 10) + ": " + e.Msg
	}
	return e.Msg
}

// quote renders an offending value for an error message: quoted, with
// control bytes escaped, and shortened so that a 10 MB garbage field does
// not become a 10 MB error message.
func quote(b []byte) string {
	const max = 40
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "..."
	}
	return strconv.Quote(string(b))
}
