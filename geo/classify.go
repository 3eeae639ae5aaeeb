package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// Segment is an edge of an area's ring.
type Segment struct{ A, B orb.Point }

// Side is 1 when p lies to the left of the line through the segment
// (going from A to B), -1 to its right, and 0 when p is on the line or so
// near it that rounding could flip the answer.
func (e Segment) Side(p orb.Point) int {
	ux, uy, vx, vy := e.B[0]-e.A[0], e.B[1]-e.A[1], p[0]-e.A[0], p[1]-e.A[1]
	o := ux*vy - uy*vx
	// Far above the error of the products and the subtraction (a few
	// units of 2⁻⁵³ of the terms' size) and of the differences above.
	tol := 1e-12 * (math.Abs(ux*vy) + math.Abs(uy*vx))
	switch {
	case o > tol:
		return 1
	case o < -tol:
		return -1
	}
	return 0
}

// Relation is where a rectangle lies with respect to an area.
type Relation int8

const (
	Outside Relation = iota // no point of the rectangle is in the area
	Inside                  // every point of the rectangle is in the area
	Crosses                 // the area's boundary touches the rectangle
)

// AppendEdges appends every edge of the area's rings, closing edges
// included, to out.
func (a *Area) AppendEdges(out []Segment) []Segment {
	for _, p := range a.polys {
		for _, r := range p {
			for i := range r {
				out = append(out, Segment{r[i], r[(i+1)%len(r)]})
			}
		}
	}
	return out
}

// Classify tells whether the closed rectangle b lies inside the area,
// outside it, or is touched by its boundary, given edges: the area's edges
// that may touch b (all of them, or those a larger rectangle around b
// found). It appends the edges that touch b to crossing and returns it.
// It decides Inside or Outside only when no edge touches b, so a caller
// that widens b a little keeps rounding on the Crosses side.
func (a *Area) Classify(b orb.Bound, edges []Segment, crossing []Segment) (Relation, []Segment) {
	n := len(crossing)
	for _, e := range edges {
		if SegmentTouchesBound(e, b) {
			crossing = append(crossing, e)
		}
	}
	if len(crossing) > n {
		return Crosses, crossing
	}
	if a.ContainsPoint(b.Center()) {
		return Inside, crossing
	}
	return Outside, crossing
}

// SegmentTouchesBound reports whether segment e and the closed rectangle b
// share a point (separating axes: the rectangle's two and the segment's
// normal).
func SegmentTouchesBound(e Segment, b orb.Bound) bool {
	if max(e.A[0], e.B[0]) < b.Min[0] || min(e.A[0], e.B[0]) > b.Max[0] ||
		max(e.A[1], e.B[1]) < b.Min[1] || min(e.A[1], e.B[1]) > b.Max[1] {
		return false
	}
	var pos, neg bool
	for _, c := range [4]orb.Point{b.Min, {b.Max[0], b.Min[1]}, b.Max, {b.Min[0], b.Max[1]}} {
		switch o := orient(e.A, e.B, c); {
		case o > 0:
			pos = true
		case o < 0:
			neg = true
		default:
			return true
		}
	}
	return pos && neg
}
