package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/variantdb"
)

// variantView is the model of a variant's page.
type variantView struct {
	base
	Job      *gas.Job
	V        *variantdb.Variant
	Assembly string
	Links    []linkOut          // about the record: position, IDs
	TxLinks  map[string]linkOut // Ensembl transcript page by transcript ID
	GeneLink map[string]linkOut // Ensembl gene page by gene ID
	Back     string
}

// linkOut is a link to another site about the variant.
type linkOut struct {
	ID, Label, Href string
}

// indexFor opens the index of a job's result for a page built from it,
// or answers (303 to the browser page while there is none, 5xx) and
// returns nil.
func (s *server) indexFor(w http.ResponseWriter, r *http.Request, job *gas.Job) (*variantdb.Index, func()) {
	key := ""
	if job.State.Annotated() {
		key = s.indexKey(r, job)
	}
	if key == "" {
		http.Redirect(w, r, "/jobs/"+job.ID+"/variants", http.StatusSeeOther)
		return nil, nil
	}
	ix, release, err := s.indexes.get(r.Context(), key)
	if s.staleIndex(r, job, key, err) {
		http.Redirect(w, r, "/jobs/"+job.ID+"/variants", http.StatusSeeOther)
		return nil, nil
	}
	if err != nil {
		s.serverError(w, r, fmt.Errorf("open variant index of %s: %w", job.ID, err))
		return nil, nil
	}
	return ix, release
}

// variantPage answers GET /jobs/{id}/variants/{n}: record n (1-based, in
// file order) with every allele × transcript, every source field, the
// genotypes of every sample and links out.
func (s *server) variantPage(w http.ResponseWriter, r *http.Request, u *gas.User) {
	job, ok := s.userJob(w, r, u)
	if !ok || s.archivedResult(w, r, u, job) {
		return
	}
	ix, release := s.indexFor(w, r, job)
	if ix == nil {
		return
	}
	defer release()
	n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil || n < 1 {
		s.renderError(w, r, http.StatusNotFound, "There is no such record in this result: records are numbered from 1 in file order.")
		return
	}
	v, err := ix.Variant(r.Context(), n)
	if errors.Is(err, variantdb.ErrNoRecord) {
		s.renderError(w, r, http.StatusNotFound, fmt.Sprintf("This result has %d records; there is no record %d.", ix.Meta.Records, n))
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	title := fmt.Sprintf("%s:%d %s>%s", v.Chrom, v.Pos, clipText(v.Ref, 20), clipText(v.Alt, 20))
	pv := variantView{base: s.baseFor(r, title+" in "+job.InputName), Job: job, V: v, Assembly: ix.Assembly(),
		TxLinks: map[string]linkOut{}, GeneLink: map[string]linkOut{}, Back: "/jobs/" + job.ID + "/variants"}
	if ref := r.Referer(); ref != "" {
		// Back to the view the record was opened from, when it is one of this job's.
		if ru, err := url.Parse(ref); err == nil && ru.Path == pv.Back && (ru.Host == "" || ru.Host == r.Host) {
			pv.Back = ru.RequestURI()
		}
	}
	l := linksFor(ix.Assembly())
	pv.Links = l.record(v)
	for _, a := range v.Annotations {
		if lk, ok := l.transcript(a.Feature); ok {
			pv.TxLinks[a.Feature] = lk
		}
		if lk, ok := l.gene(a.GeneID); ok {
			pv.GeneLink[a.GeneID] = lk
		}
	}
	s.render(w, r, http.StatusOK, "variant", pv)
}

// clipText shortens long alleles for a title.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// links builds links to other sites for one assembly. GRCh37 and GRCh38
// differ in the Ensembl host, the UCSC database and gnomAD's dataset;
// dbSNP and ClinVar pages are the same for both. Position links are made
// only when the assembly is known.
type links struct {
	assembly string
	ensembl  string // site root
	ucscDB   string
	gnomad   string // dataset
}

func linksFor(assembly string) links {
	switch strings.ToUpper(assembly) {
	case "GRCH37", "HG19":
		return links{assembly: "GRCh37", ensembl: "https://grch37.ensembl.org", ucscDB: "hg19", gnomad: "gnomad_r2_1"}
	case "GRCH38", "HG38":
		return links{assembly: "GRCh38", ensembl: "https://www.ensembl.org", ucscDB: "hg38", gnomad: "gnomad_r4"}
	}
	return links{ensembl: "https://www.ensembl.org"}
}

// gene links an Ensembl gene ID (ENSG…) to its Ensembl page.
func (l links) gene(id string) (linkOut, bool) {
	if !strings.HasPrefix(id, "ENS") {
		return linkOut{}, false
	}
	return linkOut{ID: "link-gene-" + id, Label: "Ensembl gene " + id,
		Href: l.ensembl + "/Homo_sapiens/Gene/Summary?g=" + url.QueryEscape(id)}, true
}

// transcript links an Ensembl transcript ID (ENST…) to its Ensembl page.
func (l links) transcript(id string) (linkOut, bool) {
	if !strings.HasPrefix(id, "ENS") {
		return linkOut{}, false
	}
	return linkOut{ID: "link-tx-" + id, Label: "Ensembl transcript " + id,
		Href: l.ensembl + "/Homo_sapiens/Transcript/Summary?t=" + url.QueryEscape(id)}, true
}

// record links the record's rsIDs (dbSNP, ClinVar) and, with a known
// assembly, its position (UCSC, Ensembl) and simple alleles (gnomAD).
func (l links) record(v *variantdb.Variant) []linkOut {
	var out []linkOut
	for _, id := range strings.Split(v.ID, ";") {
		if !isRSID(id) {
			continue
		}
		out = append(out,
			linkOut{ID: "link-dbsnp", Label: "dbSNP " + id, Href: "https://www.ncbi.nlm.nih.gov/snp/" + id},
			linkOut{ID: "link-clinvar", Label: "ClinVar " + id, Href: "https://www.ncbi.nlm.nih.gov/clinvar/?term=" + id + "%5BVariant%20ID%5D"})
	}
	if l.assembly == "" {
		return out
	}
	chrom := strings.TrimPrefix(strings.TrimPrefix(v.Chrom, "chr"), "Chr")
	if !isHumanChrom(chrom) {
		return out
	}
	end := v.Pos + int64(max(len(v.Ref), 1)) - 1
	span := strconv.FormatInt(v.Pos, 10) + "-" + strconv.FormatInt(end, 10)
	ucscChrom := "chr" + chrom
	if chrom == "MT" {
		ucscChrom = "chrM"
	}
	out = append(out,
		linkOut{ID: "link-ucsc", Label: "UCSC " + l.ucscDB + " " + ucscChrom + ":" + span,
			Href: "https://genome.ucsc.edu/cgi-bin/hgTracks?db=" + l.ucscDB + "&position=" + url.QueryEscape(ucscChrom+":"+span)},
		linkOut{ID: "link-ensembl-location", Label: "Ensembl " + l.assembly + " " + chrom + ":" + span,
			Href: l.ensembl + "/Homo_sapiens/Location/View?r=" + url.QueryEscape(chrom+":"+span)})
	for i, alt := range v.Alts {
		if !isBases(v.Ref) || !isBases(alt) {
			continue
		}
		id := chrom + "-" + strconv.FormatInt(v.Pos, 10) + "-" + v.Ref + "-" + alt
		out = append(out, linkOut{ID: "link-gnomad-" + strconv.Itoa(i), Label: "gnomAD " + id,
			Href: "https://gnomad.broadinstitute.org/variant/" + id + "?dataset=" + l.gnomad})
	}
	return out
}

func isRSID(s string) bool {
	if len(s) < 3 || !strings.HasPrefix(s, "rs") {
		return false
	}
	for _, c := range s[2:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// isHumanChrom accepts 1–22, X, Y and MT (the names the link targets know).
func isHumanChrom(c string) bool {
	switch c {
	case "X", "Y", "MT", "M":
		return true
	}
	n, err := strconv.Atoi(c)
	return err == nil && n >= 1 && n <= 22
}

func isBases(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch c {
		case 'A', 'C', 'G', 'T', 'a', 'c', 'g', 't':
		default:
			return false
		}
	}
	return true
}
