package store

import (
	"math"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"

	"github.com/cityatlas/cityatlas/geo"
)

// The count grid answers "how many features in this area?" for a layer of
// points without visiting most of them. The layer's extent is cut into
// cells of about gridPerCell points; the points are kept in cell order with
// a summed-area table of the cells' counts. A query area is split
// recursively over blocks of cells: a block its boundary does not touch is
// wholly inside (its count is four lookups in the table) or wholly outside
// (nothing); only the points of cells the boundary touches are tested one
// by one, with the same exact test the R-tree path uses. So a count costs
// about the boundary's length in cells, not the area's point count.
//
// A grid belongs to one published snapshot of a layer. It is built in the
// background when the snapshot is first counted (about 40 ms a million
// points), and until it is ready counts take the R-tree path; a layer that
// keeps changing simply keeps that path.

const (
	gridPerCell   = 8       // points a cell holds on average
	gridMinPoints = 20_000  // smaller layers count fast enough without one
	gridMaxCells  = 1 << 22 // 4 M cells: 48 MB of tables at most
)

type countGrid struct {
	minX, minY   float64
	cellW, cellH float64
	nx, ny       int
	start        []uint32    // cell i holds pts[start[i]:start[i+1]]; i = cy*nx + cx
	pts          []orb.Point // in cell order
	sat          []uint32    // sat[y*(nx+1)+x]: points in cells cx < x, cy < y
}

// gridSlot is a snapshot's grid: nil until it is built; noGrid for a layer
// that cannot have one (other geometries than 2D points, or too few).
type gridSlot struct {
	once sync.Once
	grid atomic.Pointer[countGrid]
}

var noGrid = &countGrid{}

// countGrid returns the layer's grid if it is ready, and starts building
// it when it was never asked for.
func (l *layer) countGrid() *countGrid {
	s := l.grid
	if s == nil {
		return nil
	}
	if g := s.grid.Load(); g != nil {
		return g
	}
	s.once.Do(func() {
		go func() { s.grid.Store(buildCountGrid(l)) }()
	})
	return s.grid.Load()
}

// buildCountGrid makes the grid of l's points, or returns noGrid.
func buildCountGrid(l *layer) *countGrid {
	n, ok := 0, true
	bound := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	l.ids.Scan(func(e entry) bool {
		it := l.item(e.ref)
		if it.shape >= 0 {
			ok = false
			return false
		}
		if it.hasGeom() {
			n++
			bound = bound.Extend(orb.Point{it.x, it.y})
		}
		return true
	})
	if !ok || n < gridMinPoints {
		return noGrid
	}
	w, h := bound.Max[0]-bound.Min[0], bound.Max[1]-bound.Min[1]
	cells := max(1, n/gridPerCell)
	if cells > gridMaxCells {
		cells = gridMaxCells
	}
	aspect := 1.0
	if w > 0 && h > 0 {
		aspect = w / h
	}
	nx := int(math.Ceil(math.Sqrt(float64(cells) * aspect)))
	nx = min(max(nx, 1), cells)
	ny := max(1, cells/nx)
	g := &countGrid{minX: bound.Min[0], minY: bound.Min[1], nx: nx, ny: ny}
	// A cell slightly larger than the extent over n cells keeps the
	// largest coordinates in the last cell.
	g.cellW = math.Max(w, 1e-9) / float64(nx) * (1 + 1e-12)
	g.cellH = math.Max(h, 1e-9) / float64(ny) * (1 + 1e-12)
	g.start = make([]uint32, nx*ny+1)
	l.ids.Scan(func(e entry) bool {
		if it := l.item(e.ref); it.hasGeom() {
			g.start[g.cell(it.x, it.y)+1]++
		}
		return true
	})
	for i := 1; i < len(g.start); i++ {
		g.start[i] += g.start[i-1]
	}
	next := append([]uint32(nil), g.start[:nx*ny]...)
	g.pts = make([]orb.Point, n)
	l.ids.Scan(func(e entry) bool {
		if it := l.item(e.ref); it.hasGeom() {
			c := g.cell(it.x, it.y)
			g.pts[next[c]] = orb.Point{it.x, it.y}
			next[c]++
		}
		return true
	})
	g.sat = make([]uint32, (nx+1)*(ny+1))
	for y := 1; y <= ny; y++ {
		row := uint32(0)
		for x := 1; x <= nx; x++ {
			c := (y-1)*nx + x - 1
			row += g.start[c+1] - g.start[c]
			g.sat[y*(nx+1)+x] = g.sat[(y-1)*(nx+1)+x] + row
		}
	}
	return g
}

func (g *countGrid) col(x float64) int {
	return min(max(int((x-g.minX)/g.cellW), 0), g.nx-1)
}

func (g *countGrid) row(y float64) int {
	return min(max(int((y-g.minY)/g.cellH), 0), g.ny-1)
}

func (g *countGrid) cell(x, y float64) int { return g.row(y)*g.nx + g.col(x) }

// sum is the number of points in the cells [x0, x1) × [y0, y1).
func (g *countGrid) sum(x0, y0, x1, y1 int) int {
	w := g.nx + 1
	return int(g.sat[y1*w+x1] - g.sat[y0*w+x1] - g.sat[y1*w+x0] + g.sat[y0*w+x0])
}

// gridEps widens a block before it is classified, so that a point the
// division put in a cell is inside the cell's bound whatever the rounding.
const gridEps = 1e-9

// block is the bound of cells [x0, x1) × [y0, y1), widened by gridEps.
func (g *countGrid) block(x0, y0, x1, y1 int) orb.Bound {
	return orb.Bound{
		Min: orb.Point{g.minX + float64(x0)*g.cellW - gridEps, g.minY + float64(y0)*g.cellH - gridEps},
		Max: orb.Point{g.minX + float64(x1)*g.cellW + gridEps, g.minY + float64(y1)*g.cellH + gridEps},
	}
}

// region is what the grid counts in: it classifies blocks, from the
// largest down (enter), and tests single points. A block entered is left
// before its parent is, so a region may keep a stack of what it learnt.
type region interface {
	enter(b orb.Bound) geo.Relation
	leave()
	contains(p orb.Point) bool
	// countCell counts the points of the cell just entered (of bound b)
	// that the region contains.
	countCell(pts []orb.Point, b orb.Bound) int
	bound() orb.Bound
}

// countEach counts the points r contains, testing each.
func countEach(r region, pts []orb.Point) int {
	n := 0
	for _, p := range pts {
		if r.contains(p) {
			n++
		}
	}
	return n
}

// countRegion returns the number of points in r: blocks r wholly holds
// are summed, cells across its edge tested point by point.
func (g *countGrid) countRegion(r region) int {
	b := r.bound()
	if b.Max[0] < g.minX || b.Max[1] < g.minY ||
		b.Min[0] > g.minX+float64(g.nx)*g.cellW || b.Min[1] > g.minY+float64(g.ny)*g.cellH {
		return 0
	}
	return g.countBlock(r, g.col(b.Min[0]), g.row(b.Min[1]), g.col(b.Max[0])+1, g.row(b.Max[1])+1)
}

func (g *countGrid) countBlock(r region, x0, y0, x1, y1 int) int {
	rel := r.enter(g.block(x0, y0, x1, y1))
	defer r.leave()
	switch rel {
	case geo.Outside:
		return 0
	case geo.Inside:
		return g.sum(x0, y0, x1, y1)
	}
	if x1-x0 == 1 && y1-y0 == 1 {
		i := y0*g.nx + x0
		return r.countCell(g.pts[g.start[i]:g.start[i+1]], g.block(x0, y0, x1, y1))
	}
	if x1-x0 >= y1-y0 {
		m := (x0 + x1) / 2
		return g.countBlock(r, x0, y0, m, y1) + g.countBlock(r, m, y0, x1, y1)
	}
	m := (y0 + y1) / 2
	return g.countBlock(r, x0, y0, x1, m) + g.countBlock(r, x0, m, x1, y1)
}

// areaRegion is a polygon area: each block keeps the edges that touch it,
// so that its sub-blocks test only those.
type areaRegion struct {
	a     *geo.Area
	buf   []geo.Segment // the edges of every open block, one after the other
	marks []int         // where each open block's edges start in buf
}

// regions keeps areaRegions' buffers from one count to the next.
var regions = sync.Pool{New: func() any { return new(areaRegion) }}

// newAreaRegion returns a region of a from the pool; release returns it.
func newAreaRegion(a *geo.Area) *areaRegion {
	r := regions.Get().(*areaRegion)
	r.a, r.buf, r.marks = a, a.AppendEdges(r.buf[:0]), append(r.marks[:0], 0)
	return r
}

func (r *areaRegion) release() {
	r.a = nil
	if cap(r.buf) <= 1<<16 { // a huge polygon's buffers are not kept
		regions.Put(r)
	}
}

func (r *areaRegion) enter(b orb.Bound) geo.Relation {
	parent := r.buf[r.marks[len(r.marks)-1]:]
	mark := len(r.buf)
	rel, buf := r.a.Classify(b, parent, r.buf)
	r.buf = buf
	r.marks = append(r.marks, mark)
	return rel
}

func (r *areaRegion) leave() {
	mark := r.marks[len(r.marks)-1]
	r.marks = r.marks[:len(r.marks)-1]
	r.buf = r.buf[:mark]
}

func (r *areaRegion) contains(p orb.Point) bool { return r.a.ContainsPoint(p) }

// countCell: when a single edge of the area touches the cell, and runs
// across it (both its ends outside b), it cuts the cell in two parts that
// no other edge touches, each wholly in the area or out of it (whatever
// the rings' orientation). So a point clearly on one side of the edge has
// the answer of the first point tested in full on that side; points on or
// near the edge's line are tested in full.
func (r *areaRegion) countCell(pts []orb.Point, b orb.Bound) int {
	edges := r.buf[r.marks[len(r.marks)-1]:]
	if len(edges) != 1 || b.Contains(edges[0].A) || b.Contains(edges[0].B) {
		return countEach(r, pts)
	}
	var known [3]int8 // by side+1: 0 not yet tested, 1 in, -1 out
	n := 0
	for _, p := range pts {
		side := edges[0].Side(p)
		if side == 0 {
			if r.contains(p) {
				n++
			}
			continue
		}
		if known[side+1] == 0 {
			known[side+1] = -1
			if r.contains(p) {
				known[side+1] = 1
			}
		}
		if known[side+1] > 0 {
			n++
		}
	}
	return n
}
func (r *areaRegion) bound() orb.Bound { return r.a.Bound() }

// discRegion is a circle on the ellipsoid.
type discRegion struct{ d *geo.Disc }

func (r discRegion) enter(b orb.Bound) geo.Relation { return r.d.Classify(b) }
func (r discRegion) leave()                         {}
func (r discRegion) contains(p orb.Point) bool      { return r.d.ContainsPoint(p) }
func (r discRegion) countCell(pts []orb.Point, _ orb.Bound) int {
	return countEach(r, pts)
}
func (r discRegion) bound() orb.Bound { return r.d.Bound() }

// gridQuery is a ready grid and the prepared area (or circle) of a count
// it answers.
type gridQuery struct {
	*countGrid
	area   *geo.Area
	circle *geo.Disc
}

// count answers the query.
func (q *gridQuery) count() int {
	if q.circle != nil {
		return q.countRegion(discRegion{q.circle})
	}
	r := newAreaRegion(q.area)
	defer r.release()
	defer q.area.Release()
	return q.countRegion(r)
}

// gridFor returns the grid that answers the count of f on l, or nil when
// the R-tree must: f has conditions besides one area, box or circle, the
// box crosses the antimeridian, or the grid is not ready.
func gridFor(l *layer, f Filter, m *matcher) *gridQuery {
	n := 0
	for _, set := range []bool{f.BBox != nil, f.Area != nil, f.Circle != nil} {
		if set {
			n++
		}
	}
	if !m.empty() || m.box != nil || n != 1 {
		return nil
	}
	var area orb.Geometry = f.Area
	if b := f.BBox; b != nil {
		if b[0] > b[2] {
			return nil
		}
		area = orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}
	}
	g := l.countGrid()
	if g == nil || g == noGrid {
		return nil
	}
	if f.Circle != nil {
		return &gridQuery{countGrid: g, circle: f.Circle}
	}
	a, ok := geo.Prepare(area)
	if !ok {
		return nil
	}
	return &gridQuery{countGrid: g, area: a}
}
