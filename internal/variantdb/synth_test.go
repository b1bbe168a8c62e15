package variantdb

import (
	"bufio"
	"io"
	"math/rand/v2"
	"strconv"
)

// synthTerms are (term, impact) pairs with weights roughly like a whole
// genome: mostly intronic and intergenic, a few protein-changing.
var synthTerms = []struct {
	term, impact string
	weight       int
}{
	{"intron_variant", "MODIFIER", 400},
	{"upstream_gene_variant", "MODIFIER", 120},
	{"downstream_gene_variant", "MODIFIER", 120},
	{"non_coding_transcript_exon_variant", "MODIFIER", 60},
	{"3_prime_UTR_variant", "MODIFIER", 40},
	{"5_prime_UTR_variant", "MODIFIER", 15},
	{"synonymous_variant", "LOW", 30},
	{"splice_region_variant&intron_variant", "LOW", 10},
	{"missense_variant", "MODERATE", 30},
	{"inframe_deletion", "MODERATE", 3},
	{"stop_gained", "HIGH", 2},
	{"frameshift_variant", "HIGH", 2},
	{"splice_donor_variant", "HIGH", 1},
}

// synthVCF writes an annotated VCF shaped like the engine's output (same
// header descriptions, ANN layout, Number=A known fields with '.', a
// region track) with n records over 22 contigs. The same seed gives the
// same file. Memory stays constant, so it can feed a 1,000,000-record
// build through a pipe.
func synthVCF(w io.Writer, n int, seed uint64) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString("##fileformat=VCFv4.2\n")
	for c := 1; c <= 22; c++ {
		bw.WriteString("##contig=<ID=" + strconv.Itoa(c) + ",length=250000000>\n")
	}
	bw.WriteString(`##INFO=<ID=ANN,Number=.,Type=String,Description="Functional annotations: 'Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | CDS.pos / CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO'">` + "\n")
	bw.WriteString(`##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency (one value per ALT allele; . when the allele matches no known variant)">` + "\n")
	bw.WriteString(`##INFO=<ID=CLNSIG,Number=A,Type=String,Description="Clinical significance (one value per ALT allele; . when the allele matches no known variant)">` + "\n")
	bw.WriteString(`##INFO=<ID=CPG,Number=.,Type=String,Description="Names of the CPG track intervals overlapping the REF allele">` + "\n")
	bw.WriteString("##gas_version=synthetic\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")

	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	total := 0
	for _, t := range synthTerms {
		total += t.weight
	}
	pickTerm := func() int {
		x := rng.IntN(total)
		for i, t := range synthTerms {
			if x < t.weight {
				return i
			}
			x -= t.weight
		}
		return 0
	}
	bases := []string{"A", "C", "G", "T"}
	perChrom := (n + 21) / 22
	var line []byte
	for i := 0; i < n; i++ {
		chrom := i/perChrom + 1
		pos := 10000 + (i%perChrom)*200 + rng.IntN(150)
		ref := bases[rng.IntN(4)]
		alts := []string{bases[(rng.IntN(3)+1+indexOf(bases, ref))%4]}
		if rng.IntN(20) == 0 { // multi-allelic
			alts = append(alts, ref+"T")
		}
		line = line[:0]
		line = strconv.AppendInt(line, int64(chrom), 10)
		line = append(line, '\t')
		line = strconv.AppendInt(line, int64(pos), 10)
		known := make([]bool, len(alts))
		anyKnown := false
		for j := range alts {
			known[j] = rng.IntN(10) < 6
			anyKnown = anyKnown || known[j]
		}
		line = append(line, '\t')
		if anyKnown {
			line = append(line, "rs"...)
			line = strconv.AppendInt(line, int64(1000000+i), 10)
		} else {
			line = append(line, '.')
		}
		line = append(line, '\t')
		line = append(line, ref...)
		line = append(line, '\t')
		for j, a := range alts {
			if j > 0 {
				line = append(line, ',')
			}
			line = append(line, a...)
		}
		line = append(line, "\t.\tPASS\tANN="...)
		gene := rng.IntN(5000)
		ntx := 1 + rng.IntN(4)
		first := true
		for _, a := range alts {
			for t := 0; t < ntx; t++ {
				if !first {
					line = append(line, ',')
				}
				first = false
				st := synthTerms[pickTerm()]
				g := gene + t/2 // neighbouring transcripts may belong to the next gene
				line = append(line, a...)
				line = append(line, '|')
				line = append(line, st.term...)
				line = append(line, '|')
				line = append(line, st.impact...)
				line = append(line, "|GENE"...)
				line = strconv.AppendInt(line, int64(g), 10)
				line = append(line, "|ENSG"...)
				line = strconv.AppendInt(line, int64(100000+g), 10)
				line = append(line, "|transcript|ENST"...)
				line = strconv.AppendInt(line, int64(200000+2*g+t%2), 10)
				line = append(line, ".1|protein_coding|3/12|c."...)
				line = strconv.AppendInt(line, int64(100+pos%900), 10)
				line = append(line, ref...)
				line = append(line, '>')
				line = append(line, a...)
				line = append(line, '|')
				if st.impact == "MODERATE" || st.term == "synonymous_variant" {
					line = append(line, "p.Val"...)
					line = strconv.AppendInt(line, int64(34+pos%300), 10)
					line = append(line, "%3D"...) // escaped '=' as the engine writes it
				}
				line = append(line, "|120/2000|100/1500|34/500||"...)
			}
		}
		line = append(line, ";AF="...)
		for j := range alts {
			if j > 0 {
				line = append(line, ',')
			}
			if known[j] {
				line = strconv.AppendFloat(line, float64(rng.IntN(10000))/10000, 'g', -1, 64)
			} else {
				line = append(line, '.')
			}
		}
		line = append(line, ";CLNSIG="...)
		for j := range alts {
			if j > 0 {
				line = append(line, ',')
			}
			if known[j] {
				line = append(line, "benign"...)
			} else {
				line = append(line, '.')
			}
		}
		if rng.IntN(30) == 0 {
			line = append(line, ";CPG=island"...)
			line = strconv.AppendInt(line, int64(i/1000), 10)
		}
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
