package annotate

import (
	"cmp"

	"github.com/gas-project/gas/refdata"
)

// transcriptLister is what a reference offers when it can list every
// transcript (a bundle does); the canonical and mane modes need it to fall
// back when the gene model carries no tags.
type transcriptLister interface {
	Transcripts() []refdata.Transcript
}

// modeFallback decides how the canonical and mane modes choose transcripts
// when the gene model has none with the tag they ask for (a GTF without
// tags, a RefSeq or a non-Ensembl model): they must never report every
// variant as intergenic. In order:
//
//   - canonical without Ensembl_canonical tags takes the MANE_Select
//     transcripts, and mane without MANE_Select tags the Ensembl_canonical
//     ones (every MANE Select transcript is Ensembl canonical);
//   - with neither tag, one transcript per gene (GeneID; a transcript
//     without one is its own gene): protein_coding with a complete CDS
//     first, then the longest CDS, then the longest transcript (exonic
//     bases), then the smallest ID — an approximation of how Ensembl picks
//     its canonical transcript.
//
// It returns nil when the mode needs no fallback (the tag is there, or the
// mode is not canonical/mane), else the chosen transcripts by Index and the
// warning that says so, for the header and the Summary.
func modeFallback(ref reference, mode TranscriptMode) (chosen []bool, warning string) {
	if mode != Canonical && mode != MANESelect {
		return nil, ""
	}
	l, ok := ref.(transcriptLister)
	if !ok {
		return nil, ""
	}
	txs := l.Transcripts()
	hasCanonical, hasMANE := false, false
	for i := range txs {
		hasCanonical = hasCanonical || txs[i].Canonical
		hasMANE = hasMANE || txs[i].MANESelect
	}
	tag, other, otherTag := "Ensembl_canonical", "MANE_Select", hasMANE
	if mode == MANESelect {
		tag, other, otherTag = "MANE_Select", "Ensembl_canonical", hasCanonical
	}
	if (mode == Canonical && hasCanonical) || (mode == MANESelect && hasMANE) || len(txs) == 0 {
		return nil, ""
	}
	chosen = make([]bool, maxIndex(txs)+1)
	if otherTag {
		for i := range txs {
			t := &txs[i]
			chosen[t.Index] = (mode == Canonical && t.MANESelect) || (mode == MANESelect && t.Canonical)
		}
		return chosen, "transcript mode " + string(mode) + ": the gene model has no " + tag +
			" tags; reporting the " + other + " transcripts instead"
	}
	best := map[string]*refdata.Transcript{}
	for i := range txs {
		t := &txs[i]
		g := t.GeneID
		if g == "" {
			g = "\x00" + t.ID
		}
		if b, ok := best[g]; !ok || representative(t, b) {
			best[g] = t
		}
	}
	for _, t := range best {
		chosen[t.Index] = true
	}
	// (No commas: the text also goes into a ##gas_transcripts header line.)
	return chosen, "transcript mode " + string(mode) + ": the gene model has neither Ensembl_canonical nor " +
		"MANE_Select tags; reporting one transcript per gene instead (protein_coding with a complete CDS first; " +
		"then the longest CDS; the longest transcript; the smallest ID)"
}

// representative orders the transcripts of a gene for modeFallback: true
// when a comes before b.
func representative(a, b *refdata.Transcript) bool {
	ca, cb := completeCoding(a), completeCoding(b)
	if ca != cb {
		return ca
	}
	if c := cmp.Compare(codingBases(a), codingBases(b)); c != 0 {
		return c > 0
	}
	if c := cmp.Compare(exonBases(a), exonBases(b)); c != 0 {
		return c > 0
	}
	return a.ID < b.ID
}

func completeCoding(t *refdata.Transcript) bool {
	return t.Biotype == "protein_coding" && t.Coding() && !t.StartIncomplete && !t.EndIncomplete
}

// codingBases counts the exonic bases between the CDS ends (0 without CDS).
func codingBases(t *refdata.Transcript) int {
	if !t.Coding() {
		return 0
	}
	n := 0
	for _, x := range t.Exons {
		if a, b := max(x.Start, t.CDSStart), min(x.End, t.CDSEnd); b >= a {
			n += b - a + 1
		}
	}
	return n
}

func exonBases(t *refdata.Transcript) int {
	n := 0
	for _, x := range t.Exons {
		n += x.End - x.Start + 1
	}
	return n
}

func maxIndex(txs []refdata.Transcript) int {
	m := 0
	for i := range txs {
		m = max(m, txs[i].Index)
	}
	return m
}
