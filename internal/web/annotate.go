package web

import (
	"net/http"
	"strings"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
)

// modeOption is one choice of the transcript mode select.
type modeOption struct {
	Value, Label string
	Selected     bool
}

// transcriptModes are the engine's modes in the order the form lists them.
var transcriptModes = []struct {
	mode         annotate.TranscriptMode
	label, short string
}{
	{annotate.AllTranscripts, "All overlapping transcripts", "all"},
	{annotate.Canonical, "Canonical transcripts only (Ensembl canonical)", "canonical"},
	{annotate.MANESelect, "MANE Select transcripts only", "MANE Select"},
	{annotate.Pick, "One per variant: most severe, then canonical, then longest", "one per variant"},
}

// parseMode maps a form value to a transcript mode; empty means all.
func parseMode(v string) (annotate.TranscriptMode, bool) {
	if v == "" {
		return annotate.AllTranscripts, true
	}
	for _, m := range transcriptModes {
		if string(m.mode) == v {
			return m.mode, true
		}
	}
	return "", false
}

// modeLabel is the words shown for a mode on the job page.
func modeLabel(m annotate.TranscriptMode) string {
	for _, t := range transcriptModes {
		if t.mode == m {
			return t.label
		}
	}
	return string(m)
}

// modeShort is the words for a mode in the job list.
func modeShort(m annotate.TranscriptMode) string {
	for _, t := range transcriptModes {
		if t.mode == m {
			return t.short
		}
	}
	return string(m)
}

// annotateView is the model of the upload page.
type annotateView struct {
	base
	Modes            []modeOption
	PlanName, Limit  string
	ExampleAvailable bool
	// Direct: the form's script sends the file straight to object storage.
	Direct bool
	// Bundles to choose from (empty: only the default, no choice shown).
	Bundles []bundleOption
	// Bundle is the only bundle when there is no choice, for the form to
	// say what it covers; nil when several are offered.
	Bundle *bundleOption
	Error  string
	Notice string
	// Paste is the text of the paste box, kept when it was refused.
	Paste string
}

func (s *server) annotateForm(w http.ResponseWriter, r *http.Request, u *gas.User) {
	v := s.annotateView(r, u, annotate.AllTranscripts)
	if r.URL.Query().Get("cancelled") == "1" {
		v.Notice = "The upload was cancelled and its file deleted."
	}
	s.render(w, r, http.StatusOK, "annotate", v)
}

func (s *server) annotateView(r *http.Request, u *gas.User, selected annotate.TranscriptMode) annotateView {
	v := annotateView{
		base:             s.baseFor(r, "Annotate"),
		PlanName:         planName(u.Plan),
		Limit:            formatBytes(s.uploadLimit(u)),
		ExampleAvailable: len(s.example) > 0,
		Direct:           s.d.Presigner != nil,
	}
	// Each bundle is offered with what it covers, so nobody annotates a
	// BRCA1 variant with a bundle of chr21 by accident.
	offered := s.cfg.Bundles
	if len(offered) == 0 && s.cfg.DefaultBundle != "" {
		offered = []string{s.cfg.DefaultBundle}
	}
	for _, b := range offered {
		o := bundleOption{Value: b, Label: b, Selected: b == s.cfg.DefaultBundle, Covers: s.bundleCovers(r.Context(), b)}
		if o.Covers != "" {
			o.Label += " — " + o.Covers
		} else if a := s.bundleAssembly(r.Context(), b); a != "" {
			o.Label += " (" + a + ")"
		}
		if len(offered) == 1 {
			v.Bundle = &o
			break
		}
		v.Bundles = append(v.Bundles, o)
	}
	for _, m := range transcriptModes {
		v.Modes = append(v.Modes, modeOption{Value: string(m.mode), Label: m.label, Selected: m.mode == selected})
	}
	return v
}

// uploadLimit is the largest upload the user's plan allows.
func (s *server) uploadLimit(u *gas.User) int64 {
	if u.Plan == gas.PlanPremium {
		return s.cfg.PremiumUploadLimit
	}
	return s.cfg.FreeUploadLimit
}

func planName(p gas.Plan) string {
	if p == gas.PlanPremium {
		return "Premium"
	}
	return "Free"
}

// bundleOption is one reference bundle of the upload form. Label is the
// name with what the bundle covers (or its assembly when the site cannot
// read the bundle).
type bundleOption struct {
	Value, Label string
	Covers       string
	Selected     bool
}

// chosenBundle checks the bundle named in an upload: empty is the default;
// an unknown one is refused (the form only offers the configured ones).
func (s *server) chosenBundle(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || name == s.cfg.DefaultBundle {
		return s.cfg.DefaultBundle, nil
	}
	for _, b := range s.cfg.Bundles {
		if b == name {
			return b, nil
		}
	}
	return "", invalid("Unknown reference bundle.")
}
