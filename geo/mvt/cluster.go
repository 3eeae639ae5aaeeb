package mvt

// Grid clusters points by a square grid over the tile, for dense point
// layers at low zoom: each occupied cell becomes one feature at the mean
// position of its points, carrying the true count. Only points inside the
// tile proper (not its buffer) are counted, so each point is counted in
// exactly one tile of a zoom level.
//
// A Grid is reused between tiles; it is not safe for concurrent use.
type Grid struct {
	side   int     // cells per side
	cell   float64 // cell size, tile units
	extent float64
	slot   []int32 // per cell: 1 + index into used, 0 when empty
	used   []gridCell
}

type gridCell struct {
	n      int
	sx, sy float64
}

// Reset prepares the grid for a tile of extent units with cells of size
// cell units (extent/cell cells per side, at least 1).
func (g *Grid) Reset(extent, cell float64) {
	side := max(int(extent/cell), 1)
	if side != g.side || len(g.slot) != side*side {
		g.slot = make([]int32, side*side)
	} else if len(g.used) > 0 {
		clear(g.slot)
	}
	g.side, g.cell, g.extent = side, extent/float64(side), extent
	g.used = g.used[:0]
}

// Add counts the point at tile units x, y. It returns the index of its
// cluster (clusters are numbered 0, 1, ... in order of first point), whether
// the point is the first of that cluster, and false for ok when the point
// lies outside the tile (then it is not counted).
func (g *Grid) Add(x, y float64) (cluster int, first, ok bool) {
	if !(x >= 0 && x < g.extent && y >= 0 && y < g.extent) {
		return 0, false, false
	}
	i := min(int(x/g.cell), g.side-1) + min(int(y/g.cell), g.side-1)*g.side
	s := g.slot[i]
	if s == 0 {
		g.used = append(g.used, gridCell{})
		s = int32(len(g.used))
		g.slot[i] = s
		first = true
	}
	c := &g.used[s-1]
	c.n++
	c.sx += x
	c.sy += y
	return int(s - 1), first, true
}

// Len returns the number of clusters.
func (g *Grid) Len() int { return len(g.used) }

// Cluster returns cluster i's point count and mean position, tile units.
func (g *Grid) Cluster(i int) (count int, x, y float64) {
	c := g.used[i]
	return c.n, c.sx / float64(c.n), c.sy / float64(c.n)
}
