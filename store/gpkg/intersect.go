package gpkg

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/twpayne/go-geom"
)

// toOrb converts g to a 2D orb geometry (Z and M dropped), for the exact
// bounding-box test.
func toOrb(g geom.T) orb.Geometry {
	switch g := g.(type) {
	case *geom.Point:
		if g.Empty() {
			return orb.MultiPoint{}
		}
		return orb.Point{g.X(), g.Y()}
	case *geom.LineString:
		return lineString(g.FlatCoords(), g.Stride())
	case *geom.Polygon:
		return polygon(g.FlatCoords(), g.Ends(), g.Stride())
	case *geom.MultiPoint:
		mp := make(orb.MultiPoint, 0, g.NumPoints())
		for i := range g.NumPoints() {
			p := g.Point(i)
			if !p.Empty() {
				mp = append(mp, orb.Point{p.X(), p.Y()})
			}
		}
		return mp
	case *geom.MultiLineString:
		ml := make(orb.MultiLineString, 0, g.NumLineStrings())
		for i := range g.NumLineStrings() {
			l := g.LineString(i)
			ml = append(ml, lineString(l.FlatCoords(), l.Stride()))
		}
		return ml
	case *geom.MultiPolygon:
		mp := make(orb.MultiPolygon, 0, g.NumPolygons())
		for i := range g.NumPolygons() {
			p := g.Polygon(i)
			mp = append(mp, polygon(p.FlatCoords(), p.Ends(), p.Stride()))
		}
		return mp
	case *geom.GeometryCollection:
		c := make(orb.Collection, 0, g.NumGeoms())
		for _, m := range g.Geoms() {
			c = append(c, toOrb(m))
		}
		return c
	}
	return orb.Collection{}
}

func lineString(flat []float64, stride int) orb.LineString {
	ls := make(orb.LineString, 0, len(flat)/stride)
	for i := 0; i+1 < len(flat); i += stride {
		ls = append(ls, orb.Point{flat[i], flat[i+1]})
	}
	return ls
}

func polygon(flat []float64, ends []int, stride int) orb.Polygon {
	p := make(orb.Polygon, 0, len(ends))
	start := 0
	for _, end := range ends {
		p = append(p, orb.Ring(lineString(flat[start:end], stride)))
		start = end
	}
	return p
}

// intersects reports whether geometry g and rectangle r (boundaries
// included) have at least one point in common.
func intersects(r orb.Bound, g orb.Geometry) bool {
	if !r.Intersects(g.Bound()) {
		return false
	}
	switch g := g.(type) {
	case orb.Point:
		return r.Contains(g)
	case orb.MultiPoint:
		for _, p := range g {
			if r.Contains(p) {
				return true
			}
		}
	case orb.LineString:
		return pathIntersects(r, g)
	case orb.Ring:
		return pathIntersects(r, g)
	case orb.MultiLineString:
		for _, l := range g {
			if pathIntersects(r, l) {
				return true
			}
		}
	case orb.Polygon:
		return polygonIntersects(r, g)
	case orb.MultiPolygon:
		for _, p := range g {
			if polygonIntersects(r, p) {
				return true
			}
		}
	case orb.Collection:
		for _, m := range g {
			if intersects(r, m) {
				return true
			}
		}
	case orb.Bound:
		return r.Intersects(g)
	}
	return false
}

// polygonIntersects: either a ring crosses or touches the rectangle, or the
// rectangle lies wholly inside the polygon (and outside its holes), which a
// single corner decides once no edge meets the rectangle.
func polygonIntersects(r orb.Bound, p orb.Polygon) bool {
	if len(p) == 0 {
		return false
	}
	for _, ring := range p {
		if pathIntersects(r, orb.LineString(ring)) {
			return true
		}
	}
	return planar.PolygonContains(p, r.Min)
}

func pathIntersects(r orb.Bound, l []orb.Point) bool {
	if len(l) == 1 {
		return r.Contains(l[0])
	}
	for i := 1; i < len(l); i++ {
		if segmentIntersects(r, l[i-1], l[i]) {
			return true
		}
	}
	return false
}

// segmentIntersects clips segment ab to rectangle r (Liang-Barsky) and
// reports whether anything is left.
func segmentIntersects(r orb.Bound, a, b orb.Point) bool {
	if r.Contains(a) || r.Contains(b) {
		return true
	}
	dx, dy := b[0]-a[0], b[1]-a[1]
	t0, t1 := 0.0, 1.0
	clip := func(p, q float64) bool {
		if p == 0 {
			return q >= 0
		}
		t := q / p
		if p < 0 {
			if t > t1 {
				return false
			}
			if t > t0 {
				t0 = t
			}
		} else {
			if t < t0 {
				return false
			}
			if t < t1 {
				t1 = t
			}
		}
		return true
	}
	return clip(-dx, a[0]-r.Min[0]) && clip(dx, r.Max[0]-a[0]) &&
		clip(-dy, a[1]-r.Min[1]) && clip(dy, r.Max[1]-a[1]) && t0 <= t1
}
