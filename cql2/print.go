package cql2

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrNotText is wrapped by Text's error for a tree that CQL2 text cannot
// express (a one-element array inside an array or a function's arguments,
// a string with a backslash before a quote or at its end).
var ErrNotText = errors.New("not expressible in CQL2 text")

// Text writes e in CQL2 text, which ParseText reads back to the same tree.
// Properties are always double-quoted and arithmetic is parenthesised.
func Text(e Expr) (string, error) {
	var w textWriter
	w.expr(e)
	return w.b.String(), w.err
}

type textWriter struct {
	b   strings.Builder
	err error
}

func (w *textWriter) fail(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf("%w: %s", ErrNotText, fmt.Sprintf(format, args...))
	}
}

func (w *textWriter) expr(e Expr) {
	switch e := e.(type) {
	case Bool:
		w.b.WriteString(map[bool]string{true: "TRUE", false: "FALSE"}[bool(e)])
	case Number:
		w.b.WriteString(formatNumber(float64(e)))
	case String:
		w.str(string(e))
	case Property:
		w.b.WriteString(`"` + string(e) + `"`)
	case Date:
		w.b.WriteString("DATE('" + e.Time.Format(dateLayout) + "')")
	case Timestamp:
		w.b.WriteString("TIMESTAMP('" + formatTimestamp(e) + "')")
	case Unbounded:
		w.b.WriteString("'..'")
	case Interval:
		w.b.WriteString("INTERVAL(")
		w.end(e.Start)
		w.b.WriteString(", ")
		w.end(e.End)
		w.b.WriteString(")")
	case BBox:
		w.b.WriteString("BBOX(")
		for i, v := range e {
			if i > 0 {
				w.b.WriteString(", ")
			}
			w.b.WriteString(formatNumber(v))
		}
		w.b.WriteString(")")
	case Geometry:
		w.geometry(e)
	case Array:
		w.array(e)
	case Function:
		w.b.WriteString(e.Name)
		w.array(e.Args)
	case Op:
		w.op(e)
	default:
		w.fail("unknown node %T", e)
	}
}

const dateLayout = "2006-01-02"

func formatTimestamp(t Timestamp) string {
	return t.Time.UTC().Format("2006-01-02T15:04:05.999999999Z")
}

func formatNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e21 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func (w *textWriter) str(s string) {
	for i := range len(s) {
		if s[i] == '\\' && (i+1 == len(s) || s[i+1] == '\'') {
			w.fail("the string %q has a backslash before a quote or at its end", s)
		}
	}
	w.b.WriteString("'" + strings.ReplaceAll(s, "'", "''") + "'")
}

// end writes an interval's end: dates and timestamps as bare strings.
func (w *textWriter) end(e Expr) {
	switch e := e.(type) {
	case Date:
		w.b.WriteString("'" + e.Time.Format(dateLayout) + "'")
	case Timestamp:
		w.b.WriteString("'" + formatTimestamp(e) + "'")
	default:
		w.expr(e)
	}
}

// array writes "(" elements ")". An element that is a one-element array
// would read back as its element, so it is refused.
func (w *textWriter) array(a []Expr) {
	w.b.WriteString("(")
	for i, el := range a {
		if i > 0 {
			w.b.WriteString(", ")
		}
		if sub, ok := el.(Array); ok && len(sub) == 1 {
			w.fail("a one-element array inside a list or a function's arguments")
		}
		w.expr(el)
	}
	w.b.WriteString(")")
}

func (w *textWriter) op(e Op) {
	a := e.Args
	switch c := ops[e.Op]; c {
	case classLogic:
		if e.Op == "not" {
			w.b.WriteString("NOT ")
			w.grouped(a[0])
			return
		}
		for i, x := range a {
			if i > 0 {
				w.b.WriteString(" " + strings.ToUpper(e.Op) + " ")
			}
			w.grouped(x)
		}
	case classCompare:
		w.expr(a[0])
		w.b.WriteString(" " + e.Op + " ")
		w.expr(a[1])
	case classLike:
		w.expr(a[0])
		w.b.WriteString(" LIKE ")
		w.expr(a[1])
	case classBetween:
		w.expr(a[0])
		w.b.WriteString(" BETWEEN ")
		w.expr(a[1])
		w.b.WriteString(" AND ")
		w.expr(a[2])
	case classIn:
		w.expr(a[0])
		w.b.WriteString(" IN ")
		w.array(a[1].(Array))
	case classIsNull:
		w.grouped(a[0])
		w.b.WriteString(" IS NULL")
	case classArithmetic:
		w.b.WriteString("(")
		w.expr(a[0])
		w.b.WriteString(" " + e.Op + " ")
		w.expr(a[1])
		w.b.WriteString(")")
	default:
		w.b.WriteString(strings.ToUpper(e.Op) + "(")
		for i, x := range a {
			if i > 0 {
				w.b.WriteString(", ")
			}
			if arr, ok := x.(Array); ok && c == classArray {
				w.array(arr)
			} else {
				w.expr(x)
			}
		}
		w.b.WriteString(")")
	}
}

// grouped writes x, in parentheses if it is a logical operator or a
// predicate, so that it stays one operand.
func (w *textWriter) grouped(x Expr) {
	if op, ok := x.(Op); ok {
		switch ops[op.Op] {
		case classLogic, classCompare, classLike, classBetween, classIn, classIsNull:
			w.b.WriteString("(")
			w.expr(x)
			w.b.WriteString(")")
			return
		}
	}
	w.expr(x)
}

func (w *textWriter) geometry(g Geometry) {
	w.b.WriteString(strings.ToUpper(string(g.Type)))
	if dimension(g) == 3 {
		w.b.WriteString(" Z")
	}
	w.b.WriteString(" ")
	switch g.Type {
	case Point:
		w.positions(g.Coords)
	case LineString:
		w.positions(g.Coords)
	case MultiPoint:
		w.list(len(g.Coords), func(i int) { w.positions(g.Coords[i : i+1]) })
	case Polygon, MultiLineString:
		w.list(len(g.Rings), func(i int) { w.positions(g.Rings[i]) })
	case MultiPolygon:
		w.list(len(g.Polys), func(i int) {
			w.list(len(g.Polys[i]), func(j int) { w.positions(g.Polys[i][j]) })
		})
	case GeometryCollection:
		w.list(len(g.Geoms), func(i int) { w.geometry(g.Geoms[i]) })
	}
}

func (w *textWriter) list(n int, item func(int)) {
	w.b.WriteString("(")
	for i := range n {
		if i > 0 {
			w.b.WriteString(", ")
		}
		item(i)
	}
	w.b.WriteString(")")
}

func (w *textWriter) positions(ps []Position) {
	w.list(len(ps), func(i int) {
		for j, v := range ps[i] {
			if j > 0 {
				w.b.WriteString(" ")
			}
			w.b.WriteString(formatNumber(v))
		}
	})
}

// dimension is the dimension of g's first position (2 if it has none).
func dimension(g Geometry) int {
	switch {
	case len(g.Coords) > 0:
		return len(g.Coords[0])
	case len(g.Rings) > 0 && len(g.Rings[0]) > 0:
		return len(g.Rings[0][0])
	case len(g.Polys) > 0 && len(g.Polys[0]) > 0 && len(g.Polys[0][0]) > 0:
		return len(g.Polys[0][0][0])
	case len(g.Geoms) > 0:
		return dimension(g.Geoms[0])
	}
	return 2
}

// JSON writes e in CQL2-JSON, which ParseJSON reads back to the same tree.
func JSON(e Expr) ([]byte, error) {
	v, err := jsonValue(e)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// jsonOpOut writes "op" before "args".
type jsonOpOut struct {
	Op   string `json:"op"`
	Args []any  `json:"args"`
}

// jsonGeometry writes "type" first.
type jsonGeometry struct {
	Type        string `json:"type"`
	Coordinates any    `json:"coordinates,omitempty"`
	Geometries  []any  `json:"geometries,omitempty"`
}

// jsonValue turns e into values encoding/json writes in CQL2-JSON form.
func jsonValue(e Expr) (any, error) {
	switch e := e.(type) {
	case Bool:
		return bool(e), nil
	case Number:
		return json.Number(formatNumber(float64(e))), nil
	case String:
		return string(e), nil
	case Property:
		return map[string]any{"property": string(e)}, nil
	case Date:
		return map[string]any{"date": e.Time.Format(dateLayout)}, nil
	case Timestamp:
		return map[string]any{"timestamp": formatTimestamp(e)}, nil
	case Unbounded:
		return "..", nil
	case Interval:
		s, err := jsonEnd(e.Start)
		if err != nil {
			return nil, err
		}
		f, err := jsonEnd(e.End)
		return map[string]any{"interval": []any{s, f}}, err
	case BBox:
		return map[string]any{"bbox": []float64(e)}, nil
	case Geometry:
		return geoJSON(e), nil
	case Array:
		return jsonList(e)
	case Function:
		args, err := jsonList(e.Args)
		return jsonOpOut{Op: e.Name, Args: args}, err
	case Op:
		args, err := jsonList(e.Args)
		return jsonOpOut{Op: e.Op, Args: args}, err
	}
	return nil, fmt.Errorf("cql2: unknown node %T", e)
}

func jsonEnd(e Expr) (any, error) {
	switch e := e.(type) {
	case Date:
		return e.Time.Format(dateLayout), nil
	case Timestamp:
		return formatTimestamp(e), nil
	}
	return jsonValue(e)
}

func jsonList(list []Expr) ([]any, error) {
	out := make([]any, len(list))
	for i, x := range list {
		v, err := jsonValue(x)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func geoJSON(g Geometry) jsonGeometry {
	out := jsonGeometry{Type: string(g.Type)}
	switch g.Type {
	case Point:
		out.Coordinates = g.Coords[0]
	case LineString, MultiPoint:
		out.Coordinates = g.Coords
	case Polygon, MultiLineString:
		out.Coordinates = g.Rings
	case MultiPolygon:
		out.Coordinates = g.Polys
	case GeometryCollection:
		out.Geometries = make([]any, len(g.Geoms))
		for i, sub := range g.Geoms {
			out.Geometries[i] = geoJSON(sub)
		}
	}
	return out
}
