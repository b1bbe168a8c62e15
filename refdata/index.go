package refdata

// ivNode is one interval in an implicit interval tree: the nodes are sorted
// by start, and the tree shape is implied by the array position (the layout
// of Heng Li's cgranges): position i is a leaf when its lowest bit is 0, and
// an inner node of level k when its k lowest bits are 1 and bit k is 0. Max
// is the largest End in the node's subtree. This gives O(log n + hits)
// queries, which matters because a single 2 Mb gene would turn a simple
// "sorted starts + running max end" scan into a walk over every transcript
// that starts inside it.
type ivNode struct {
	Start, End, Max int32
	ID              int32 // transcript index, or interval index within a track
}

// ivIndex is the interval tree of one contig.
type ivIndex struct {
	nodes []ivNode
	level int // level of the root; -1 when empty
}

// newIvIndex builds the tree in place; nodes must be sorted by Start.
func newIvIndex(nodes []ivNode) ivIndex {
	n := len(nodes)
	if n == 0 {
		return ivIndex{level: -1}
	}
	// suffix[i] = max End over nodes[i:], used for inner nodes whose right
	// subtree runs past the end of the array: the real part of that subtree is
	// exactly nodes[i+1:], so its max is the suffix max.
	suffix := make([]int32, n+1)
	suffix[n] = -1
	for i := n - 1; i >= 0; i-- {
		suffix[i] = max(suffix[i+1], nodes[i].End)
	}
	for i := 0; i < n; i += 2 {
		nodes[i].Max = nodes[i].End
	}
	k := 1
	for ; 1<<k <= n; k++ {
		x := 1 << (k - 1)
		for i := (x << 1) - 1; i < n; i += x << 2 {
			m := max(nodes[i].End, nodes[i-x].Max)
			if i+x < n {
				m = max(m, nodes[i+x].Max)
			} else {
				m = max(m, suffix[i+1])
			}
			nodes[i].Max = m
		}
	}
	// The root is at 2^K-1 for the smallest K with 2^(K+1)-1 >= n.
	root := 0
	for (1<<(root+1))-1 < n {
		root++
	}
	return ivIndex{nodes: nodes, level: root}
}

// query calls fn with the ID of every interval overlapping [start,end], in
// ascending Start order.
func (ix *ivIndex) query(start, end int, fn func(id int32)) {
	if ix.level < 0 || start > end {
		return
	}
	s, e := clamp32(start), clamp32(end)
	ix.visit((1<<ix.level)-1, ix.level, s, e, fn)
}

func (ix *ivIndex) visit(i, k int, s, e int32, fn func(int32)) {
	nodes := ix.nodes
	n := len(nodes)
	if k <= 2 {
		// Small subtree: a linear scan is cheaper than recursing.
		lo := i - (1 << k) + 1
		hi := min(i+(1<<k)-1, n-1)
		for j := lo; j <= hi; j++ {
			nd := &nodes[j]
			if nd.Start > e {
				return
			}
			if nd.End >= s {
				fn(nd.ID)
			}
		}
		return
	}
	x := 1 << (k - 1)
	if i >= n {
		// A virtual node past the end: only its left subtree holds intervals.
		ix.visit(i-x, k-1, s, e, fn)
		return
	}
	nd := &nodes[i]
	if nd.Max < s {
		return
	}
	ix.visit(i-x, k-1, s, e, fn)
	if nd.Start > e {
		return
	}
	if nd.End >= s {
		fn(nd.ID)
	}
	ix.visit(i+x, k-1, s, e, fn)
}

func clamp32(v int) int32 {
	switch {
	case v > 1<<31-1:
		return 1<<31 - 1
	case v < -1<<31:
		return -1 << 31
	}
	return int32(v)
}
