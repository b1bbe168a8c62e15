package variantdb

import (
	"bytes"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gas-project/gas/vcf"
)

// The loader's per-record columns beyond the core filters (see columns.go
// for the encodings): the position (region filter), one float column per
// numeric source field (maximum-value filters), one bit mask per clinical
// significance field, and a packed genotype per sample (zygosity filter).

// MaxGenotypeSamples is how many samples (the first ones of the header)
// keep their GQ and DP for the genotype filter beside the genotype class:
// each costs 4 bytes per record in the index and in memory once used. The
// variant page shows the genotypes of every sample, from the stored
// sample columns.
const MaxGenotypeSamples = 64

// MaxClassSamples is how many samples the genotype filter covers in all:
// past the first MaxGenotypeSamples, up to this many keep their genotype
// class alone ("gc:N", one byte per record), without GQ and DP. A cohort's
// samples are named in the filter; the first 64 of a VCF are seldom the
// ones asked for. The gene view's carriers and the exports' GT columns
// cover the same samples.
const MaxClassSamples = MaxStoredSamples

// MaxStoredSamples is how many samples' columns the index keeps for the
// variant page: a large cohort's sample columns would make the index as
// large as the VCF and its build as slow as copying it. The page says
// when it shows fewer samples than the result has.
const MaxStoredSamples = 256

// sampleText is FORMAT and the first MaxStoredSamples sample columns.
func (x *extraCols) sampleText(rest []byte) string { return string(x.sampleBytes(rest)) }

// sampleBytes is sampleText without the copy: rest up to the end of the
// MaxStoredSamples-th sample column.
func (x *extraCols) sampleBytes(rest []byte) []byte {
	n, at := 0, 0
	for at < len(rest) {
		t := bytes.IndexByte(rest[at:], '\t')
		if t < 0 {
			break
		}
		n++
		if n > MaxStoredSamples {
			return rest[:at+t]
		}
		at += t + 1
	}
	return rest
}

// Genotype classes (bits 0-1 of a "gt:N" value).
const (
	GTMissing = 0 // no call, or no such sample column
	GTRef     = 1 // only REF alleles called
	GTHet     = 2 // an ALT and another allele (REF, another ALT or a missing one)
	GTHomAlt  = 3 // every called allele is the same ALT (hemizygous calls too)
)

// gtNone marks an absent GQ or DP in a packed genotype.
const (
	gqBits = 10
	dpBits = 20
	gqMax  = 1<<gqBits - 2 // larger values are stored as this
	dpMax  = 1<<dpBits - 2
)

// packGT packs a genotype class with GQ and DP (-1 when absent): bits 0-1
// class, 2-11 GQ+1, 12-31 DP+1 (0 = absent).
func packGT(class, gq, dp int) uint32 {
	v := uint32(class & 3)
	if gq >= 0 {
		v |= uint32(min(gq, gqMax)+1) << 2
	}
	if dp >= 0 {
		v |= uint32(min(dp, dpMax)+1) << (2 + gqBits)
	}
	return v
}

// unpackGT is packGT backwards.
func unpackGT(v uint32) (class, gq, dp int) {
	class = int(v & 3)
	gq = int(v>>2&(1<<gqBits-1)) - 1
	dp = int(v>>(2+gqBits)) - 1
	return
}

// maxSigValues bounds a significance field's dictionary (a 63-bit mask).
const maxSigValues = 63

type extraCols struct {
	pos      *colWriter
	num      []*colWriter // "src:KEY" float32, per numeric source field
	numKeys  []string
	sig      []*colWriter // "sig:KEY" mask, per significance field
	sigKeys  []string
	sigDict  []map[string]int
	sigNames [][]string
	samples  int // genotype columns
	gt       []*colWriter
	classes  int          // class-only columns, for the samples that follow the first x.samples
	gc       []*colWriter // "gc:N", N the sample's index
}

func newExtra(f fields, samples int) *extraCols {
	x := &extraCols{pos: &colWriter{name: "pos", width: 4}, samples: min(samples, MaxGenotypeSamples)}
	for _, sf := range f.srcs {
		switch {
		case sf.Numeric():
			x.num = append(x.num, &colWriter{name: "src:" + sf.Key, width: 4})
			x.numKeys = append(x.numKeys, sf.Key)
		case sf.Sig:
			x.sig = append(x.sig, &colWriter{name: "sig:" + sf.Key, width: 8})
			x.sigKeys = append(x.sigKeys, sf.Key)
			x.sigDict = append(x.sigDict, map[string]int{})
			x.sigNames = append(x.sigNames, nil)
		}
	}
	for i := 0; i < x.samples; i++ {
		x.gt = append(x.gt, &colWriter{name: "gt:" + strconv.Itoa(i), width: 4})
	}
	x.classes = max(0, min(samples, MaxClassSamples)-x.samples)
	for i := x.samples; i < x.samples+x.classes; i++ {
		x.gc = append(x.gc, &colWriter{name: "gc:" + strconv.Itoa(i), width: 1})
	}
	return x
}

func (x *extraCols) all() []*colWriter {
	out := append([]*colWriter{x.pos}, x.num...)
	out = append(out, x.sig...)
	out = append(out, x.gt...)
	return append(out, x.gc...)
}

// record appends the values of a parsed record.
func (x *extraCols) record(tx *sql.Tx, rec *vcf.Record) error {
	if err := x.pos.put(tx, uint64(uint32(min(rec.Pos, math.MaxUint32)))); err != nil {
		return err
	}
	for i, k := range x.numKeys {
		v, _ := vcf.InfoValue(rec.Info, k)
		if err := x.num[i].put(tx, uint64(math.Float32bits(maxNumber(v)))); err != nil {
			return err
		}
	}
	for i, k := range x.sigKeys {
		v, _ := vcf.InfoValue(rec.Info, k)
		if err := x.sig[i].put(tx, x.sigMask(i, v)); err != nil {
			return err
		}
	}
	if x.samples == 0 {
		return nil
	}
	gtAt, gqAt, dpAt := -1, -1, -1
	rest := rec.Rest
	format := rest
	if t := bytes.IndexByte(rest, '\t'); t >= 0 {
		format, rest = rest[:t], rest[t+1:]
	} else {
		rest = nil
	}
	for i, k := range bytes.Split(format, []byte{':'}) {
		switch string(k) {
		case "GT":
			gtAt = i
		case "GQ":
			gqAt = i
		case "DP":
			dpAt = i
		}
	}
	for s := 0; s < x.samples+x.classes; s++ {
		var col []byte
		if rest != nil {
			if t := bytes.IndexByte(rest, '\t'); t >= 0 {
				col, rest = rest[:t], rest[t+1:]
			} else {
				col, rest = rest, nil
			}
		}
		var err error
		if s < x.samples {
			err = x.gt[s].put(tx, uint64(sampleGT(col, gtAt, gqAt, dpAt)))
		} else {
			err = x.gc[s-x.samples].put(tx, uint64(sampleClass(col, gtAt)))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// empty appends "nothing known" for a record that could not be parsed.
func (x *extraCols) empty(tx *sql.Tx, pos int64) error {
	if err := x.pos.put(tx, uint64(uint32(max(0, min(pos, math.MaxUint32))))); err != nil {
		return err
	}
	nan := uint64(math.Float32bits(float32(math.NaN())))
	for _, c := range x.num {
		if err := c.put(tx, nan); err != nil {
			return err
		}
	}
	for _, c := range append(append(append([]*colWriter(nil), x.sig...), x.gt...), x.gc...) {
		if err := c.put(tx, 0); err != nil {
			return err
		}
	}
	return nil
}

// sampleGT packs one sample column given the FORMAT positions of GT, GQ
// and DP (-1 when absent).
func sampleGT(col []byte, gtAt, gqAt, dpAt int) uint32 {
	class, gq, dp := GTMissing, -1, -1
	for i := 0; len(col) > 0 || i == 0; i++ {
		var v []byte
		if c := bytes.IndexByte(col, ':'); c >= 0 {
			v, col = col[:c], col[c+1:]
		} else {
			v, col = col, nil
		}
		switch i {
		case gtAt:
			class = gtClass(v)
		case gqAt:
			gq = intOr(v, -1)
		case dpAt:
			dp = intOr(v, -1)
		}
		if col == nil {
			break
		}
	}
	return packGT(class, gq, dp)
}

// sampleClass is sampleGT's class alone, for the class-only samples of a
// cohort: it reads no field past GT, and takes the usual one-digit diploid
// calls (0/0, 0/1, 1|1, ./.) without the general parse.
func sampleClass(col []byte, gtAt int) int {
	if gtAt < 0 {
		return GTMissing
	}
	for i := 0; i < gtAt; i++ {
		c := bytes.IndexByte(col, ':')
		if c < 0 {
			return GTMissing
		}
		col = col[c+1:]
	}
	if c := bytes.IndexByte(col, ':'); c >= 0 {
		col = col[:c]
	}
	if len(col) == 3 && (col[1] == '/' || col[1] == '|') {
		switch a, b := col[0], col[2]; {
		case a == '.' && b == '.':
			return GTMissing
		case a == '0' && b == '0':
			return GTRef
		case a == '1' && b == '1':
			return GTHomAlt
		case a == '0' && b == '1', a == '1' && b == '0':
			return GTHet
		}
	}
	return gtClass(col)
}

// gtClass classifies a GT value such as 0/1, 1|1, ./1 or 1 (haploid).
func gtClass(v []byte) int {
	called, ref, missing := 0, 0, 0
	alt := -1
	mixed := false
	for len(v) > 0 {
		var a []byte
		if c := bytes.IndexAny(v, "/|"); c >= 0 {
			a, v = v[:c], v[c+1:]
		} else {
			a, v = v, nil
		}
		n, err := strconv.Atoi(string(a))
		if err != nil || n < 0 {
			missing++
			continue
		}
		called++
		switch {
		case n == 0:
			ref++
		case alt < 0:
			alt = n
		case alt != n:
			mixed = true
		}
	}
	switch {
	case called == 0:
		return GTMissing
	case alt < 0:
		return GTRef
	case ref > 0 || mixed || missing > 0:
		return GTHet
	}
	return GTHomAlt
}

func intOr(v []byte, def int) int {
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 0 {
		return def
	}
	return n
}

// maxNumber is the largest number of a Number=A value ("0.1,.,0.3"), NaN
// when there is none.
func maxNumber(v []byte) float32 {
	best := float32(math.NaN())
	for len(v) > 0 {
		var one []byte
		if c := bytes.IndexByte(v, ','); c >= 0 {
			one, v = v[:c], v[c+1:]
		} else {
			one, v = v, nil
		}
		if len(one) == 0 || one[0] == '.' && len(one) == 1 {
			continue
		}
		x, err := strconv.ParseFloat(string(one), 32)
		if err != nil || math.IsNaN(x) {
			continue
		}
		if f := float32(x); math.IsNaN(float64(best)) || f > best {
			best = f
		}
	}
	return best
}

// SigTerms splits a clinical-significance value into its terms: ALTs by
// ',', then '&', '/', '|' and ';' (escaped or not) between terms; each
// term lower-cased with spaces as '_' ("Likely pathogenic" and
// "likely_pathogenic" are one term).
func SigTerms(v string) []string {
	v = unescape([]byte(v))
	var out []string
	for _, t := range strings.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == '&' || r == '/' || r == '|' || r == ';'
	}) {
		t = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(t)), " ", "_")
		if t == "" || t == "." {
			continue
		}
		out = append(out, t)
	}
	return out
}

// sigMask maps a significance value to bits of field i's dictionary. Past
// maxSigValues distinct terms, new terms get no bit (the filter offers
// only the terms it has bits for).
func (x *extraCols) sigMask(i int, v []byte) uint64 {
	if len(v) == 0 {
		return 0
	}
	var m uint64
	for _, t := range SigTerms(string(v)) {
		b, ok := x.sigDict[i][t]
		if !ok {
			if len(x.sigNames[i]) >= maxSigValues {
				continue
			}
			b = len(x.sigNames[i])
			x.sigDict[i][t] = b
			x.sigNames[i] = append(x.sigNames[i], t)
		}
		m |= 1 << b
	}
	return m
}

// finish flushes the columns and writes the significance dictionaries.
func (x *extraCols) finish(tx *sql.Tx) error {
	for _, c := range x.all() {
		if err := c.flush(tx); err != nil {
			return err
		}
	}
	for i, k := range x.sigKeys {
		for b, name := range x.sigNames[i] {
			if _, err := tx.Exec(`INSERT INTO sigterm VALUES (?,?,?)`, k, b, name); err != nil {
				return fmt.Errorf("variantdb: insert significance term: %w", err)
			}
		}
	}
	return nil
}

// appendStripANN appends INFO without its ANN key (stored apart, in ann)
// to dst.
func appendStripANN(dst, info []byte) []byte {
	if len(info) == 0 || string(info) == "." {
		return dst
	}
	start := len(dst)
	for len(info) > 0 {
		var f []byte
		if s := bytes.IndexByte(info, ';'); s >= 0 {
			f, info = info[:s], info[s+1:]
		} else {
			f, info = info, nil
		}
		if bytes.HasPrefix(f, []byte("ANN=")) || len(f) == 0 {
			continue
		}
		if len(dst) > start {
			dst = append(dst, ';')
		}
		dst = append(dst, f...)
	}
	return dst
}
