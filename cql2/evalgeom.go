package cql2

import (
	"fmt"

	"github.com/paulmach/orb"
	sf "github.com/peterstace/simplefeatures/geom"
)

// spatial compiles the DE-9IM predicates with simplefeatures. A test that
// fails on a geometry it can't handle is unknown, never a panic.
func (c *compiler) spatial(e Op) (pred, error) {
	vs, err := c.evals(e.Args)
	if err != nil {
		return nil, err
	}
	rel := relations[e.Op]
	general := func(en *env) tri {
		a, b := vs[0](en), vs[1](en)
		if a.k != vGeom || b.k != vGeom {
			return unknown
		}
		return relate(rel, a.g, b.g)
	}
	if p, ok := c.preparedIntersects(e, general); ok {
		return p, nil
	}
	return general, nil
}

var relations = map[string]func(a, b sf.Geometry) (bool, error){
	"s_intersects": func(a, b sf.Geometry) (bool, error) { return sf.Intersects(a, b), nil },
	"s_equals":     sf.Equals,
	"s_disjoint":   sf.Disjoint,
	"s_touches":    sf.Touches,
	"s_within":     sf.Within,
	"s_overlaps":   sf.Overlaps,
	"s_crosses":    sf.Crosses,
	"s_contains":   sf.Contains,
}

func relate(rel func(a, b sf.Geometry) (bool, error), a, b sf.Geometry) (t tri) {
	defer func() {
		if recover() != nil {
			t = unknown
		}
	}()
	ok, err := rel(a, b)
	if err != nil {
		return unknown
	}
	return truth(ok)
}

// envelope finds the box of a spatial predicate between the geometry and a
// literal in e or its top-level AND (see Filter.Envelope).
func envelope(e Expr, q Queryables) ([4]float64, bool) {
	terms := []Expr{e}
	if op, ok := e.(Op); ok && op.Op == "and" {
		terms = op.Args
	}
	var box [4]float64
	found := false
	for _, t := range terms {
		op, ok := t.(Op)
		if !ok || ops[op.Op] != classSpatial || op.Op == "s_disjoint" {
			continue
		}
		lit, other := op.Args[0], op.Args[1]
		if _, isProp := lit.(Property); isProp {
			lit, other = other, lit
		}
		if p, ok := other.(Property); !ok || string(p) != q.Geometry {
			continue
		}
		g, err := toSF(lit)
		if err != nil {
			continue
		}
		lo, hi, ok := g.Envelope().MinMaxXYs()
		if !ok {
			continue
		}
		b := [4]float64{lo.X, lo.Y, hi.X, hi.Y}
		if found {
			b = [4]float64{max(b[0], box[0]), max(b[1], box[1]), min(b[2], box[2]), min(b[3], box[3])}
		}
		box, found = b, true
	}
	return box, found
}

// toSF converts a geometry or bbox literal to simplefeatures (2D) and
// checks that it is valid.
func toSF(e Expr) (sf.Geometry, error) {
	var g sf.Geometry
	switch e := e.(type) {
	case BBox:
		w, s, east, n := e[0], e[1], e[2], e[3]
		if len(e) == 6 {
			east, n = e[3], e[4]
		}
		if w > east || s > n {
			return g, &CheckError{Msg: fmt.Sprintf("BBOX(%g, %g, %g, %g) has its minimum above its maximum; the order is west, south, east, north", w, s, east, n)}
		}
		return sf.NewEnvelope(sf.XY{X: w, Y: s}, sf.XY{X: east, Y: n}).AsGeometry(), nil
	case Geometry:
		g = literalSF(e)
	default:
		return g, errNotConstant
	}
	if err := g.Validate(); err != nil {
		text, _ := Text(e)
		if len(text) > 80 {
			text = text[:80] + "..."
		}
		return g, &CheckError{Msg: fmt.Sprintf("the geometry %s is not valid: %v", text, err)}
	}
	return g, nil
}

func seq(ps []Position) sf.Sequence {
	flat := make([]float64, 0, 2*len(ps))
	for _, p := range ps {
		flat = append(flat, p[0], p[1])
	}
	return sf.NewSequence(flat, sf.DimXY)
}

func rings(rs [][]Position) sf.Polygon {
	ls := make([]sf.LineString, len(rs))
	for i, r := range rs {
		ls[i] = sf.NewLineString(seq(r))
	}
	return sf.NewPolygon(ls)
}

func literalSF(g Geometry) sf.Geometry {
	switch g.Type {
	case Point:
		return sf.NewPoint(sf.Coordinates{XY: sf.XY{X: g.Coords[0][0], Y: g.Coords[0][1]}, Type: sf.DimXY}).AsGeometry()
	case LineString:
		return sf.NewLineString(seq(g.Coords)).AsGeometry()
	case MultiPoint:
		pts := make([]sf.Point, len(g.Coords))
		for i, p := range g.Coords {
			pts[i] = sf.NewPoint(sf.Coordinates{XY: sf.XY{X: p[0], Y: p[1]}, Type: sf.DimXY})
		}
		return sf.NewMultiPoint(pts).AsGeometry()
	case Polygon:
		return rings(g.Rings).AsGeometry()
	case MultiLineString:
		ls := make([]sf.LineString, len(g.Rings))
		for i, r := range g.Rings {
			ls[i] = sf.NewLineString(seq(r))
		}
		return sf.NewMultiLineString(ls).AsGeometry()
	case MultiPolygon:
		polys := make([]sf.Polygon, len(g.Polys))
		for i, p := range g.Polys {
			polys[i] = rings(p)
		}
		return sf.NewMultiPolygon(polys).AsGeometry()
	}
	gs := make([]sf.Geometry, len(g.Geoms))
	for i, m := range g.Geoms {
		gs[i] = literalSF(m)
	}
	return sf.NewGeometryCollection(gs).AsGeometry()
}

func orbSeq(ps []orb.Point) sf.Sequence {
	flat := make([]float64, 0, 2*len(ps))
	for _, p := range ps {
		flat = append(flat, p[0], p[1])
	}
	return sf.NewSequence(flat, sf.DimXY)
}

func orbPolygon(p orb.Polygon) sf.Polygon {
	ls := make([]sf.LineString, len(p))
	for i, r := range p {
		ls[i] = sf.NewLineString(orbSeq(r))
	}
	return sf.NewPolygon(ls)
}

// fromOrb converts a feature's orb geometry to simplefeatures.
func fromOrb(g orb.Geometry) sf.Geometry {
	switch g := g.(type) {
	case orb.Point:
		return sf.NewPoint(sf.Coordinates{XY: sf.XY{X: g[0], Y: g[1]}, Type: sf.DimXY}).AsGeometry()
	case orb.MultiPoint:
		pts := make([]sf.Point, len(g))
		for i, p := range g {
			pts[i] = sf.NewPoint(sf.Coordinates{XY: sf.XY{X: p[0], Y: p[1]}, Type: sf.DimXY})
		}
		return sf.NewMultiPoint(pts).AsGeometry()
	case orb.LineString:
		return sf.NewLineString(orbSeq(g)).AsGeometry()
	case orb.MultiLineString:
		ls := make([]sf.LineString, len(g))
		for i, l := range g {
			ls[i] = sf.NewLineString(orbSeq(l))
		}
		return sf.NewMultiLineString(ls).AsGeometry()
	case orb.Ring:
		return orbPolygon(orb.Polygon{g}).AsGeometry()
	case orb.Polygon:
		return orbPolygon(g).AsGeometry()
	case orb.MultiPolygon:
		polys := make([]sf.Polygon, len(g))
		for i, p := range g {
			polys[i] = orbPolygon(p)
		}
		return sf.NewMultiPolygon(polys).AsGeometry()
	case orb.Collection:
		gs := make([]sf.Geometry, len(g))
		for i, m := range g {
			gs[i] = fromOrb(m)
		}
		return sf.NewGeometryCollection(gs).AsGeometry()
	case orb.Bound:
		return sf.NewEnvelope(sf.XY{X: g.Min[0], Y: g.Min[1]}, sf.XY{X: g.Max[0], Y: g.Max[1]}).AsGeometry()
	}
	return sf.Geometry{}
}
