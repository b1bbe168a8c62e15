package refdata

// track is one region track: per contig an interval tree whose IDs index
// names (an offset table into a name heap; an empty name means "use the
// track name").
type track struct {
	label   []byte    // the track name, returned for name-less intervals
	index   []ivIndex // per contig
	nameOff []uint32  // per interval i: its name is heap[nameOff[2i]:nameOff[2i+1]]
	heap    []byte
}

func (t *track) name(i int32) []byte {
	a, b := t.nameOff[2*i], t.nameOff[2*i+1]
	if a == b {
		return t.label
	}
	return t.heap[a:b:b]
}
