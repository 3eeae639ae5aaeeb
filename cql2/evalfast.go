package cql2

import (
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// PointRecord is a Record that can give its geometry's position when the
// geometry is a single 2D point, without building a geometry value: the
// prepared spatial tests and an index's points take it.
type PointRecord interface {
	Record
	// Point returns the point's longitude and latitude; ok is false when
	// the geometry is not a point (or there is none).
	Point() (x, y float64, ok bool)
}

// ValueIDRecord is a Record whose property values are interned: equal
// values of a field have the same non-zero id (0: the property is not
// set), so a comparison with a constant is worked out once per distinct
// value. The ids must not change while a compiled Filter is in use.
type ValueIDRecord interface {
	Record
	ValueID(i int) uint32
}

// memoSize is the number of entries of a comparison's cache of results
// by value id (direct-mapped: a collision recomputes).
const memoSize = 1024

type memo struct {
	ids [memoSize]uint32
	res [memoSize]tri
}

// memoized returns a predicate on field i that computes test from the
// field's JSON text, once per distinct value id when the record has ids.
// The cache makes the compiled Filter unsafe for concurrent use.
func memoized(i int, test func(raw string) tri) pred {
	var m *memo
	return func(en *env) tri {
		if en.ids == nil {
			return test(en.r.Value(i))
		}
		id := en.ids.ValueID(i)
		if id == 0 {
			return unknown
		}
		if m == nil {
			m = new(memo)
		}
		h := id & (memoSize - 1)
		if m.ids[h] == id {
			return m.res[h]
		}
		t := test(en.r.Value(i))
		m.ids[h], m.res[h] = id, t
		return t
	}
}

// pointOf returns the record's geometry when it is a point: from Point
// for a PointRecord, else from Geometry.
func pointOf(r Record) (orb.Point, bool) {
	if pr, ok := r.(PointRecord); ok {
		x, y, isPt := pr.Point()
		return orb.Point{x, y}, isPt
	}
	pt, ok := r.Geometry().(orb.Point)
	return pt, ok
}

// compareConst compiles a comparison between a property and a constant
// (either side) that it can test on the property's JSON text without
// decoding it into a value: strings as text, dates in their canonical
// YYYY-MM-DD form as text (the order of those strings is the order of the
// dates), numbers parsed in place. ok is false for anything else, which
// the general comparison takes.
func (c *compiler) compareConst(e Op) (pred, bool) {
	if !constCompare(e) {
		return nil, false
	}
	op := e.Op
	p, isProp := e.Args[0].(Property)
	lit := e.Args[1]
	if !isProp {
		p, lit, op = e.Args[1].(Property), e.Args[0], flip(op)
	}
	i, t, ok := c.q.lookup(string(p))
	if !ok || i < 0 {
		return nil, false
	}
	k, err := c.constant(lit)
	if err != nil {
		return nil, false
	}
	test := cmpTest(op)
	var f func(raw string) tri
	switch {
	case t == TypeString && k.k == vStr:
		ks := k.s
		f = func(raw string) tri {
			if raw == "" || raw == "null" {
				return unknown
			}
			return truth(test(strings.Compare(jsonText(raw), ks)))
		}
	case (t == TypeInteger || t == TypeNumber) && k.k == vNum:
		f = func(raw string) tri {
			n, err := strconv.ParseFloat(raw, 64)
			if err != nil { // "" and "null" too
				return unknown
			}
			return truth(test(cmp(value{k: vNum, n: n}, k)))
		}
	case t == TypeDate && k.k == vTime && k.t.Year() >= 1 && k.t.Year() <= 9999 && k.t.Equal(k.t.Truncate(24*time.Hour)):
		ks := k.t.Format(time.DateOnly)
		f = func(raw string) tri {
			if raw == "" || raw == "null" {
				return unknown
			}
			if len(raw) == 12 && raw[0] == '"' && raw[11] == '"' && raw[5] == '-' && raw[8] == '-' {
				return truth(test(strings.Compare(raw[1:11], ks)))
			}
			d, err := time.Parse(time.DateOnly, jsonText(raw)) // not in the canonical form
			if err != nil {
				return unknown
			}
			return truth(test(d.Compare(k.t)))
		}
	default:
		return nil, false
	}
	return memoized(i, f), true
}

// constCompare reports whether e is a comparison of a property with a
// number, string or date literal (what compareConst may take).
func constCompare(e Op) bool {
	if ops[e.Op] != classCompare || len(e.Args) != 2 {
		return false
	}
	lit := func(x Expr) bool {
		switch x.(type) {
		case Number, String, Date:
			return true
		}
		return false
	}
	_, p0 := e.Args[0].(Property)
	_, p1 := e.Args[1].(Property)
	return p0 && lit(e.Args[1]) || p1 && lit(e.Args[0])
}

// cmpTest is the test of a comparison operator on cmp's result.
func cmpTest(op string) func(int) bool {
	switch op {
	case "=":
		return func(c int) bool { return c == 0 }
	case "<>":
		return func(c int) bool { return c != 0 }
	case "<":
		return func(c int) bool { return c < 0 }
	case ">":
		return func(c int) bool { return c > 0 }
	case "<=":
		return func(c int) bool { return c <= 0 }
	case ">=":
		return func(c int) bool { return c >= 0 }
	}
	return nil
}

// flip is the operator with its operands swapped: 3 < x is x > 3.
func flip(op string) string {
	switch op {
	case "<":
		return ">"
	case ">":
		return "<"
	case "<=":
		return ">="
	case ">=":
		return "<="
	}
	return op
}
