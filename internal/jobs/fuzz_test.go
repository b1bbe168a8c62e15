package jobs_test

import (
	"testing"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/jobs"
)

// FuzzParseJobOptions: any stored options either parse to a valid engine
// choice or give a user-facing EINVALID, never a panic.
func FuzzParseJobOptions(f *testing.F) {
	for _, s := range []string{"", "{}", `{"transcripts":"pick"}`, `{"on_error":"skip","transcript_ids":["ENST1"," "]}`, `{"x":1}`, `[`, `null`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		opt, err := jobs.ParseJobOptions(s)
		if err != nil {
			if gas.ErrorCode(err) != gas.EINVALID {
				t.Fatalf("error code %q for %q", gas.ErrorCode(err), s)
			}
			return
		}
		switch opt.Transcripts {
		case annotate.AllTranscripts, annotate.Canonical, annotate.MANESelect, annotate.Pick:
		default:
			t.Fatalf("transcripts %q from %q", opt.Transcripts, s)
		}
		if opt.OnError != annotate.Stop && opt.OnError != annotate.Skip {
			t.Fatalf("on_error %q from %q", opt.OnError, s)
		}
		for _, id := range opt.TranscriptIDs {
			if id == "" {
				t.Fatalf("empty transcript ID from %q", s)
			}
		}
	})
}
