package geo

import (
	"github.com/paulmach/orb"
)

// IntersectsBound reports whether geometry g and rectangle b share at least
// one point (touching counts). Planar, in the geometry's own coordinates.
func IntersectsBound(g orb.Geometry, b orb.Bound) bool {
	if p, ok := g.(orb.Point); ok {
		return b.Contains(p)
	}
	if !g.Bound().Intersects(b) {
		return false
	}
	if b.Contains(g.Bound().Min) && b.Contains(g.Bound().Max) {
		return true
	}
	return intersectsPolygon(g, b.ToPolygon()) // the bounds are tested above
}

// Intersects reports whether geometry g and the area (a Polygon,
// MultiPolygon, Ring or Bound; holes excluded) share at least one point.
// Boundaries count as inside. Planar, in the geometries' own coordinates.
func Intersects(g orb.Geometry, area orb.Geometry) bool {
	a, ok := Prepare(area)
	return ok && a.Intersects(g)
}

func intersectsPolygon(g orb.Geometry, p orb.Polygon) bool {
	if len(p) == 0 {
		return false
	}
	switch g := g.(type) {
	case orb.Point:
		return polygonCovers(p, g)
	case orb.MultiPoint:
		for _, pt := range g {
			if polygonCovers(p, pt) {
				return true
			}
		}
	case orb.LineString:
		return lineIntersectsPolygon(g, p)
	case orb.MultiLineString:
		for _, l := range g {
			if lineIntersectsPolygon(l, p) {
				return true
			}
		}
	case orb.Ring:
		return polygonIntersectsPolygon(orb.Polygon{g}, p)
	case orb.Polygon:
		return polygonIntersectsPolygon(g, p)
	case orb.MultiPolygon:
		for _, q := range g {
			if polygonIntersectsPolygon(q, p) {
				return true
			}
		}
	case orb.Bound:
		return polygonIntersectsPolygon(g.ToPolygon(), p)
	case orb.Collection:
		for _, x := range g {
			if intersectsPolygon(x, p) {
				return true
			}
		}
	}
	return false
}

func lineIntersectsPolygon(l orb.LineString, p orb.Polygon) bool {
	for _, pt := range l {
		if polygonCovers(p, pt) {
			return true
		}
	}
	for _, r := range p {
		if pathsCross(l, orb.LineString(r)) {
			return true
		}
	}
	return false
}

func polygonIntersectsPolygon(q, p orb.Polygon) bool {
	if len(q) == 0 {
		return false
	}
	for _, pt := range q[0] {
		if polygonCovers(p, pt) {
			return true
		}
	}
	for _, pt := range p[0] {
		if polygonCovers(q, pt) {
			return true
		}
	}
	for _, rq := range q {
		for _, rp := range p {
			if pathsCross(orb.LineString(rq), orb.LineString(rp)) {
				return true
			}
		}
	}
	return false
}

// polygonCovers reports whether pt lies in the polygon's exterior ring and
// not strictly inside one of its holes.
func polygonCovers(p orb.Polygon, pt orb.Point) bool {
	in, on := ringContains(p[0], pt)
	if on {
		return true
	}
	if !in {
		return false
	}
	for _, h := range p[1:] {
		in, on := ringContains(h, pt)
		if on {
			return true
		}
		if in {
			return false
		}
	}
	return true
}

// ringContains reports whether pt is inside ring r (even-odd rule) and
// whether it lies on the ring's boundary.
func ringContains(r orb.Ring, pt orb.Point) (inside, onBoundary bool) {
	n := len(r)
	if n == 0 {
		return false, false
	}
	for i := 0; i < n; i++ {
		a, b := r[i], r[(i+1)%n]
		if onSegment(a, b, pt) {
			return false, true
		}
		if (a[1] > pt[1]) != (b[1] > pt[1]) {
			x := a[0] + (pt[1]-a[1])*(b[0]-a[0])/(b[1]-a[1])
			if pt[0] < x {
				inside = !inside
			}
		}
	}
	return inside, false
}

func pathsCross(a, b orb.LineString) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	if !a.Bound().Intersects(b.Bound()) {
		return false
	}
	for i := 0; i+1 < len(a); i++ {
		sb := orb.Bound{Min: a[i], Max: a[i]}.Extend(a[i+1])
		for j := 0; j+1 < len(b); j++ {
			if !sb.Intersects(orb.Bound{Min: b[j], Max: b[j]}.Extend(b[j+1])) {
				continue
			}
			if segmentsIntersect(a[i], a[i+1], b[j], b[j+1]) {
				return true
			}
		}
	}
	return false
}

func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

func onSegment(a, b, p orb.Point) bool {
	if orient(a, b, p) != 0 {
		return false
	}
	return min(a[0], b[0]) <= p[0] && p[0] <= max(a[0], b[0]) &&
		min(a[1], b[1]) <= p[1] && p[1] <= max(a[1], b[1])
}

func segmentsIntersect(p1, p2, q1, q2 orb.Point) bool {
	d1 := orient(q1, q2, p1)
	d2 := orient(q1, q2, p2)
	d3 := orient(p1, p2, q1)
	d4 := orient(p1, p2, q2)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	return onSegment(q1, q2, p1) || onSegment(q1, q2, p2) || onSegment(p1, p2, q1) || onSegment(p1, p2, q2)
}
