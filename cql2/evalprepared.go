package cql2

import (
	"github.com/paulmach/orb"

	"github.com/cityatlas/cityatlas/geo"
)

// preparedIntersects compiles S_INTERSECTS between the feature's geometry
// and a polygon literal so that a point feature is tested against the
// polygon prepared once (its bounds and edge bands), without making a
// simplefeatures geometry of every candidate; other features take the
// general test. ok is false when e is not of that form.
func (c *compiler) preparedIntersects(e Op, general pred) (pred, bool) {
	if e.Op != "s_intersects" || len(e.Args) != 2 {
		return nil, false
	}
	for i := range 2 {
		p, isProp := e.Args[1-i].(Property)
		if !isProp {
			continue
		}
		if _, t, _ := c.q.lookup(string(p)); t != TypeGeometry {
			continue
		}
		var area orb.Geometry
		switch g := e.Args[i].(type) {
		case Geometry:
			area = orbArea(g)
		case BBox:
			if len(g) == 4 {
				area = orb.Bound{Min: orb.Point{g[0], g[1]}, Max: orb.Point{g[2], g[3]}}
			}
		}
		if area == nil {
			continue
		}
		a, ok := geo.Prepare(area)
		if !ok {
			continue
		}
		return func(en *env) tri {
			if pt, ok := pointOf(en.r); ok {
				return truth(a.ContainsPoint(pt))
			}
			return general(en)
		}, true
	}
	return nil, false
}

// orbArea is a Polygon or MultiPolygon literal in 2D, nil for another
// type.
func orbArea(g Geometry) orb.Geometry {
	ring := func(ps []Position) orb.Ring {
		r := make(orb.Ring, len(ps))
		for i, p := range ps {
			if len(p) < 2 {
				return nil
			}
			r[i] = orb.Point{p[0], p[1]}
		}
		return r
	}
	poly := func(rs [][]Position) orb.Polygon {
		p := make(orb.Polygon, len(rs))
		for i, r := range rs {
			if p[i] = ring(r); p[i] == nil {
				return nil
			}
		}
		return p
	}
	switch g.Type {
	case Polygon:
		if p := poly(g.Rings); len(p) > 0 {
			return p
		}
	case MultiPolygon:
		mp := make(orb.MultiPolygon, len(g.Polys))
		for i, rs := range g.Polys {
			if mp[i] = poly(rs); len(mp[i]) == 0 {
				return nil
			}
		}
		return mp
	}
	return nil
}

// spatialFirst orders the terms of an AND or OR (both commutative in
// CQL2's three-valued logic) cheapest first: comparisons of a property
// with a constant (a cached result by value id, see compareConst), then
// S_INTERSECTS (a point in a prepared polygon), then the rest, which
// decode values or geometries.
func spatialFirst(args []Expr, ps []pred) []pred {
	rank := func(a Expr) int {
		op, ok := a.(Op)
		switch {
		case ok && constCompare(op):
			return 0
		case ok && op.Op == "s_intersects":
			return 1
		}
		return 2
	}
	out := make([]pred, 0, len(ps))
	for pass := range 3 {
		for i, a := range args {
			if rank(a) == pass {
				out = append(out, ps[i])
			}
		}
	}
	return out
}
