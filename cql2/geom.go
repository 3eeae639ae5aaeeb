package cql2

import (
	"fmt"
	"strings"
	"time"
)

// instant reads a date (YYYY-MM-DD) or a timestamp
// (YYYY-MM-DDThh:mm:ss[.f...]Z) as the standard writes them.
func instant(s string, date bool) (Expr, bool) {
	if date {
		if !shaped(s, "dddd-dd-dd") {
			return nil, false
		}
		t, err := time.Parse(time.DateOnly, s)
		return Date{Time: t}, err == nil
	}
	if len(s) < 20 || !shaped(s[:19], "dddd-dd-ddTdd:dd:dd") || s[len(s)-1] != 'Z' {
		return nil, false
	}
	if frac := s[19 : len(s)-1]; frac != "" && (len(frac) < 2 || len(frac) > 10 || !shaped(frac, "."+strings.Repeat("d", len(frac)-1))) {
		return nil, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return Timestamp{Time: t.UTC()}, err == nil
}

func instantForm(date bool) string {
	if date {
		return "date (YYYY-MM-DD)"
	}
	return "timestamp (YYYY-MM-DDThh:mm:ss[.fff]Z, in UTC)"
}

// shaped reports whether s has the shape of form, d standing for a digit.
func shaped(s, form string) bool {
	if len(s) != len(form) {
		return false
	}
	for i := range len(s) {
		if form[i] == 'd' && !isDigit(rune(s[i])) || form[i] != 'd' && s[i] != form[i] {
			return false
		}
	}
	return true
}

// intervalEnd reads a string end of an interval: a date, a timestamp or "..".
func intervalEnd(s string) (Expr, bool) {
	if s == ".." {
		return Unbounded{}, true
	}
	if e, ok := instant(s, true); ok {
		return e, true
	}
	return instant(s, false)
}

func isGeometryWord(u string) bool {
	switch u {
	case "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION":
		return true
	}
	return false
}

var geometryWords = map[string]GeometryType{
	"POINT": Point, "LINESTRING": LineString, "POLYGON": Polygon, "MULTIPOINT": MultiPoint,
	"MULTILINESTRING": MultiLineString, "MULTIPOLYGON": MultiPolygon, "GEOMETRYCOLLECTION": GeometryCollection,
}

// geomParser reads one WKT literal; dim is the dimension of its positions
// (0 until the first).
type geomParser struct {
	p   *parser
	dim int
}

// tagged reads a geometry literal after its word t.
func (g *geomParser) tagged(t token) (Expr, error) {
	typ := geometryWords[strings.ToUpper(t.text)]
	if g.p.peek().is("Z") {
		g.p.next()
		if g.dim == 2 {
			return nil, &Error{Pos: t.pos, Msg: "a geometry mixes 2D and 3D (Z) positions"}
		}
		g.dim = 3
	}
	var out Geometry
	out.Type = typ
	var err error
	switch typ {
	case Point:
		out.Coords, err = g.positions(1, 1)
	case LineString:
		out.Coords, err = g.positions(2, 0)
	case MultiPoint:
		out.Coords, err = g.multiPoint()
	case Polygon:
		out.Rings, err = g.rings(4)
	case MultiLineString:
		out.Rings, err = g.rings(2)
	case MultiPolygon:
		err = g.each(func() error {
			rings, err := g.rings(4)
			out.Polys = append(out.Polys, rings)
			return err
		})
	case GeometryCollection:
		err = g.each(func() error {
			w := g.p.next()
			u := strings.ToUpper(w.text)
			if w.kind != tIdent || !isGeometryWord(u) || u == "GEOMETRYCOLLECTION" {
				return g.p.unexpected(w, "a POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING or MULTIPOLYGON")
			}
			m, err := g.tagged(w)
			if err == nil {
				out.Geoms = append(out.Geoms, m.(Geometry))
			}
			return err
		})
	}
	return out, err
}

// each reads "(" item {"," item} ")".
func (g *geomParser) each(item func() error) error {
	_, err := g.p.list(func() (Expr, error) { return nil, item() }, false)
	return err
}

// positions reads "(" position {"," position} ")" with min..max positions
// (max 0: no limit).
func (g *geomParser) positions(min, max int) ([]Position, error) {
	start := g.p.peek().pos
	var ps []Position
	err := g.each(func() error {
		pos, err := g.position()
		ps = append(ps, pos)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(ps) < min || max > 0 && len(ps) > max {
		return nil, &Error{Pos: start, Msg: countMsg(min, max, len(ps))}
	}
	return ps, nil
}

func countMsg(min, max, n int) string {
	if min == max {
		return fmt.Sprintf("expected %d position, found %d", min, n)
	}
	return fmt.Sprintf("expected at least %d positions, found %d", min, n)
}

// multiPoint reads "((x y), (x y))" or the common "(x y, x y)".
func (g *geomParser) multiPoint() ([]Position, error) {
	var ps []Position
	err := g.each(func() error {
		if g.p.peek().is("(") {
			p, err := g.positions(1, 1)
			ps = append(ps, p...)
			return err
		}
		p, err := g.position()
		ps = append(ps, p)
		return err
	})
	return ps, err
}

// rings reads "(" positions {"," positions} ")", each of min positions.
func (g *geomParser) rings(min int) ([][]Position, error) {
	var rs [][]Position
	err := g.each(func() error {
		r, err := g.positions(min, 0)
		rs = append(rs, r)
		return err
	})
	return rs, err
}

// position reads x y [z].
func (g *geomParser) position() (Position, error) {
	start := g.p.peek().pos
	var pos Position
	for len(pos) < 3 {
		if t := g.p.peek(); t.is(",") || t.is(")") {
			break
		}
		v, err := g.p.signed()
		if err != nil {
			return nil, err
		}
		pos = append(pos, v)
	}
	if len(pos) < 2 {
		return nil, &Error{Pos: start, Msg: "a position needs an x and a y"}
	}
	if g.dim == 0 {
		g.dim = len(pos)
	}
	if len(pos) != g.dim {
		return nil, &Error{Pos: start, Msg: fmt.Sprintf("a geometry mixes %dD and %dD positions", g.dim, len(pos))}
	}
	return pos, nil
}
