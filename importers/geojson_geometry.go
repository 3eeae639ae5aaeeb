package importers

// GeoJSON geometries: decoding, checks, ring orientation and the legacy crs member.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/twpayne/go-geom"
)

// checkBBox checks an optional bbox member: 4 or 6 numbers.
func checkBBox(m map[string]json.RawMessage) error {
	raw, ok := m["bbox"]
	if !ok {
		return nil
	}
	var b []num
	if err := json.Unmarshal(raw, &b); err != nil || (len(b) != 4 && len(b) != 6) {
		return fmt.Errorf("%w: bbox %s must be an array of 4 or 6 numbers", ErrFormat, compact(raw))
	}
	// RFC 7946 5.2: [west, south, (low,) east, north (, high)]; west may
	// exceed east (a box across the antimeridian), south not north.
	half := len(b) / 2
	for i := 1; i < half; i++ {
		if b[i] > b[i+half] {
			what := "south"
			if i == 2 {
				what = "the lowest height"
			}
			return fmt.Errorf("%w: bbox %s is inverted: %s %g is above %g", ErrFormat, compact(raw), what, float64(b[i]), float64(b[i+half]))
		}
	}
	return nil
}

// num is a JSON number that refuses null and strings.
type num float64

func (n *num) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || !(b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) {
		return fmt.Errorf("%s is not a number", abbreviate(string(b)))
	}
	x, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("%s is not a finite number", abbreviate(string(b)))
	}
	*n = num(x)
	return nil
}

func (r *geojsonReader) geometry(raw json.RawMessage, depth int) (geom.T, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("%w: a geometry must be an object or null, not %s", ErrGeometry, compact(raw))
	}
	return r.geometryFromMembers(m, depth)
}

var nesting = map[string]int{
	"Point": 0, "LineString": 1, "MultiPoint": 1, "Polygon": 2, "MultiLineString": 2, "MultiPolygon": 3,
}

func (r *geojsonReader) geometryFromMembers(m map[string]json.RawMessage, depth int) (geom.T, error) {
	if depth > maxGeometryDepth {
		return nil, fmt.Errorf("%w: geometry collections nested more than %d deep", ErrGeometry, maxGeometryDepth)
	}
	t := typeOf(m)
	if err := checkBBox(m); err != nil {
		return nil, fmt.Errorf("%s: %w", t, err)
	}
	if t == "GeometryCollection" {
		raw, ok := m["geometries"]
		if !ok {
			return nil, fmt.Errorf("%w: a GeometryCollection has no \"geometries\" member", ErrGeometry)
		}
		var members []json.RawMessage
		if err := json.Unmarshal(raw, &members); err != nil || members == nil {
			return nil, fmt.Errorf("%w: \"geometries\" must be an array of geometries", ErrGeometry)
		}
		gc := geom.NewGeometryCollection()
		for i, mr := range members {
			g, err := r.geometry(mr, depth+1)
			if err != nil {
				return nil, fmt.Errorf("geometry %d of the collection: %w", i+1, err)
			}
			if g == nil {
				continue
			}
			if err := gc.Push(g); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrGeometry, err)
			}
		}
		if gc.NumGeoms() == 0 {
			return nil, nil
		}
		return gc, nil
	}
	level, known := nesting[t]
	if !known {
		if t == "" {
			return nil, fmt.Errorf("%w: the geometry has no \"type\" member", ErrGeometry)
		}
		return nil, fmt.Errorf("%w: unknown geometry type %q (want Point, LineString, Polygon, MultiPoint, MultiLineString, MultiPolygon or GeometryCollection)", ErrGeometry, t)
	}
	raw, ok := m["coordinates"]
	if !ok || isNull(raw) {
		return nil, fmt.Errorf("%w: a %s has no \"coordinates\" member", ErrGeometry, t)
	}
	// Every position is an array: more arrays than that many positions
	// (and their lines, rings and polygons) is over the limit before
	// anything is decoded.
	if n := bytes.Count(raw, []byte{'['}); n > 4*r.opts.Limits.Vertices+4 {
		return nil, fmt.Errorf("%w: the %s has about %d positions or more, more than %d (--max-vertices)", ErrLimit, t, n/4, r.opts.Limits.Vertices)
	}
	g, err := buildGeometry(t, level, raw)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, nil
	}
	if r.lonLat {
		if err := checkLonLat(g, r.srs); err != nil {
			return nil, err
		}
	}
	return g, nil
}

var shapes = []string{
	"a position [x, y] or [x, y, z]",
	"an array of positions",
	"an array of arrays of positions",
	"an array of polygons (arrays of rings)",
}

// buildGeometry decodes the coordinates of a geometry of type t and checks
// them. Empty coordinates give nil.
func buildGeometry(t string, level int, raw json.RawMessage) (geom.T, error) {
	var pos []num
	var line [][]num
	var poly [][][]num
	var multi [][][][]num
	var err error
	switch level {
	case 0:
		err = json.Unmarshal(raw, &pos)
		multi = [][][][]num{{{pos}}}
	case 1:
		err = json.Unmarshal(raw, &line)
		multi = [][][][]num{{line}}
	case 2:
		err = json.Unmarshal(raw, &poly)
		multi = [][][][]num{poly}
	case 3:
		err = json.Unmarshal(raw, &multi)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s coordinates must be %s: %v", ErrGeometry, t, shapes[level], err)
	}
	if (level == 0 && len(pos) == 0) || (level == 1 && len(line) == 0) || (level == 2 && len(poly) == 0) || (level == 3 && len(multi) == 0) {
		return nil, nil // empty: a null geometry
	}
	// Flatten, checking dimensions.
	stride := 0
	var flat []float64
	var ends []int
	var endss [][]int
	for _, p := range multi {
		ends = nil
		for _, l := range p {
			for _, c := range l {
				if len(c) < 2 || len(c) > 3 {
					return nil, fmt.Errorf("%w: %s position %v has %d value(s), want 2 or 3 (x, y[, z])", ErrGeometry, t, floats(c), len(c))
				}
				if stride == 0 {
					stride = len(c)
				} else if len(c) != stride {
					return nil, fmt.Errorf("%w: %s mixes 2D and 3D positions", ErrGeometry, t)
				}
				for _, v := range c {
					flat = append(flat, float64(v))
				}
			}
			ends = append(ends, len(flat))
		}
		endss = append(endss, ends)
	}
	layout := geom.XY
	if stride == 3 {
		layout = geom.XYZ
	}
	// Structural checks.
	switch t {
	case "LineString", "MultiLineString":
		for i, l := range multi[0] {
			if len(l) < 2 {
				return nil, fmt.Errorf("%w: %s line %d has %d position(s), a line needs at least 2", ErrGeometry, t, i+1, len(l))
			}
		}
	case "Polygon", "MultiPolygon":
		for pi, p := range multi {
			if len(p) == 0 {
				return nil, fmt.Errorf("%w: %s polygon %d has no rings", ErrGeometry, t, pi+1)
			}
			for ri, l := range p {
				if len(l) < 4 {
					return nil, fmt.Errorf("%w: %s ring %d has %d position(s), a ring needs at least 4", ErrGeometry, t, ri+1, len(l))
				}
				first, last := l[0], l[len(l)-1]
				for k := range first {
					if first[k] != last[k] {
						return nil, fmt.Errorf("%w: %s ring %d is not closed: it starts at %v and ends at %v", ErrGeometry, t, ri+1, floats(first), floats(last))
					}
				}
			}
		}
	}
	switch t {
	case "Point":
		return geom.NewPointFlat(layout, flat), nil
	case "MultiPoint":
		return geom.NewMultiPointFlat(layout, flat), nil
	case "LineString":
		return geom.NewLineStringFlat(layout, flat), nil
	case "MultiLineString":
		return geom.NewMultiLineStringFlat(layout, flat, endss[0]), nil
	case "Polygon":
		return geom.NewPolygonFlat(layout, flat, endss[0]), nil
	default:
		return geom.NewMultiPolygonFlat(layout, flat, endss), nil
	}
}

func floats(c []num) []float64 {
	out := make([]float64, len(c))
	for i, v := range c {
		out[i] = float64(v)
	}
	return out
}

// rewindGeom orients the rings of g's polygons (in collections too) by
// the right-hand rule, and reports whether any was the other way round.
func rewindGeom(g geom.T) bool {
	changed := false
	switch g := g.(type) {
	case *geom.Polygon:
		changed = rewind(g.FlatCoords(), g.Ends(), g.Stride(), 0)
	case *geom.MultiPolygon:
		start := 0
		for _, ends := range g.Endss() {
			if len(ends) == 0 {
				continue
			}
			changed = rewind(g.FlatCoords(), ends, g.Stride(), start) || changed
			start = ends[len(ends)-1]
		}
	case *geom.GeometryCollection:
		for _, m := range g.Geoms() {
			changed = rewindGeom(m) || changed
		}
	}
	return changed
}

// rewind orients a polygon's rings by the right-hand rule: the exterior
// counter-clockwise, holes clockwise. It reports whether it changed any.
func rewind(flat []float64, ends []int, stride, start int) bool {
	changed := false
	for i, end := range ends {
		ring := flat[start:end]
		a := ringArea2(ring, stride)
		if (i == 0 && a < 0) || (i > 0 && a > 0) {
			changed = true
			n := len(ring) / stride
			for j := 0; j < n/2; j++ {
				for k := 0; k < stride; k++ {
					ring[j*stride+k], ring[(n-1-j)*stride+k] = ring[(n-1-j)*stride+k], ring[j*stride+k]
				}
			}
		}
		start = end
	}
	return changed
}

// checkLonLat refuses a coordinate outside the lon/lat range.
func checkLonLat(g geom.T, srs string) error {
	flat, stride := g.FlatCoords(), g.Stride()
	for i := 0; i+1 < len(flat); i += stride {
		x, y := flat[i], flat[i+1]
		if x < -180 || x > 180 || y < -90 || y > 90 || math.IsNaN(x) || math.IsNaN(y) {
			return fmt.Errorf("%w: (%g, %g) is not a longitude and latitude in %s; the file looks projected: name its CRS, for example --srs EPSG:2230 (Options.SRS)", ErrNotLonLat, x, y, srs)
		}
	}
	return nil
}

// parseCRS reads a legacy GeoJSON crs member.
func parseCRS(raw json.RawMessage) string {
	var crs struct {
		Type       string `json:"type"`
		Properties struct {
			Name string      `json:"name"`
			Code json.Number `json:"code"`
		} `json:"properties"`
	}
	if json.Unmarshal(raw, &crs) != nil {
		return ""
	}
	switch strings.ToLower(crs.Type) {
	case "name":
		return normalizeCRSName(crs.Properties.Name)
	case "epsg":
		if crs.Properties.Code != "" {
			return "EPSG:" + crs.Properties.Code.String()
		}
	}
	return ""
}

// normalizeCRSName turns the usual spellings of a CRS name into
// "EPSG:NNNN", CRS84 into "EPSG:4326", and leaves others as they are.
func normalizeCRSName(name string) string {
	n := strings.TrimSpace(name)
	l := strings.ToLower(n)
	if strings.HasSuffix(l, "crs84") {
		return "EPSG:4326"
	}
	for _, p := range []string{"urn:ogc:def:crs:epsg:", "http://www.opengis.net/def/crs/epsg/", "https://www.opengis.net/def/crs/epsg/", "epsg:"} {
		if strings.HasPrefix(l, p) {
			rest := n[len(p):]
			if i := strings.LastIndexAny(rest, ":/"); i >= 0 {
				rest = rest[i+1:]
			}
			if _, err := strconv.Atoi(rest); err == nil {
				return "EPSG:" + rest
			}
		}
	}
	return n
}
