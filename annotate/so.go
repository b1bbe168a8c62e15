package annotate

// term is one Sequence Ontology consequence term. Terms are numbered in
// decreasing order of severity (the Ensembl VEP ranking), so the most severe
// term of a set is its lowest set bit and a set renders in severity order by
// walking the bits upwards.
type term uint8

// Consequence terms, most severe first.
const (
	soTranscriptAblation term = iota
	soSpliceAcceptor
	soSpliceDonor
	soStopGained
	soFrameshift
	soStopLost
	soStartLost
	soTranscriptAmplification
	soFeatureElongation
	soFeatureTruncation
	soInframeInsertion
	soInframeDeletion
	soMissense
	soProteinAltering
	soSpliceDonor5th
	soSpliceRegion
	soSpliceDonorRegion
	soSplicePolypyrimidine
	soIncompleteTerminalCodon
	soStartRetained
	soStopRetained
	soSynonymous
	soCodingSequence
	soUTR5
	soUTR3
	soNonCodingExon
	soIntron
	soNMDTranscript
	soNonCodingTranscript
	soCodingTranscript
	soUpstream
	soDownstream
	soIntergenic
	numTerms
)

// Impact classes, most severe first.
const (
	impactHigh     = "HIGH"
	impactModerate = "MODERATE"
	impactLow      = "LOW"
	impactModifier = "MODIFIER"
)

var termNames = [numTerms]string{
	soTranscriptAblation:      "transcript_ablation",
	soSpliceAcceptor:          "splice_acceptor_variant",
	soSpliceDonor:             "splice_donor_variant",
	soStopGained:              "stop_gained",
	soFrameshift:              "frameshift_variant",
	soStopLost:                "stop_lost",
	soStartLost:               "start_lost",
	soTranscriptAmplification: "transcript_amplification",
	soFeatureElongation:       "feature_elongation",
	soFeatureTruncation:       "feature_truncation",
	soInframeInsertion:        "inframe_insertion",
	soInframeDeletion:         "inframe_deletion",
	soMissense:                "missense_variant",
	soProteinAltering:         "protein_altering_variant",
	soSpliceDonor5th:          "splice_donor_5th_base_variant",
	soSpliceRegion:            "splice_region_variant",
	soSpliceDonorRegion:       "splice_donor_region_variant",
	soSplicePolypyrimidine:    "splice_polypyrimidine_tract_variant",
	soIncompleteTerminalCodon: "incomplete_terminal_codon_variant",
	soStartRetained:           "start_retained_variant",
	soStopRetained:            "stop_retained_variant",
	soSynonymous:              "synonymous_variant",
	soCodingSequence:          "coding_sequence_variant",
	soUTR5:                    "5_prime_UTR_variant",
	soUTR3:                    "3_prime_UTR_variant",
	soNonCodingExon:           "non_coding_transcript_exon_variant",
	soIntron:                  "intron_variant",
	soNMDTranscript:           "NMD_transcript_variant",
	soNonCodingTranscript:     "non_coding_transcript_variant",
	soCodingTranscript:        "coding_transcript_variant",
	soUpstream:                "upstream_gene_variant",
	soDownstream:              "downstream_gene_variant",
	soIntergenic:              "intergenic_variant",
}

var termImpacts = [numTerms]string{
	soTranscriptAblation:      impactHigh,
	soSpliceAcceptor:          impactHigh,
	soSpliceDonor:             impactHigh,
	soStopGained:              impactHigh,
	soFrameshift:              impactHigh,
	soStopLost:                impactHigh,
	soStartLost:               impactHigh,
	soTranscriptAmplification: impactHigh,
	soFeatureElongation:       impactHigh,
	soFeatureTruncation:       impactHigh,
	soInframeInsertion:        impactModerate,
	soInframeDeletion:         impactModerate,
	soMissense:                impactModerate,
	soProteinAltering:         impactModerate,
	soSpliceDonor5th:          impactLow,
	soSpliceRegion:            impactLow,
	soSpliceDonorRegion:       impactLow,
	soSplicePolypyrimidine:    impactLow,
	soIncompleteTerminalCodon: impactLow,
	soStartRetained:           impactLow,
	soStopRetained:            impactLow,
	soSynonymous:              impactLow,
	soCodingSequence:          impactModifier,
	soUTR5:                    impactModifier,
	soUTR3:                    impactModifier,
	soNonCodingExon:           impactModifier,
	soIntron:                  impactModifier,
	soNMDTranscript:           impactModifier,
	soNonCodingTranscript:     impactModifier,
	soCodingTranscript:        impactModifier,
	soUpstream:                impactModifier,
	soDownstream:              impactModifier,
	soIntergenic:              impactModifier,
}

func (t term) String() string { return termNames[t] }

// termSet is a bit set of terms; it keeps the per-transcript result free of
// allocations. 64 bits leave room for VEP's whole transcript term list.
type termSet uint64

func (s termSet) has(t term) bool       { return s&(1<<t) != 0 }
func (s *termSet) add(t term)           { *s |= 1 << t }
func (s *termSet) del(t term)           { *s &^= 1 << t }
func (s termSet) empty() bool           { return s == 0 }
func (s termSet) hasAny(o termSet) bool { return s&o != 0 }

// mostSevere returns the most severe term of a non-empty set.
func (s termSet) mostSevere() term {
	for t := term(0); t < numTerms; t++ {
		if s.has(t) {
			return t
		}
	}
	return soIntergenic
}

// impact is the impact of the most severe term.
func (s termSet) impact() string {
	if s.empty() {
		return impactModifier
	}
	return termImpacts[s.mostSevere()]
}

// appendTerms writes the terms joined by '&' in severity order.
func (s termSet) appendTerms(dst []byte) []byte {
	first := true
	for t := term(0); t < numTerms; t++ {
		if !s.has(t) {
			continue
		}
		if !first {
			dst = append(dst, '&')
		}
		first = false
		dst = append(dst, termNames[t]...)
	}
	return dst
}

// impactRank orders impacts for the summary and transcript picking (lower is
// more severe).
func impactRank(s string) int {
	switch s {
	case impactHigh:
		return 0
	case impactModerate:
		return 1
	case impactLow:
		return 2
	}
	return 3
}
