package annotate

// svCases are the structural-variant cases of the fixture (sv_fixture_test.go),
// each also run mirrored on the reverse strand. Expected terms follow VEP's
// predicates (svpred.go); TestStructuralVariantsVEP checks them against
// Ensembl VEP itself when it is available.
//
// TXF: exons 1001-1100, 2001-2100, 3001-3200; CDS 1051-3045 (start codon
// 1051-1053, stop 3043-3045); introns 1101-2000 and 2101-3000. NCF
// (lncRNA): exons 6001-6100, 6501-6600. NMDF: exons 9001-9100, 9301-9400,
// CDS 9052-9350. FSF: exons 11001-11100, 11111-11200 (a 10-base intron),
// CDS 11021-11180. Positions are VCF POS (the padding base); a span covers
// POS+1..POS+span.
func svCases() []svCase {
	w := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	return []svCase{
		// Whole transcript.
		{id: "del_whole", pos: 900, alt: "<DEL>", span: 2400, want: w("TXF", "transcript_ablation"), extra: "1-3/3|1-2/2|2200|100.00"},
		{id: "dup_whole", pos: 900, alt: "<DUP>", span: 2400, want: w("TXF", "transcript_amplification")},
		{id: "tdup_whole", pos: 900, alt: "<DUP:TANDEM>", span: 2400, want: w("TXF", "transcript_amplification")},
		{id: "inv_whole", pos: 900, alt: "<INV>", span: 2400, want: w("TXF", "coding_transcript_variant")},
		{id: "cnv_whole", pos: 900, alt: "<CNV>", span: 2400, want: w("TXF", "coding_transcript_variant")},
		{id: "cnv0_whole", pos: 900, alt: "<CNV>", span: 2400, info: "CN=0", want: w("TXF", "transcript_ablation")},
		{id: "cnv3_whole", pos: 900, alt: "<CNV>", span: 2400, info: "CN=3", want: w("TXF", "transcript_amplification")},
		{id: "del_whole_nc", pos: 5990, alt: "<DEL>", span: 700, want: w("NCF", "transcript_ablation")},
		{id: "inv_whole_nc", pos: 5990, alt: "<INV>", span: 700, want: w("NCF", "non_coding_transcript_variant")},
		{id: "inv_whole_nmd", pos: 8990, alt: "<INV>", span: 500, want: w("NMDF", "NMD_transcript_variant")},

		// Partial: the 5' end (upstream, 5' UTR and the start codon; the
		// variant starts outside the transcript, so VEP does not test the
		// start codon).
		{id: "del_5p", pos: 950, alt: "<DEL>", span: 110, want: w("TXF", "feature_truncation&coding_sequence_variant&5_prime_UTR_variant")},
		{id: "dup_5p", pos: 950, alt: "<DUP>", span: 110, want: w("TXF", "coding_sequence_variant&5_prime_UTR_variant")},
		{id: "inv_5p", pos: 950, alt: "<INV>", span: 110, want: w("TXF", "coding_sequence_variant&5_prime_UTR_variant")},
		// The 3' end: the stop codon and the 3' UTR, past the transcript.
		{id: "del_3p", pos: 3040, alt: "<DEL>", span: 260, want: w("TXF", "stop_lost&feature_truncation&coding_sequence_variant&3_prime_UTR_variant")},
		{id: "dup_3p", pos: 3040, alt: "<DUP>", span: 260, want: w("TXF", "coding_sequence_variant&3_prime_UTR_variant")},
		// Inside one coding exon: frame by the length.
		{id: "del_cds_fs", pos: 2010, alt: "<DEL>", span: 10, want: w("TXF", "frameshift_variant&feature_truncation"), extra: "2/3||10|0.45"},
		{id: "del_cds_inframe", pos: 2010, alt: "<DEL>", span: 12, want: w("TXF", "feature_truncation&inframe_deletion")},
		{id: "dup_cds", pos: 2010, alt: "<DUP>", span: 40, want: w("TXF", "feature_elongation&coding_sequence_variant")},
		{id: "inv_cds", pos: 2010, alt: "<INV>", span: 40, want: w("TXF", "coding_sequence_variant")},
		{id: "cnv_cds", pos: 2010, alt: "<CNV>", span: 40, want: w("TXF", "coding_sequence_variant")},
		// Across an intron: two coding exons.
		{id: "del_two_exons", pos: 1090, alt: "<DEL>", span: 920, want: w("TXF", "feature_truncation&coding_sequence_variant&intron_variant"), extra: "1-2/3|1/2|920|41.82"},
		// The start codon inside the first exon: VEP reports start_lost
		// and, for any structural variant over the start codon,
		// start_retained_variant.
		{id: "del_start", pos: 1045, alt: "<DEL>", span: 15, want: w("TXF", "start_lost&feature_truncation&start_retained_variant&coding_sequence_variant&5_prime_UTR_variant")},
		{id: "inv_start", pos: 1045, alt: "<INV>", span: 15, want: w("TXF", "start_lost&start_retained_variant&coding_sequence_variant&5_prime_UTR_variant")},
		// UTR only.
		{id: "del_utr5", pos: 1005, alt: "<DEL>", span: 15, want: w("TXF", "feature_truncation&5_prime_UTR_variant")},
		{id: "del_me_utr3", pos: 3100, alt: "<DEL:ME:LINE1>", span: 50, want: w("TXF", "feature_truncation&3_prime_UTR_variant")},
		{id: "del_utr3", pos: 3100, alt: "<DEL>", span: 50, want: w("TXF", "feature_truncation&3_prime_UTR_variant")},
		{id: "dup_utr3", pos: 3100, alt: "<DUP>", span: 50, want: w("TXF", "feature_elongation&3_prime_UTR_variant")},
		// Intronic: no exon, no truncation of the mature transcript.
		{id: "del_intron", pos: 1500, alt: "<DEL>", span: 100, want: w("TXF", "intron_variant"), extra: "|1/2|100|4.55"},
		{id: "dup_intron", pos: 1500, alt: "<DUP>", span: 100, want: w("TXF", "intron_variant")},
		{id: "inv_intron_nc", pos: 6200, alt: "<INV>", span: 100, want: w("NCF", "intron_variant&non_coding_transcript_variant")},
		{id: "del_exon_nc", pos: 6050, alt: "<DEL>", span: 100, want: w("NCF", "feature_truncation&non_coding_transcript_exon_variant&intron_variant")},
		{id: "del_exon_nmd", pos: 9040, alt: "<DEL>", span: 20, want: w("NMDF", "frameshift_variant&start_lost&feature_truncation&start_retained_variant&5_prime_UTR_variant&NMD_transcript_variant")},
		// Near the acceptor: VEP's polypyrimidine-tract term (intron bases
		// 3-17 before the exon), only when no exon is touched.
		{id: "ppt_del", pos: 1984, alt: "<DEL>", span: 10, want: w("TXF", "splice_polypyrimidine_tract_variant&intron_variant")},
		{id: "ppt_ins", pos: 1990, alt: "<INS>", want: w("TXF", "splice_polypyrimidine_tract_variant&intron_variant")},
		{id: "ppt_bnd", pos: 1990, alt: "N[sv:20000[", want: w("TXF", "feature_truncation&splice_polypyrimidine_tract_variant&intron_variant")},
		{id: "ppt_donor_side", pos: 1103, alt: "<DEL>", span: 10, want: w("TXF", "intron_variant")},
		{id: "ppt_into_exon", pos: 1980, alt: "<DEL>", span: 30, want: w("TXF", "feature_truncation&coding_sequence_variant&intron_variant")},
		// Insertions: at the padding base.
		{id: "ins_cds", pos: 2050, alt: "<INS>", info: "SVLEN=300", want: w("TXF", "feature_elongation&coding_sequence_variant"), extra: "2/3|||"},
		{id: "ins_me_cds", pos: 2050, alt: "<INS:ME:ALU>", want: w("TXF", "feature_elongation&coding_sequence_variant")},
		{id: "ins_intron", pos: 1500, alt: "<INS>", want: w("TXF", "intron_variant")},
		{id: "ins_utr5", pos: 1020, alt: "<INS>", want: w("TXF", "feature_elongation&5_prime_UTR_variant")},
		// Up- and downstream, with their distance to the transcript.
		{id: "del_upstream", pos: 500, alt: "<DEL>", span: 300, want: w("TXF", "upstream_gene_variant")},
		{id: "del_downstream", pos: 3300, alt: "<DEL>", span: 100, want: w("TXF", "downstream_gene_variant")},
		// Breakends: the local end, one base after POS as VEP places it.
		{id: "bnd_cds", pos: 2050, alt: "N[sv:20000[", want: w("TXF", "feature_truncation&coding_sequence_variant")},
		{id: "bnd_intron", pos: 1500, alt: "]sv:20000]N", want: w("TXF", "feature_truncation&intron_variant")},
		{id: "bnd_single", pos: 2050, alt: "N.", want: w("TXF", "feature_truncation&coding_sequence_variant")},
		// A frameshift intron counts as exonic for the transcript.
		{id: "del_fs_intron", pos: 11102, alt: "<DEL>", span: 4, want: w("FSF", "feature_truncation&coding_sequence_variant")},
		// A deletion over two transcripts.
		{id: "del_two_tx", pos: 900, alt: "<DEL>", span: 5800, want: w("TXF", "transcript_ablation", "NCF", "transcript_ablation")},
		// Intergenic: no transcript within 5 kb.
		{id: "del_intergenic", pos: 17000, alt: "<DEL>", span: 500, want: w()},
	}
}
