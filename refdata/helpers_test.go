package refdata

// lookupKnown looks an allele up in source 0 and renders the hit as the
// tests compare it: the ID and "FIELD=value;…" for the fields with a value
// (a flag as FIELD when set).
func lookupKnown(b *Bundle, contig, pos int, ref, alt []byte) (id, info []byte, ok bool) {
	var a Allele
	var h Hit
	if !a.Set(pos, ref, alt) || !b.Lookup(0, nil, contig, &a, &h) {
		return nil, nil, false
	}
	fields := b.Sources()[0].Fields
	for i, f := range fields {
		v, has := h.AppendValue(nil, i)
		if !has || f.Stored == "Flag" && string(v) == "0" {
			continue
		}
		if len(info) > 0 {
			info = append(info, ';')
		}
		info = append(info, f.Name...)
		if f.Stored != "Flag" {
			info = append(append(info, '='), v...)
		}
	}
	return append([]byte(nil), h.ID()...), info, true
}
