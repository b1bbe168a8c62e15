package annotate

// The standard genetic code, indexed by the 6-bit code of a codon (two bits
// per base, T=0 C=1 A=2 G=3, first base most significant). '*' is a stop.
const codonTable = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"

// baseCode maps a nucleotide to its 2-bit code, or -1 for anything else
// (N, IUPAC codes), which makes the codon untranslatable ('X').
var baseCode = func() [256]int8 {
	var t [256]int8
	for i := range t {
		t[i] = -1
	}
	for _, p := range []struct {
		b byte
		c int8
	}{{'T', 0}, {'C', 1}, {'A', 2}, {'G', 3}, {'t', 0}, {'c', 1}, {'a', 2}, {'g', 3}, {'U', 0}, {'u', 0}} {
		t[p.b] = p.c
	}
	return t
}()

// translateCodon returns the one-letter amino acid of a codon, 'X' when the
// codon holds an ambiguous base.
func translateCodon(c []byte) byte {
	a, b, d := baseCode[c[0]], baseCode[c[1]], baseCode[c[2]]
	if a < 0 || b < 0 || d < 0 {
		return 'X'
	}
	return codonTable[int(a)<<4|int(b)<<2|int(d)]
}

// translate appends the translation of every complete codon of seq to dst.
func translate(dst, seq []byte) []byte {
	for i := 0; i+3 <= len(seq); i += 3 {
		dst = append(dst, translateCodon(seq[i:i+3]))
	}
	return dst
}

// aaThree maps one-letter amino acid codes to the three-letter codes HGVS
// recommends; '*' is written Ter.
var aaThree = func() [256]string {
	var t [256]string
	for i := range t {
		t[i] = "Xaa"
	}
	for k, v := range map[byte]string{
		'A': "Ala", 'R': "Arg", 'N': "Asn", 'D': "Asp", 'C': "Cys", 'Q': "Gln", 'E': "Glu",
		'G': "Gly", 'H': "His", 'I': "Ile", 'L': "Leu", 'K': "Lys", 'M': "Met", 'F': "Phe",
		'P': "Pro", 'S': "Ser", 'T': "Thr", 'W': "Trp", 'Y': "Tyr", 'V': "Val", '*': "Ter",
		'U': "Sec", 'X': "Xaa",
	} {
		t[k] = v
	}
	return t
}()

var complement = func() [256]byte {
	var t [256]byte
	for i := range t {
		t[i] = 'N'
	}
	for _, p := range [][2]byte{{'A', 'T'}, {'C', 'G'}, {'G', 'C'}, {'T', 'A'}, {'N', 'N'},
		{'a', 'T'}, {'c', 'G'}, {'g', 'C'}, {'t', 'A'}, {'n', 'N'}} {
		t[p[0]] = p[1]
	}
	return t
}()

// revComp reverse-complements s in place and returns it; bases are
// upper-cased on the way.
func revComp(s []byte) []byte {
	for i, j := 0, len(s)-1; i <= j; i, j = i+1, j-1 {
		s[i], s[j] = complement[s[j]], complement[s[i]]
	}
	return s
}

// upper upper-cases ASCII letters in place (soft-masked FASTA is lower case).
func upper(s []byte) []byte {
	for i, c := range s {
		if c >= 'a' && c <= 'z' {
			s[i] = c - 32
		}
	}
	return s
}
