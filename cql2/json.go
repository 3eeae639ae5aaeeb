package cql2

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// ParseJSON parses a CQL2-JSON filter (the schema cql2.json of OGC 21-065)
// into the tree ParseText gives for the same filter. Errors are *Error with
// the JSON path of the problem.
func ParseJSON(src []byte) (Expr, error) {
	if len(src) > MaxInput {
		return nil, &Error{Pos: -1, Path: "$", Msg: fmt.Sprintf("the filter is longer than %d bytes", MaxInput)}
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &Error{Pos: -1, Path: "$", Msg: "not JSON: " + err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &Error{Pos: -1, Path: "$", Msg: "more than one JSON value"}
	}
	e, err := jsonExpr(v, "$", 0)
	if err != nil {
		return nil, err
	}
	if !fits(e, kBoolean) {
		return nil, &Error{Pos: -1, Path: "$", Msg: "the filter must be " + kindNames[kBoolean]}
	}
	return e, nil
}

func jerr(path, format string, args ...any) error {
	return &Error{Pos: -1, Path: path, Msg: fmt.Sprintf(format, args...)}
}

func jsonExpr(v any, path string, depth int) (Expr, error) {
	if depth > MaxDepth {
		return nil, jerr(path, "the filter nests deeper than %d levels", MaxDepth)
	}
	switch v := v.(type) {
	case bool:
		return Bool(v), nil
	case json.Number:
		f, err := jsonNumber(v, path)
		return Number(f), err
	case string:
		return String(v), nil
	case []any:
		arr := Array{}
		for i, el := range v {
			e, err := jsonExpr(el, path+"["+strconv.Itoa(i)+"]", depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, e)
		}
		return arr, nil
	case map[string]any:
		return jsonObject(v, path, depth)
	}
	return nil, jerr(path, "null is not a CQL2 value")
}

func jsonNumber(n json.Number, path string) (float64, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, jerr(path, "the number %s is out of range", n)
	}
	return f, nil
}

// keys checks that obj has exactly the keys want (and may have optional).
func keys(obj map[string]any, path string, want []string, optional ...string) error {
	for k := range obj {
		if !slices.Contains(want, k) && !slices.Contains(optional, k) {
			return jerr(path, "unexpected member %q (expected %q)", k, want)
		}
	}
	for _, k := range want {
		if _, ok := obj[k]; !ok {
			return jerr(path, "missing member %q", k)
		}
	}
	return nil
}

func jsonObject(obj map[string]any, path string, depth int) (Expr, error) {
	str := func(key string) (string, error) {
		if err := keys(obj, path, []string{key}); err != nil {
			return "", err
		}
		s, ok := obj[key].(string)
		if !ok {
			return "", jerr(path+"."+key, "must be a string")
		}
		return s, nil
	}
	switch {
	case obj["op"] != nil:
		return jsonOp(obj, path, depth)
	case obj["property"] != nil:
		s, err := str("property")
		if err == nil && !ValidName(s) {
			err = jerr(path+".property", "%q is not a property name (a letter, '_' or ':', then letters, digits, '_', ':' or '.')", s)
		}
		return Property(s), err
	case obj["date"] != nil, obj["timestamp"] != nil:
		key := "date"
		if obj["date"] == nil {
			key = "timestamp"
		}
		s, err := str(key)
		if err != nil {
			return nil, err
		}
		e, ok := instant(s, key == "date")
		if !ok {
			return nil, jerr(path+"."+key, "%q is not a %s", s, instantForm(key == "date"))
		}
		return e, nil
	case obj["interval"] != nil:
		return jsonInterval(obj, path, depth)
	case obj["type"] != nil:
		g := &geomReader{}
		return g.read(obj, path, true)
	case obj["bbox"] != nil:
		return jsonBBox(obj, path)
	}
	return nil, jerr(path, "an object must be an operation {op, args}, {property}, {date}, {timestamp}, {interval}, {bbox} or a GeoJSON geometry")
}

func jsonOp(obj map[string]any, path string, depth int) (Expr, error) {
	if err := keys(obj, path, []string{"op", "args"}); err != nil {
		return nil, err
	}
	op, ok := obj["op"].(string)
	if !ok {
		return nil, jerr(path+".op", "must be a string")
	}
	list, ok := obj["args"].([]any)
	if !ok {
		return nil, jerr(path+".args", "must be an array")
	}
	var args []Expr
	for i, a := range list {
		e, err := jsonExpr(a, path+".args["+strconv.Itoa(i)+"]", depth+1)
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	if _, std := ops[op]; std {
		if i, msg, ok := checkOp(op, args); !ok {
			if i >= 0 {
				return nil, jerr(path+".args["+strconv.Itoa(i)+"]", "%s", msg)
			}
			return nil, jerr(path+".args", "%s", msg)
		}
		return Op{Op: op, Args: args}, nil
	}
	if !ValidName(op) || isKeyword(op) {
		return nil, jerr(path+".op", "%q is neither a CQL2 operator nor a function name", op)
	}
	if args == nil {
		args = Array{}
	}
	return Function{Name: op, Args: args}, nil
}

func jsonInterval(obj map[string]any, path string, depth int) (Expr, error) {
	if err := keys(obj, path, []string{"interval"}); err != nil {
		return nil, err
	}
	list, ok := obj["interval"].([]any)
	if !ok || len(list) != 2 {
		return nil, jerr(path+".interval", "must be an array of 2 ends, start and end")
	}
	var ends [2]Expr
	for i, v := range list {
		p := path + ".interval[" + strconv.Itoa(i) + "]"
		if s, ok := v.(string); ok {
			if ends[i], ok = intervalEnd(s); !ok {
				return nil, jerr(p, "%q is not a date (YYYY-MM-DD), a timestamp (YYYY-MM-DDThh:mm:ssZ) or \"..\"", s)
			}
			continue
		}
		e, err := jsonExpr(v, p, depth+1)
		if err != nil {
			return nil, err
		}
		if !fits(e, kInstant) {
			return nil, jerr(p, "an end of an interval must be %s", kindNames[kInstant])
		}
		ends[i] = e
	}
	return Interval{Start: ends[0], End: ends[1]}, nil
}

func jsonBBox(obj map[string]any, path string) (Expr, error) {
	if err := keys(obj, path, []string{"bbox"}); err != nil {
		return nil, err
	}
	list, ok := obj["bbox"].([]any)
	if !ok || len(list) != 4 && len(list) != 6 {
		return nil, jerr(path+".bbox", "must be an array of 4 or 6 numbers")
	}
	box := make(BBox, len(list))
	for i, v := range list {
		n, ok := v.(json.Number)
		if !ok {
			return nil, jerr(path+".bbox["+strconv.Itoa(i)+"]", "must be a number")
		}
		f, err := jsonNumber(n, path)
		if err != nil {
			return nil, err
		}
		box[i] = f
	}
	return box, nil
}

// geomReader reads one GeoJSON geometry; dim is as in geomParser.
type geomReader struct{ dim int }

var geoJSONTypes = map[string]GeometryType{
	"Point": Point, "LineString": LineString, "Polygon": Polygon, "MultiPoint": MultiPoint,
	"MultiLineString": MultiLineString, "MultiPolygon": MultiPolygon, "GeometryCollection": GeometryCollection,
}

func (g *geomReader) read(obj map[string]any, path string, top bool) (Geometry, error) {
	name, _ := obj["type"].(string)
	typ, ok := geoJSONTypes[name]
	if !ok || typ == GeometryCollection && !top {
		return Geometry{}, jerr(path+".type", "%v is not a GeoJSON geometry type (a collection may not nest)", obj["type"])
	}
	out := Geometry{Type: typ}
	if typ == GeometryCollection {
		if err := keys(obj, path, []string{"type", "geometries"}, "bbox"); err != nil {
			return out, err
		}
		list, ok := obj["geometries"].([]any)
		if !ok || len(list) == 0 {
			return out, jerr(path+".geometries", "must be an array of geometries")
		}
		for i, v := range list {
			p := path + ".geometries[" + strconv.Itoa(i) + "]"
			m, ok := v.(map[string]any)
			if !ok {
				return out, jerr(p, "must be a GeoJSON geometry")
			}
			sub, err := g.read(m, p, false)
			if err != nil {
				return out, err
			}
			out.Geoms = append(out.Geoms, sub)
		}
		return out, nil
	}
	if err := keys(obj, path, []string{"type", "coordinates"}, "bbox"); err != nil {
		return out, err
	}
	c, p := obj["coordinates"], path+".coordinates"
	var err error
	switch typ {
	case Point:
		var pos Position
		pos, err = g.position(c, p)
		out.Coords = []Position{pos}
	case LineString:
		out.Coords, err = g.positions(c, p, 2)
	case MultiPoint:
		out.Coords, err = g.positions(c, p, 1)
	case Polygon:
		out.Rings, err = g.rings(c, p, 4)
	case MultiLineString:
		out.Rings, err = g.rings(c, p, 2)
	case MultiPolygon:
		err = list(c, p, 1, func(v any, p string) error {
			rings, err := g.rings(v, p, 4)
			out.Polys = append(out.Polys, rings)
			return err
		})
	}
	return out, err
}

// list calls fn for each item of the array v, which must hold at least
// min items.
func list(v any, path string, min int, fn func(any, string) error) error {
	items, ok := v.([]any)
	if !ok || len(items) < min {
		return jerr(path, "must be an array of at least %d items", min)
	}
	for i, it := range items {
		if err := fn(it, path+"["+strconv.Itoa(i)+"]"); err != nil {
			return err
		}
	}
	return nil
}

func (g *geomReader) rings(v any, path string, min int) ([][]Position, error) {
	var rs [][]Position
	err := list(v, path, 1, func(v any, p string) error {
		r, err := g.positions(v, p, min)
		rs = append(rs, r)
		return err
	})
	return rs, err
}

func (g *geomReader) positions(v any, path string, min int) ([]Position, error) {
	var ps []Position
	err := list(v, path, min, func(v any, p string) error {
		pos, err := g.position(v, p)
		ps = append(ps, pos)
		return err
	})
	return ps, err
}

func (g *geomReader) position(v any, path string) (Position, error) {
	items, ok := v.([]any)
	if !ok || len(items) < 2 || len(items) > 3 {
		return nil, jerr(path, "a position must be an array of 2 or 3 numbers")
	}
	pos := make(Position, len(items))
	for i, it := range items {
		n, ok := it.(json.Number)
		if !ok {
			return nil, jerr(path, "a position must be an array of 2 or 3 numbers")
		}
		f, err := jsonNumber(n, path)
		if err != nil {
			return nil, err
		}
		pos[i] = f
	}
	if g.dim == 0 {
		g.dim = len(pos)
	}
	if len(pos) != g.dim {
		return nil, jerr(path, "a geometry mixes %dD and %dD positions", g.dim, len(pos))
	}
	return pos, nil
}
