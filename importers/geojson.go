package importers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/cityatlas/cityatlas/geo"

	"github.com/twpayne/go-geom"
)

// The GeoJSON reader streams the file as a sequence of JSON values (one for
// a plain file, many for newline-delimited GeoJSON and RFC 8142 sequences,
// whose record separators are ignored). Each value may be a
// FeatureCollection, whose features are decoded one at a time, a Feature, a
// bare geometry (a feature without properties), or an array of features.
//
// Checks (RFC 7946 and the geojson-schema rules), each a *RecordError
// naming the feature: "type" present and known; a Feature has "geometry"
// and "properties" members (either may be null) and a string or number
// "id"; positions are 2 or 3 numbers, all of one dimension in a geometry;
// lines have 2 or more positions; rings are closed with 4 or more; a bbox is
// 4 or 6 numbers. Empty "coordinates" arrays are null geometries (RFC 7946
// 3.1). Polygons are rewound to the right-hand rule (exterior rings
// counter-clockwise, holes clockwise).
//
// CRS: a legacy "crs" member of a top-level object (before its features) is
// honoured and reported by SRS ("EPSG:NNNN" for EPSG names and codes,
// "EPSG:4326" for CRS84, else the raw name). When the CRS is lon/lat (no crs
// member, CRS84, EPSG:4326 and other geographic EPSG codes) a coordinate
// outside [-180, 180] x [-90, 90] is refused with ErrNotLonLat and a hint
// to name the projected CRS.

// geographicEPSG are geographic CRSs in which the lon/lat range check
// applies.
var geographicEPSG = map[string]bool{
	"EPSG:4326": true, "EPSG:4269": true, "EPSG:4267": true, "EPSG:4258": true,
	"EPSG:4979": true, "EPSG:4617": true, "EPSG:4283": true, "EPSG:4148": true, "EPSG:4152": true,
}

const maxGeometryDepth = 32

type geojsonReader struct {
	name   string
	open   func() (io.ReadCloser, error)
	opts   Options
	closer io.Closer
	dec    *json.Decoder
	budget *budgetReader // under dec: bounds one record
	srs    string
	lonLat bool
	record int
	err    error

	// parse state
	inObject   bool // walking the members of a top-level object
	inFeatures bool // inside an array of features
	topArray   bool // the array is a top-level value
	streamed   bool // the current object had a features array
	members    map[string]json.RawMessage
	pending    *result

	// survey
	trackKeys bool
	keys      []string
	surveyed  bool
	fields    []Field
	gtype     string
}

type result struct {
	f   Feature
	err error
}

// rsReader turns RFC 8142 record separators (0x1E) into spaces; they are
// not allowed anywhere else in JSON text.
type rsReader struct{ r io.Reader }

func (s rsReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	for i := 0; i < n; i++ {
		if p[i] == 0x1e {
			p[i] = ' '
		}
	}
	return n, err
}

func openGeoJSONFile(path string, opts Options) (Reader, error) {
	return newGeoJSONReader(path, opts.opener(path), opts)
}

func newGeoJSONReader(name string, open func() (io.ReadCloser, error), opts Options) (*geojsonReader, error) {
	r := &geojsonReader{name: name, open: open, opts: opts}
	if err := r.start(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *geojsonReader) start() error {
	f, err := r.open()
	if err != nil {
		return fmt.Errorf("importers: %w", err)
	}
	// The decoder has a buffer of its own: this one only spares it small
	// reads of the file (and finds a BOM).
	br := bufio.NewReaderSize(f, 16<<10)
	if bom, _ := br.Peek(3); bytes.HasPrefix(bom, []byte{0xef, 0xbb, 0xbf}) {
		br.Discard(3)
	}
	r.closer = f
	r.opts.Limits = r.opts.Limits.withDefaults()
	r.budget = &budgetReader{r: rsReader{br}, max: r.opts.Limits.RecordBytes}
	r.dec = json.NewDecoder(r.budget)
	r.dec.UseNumber()
	r.srs = "EPSG:4326"
	if r.opts.SRS != "" {
		r.srs = normalizeCRSName(r.opts.SRS)
	}
	r.lonLat = geographicEPSG[r.srs]
	// Read up to the first feature so that a crs member before the
	// features is known to SRS.
	feat, err := r.next()
	r.pending = &result{feat, err}
	return nil
}

func (r *geojsonReader) Name() string { return r.name }
func (r *geojsonReader) SRS() string  { return r.srs }

func (r *geojsonReader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	if r.err == nil {
		r.err = fmt.Errorf("importers: %s: reader is closed", r.name)
	}
	r.pending = nil
	return err
}

// Next returns the next feature.
func (r *geojsonReader) Next() (Feature, error) {
	if p := r.pending; p != nil {
		r.pending = nil
		return p.f, p.err
	}
	return r.next()
}

func (r *geojsonReader) fatal(err error) (Feature, error) {
	r.err = err
	return Feature{}, err
}

func (r *geojsonReader) syntax(err error) (Feature, error) {
	if errors.Is(err, errRecordBudget) {
		return r.fatal(fmt.Errorf("importers: %s: record %d (from byte %d): %w: longer than %s (--max-record-bytes)", r.name, r.record+1, r.budget.mark, ErrLimit, FormatBytes(r.budget.max)))
	}
	if err := r.opts.ctxErr(); err != nil {
		return r.fatal(err)
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return r.fatal(fmt.Errorf("importers: %s: %w: invalid JSON after record %d (byte %d): %v", r.name, ErrFormat, r.record, r.dec.InputOffset(), err))
}

func (r *geojsonReader) recordErr(err error) (Feature, error) {
	return Feature{}, &RecordError{File: r.name, Record: r.record, Err: err}
}

func (r *geojsonReader) next() (Feature, error) {
	for {
		if r.err != nil {
			return Feature{}, r.err
		}
		r.budget.begin(r.dec.InputOffset())
		switch {
		case r.inFeatures:
			if r.dec.More() {
				var raw json.RawMessage
				if err := r.dec.Decode(&raw); err != nil {
					return r.syntax(err)
				}
				r.record++
				f, err := r.featureFromRaw(raw)
				if err != nil {
					return r.recordErr(err)
				}
				return f, nil
			}
			if _, err := r.dec.Token(); err != nil { // ]
				return r.syntax(err)
			}
			r.inFeatures = false
			if r.topArray {
				r.topArray = false
			}
		case r.inObject:
			if !r.dec.More() {
				if _, err := r.dec.Token(); err != nil { // }
					return r.syntax(err)
				}
				r.inObject = false
				if f, err, ok := r.endObject(); ok {
					return f, err
				}
				continue
			}
			tok, err := r.dec.Token()
			if err != nil {
				return r.syntax(err)
			}
			key, _ := tok.(string)
			if key == "features" && r.members["features"] == nil && !r.streamed && (r.memberType() == "" || r.memberType() == "FeatureCollection") {
				tok, err := r.dec.Token()
				if err != nil {
					return r.syntax(err)
				}
				if d, ok := tok.(json.Delim); ok && d == '[' {
					r.inFeatures, r.streamed = true, true
					continue
				}
				if err := skipRest(r.dec, tok); err != nil {
					return r.syntax(err)
				}
				r.members[key] = json.RawMessage(`"not an array"`)
				continue
			}
			var raw json.RawMessage
			if err := r.dec.Decode(&raw); err != nil {
				return r.syntax(err)
			}
			r.members[key] = raw
			if key == "crs" && !r.streamed && r.record == 0 {
				if srs := parseCRS(raw); srs != "" && r.opts.SRS == "" {
					r.srs = srs
					r.lonLat = geographicEPSG[srs]
				}
			}
		default:
			tok, err := r.dec.Token()
			if errors.Is(err, io.EOF) {
				return r.fatal(io.EOF)
			}
			if err != nil {
				return r.syntax(err)
			}
			switch tok {
			case json.Delim('{'):
				r.inObject, r.streamed = true, false
				r.members = map[string]json.RawMessage{}
			case json.Delim('['):
				r.inFeatures, r.topArray = true, true
			default:
				return r.fatal(fmt.Errorf("importers: %s: %w: the file holds %v, not a GeoJSON object", r.name, ErrFormat, tok))
			}
		}
	}
}

// skipRest skips the rest of a value whose first token was tok.
func skipRest(dec *json.Decoder, tok json.Token) error {
	depth := 0
	if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
		depth = 1
	}
	for depth > 0 {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

func (r *geojsonReader) memberType() string {
	raw, ok := r.members["type"]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "?"
	}
	return s
}

// endObject finishes a top-level object. ok reports a feature or record
// error to return.
func (r *geojsonReader) endObject() (f Feature, err error, ok bool) {
	m := r.members
	r.members = nil
	if r.streamed {
		switch t := typeOf(m); t {
		case "FeatureCollection":
		case "":
			f, err = r.fatal(fmt.Errorf("importers: %s: %w: a FeatureCollection has no \"type\" member", r.name, ErrFormat))
			return f, err, true
		default:
			f, err = r.fatal(fmt.Errorf("importers: %s: %w: an object of type %q has a features array", r.name, ErrFormat, t))
			return f, err, true
		}
		if err := checkBBox(m); err != nil {
			f, err = r.fatal(fmt.Errorf("importers: %s: FeatureCollection: %w", r.name, err))
			return f, err, true
		}
		return Feature{}, nil, false
	}
	r.record++
	switch t := typeOf(m); t {
	case "Feature":
		f, err := r.featureFromMembers(m)
		if err != nil {
			f, err = r.recordErr(err)
		}
		return f, err, true
	case "FeatureCollection":
		f, err = r.recordErr(fmt.Errorf("%w: a FeatureCollection needs a \"features\" array", ErrFormat))
		return f, err, true
	case "":
		f, err = r.recordErr(fmt.Errorf("%w: the object has no \"type\" member (want Feature, FeatureCollection or a geometry type)", ErrFormat))
		return f, err, true
	default:
		g, err := r.geometryFromMembers(m, 0)
		if err == nil {
			err = checkVertices(g, r.opts.Limits)
		}
		if err != nil {
			f, err = r.recordErr(err)
			return f, err, true
		}
		if r.trackKeys {
			r.keys = r.keys[:0]
		}
		return Feature{Geometry: g, Properties: map[string]any{}, Record: r.record, Rewound: g != nil && rewindGeom(g)}, nil, true
	}
}

func typeOf(m map[string]json.RawMessage) string {
	raw, ok := m["type"]
	if !ok {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "?"
	}
	if s == "" {
		return "?"
	}
	return s
}

func (r *geojsonReader) featureFromRaw(raw json.RawMessage) (Feature, error) {
	if d := geo.JSONDepth(raw); d > r.opts.Limits.Depth {
		return Feature{}, fmt.Errorf("%w: the feature nests arrays and objects %d deep, more than %d (--max-depth)", ErrLimit, d, r.opts.Limits.Depth)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return Feature{}, fmt.Errorf("%w: a feature must be a JSON object", ErrFormat)
	}
	return r.featureFromMembers(m)
}

func (r *geojsonReader) featureFromMembers(m map[string]json.RawMessage) (Feature, error) {
	switch t := typeOf(m); t {
	case "Feature":
	case "":
		return Feature{}, fmt.Errorf("%w: the feature has no \"type\" member", ErrFormat)
	default:
		return Feature{}, fmt.Errorf("%w: type %q where a Feature was expected", ErrFormat, t)
	}
	f := Feature{Record: r.record}
	if raw, ok := m["id"]; ok {
		var id any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&id); err != nil {
			return Feature{}, fmt.Errorf("%w: bad id: %v", ErrFormat, err)
		}
		switch v := id.(type) {
		case string:
			f.ID = v
		case json.Number:
			f.ID = v.String()
		case nil:
		default:
			return Feature{}, fmt.Errorf("%w: the feature id %s must be a string or a number", ErrFormat, compact(raw))
		}
	}
	if err := checkBBox(m); err != nil {
		return Feature{}, err
	}
	graw, ok := m["geometry"]
	if !ok {
		return Feature{}, fmt.Errorf("%w: the feature has no \"geometry\" member (use \"geometry\": null for none)", ErrFormat)
	}
	if !isNull(graw) {
		g, err := r.geometry(graw, 0)
		if err == nil {
			err = checkVertices(g, r.opts.Limits)
		}
		if err != nil {
			return Feature{}, err
		}
		f.Geometry = g
		f.Rewound = g != nil && rewindGeom(g)
	}
	praw, ok := m["properties"]
	if !ok {
		return Feature{}, fmt.Errorf("%w: the feature has no \"properties\" member (use \"properties\": {} or null for none)", ErrFormat)
	}
	props, err := r.properties(praw)
	if err != nil {
		return Feature{}, err
	}
	f.Properties = props
	return f, nil
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return abbreviate(string(raw))
	}
	return abbreviate(b.String())
}

// properties decodes a properties object: numbers become int64 when they
// are integers that fit, else float64; nested objects and arrays become
// their compact JSON text.
func (r *geojsonReader) properties(raw json.RawMessage) (map[string]any, error) {
	if r.trackKeys {
		r.keys = objectKeys(raw, r.keys[:0])
	}
	props := map[string]any{}
	if isNull(raw) {
		return props, nil
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&m); err != nil || m == nil {
		return nil, fmt.Errorf("%w: \"properties\" must be an object or null, not %s", ErrFormat, compact(raw))
	}
	for k, v := range m {
		switch v := v.(type) {
		case json.Number:
			props[k] = jsonNumber(v)
		case map[string]any, []any:
			b, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("%w: property %q: %v", ErrFormat, k, err)
			}
			props[k] = string(b)
		default:
			props[k] = v
		}
	}
	return props, nil
}

func jsonNumber(n json.Number) any {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return x
}

// objectKeys appends the keys of a JSON object in document order.
func objectKeys(raw json.RawMessage, keys []string) []string {
	d := json.NewDecoder(bytes.NewReader(raw))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return keys
	}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return keys
		}
		k, _ := t.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if d.Decode(&skip) != nil {
			return keys
		}
	}
	return keys
}

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

// Fields reads the file once more (on the first call) and reports every
// property key in order of first appearance with the type that covers its
// values: integer, number (integers and fractions), boolean, date or
// datetime (strings that all parse as ISO or US dates), else string.
func (r *geojsonReader) Fields() []Field {
	r.survey()
	return append([]Field(nil), r.fields...)
}

// GeometryType reads the file once more (on the first call).
func (r *geojsonReader) GeometryType() string {
	r.survey()
	return r.gtype
}

type propAcc struct {
	ints, floats, bools, strs, other int
	str                              *typeAcc
}

func (r *geojsonReader) survey() {
	if r.surveyed {
		return
	}
	r.surveyed = true
	s := &geojsonReader{name: r.name, open: r.open, opts: r.opts, trackKeys: true}
	if err := s.start(); err != nil {
		return
	}
	defer s.Close()
	var order []string
	accs := map[string]*propAcc{}
	types := map[string]bool{}
	for {
		f, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *RecordError
		if errors.As(err, &re) {
			continue
		}
		if err != nil {
			break
		}
		if f.Geometry != nil {
			types[geo.TypeName(f.Geometry)] = true
		}
		for _, k := range s.keys {
			a := accs[k]
			if a == nil {
				a = &propAcc{str: newTypeAcc()}
				accs[k] = a
				order = append(order, k)
			}
			switch v := f.Properties[k].(type) {
			case nil:
			case int64:
				a.ints++
			case float64:
				a.floats++
			case bool:
				a.bools++
			case string:
				a.strs++
				a.str.add(v)
			default:
				a.other++
			}
		}
	}
	r.fields = make([]Field, 0, len(order))
	for _, k := range order {
		a := accs[k]
		typ := TypeString
		switch {
		case a.other > 0:
		case a.ints > 0 && a.floats == 0 && a.bools == 0 && a.strs == 0:
			typ = TypeInteger
		case a.ints+a.floats > 0 && a.bools == 0 && a.strs == 0:
			typ = TypeNumber
		case a.bools > 0 && a.ints+a.floats+a.strs == 0:
			typ = TypeBoolean
		case a.strs > 0 && a.ints+a.floats+a.bools == 0:
			if t := a.str.result(); t == TypeDate || t == TypeDateTime {
				typ = t
			}
		}
		r.fields = append(r.fields, Field{Name: k, Type: typ})
	}
	r.gtype = mergeTypes(types)
}
