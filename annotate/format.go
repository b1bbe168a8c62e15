package annotate

import "fmt"

// Format selects the INFO field the consequences are written to.
type Format string

// Output formats.
const (
	// FormatANN writes the ANN field of the "VCF annotation format" (SnpEff
	// and others): 16 sub-fields per allele × transcript. The default.
	FormatANN Format = "ann"
	// FormatCSQ writes Ensembl VEP's CSQ field (its --vcf output), which
	// bcftools +split-vep, filter_vep and vcf2maf read: VEP's columns, then
	// one column per known-variant field and region track of the bundle.
	FormatCSQ Format = "csq"
)

// FormatInfo describes an output format for the service's choice lists
// (web form, API, export).
type FormatInfo struct {
	Format      Format // value for Options.Format
	Field       string // INFO key the consequences go to
	Title       string // short name for a choice list
	Description string // one sentence on what the output holds and who reads it
}

// Formats lists the output formats, the default first.
func Formats() []FormatInfo {
	return []FormatInfo{
		{Format: FormatANN, Field: "ANN", Title: "ANN (SnpEff-style)",
			Description: "The VCF annotation format (INFO/ANN, 16 sub-fields per allele and transcript: SO terms, impact, gene, HGVS.c/p, positions), " +
				"with known-variant fields and region tracks as separate INFO keys; read by SnpEff-aware tools, GATK VariantAnnotator, bcftools query."},
		{Format: FormatCSQ, Field: "CSQ", Title: "CSQ (Ensembl VEP)",
			Description: "Ensembl VEP's INFO/CSQ field (Allele|Consequence|IMPACT|SYMBOL|Gene|…|Existing_variation|DISTANCE|STRAND|FLAGS|CANONICAL|MANE), " +
				"with one column per known-variant field and region track; read by bcftools +split-vep, filter_vep and vcf2maf."},
	}
}

// field returns the INFO key of the format.
func (f Format) field() string {
	if f == FormatCSQ {
		return "CSQ"
	}
	return "ANN"
}

// ParseFormat checks a format name ("" is the default, ann).
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case "", FormatANN:
		return FormatANN, nil
	case FormatCSQ:
		return FormatCSQ, nil
	}
	return "", fmt.Errorf("annotate: unknown output format %q (want ann or csq)", s)
}
