package variantdb

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestParseFilter(t *testing.T) {
	good := []struct {
		q    string
		want Filter
	}{
		{"", Filter{}},
		{"gene=BRCA2", Filter{Gene: "BRCA2"}},
		{"gene=+BRCA2+", Filter{Gene: "BRCA2"}},
		{"impact=Moderate", Filter{MinImpact: ImpactModerate, HasImpact: true}},
		{"impact=modifier", Filter{MinImpact: ImpactModifier, HasImpact: true}},
		{"csq=missense_variant&known=novel", Filter{Consequence: "missense_variant", Known: NovelOnly}},
		{"known=KNOWN&maxfreq=0.01", Filter{Known: KnownOnly, MaxFreq: ptr(0.01)}},
		{"maxfreq=1e-3&known=any", Filter{MaxFreq: ptr(0.001)}},
		{"sort=-freq&page=3&per_page=100", Filter{Sort: SortFreq, Desc: true, Page: 3, PerPage: 100}},
		{"sort=gene&other=ignored", Filter{Sort: SortGene}},
		{"gene=&impact=&csq=&known=&maxfreq=&sort=&page=&per_page=", Filter{}},
		{"genes=brca1,+BRCA2%0ATP53%3Bbrca1&imp=high&imp=LOW&csq=stop_gained&csq=missense_variant",
			Filter{Genes: []string{"BRCA2", "TP53", "brca1"}, Impacts: []int{ImpactHigh, ImpactLow}, Consequences: []string{"missense_variant", "stop_gained"}}},
		{"region=chr1:100-200,2:5+X&region=chr3:1_000_000-2_000_000", Filter{Regions: []Region{{"chr1", 100, 200}, {"2", 5, 5}, {"X", 0, 0}, {"chr3", 1000000, 2000000}}}},
		{"clinsig=Likely+pathogenic/Pathogenic&freqfield=gnomad_AF&maxfreq=0.01",
			Filter{ClinSig: []string{"likely_pathogenic", "pathogenic"}, FreqField: "gnomad_AF", MaxFreq: ptr(0.01)}},
		{"sample=S2&sample=S1&zyg=hom&mingq=20&mindp=10", Filter{Samples: []string{"S1", "S2"}, Zygosity: []int{GTHomAlt}, MinGQ: 20, MinDP: 10}},
	}
	for _, c := range good {
		q, _ := url.ParseQuery(c.q)
		got, err := ParseFilter(q)
		if err != nil {
			t.Errorf("%q: %v", c.q, err)
			continue
		}
		if !reflect.DeepEqual(got.normalize(), c.want.normalize()) {
			t.Errorf("%q: %+v, want %+v", c.q, got, c.want)
		}
	}
	bad := []struct{ q, param, msg string }{
		{"region=chr1:200-100", ParamRegion, "ends before it starts"},
		{"region=chr1:x", ParamRegion, "not a position"},
		{"region=:5", ParamRegion, "no contig"},
		{"imp=severe", ParamImp, "not an impact"},
		{"zyg=triploid", ParamZyg, "not a zygosity"},
		{"mingq=-1", ParamMinGQ, "whole number"},
		{"csq=a&csq=b%20c", ParamCsq, "not a consequence term"},
		{"impact=severe", ParamImpact, "not an impact"},
		{"known=maybe", ParamKnown, "any, known, novel"},
		{"maxfreq=abc", ParamMaxFreq, "between 0 and 1"},
		{"maxfreq=1.5", ParamMaxFreq, "between 0 and 1"},
		{"maxfreq=-0.1", ParamMaxFreq, "between 0 and 1"},
		{"maxfreq=NaN", ParamMaxFreq, "between 0 and 1"},
		{"sort=chrom", ParamSort, "pos, gene, impact, freq"},
		{"sort=--pos", ParamSort, "pos, gene, impact, freq"},
		{"page=0", ParamPage, "whole number"},
		{"page=1.5", ParamPage, "whole number"},
		{"per_page=501", ParamPerPage, "from 1 to 500"},
		{"csq=missense variant", ParamCsq, "not a consequence term"},
		{"csq=" + strings.Repeat("a", 101), ParamCsq, "longer than"},
		{"gene=" + strings.Repeat("G", 101), ParamGene, "longer than"},
		{"gene=A%0AB", ParamGene, "control"},
		{"gene=A&gene=B", ParamGene, "more than once"},
	}
	for _, c := range bad {
		q, _ := url.ParseQuery(c.q)
		_, err := ParseFilter(q)
		var fe *FilterError
		if !errors.As(err, &fe) || fe.Param != c.param || !strings.Contains(fe.Msg, c.msg) {
			t.Errorf("%q: err %v, want parameter %s: …%s…", c.q, err, c.param, c.msg)
		}
	}
}

func TestFilterEncode(t *testing.T) {
	cases := []struct {
		f    Filter
		want string
	}{
		{Filter{}, ""},
		{Filter{Page: 1, PerPage: DefaultPerPage, Sort: SortPos}, ""},
		{Filter{Gene: "A B", MinImpact: ImpactHigh, HasImpact: true, Known: NovelOnly, MaxFreq: ptr(0.05), Sort: SortImpact, Desc: true, Page: 2},
			"gene=A+B&impact=high&known=novel&maxfreq=0.05&page=2&sort=-impact"},
		{Filter{MinImpact: ImpactHigh}, ""}, // MinImpact without HasImpact is no condition
	}
	for _, c := range cases {
		if got := c.f.Encode(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.f, got, c.want)
		}
	}
	if d := (Filter{}).Describe(); d != "all records" {
		t.Errorf("Describe of no filter: %q", d)
	}
	if d := (Filter{Gene: "A\nB"}).Describe(); d != "gene=A B" {
		t.Errorf("Describe keeps a line break: %q", d)
	}
}

// FuzzParseFilter: any query either gives a clear FilterError or a filter
// whose shareable URL parses back to the same view.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"", "gene=BRCA2&impact=high", "maxfreq=0.01&known=novel&sort=-freq&page=2&per_page=10",
		"csq=missense_variant", "gene=%00", "maxfreq=1e-320", "sort=-", "page=99999999999999999999", "gene=%E2%80%8B"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		flt, err := ParseFilter(q)
		if err != nil {
			var fe *FilterError
			if !errors.As(err, &fe) || fe.Param == "" || fe.Msg == "" {
				t.Fatalf("%q: error %v is not a FilterError with a parameter and message", raw, err)
			}
			return
		}
		enc := flt.Encode()
		q2, err := url.ParseQuery(enc)
		if err != nil {
			t.Fatalf("%q: Encode gave an unparsable %q", raw, enc)
		}
		back, err := ParseFilter(q2)
		if err != nil {
			t.Fatalf("%q: Encode %q does not parse: %v", raw, enc, err)
		}
		if !reflect.DeepEqual(back.normalize(), flt.normalize()) {
			t.Fatalf("%q: round trip %+v != %+v (via %q)", raw, back.normalize(), flt.normalize(), enc)
		}
		if back.Encode() != enc {
			t.Fatalf("%q: Encode not stable: %q then %q", raw, enc, back.Encode())
		}
	})
}
