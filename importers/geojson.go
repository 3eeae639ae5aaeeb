package importers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/cityatlas/cityatlas/geo"
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
		case []any:
			b, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("%w: property %q: %v", ErrFormat, k, err)
			}
			if scalars(v) {
				props[k] = json.RawMessage(b) // an array field, or its JSON text in a string one
			} else {
				props[k] = string(b)
			}
		case map[string]any:
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

// scalars reports whether a JSON array holds strings, numbers and
// booleans only: what an array field takes.
func scalars(a []any) bool {
	for _, x := range a {
		switch x.(type) {
		case string, json.Number, bool, float64:
		default:
			return false
		}
	}
	return true
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
	ints, floats, bools, strs, arrays, other int
	str                                      *typeAcc
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
			case json.RawMessage:
				a.arrays++
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
		case a.arrays > 0 && a.ints+a.floats+a.bools+a.strs == 0:
			typ = TypeArray
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
