package geo

import (
	"math"
	"sync"

	"github.com/paulmach/orb"
)

// bands speed up the point-in-area test of an area with many edges: the
// area's height is cut into horizontal bands, each listing the edges whose
// y-range meets it, so a point is tested against the few edges of its band
// instead of all of them. A horizontal ray from the point can only cross
// edges whose y-range holds the point's y, and a point can only lie on
// such an edge, so the band's edges give the same answer as all of them.
type bands struct {
	minY, h float64
	edges   []bandEdge  // band i's are edges[off[i]:off[i+1]], ordered by polygon then ring
	off     []int32     // len: bands + 1
	bounds  []orb.Bound // of each polygon
}

type bandEdge struct {
	a, b       orb.Point
	poly, ring int32
}

const (
	bandsMinEdges = 12 // fewer edges are tested directly
	bandsMaxCost  = 32 // edges may be listed this many times over at most
)

func newBands(polys orb.MultiPolygon, bounds []orb.Bound, bound orb.Bound) *bands {
	n := 0
	for _, p := range polys {
		for _, r := range p {
			n += len(r)
		}
	}
	if n < bandsMinEdges || !(bound.Max[1] > bound.Min[1]) {
		return nil
	}
	k := min(n, 4096)
	bs := bandPool.Get().(*bands)
	bs.minY, bs.h, bs.bounds = bound.Min[1], (bound.Max[1]-bound.Min[1])/float64(k), bounds
	bs.off = append(bs.off[:0], make([]int32, k+1)...)
	// Two passes over the edges, so that the bands share one array: count
	// each band's edges (off[j+1]), then fill the bands in edge order.
	total := 0
	for _, p := range polys {
		for _, r := range p {
			for i := range r {
				lo, hi := bs.edgeBands(r[i], r[(i+1)%len(r)])
				total += hi - lo + 1
				if total > bandsMaxCost*n {
					bs.release()
					return nil // tall edges everywhere: bands would not pay
				}
				for j := lo; j <= hi; j++ {
					bs.off[j+1]++
				}
			}
		}
	}
	for j := range k {
		bs.off[j+1] += bs.off[j]
	}
	bs.edges = append(bs.edges[:0], make([]bandEdge, total)...)
	next := bs.off[:k] // where band j's next edge goes: off[j] moves up to off[j+1]
	for pi, p := range polys {
		for ri, r := range p {
			for i := range r {
				e := bandEdge{r[i], r[(i+1)%len(r)], int32(pi), int32(ri)}
				lo, hi := bs.edgeBands(e.a, e.b)
				for j := lo; j <= hi; j++ {
					bs.edges[next[j]] = e
					next[j]++
				}
			}
		}
	}
	copy(bs.off[1:], bs.off[:k]) // now off[j] is band j's end: shift back to starts
	bs.off[0] = 0
	return bs
}

// bandPool keeps the arrays of released bands for the next area.
var bandPool = sync.Pool{New: func() any { return new(bands) }}

// release returns bs to the pool (unless its arrays are large); bs must
// not be used after.
func (bs *bands) release() {
	bs.bounds = nil
	if cap(bs.edges) <= 1<<14 {
		bandPool.Put(bs)
	}
}

// edgeBands returns the first and last band the edge a-b meets.
func (bs *bands) edgeBands(a, b orb.Point) (int, int) {
	return bs.band(min(a[1], b[1])), bs.band(max(a[1], b[1]))
}

func (bs *bands) band(y float64) int {
	i := int(math.Floor((y - bs.minY) / bs.h))
	return min(max(i, 0), len(bs.off)-2)
}

// covers is polygonCovers over the area's polygons, with the edges of pt's
// band, in the same order of tests: for each polygon, pt on its exterior
// ring is in; outside the ring, the polygon's holes do not matter; then
// each hole in turn: on it is in, strictly inside it the polygon is out.
func (bs *bands) covers(pt orb.Point) bool {
	b := bs.band(pt[1])
	es := bs.edges[bs.off[b]:bs.off[b+1]]
	for i := 0; i < len(es); {
		poly := es[i].poly
		// In until a ring says otherwise; out if the exterior ring does
		// not reach pt's band, or pt is outside the polygon's bound (which
		// the ring test, rounding, might not see).
		in := es[i].ring == 0 && bs.bounds[poly].Contains(pt)
		for i < len(es) && es[i].poly == poly {
			ring := es[i].ring
			inside, on := false, false
			for ; i < len(es) && es[i].poly == poly && es[i].ring == ring; i++ {
				if !in || on {
					continue
				}
				a, b := es[i].a, es[i].b
				if onSegment(a, b, pt) {
					on = true
					continue
				}
				if (a[1] > pt[1]) != (b[1] > pt[1]) {
					if x := a[0] + (pt[1]-a[1])*(b[0]-a[0])/(b[1]-a[1]); pt[0] < x {
						inside = !inside
					}
				}
			}
			switch {
			case !in:
			case on:
				return true
			case ring == 0 && !inside, ring != 0 && inside:
				in = false
			}
		}
		if in {
			return true
		}
	}
	return false
}
