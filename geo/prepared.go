package geo

import "github.com/paulmach/orb"

// Area is a query area (Polygon, MultiPolygon, Ring or Bound) prepared once
// for many Intersects tests: its polygons and their bounds are computed when
// it is made, not again for every candidate feature.
type Area struct {
	polys  orb.MultiPolygon
	bounds []orb.Bound // of each polygon
	bound  orb.Bound   // of them all
	bands  *bands      // nil: ContainsPoint tests every edge
}

// Prepare returns the area ready for repeated tests; ok is false for a
// geometry that is not an area (it then intersects nothing).
func Prepare(area orb.Geometry) (a *Area, ok bool) {
	var polys orb.MultiPolygon
	switch g := area.(type) {
	case orb.Polygon:
		polys = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		polys = g
	case orb.Ring:
		polys = orb.MultiPolygon{{g}}
	case orb.Bound:
		polys = orb.MultiPolygon{g.ToPolygon()}
	default:
		return &Area{}, false
	}
	a = &Area{polys: polys, bound: polys.Bound()}
	for _, p := range polys {
		a.bounds = append(a.bounds, p.Bound())
	}
	a.bands = newBands(polys, a.bounds, a.bound)
	return a, true
}

// Release lets the area's arrays serve the next area prepared; a must not
// be used after. Calling it is optional (what is not released is
// collected).
func (a *Area) Release() {
	if a.bands != nil {
		a.bands.release()
		a.bands = nil
	}
}

// Bound is the area's bounding rectangle.
func (a *Area) Bound() orb.Bound { return a.bound }

// ContainsPoint reports whether pt lies in the area (boundary included),
// as Intersects(pt, area) does.
func (a *Area) ContainsPoint(pt orb.Point) bool {
	if !a.bound.Contains(pt) {
		return false
	}
	if a.bands != nil {
		return a.bands.covers(pt)
	}
	for i, p := range a.polys {
		if len(p) > 0 && a.bounds[i].Contains(pt) && polygonCovers(p, pt) {
			return true
		}
	}
	return false
}

// Intersects reports whether g and the area share at least one point, as
// the function Intersects does.
func (a *Area) Intersects(g orb.Geometry) bool {
	if pt, ok := g.(orb.Point); ok {
		return a.ContainsPoint(pt)
	}
	gb := g.Bound()
	if !gb.Intersects(a.bound) {
		return false
	}
	for i, p := range a.polys {
		if gb.Intersects(a.bounds[i]) && intersectsPolygon(g, p) {
			return true
		}
	}
	return false
}
