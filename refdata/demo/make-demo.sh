#!/bin/sh
# Regenerates the demo bundle sources in this folder from the shared test data
# (run from the project root: sh refdata/demo/make-demo.sh). Attribution: NOTICE.
#
#  - genes.gff3.gz: the Ensembl GRCh38 (release 84) genes of the VEP test data that
#    overlap 21:25,000,001-26,000,000, plus the gene models of six bcftools csq test
#    slices, each slice renamed to its transcript ID (seqid rewritten).
#  - genome.fa.gz: the six slices.
#  - chr21_exons.txt.gz: the sequence of contig 21 (the shared exons.fa.gz: its full GRCh38
#    length, the real bases of every exon of the region's coding transcripts, N elsewhere),
#    kept as its runs of known bases, since the rest is N: a line "#NAME<TAB>LENGTH", then one
#    line per run, "START<TAB>BASES" (1-based). BuildDemo writes it back as FASTA.
#  - known.vcf.gz: the VEP test dbSNP 149 known variants of the region, unchanged.
#  - cpg.bed: the Ensembl CpG-island features (biological_region, logic_name=cpg) of
#    the same gene file within the region, named by their observed/expected ratio.
#  - demo.vcf: the VEP test sample VCF (HG00096) plus the bcftools test records on
#    the slices (INFO dropped, genotype 0/1), sorted in bundle contig order.
set -eu
T=../shared/testdata
OUT=refdata/demo
SLICES="ENST00000341065 ENST00000271583 ENST00000218032 ENST00000410009 ENST00000593942 ENST00000528237"
LO=25000001
HI=26000000

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Genes of the region: pass 1 collects gene IDs overlapping it, then transcripts
# of those genes, pass 2 keeps the genes, their transcripts and the transcripts' parts.
zcat $T/vep-chr21/genes.gff3.gz > "$tmp/all.gff3"
awk -F'\t' -v lo=$LO -v hi=$HI '
  function attr(k,  a, i, n) { n = split($9, a, ";"); for (i = 1; i <= n; i++) if (index(a[i], k "=") == 1) return substr(a[i], length(k) + 2); return "" }
  /^#/ { next }
  FNR == NR {
    id = attr("ID"); par = attr("Parent")
    if (id ~ /^gene:/ && $4 <= hi && $5 >= lo) gene[id] = 1
    if (id ~ /^transcript:/) tpar[id] = par
    next
  }
  { id = attr("ID"); par = attr("Parent") }
  id in gene { print; next }
  id ~ /^transcript:/ && (tpar[id] in gene) { print; next }
  $3 != "biological_region" && par != "" && id !~ /^(gene|transcript):/ {
    n = split(par, ps, ","); keep = 0
    for (i = 1; i <= n; i++) if (tpar[ps[i]] in gene) keep = 1
    if (keep) print
  }' "$tmp/all.gff3" "$tmp/all.gff3" > "$tmp/chr21.gff3"

awk -F'\t' -v lo=$LO -v hi=$HI '
  $3 == "biological_region" && $9 ~ /logic_name=cpg/ && $4 >= lo && $5 <= hi {
    oe = $9; sub(/.*external_name=oe %3D /, "", oe); sub(/;.*/, "", oe)
    print $1 "\t" ($4 - 1) "\t" $5 "\tCpG_island_oe_" oe
  }' "$tmp/all.gff3" | sort -k2,2n > $OUT/cpg.bed

: > "$tmp/slices.gff3"
: > "$tmp/genome.fa"
: > "$tmp/slices.vcf"
: > "$tmp/contigs"
for s in $SLICES; do
  d=$T/bcftools-csq/$s
  grep -v '^#' $d/$s.gff | awk -F'\t' -v OFS='\t' -v s=$s '{ $1 = s; print }' >> "$tmp/slices.gff3"
  awk -v s=$s '/^>/ { sub(/^>[^ \t]*/, ">" s) } { print }' $d/$s.fa >> "$tmp/genome.fa"
  len=$(awk '{ n += $2 } END { print n }' $d/$s.fa.fai)
  echo "##contig=<ID=$s,length=$len>" >> "$tmp/contigs"
  cat $d/*.vcf | grep -v '^#' | awk -F'\t' -v OFS='\t' -v s=$s '{ print s, $2, ".", $4, $5, ".", ".", ".", "GT", "0/1" }' |
    sort -t"$(printf '\t')" -k2,2n -u >> "$tmp/slices.vcf"
done

{ echo '##gff-version 3'; cat "$tmp/slices.gff3" "$tmp/chr21.gff3"; } | gzip -9n > $OUT/genes.gff3.gz
zcat $T/vep-chr21/exons.fa.gz | awk -v hdr="$tmp/exons.hdr" '
  NR == 1 { name = substr($1, 2); next }
  /^N+$/ { if (run != "") { print start "\t" run; run = "" } pos += length($0); next }
  {
    n = length($0)
    for (i = 1; i <= n; i++) {
      c = substr($0, i, 1)
      if (c == "N") { if (run != "") { print start "\t" run; run = "" } }
      else { if (run == "") start = pos + i; run = run c }
    }
    pos += n
  }
  END { if (run != "") print start "\t" run; printf "#%s\t%d\n", name, pos > hdr }' > "$tmp/exons.runs"
cat "$tmp/exons.hdr" "$tmp/exons.runs" | gzip -9n > $OUT/chr21_exons.txt.gz
gzip -9n < "$tmp/genome.fa" > $OUT/genome.fa.gz
cp $T/vep-chr21/known_variants.vcf.gz $OUT/known.vcf.gz
{
  echo '##fileformat=VCFv4.1'
  echo '##source=GAS demo: Ensembl VEP test sample HG00096 (chr21) and bcftools csq test records on gene slices'
  grep '^##' $T/vep-chr21/test.vcf | grep -v -e '^##fileformat' -e '^##contig' -e '^##FORMAT'
  echo '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">'
  cat "$tmp/contigs"
  grep '^##contig=<ID=21,' $T/vep-chr21/test.vcf
  grep '^#CHROM' $T/vep-chr21/test.vcf
  awk -F'\t' '!seen[$1 FS $2 FS $4 FS $5]++' "$tmp/slices.vcf"
  grep -v '^#' $T/vep-chr21/test.vcf
} > $OUT/demo.vcf

# clinvar.vcf: a ClinVar-style source (CLNSIG, RS) made from the CLIN_SIG values that
# dbSNP 149 carried for single-ALT records of the region (the Ensembl VEP test data).
# Not a ClinVar release: the IDs are '.', because the ClinVar variation IDs are not in
# the test data; the significance words are ClinVar's spelling of the same values.
{
  echo '##fileformat=VCFv4.1'
  echo '##source=GAS demo: ClinVar-style records derived from the CLIN_SIG values of dbSNP 149 in the Ensembl VEP test data (chr21:25-26 Mb); not a ClinVar release'
  echo '##reference=GRCh38'
  echo '##contig=<ID=21,length=46709983,assembly=GRCh38>'
  echo '##INFO=<ID=CLNSIG,Number=.,Type=String,Description="Clinical significance for this single variant">'
  echo '##INFO=<ID=RS,Number=1,Type=String,Description="dbSNP ID (i.e. rs number)">'
  printf '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n'
  zcat $T/vep-chr21/known_variants.vcf.gz | awk -F'\t' -v OFS='\t' '
    !/^#/ && $5 !~ /,/ && match($8, /CLIN_SIG=[^;]*/) {
      n = split(substr($8, RSTART + 9, RLENGTH - 9), w, ",")
      sig = ""; p = 0; lp = 0
      for (i = 1; i <= n; i++) { if (w[i] == "pathogenic") p = 1; if (w[i] == "likely_pathogenic") lp = 1 }
      for (i = 1; i <= n; i++) {
        x = w[i]
        if (p && lp && (x == "pathogenic" || x == "likely_pathogenic")) { if (x == "likely_pathogenic") continue; x = "Pathogenic/Likely_pathogenic" }
        else if (x != "not_provided" && x != "protective") x = toupper(substr(x, 1, 1)) substr(x, 2)
        sig = sig (sig == "" ? "" : "|") x
      }
      print $1, $2, ".", $4, $5, ".", ".", "CLNSIG=" sig ";RS=" substr($3, 3)
    }'
} > $OUT/clinvar.vcf
