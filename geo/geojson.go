package geo

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/geojson"
)

// AppendGeoJSON appends the GeoJSON encoding of g (with Z when g has it; M
// is dropped, as RFC 7946 has no place for it) to buf. A nil geometry is
// encoded as null.
func AppendGeoJSON(buf []byte, g geom.T) []byte {
	if g == nil {
		return append(buf, "null"...)
	}
	switch g := g.(type) {
	case *geom.Point:
		buf = append(buf, `{"type":"Point","coordinates":`...)
		if g.Empty() {
			buf = append(buf, "[]"...)
		} else {
			buf = appendPos(buf, g.FlatCoords(), g.Layout())
		}
	case *geom.LineString:
		buf = append(buf, `{"type":"LineString","coordinates":`...)
		buf = appendSeq(buf, g.FlatCoords(), g.Layout())
	case *geom.MultiPoint:
		buf = append(buf, `{"type":"MultiPoint","coordinates":`...)
		buf = appendSeq(buf, g.FlatCoords(), g.Layout())
	case *geom.Polygon:
		buf = append(buf, `{"type":"Polygon","coordinates":`...)
		buf = appendRings(buf, g.FlatCoords(), 0, g.Ends(), g.Layout())
	case *geom.MultiLineString:
		buf = append(buf, `{"type":"MultiLineString","coordinates":`...)
		buf = appendRings(buf, g.FlatCoords(), 0, g.Ends(), g.Layout())
	case *geom.MultiPolygon:
		buf = append(buf, `{"type":"MultiPolygon","coordinates":[`...)
		start := 0
		for i, ends := range g.Endss() {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendRings(buf, g.FlatCoords(), start, ends, g.Layout())
			if len(ends) > 0 {
				start = ends[len(ends)-1]
			}
		}
		buf = append(buf, ']')
	case *geom.GeometryCollection:
		buf = append(buf, `{"type":"GeometryCollection","geometries":[`...)
		for i := range g.NumGeoms() {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = AppendGeoJSON(buf, g.Geom(i))
		}
		buf = append(buf, ']')
	default:
		return append(buf, "null"...)
	}
	return append(buf, '}')
}

func appendPos(buf []byte, c []float64, layout geom.Layout) []byte {
	buf = append(buf, '[')
	buf = AppendFloat(buf, c[0])
	buf = append(buf, ',')
	buf = AppendFloat(buf, c[1])
	if layout.ZIndex() > 0 {
		buf = append(buf, ',')
		buf = AppendFloat(buf, c[layout.ZIndex()])
	}
	return append(buf, ']')
}

func appendSeq(buf []byte, flat []float64, layout geom.Layout) []byte {
	stride := layout.Stride()
	buf = append(buf, '[')
	for i := 0; i+stride <= len(flat); i += stride {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendPos(buf, flat[i:i+stride], layout)
	}
	return append(buf, ']')
}

func appendRings(buf []byte, flat []float64, start int, ends []int, layout geom.Layout) []byte {
	buf = append(buf, '[')
	for i, end := range ends {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendSeq(buf, flat[start:end], layout)
		start = end
	}
	return append(buf, ']')
}

// AppendFloat appends the shortest decimal form of f that reads back exactly.
func AppendFloat(buf []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.AppendInt(buf, int64(f), 10)
	}
	if math.Abs(f) < 1e6 {
		// Most coordinates have at most 7 decimals (1 cm in degrees). When
		// f is the double nearest such a number (division is correctly
		// rounded, as ParseFloat is), that number is f's shortest form:
		// any other of at most 7 decimals is 1e-7 or more away, far beyond
		// the doubles' spacing below 1e6, so it reads back as another
		// double. Writing it is several times faster than the general
		// shortest-form search.
		if n := math.Round(f * 1e7); n/1e7 == f {
			return appendDecimal7(buf, int64(n))
		}
	}
	return strconv.AppendFloat(buf, f, 'f', -1, 64)
}

// appendDecimal7 appends n·10⁻⁷ in decimal, without trailing zeros.
func appendDecimal7(buf []byte, n int64) []byte {
	if n < 0 {
		buf = append(buf, '-')
		n = -n
	}
	buf = strconv.AppendInt(buf, n/1e7, 10)
	frac := n % 1e7
	if frac == 0 {
		return buf
	}
	var d [8]byte
	d[0] = '.'
	for i := 7; i >= 1; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	end := 8
	for d[end-1] == '0' {
		end--
	}
	return append(buf, d[:end]...)
}

// ErrGeometry is wrapped by every error of DecodeGeoJSON and Validate.
var ErrGeometry = errors.New("invalid geometry")

func geomErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrGeometry, fmt.Sprintf(format, args...))
}

// DecodeGeoJSON parses a GeoJSON geometry object, checks it with Validate and
// rewinds polygons to the right-hand rule. JSON null gives (nil, nil): a
// feature may have no geometry.
//
// Before it parses anything it refuses input longer than MaxGeoJSONBytes or
// nested deeper than a geometry can be, so that what it allocates is
// bounded by what the geometry may hold; a collection inside a collection,
// or more than MaxPositions positions, is refused too (CheckStorable).
func DecodeGeoJSON(data []byte) (geom.T, error) {
	if err := checkShape(data); err != nil {
		return nil, err
	}
	g, ok := decodePolygonal(data)
	if !ok {
		var err error
		if g, err = decodeGeometry(data, 0); err != nil || g == nil {
			return nil, err
		}
	}
	if err := Validate(g); err != nil {
		return nil, err
	}
	Rewind(g)
	return SetSRID(g), nil
}

// MaxGeoJSONBytes is the longest GeoJSON geometry DecodeGeoJSON reads:
// room for MaxPositions positions written out with full precision.
const MaxGeoJSONBytes = 64 << 20

// maxJSONDepth is the deepest a geometry's arrays and objects nest: a
// collection (1), its geometries (2), a member (3), a MultiPolygon's
// coordinates, polygons, rings and positions (4 to 7).
const maxJSONDepth = 3 + 4

// checkShape bounds data's length and its nesting of arrays and objects,
// without allocating.
func checkShape(data []byte) error {
	if len(data) > MaxGeoJSONBytes {
		return geomErr("GeoJSON geometry of %d bytes; at most %d", len(data), MaxGeoJSONBytes)
	}
	if JSONDepth(data) > maxJSONDepth {
		return geomErr("GeoJSON nested more than %d deep", maxJSONDepth)
	}
	return nil
}

// JSONDepth is how deeply the JSON text b nests arrays and objects (0 for
// a scalar), counted without decoding or allocating; brackets inside
// strings do not count. It does not check that b is well-formed JSON.
func JSONDepth(b []byte) int {
	depth, most, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			most = max(most, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return most
}

func decodeGeometry(data []byte, depth int) (geom.T, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		var null any
		if json.Unmarshal(data, &null) == nil && null == nil {
			return nil, nil
		}
		return nil, geomErr("not a GeoJSON geometry object: %v", err)
	}
	if obj == nil {
		return nil, nil
	}
	var typ string
	if raw, ok := obj["type"]; !ok {
		return nil, geomErr(`geometry has no "type"`)
	} else if err := json.Unmarshal(raw, &typ); err != nil {
		return nil, geomErr(`geometry "type" must be a string`)
	}
	switch typ {
	case "Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon":
		coords, ok := obj["coordinates"]
		if !ok || string(coords) == "null" {
			return nil, geomErr("%s has no coordinates", typ)
		}
		if err := checkDepth(typ, coords); err != nil {
			return nil, err
		}
		var g geom.T
		if err := geojson.Unmarshal(data, &g); err != nil {
			return nil, geomErr("%s: %v", typ, err)
		}
		if len(g.FlatCoords()) > 0 && g.Stride() < 2 {
			return nil, geomErr("%s: positions need 2 or 3 numbers", typ)
		}
		return g, nil
	case "GeometryCollection":
		if depth >= MaxCollectionDepth {
			return nil, geomErr("a GeometryCollection inside a GeometryCollection is not supported")
		}
		var members []json.RawMessage
		raw, ok := obj["geometries"]
		if !ok || json.Unmarshal(raw, &members) != nil || members == nil {
			return nil, geomErr("GeometryCollection needs a \"geometries\" array")
		}
		gc := geom.NewGeometryCollection()
		for i, m := range members {
			g, err := decodeGeometry(m, depth+1)
			if err != nil {
				return nil, fmt.Errorf("member %d of GeometryCollection: %w", i, err)
			}
			if g == nil {
				return nil, geomErr("member %d of GeometryCollection is null", i)
			}
			if err := gc.Push(g); err != nil {
				return nil, geomErr("GeometryCollection: %v", err)
			}
		}
		return gc, nil
	}
	return nil, geomErr("unknown geometry type %q", typ)
}

// checkDepth checks that every position has 2 or 3 numbers, which go-geom's
// decoder does not.
func checkDepth(typ string, raw json.RawMessage) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return geomErr("%s coordinates: %v", typ, err)
	}
	depth := map[string]int{"Point": 0, "LineString": 1, "MultiPoint": 1, "Polygon": 2, "MultiLineString": 2, "MultiPolygon": 3}[typ]
	var walk func(v any, d int) error
	walk = func(v any, d int) error {
		arr, ok := v.([]any)
		if !ok {
			return geomErr("%s coordinates must be nested arrays of numbers", typ)
		}
		if d == 0 {
			if len(arr) < 2 || len(arr) > 3 {
				return geomErr("%s: a position must have 2 or 3 numbers (lon, lat[, height]), got %d", typ, len(arr))
			}
			for _, x := range arr {
				if _, ok := x.(float64); !ok {
					return geomErr("%s: a position holds a non-number", typ)
				}
			}
			return nil
		}
		for _, x := range arr {
			if err := walk(x, d-1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(v, depth)
}

// Validate checks g against RFC 7946 and the WGS84 range: finite
// coordinates, longitude within ±180 and latitude within ±90, line strings
// of at least 2 positions, and closed rings of at least 4 positions.
//
// It checks CheckStorable first: what cityatlas cannot hold is never valid.
func Validate(g geom.T) error {
	if g == nil {
		return nil
	}
	if err := CheckStorable(g); err != nil {
		return err
	}
	return validate(g)
}

func validate(g geom.T) error {
	if gc, ok := g.(*geom.GeometryCollection); ok {
		for i := range gc.NumGeoms() {
			if err := validate(gc.Geom(i)); err != nil {
				return err
			}
		}
		return nil
	}
	flat, stride := g.FlatCoords(), g.Stride()
	for i := 0; i+stride <= len(flat); i += stride {
		for j := range stride {
			if math.IsNaN(flat[i+j]) || math.IsInf(flat[i+j], 0) {
				return geomErr("coordinate %d is not a finite number", i/stride)
			}
		}
		lon, lat := flat[i], flat[i+1]
		if lon < -180 || lon > 180 || lat < -90 || lat > 90 {
			return geomErr("position [%g, %g] is outside the WGS84 range (longitude -180..180, latitude -90..90): the data looks projected; give its CRS (for example EPSG:2230) so it can be transformed", lon, lat)
		}
	}
	switch g := g.(type) {
	case *geom.Point:
		if g.Empty() {
			return geomErr("Point has no position")
		}
	case *geom.LineString:
		if g.NumCoords() < 2 {
			return geomErr("LineString needs at least 2 positions, got %d", g.NumCoords())
		}
	case *geom.MultiLineString:
		for i := range g.NumLineStrings() {
			if g.LineString(i).NumCoords() < 2 {
				return geomErr("line %d of MultiLineString needs at least 2 positions", i)
			}
		}
	case *geom.Polygon:
		return checkRings(g, "Polygon")
	case *geom.MultiPolygon:
		if g.NumPolygons() == 0 && len(g.FlatCoords()) > 0 {
			return geomErr("MultiPolygon is malformed")
		}
		for i := range g.NumPolygons() {
			if err := checkRings(g.Polygon(i), fmt.Sprintf("polygon %d of MultiPolygon", i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkRings(p *geom.Polygon, what string) error {
	if p.NumLinearRings() == 0 {
		return geomErr("%s has no rings", what)
	}
	for i := range p.NumLinearRings() {
		r := p.LinearRing(i)
		n := r.NumCoords()
		if n < 4 {
			return geomErr("%s: ring %d has %d positions; a ring needs at least 4 with the last equal to the first", what, i, n)
		}
		a, b := r.Coord(0), r.Coord(n-1)
		if a.X() != b.X() || a.Y() != b.Y() {
			return geomErr("%s: ring %d is not closed (first position %v, last %v)", what, i, []float64(a), []float64(b))
		}
	}
	return nil
}

// Rewind makes exterior rings counter-clockwise and holes clockwise (the
// RFC 7946 right-hand rule), in place.
func Rewind(g geom.T) {
	switch g := g.(type) {
	case *geom.Polygon:
		rewindRings(g.FlatCoords(), 0, g.Ends(), g.Stride())
	case *geom.MultiPolygon:
		start := 0
		for _, ends := range g.Endss() {
			rewindRings(g.FlatCoords(), start, ends, g.Stride())
			if len(ends) > 0 {
				start = ends[len(ends)-1]
			}
		}
	case *geom.GeometryCollection:
		for i := range g.NumGeoms() {
			Rewind(g.Geom(i))
		}
	}
}

func rewindRings(flat []float64, start int, ends []int, stride int) {
	for i, end := range ends {
		ring := flat[start:end]
		area := signedArea(ring, stride)
		if (i == 0 && area < 0) || (i > 0 && area > 0) {
			reverse(ring, stride)
		}
		start = end
	}
}

func signedArea(ring []float64, stride int) float64 {
	var a float64
	n := len(ring) / stride
	for i := 0; i < n-1; i++ {
		x1, y1 := ring[i*stride], ring[i*stride+1]
		x2, y2 := ring[(i+1)*stride], ring[(i+1)*stride+1]
		a += x1*y2 - x2*y1
	}
	return a / 2
}

func reverse(ring []float64, stride int) {
	n := len(ring) / stride
	for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
		for k := range stride {
			ring[i*stride+k], ring[j*stride+k] = ring[j*stride+k], ring[i*stride+k]
		}
	}
}

// SetSRID sets SRID 4326 on g and returns it.
func SetSRID(g geom.T) geom.T {
	switch t := g.(type) {
	case *geom.Point:
		return t.SetSRID(4326)
	case *geom.LineString:
		return t.SetSRID(4326)
	case *geom.Polygon:
		return t.SetSRID(4326)
	case *geom.MultiPoint:
		return t.SetSRID(4326)
	case *geom.MultiLineString:
		return t.SetSRID(4326)
	case *geom.MultiPolygon:
		return t.SetSRID(4326)
	case *geom.GeometryCollection:
		return t.SetSRID(4326)
	}
	return g
}
