package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/tidwall/gjson"

	"github.com/cityatlas/cityatlas/cql2"
	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/store"
)

// maxRadius bounds the radius parameter, in metres.
const maxRadius = 100_000

// areaParams are the parameters that choose an area.
var areaParams = []string{"bbox", "bbox-crs", "lon", "lat", "radius"}

// parseArea reads an area from bbox, or lon+lat+radius (metres), or for a
// POST a GeoJSON Polygon/MultiPolygon (bare, or as a Feature) body. It
// returns a nil filter area when none is given.
func (s *Server) parseArea(c echo.Context, f *store.Filter) (orb.Geometry, error) {
	q := c.QueryParams()
	bbox, outline, err := s.parseBBox(q)
	if err != nil {
		return nil, err
	}
	var area orb.Geometry
	if bbox != nil {
		f.BBox = bbox
		area = orb.Bound{Min: orb.Point{bbox[0], bbox[1]}, Max: orb.Point{bbox[2], bbox[3]}}.ToPolygon()
		if outline != nil { // a bbox in a projected bbox-crs
			f.Area, area = outline, outline
		}
	}
	_, hasLon := q["lon"]
	_, hasLat := q["lat"]
	_, hasR := q["radius"]
	if hasLon || hasLat || hasR {
		if bbox != nil {
			return nil, badParam("radius", "give either bbox or lon, lat and radius, not both")
		}
		lon, err := parseFloatParam(q, "lon", -180, 180)
		if err != nil {
			return nil, err
		}
		lat, err := parseFloatParam(q, "lat", -90, 90)
		if err != nil {
			return nil, err
		}
		r, err := parseFloatParam(q, "radius", 0, maxRadius)
		if err != nil {
			return nil, err
		}
		// Measured on the ellipsoid, as PostGIS's ST_DWithin on geography.
		f.Circle = geo.NewDisc(orb.Point{lon, lat}, r)
		area = f.Circle.Bound()
	}
	if c.Request().Method == http.MethodPost {
		if area != nil {
			return nil, badParam("bbox", "the area is given twice: in the body and as parameters; give one")
		}
		g, err := s.readAreaBody(c)
		if err != nil {
			return nil, err
		}
		if err := s.checkGeometryBudget(g); err != nil {
			return nil, err
		}
		f.Area, area = g, g
	}
	return area, nil
}

func parseFloatParam(q url.Values, name string, lo, hi float64) (float64, error) {
	v, ok, err := single(q, name)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, badParam(name, "%s is missing: a circle needs lon, lat and radius (metres)", name)
	}
	x, err := parseDecimal(v)
	if err != nil {
		return 0, badParam(name, "%s must be a decimal number, got %q", name, v)
	}
	if x < lo || x > hi {
		return 0, badParam(name, "%s must be between %g and %g, got %g", name, lo, hi, x)
	}
	return x, nil
}

// areaBodies are the buffers readAreaBody reads bodies into.
var areaBodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readAreaBody reads a GeoJSON Polygon or MultiPolygon, bare or in a
// Feature, from the request body (at most 4 MiB) of type
// application/geo+json or application/json.
func (s *Server) readAreaBody(c echo.Context) (orb.Geometry, error) {
	if ct := c.Request().Header.Get(echo.HeaderContentType); !jsonContentType(ct) {
		return nil, &Problem{Type: "about:blank", Title: "Unsupported Media Type", Status: http.StatusUnsupportedMediaType,
			Detail: fmt.Sprintf("the body must be GeoJSON with Content-Type application/geo+json (or application/json), not %q", ct)}
	}
	// Read into a buffer kept for the next body: nothing decoded from it
	// points into it.
	buf := areaBodies.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 {
			buf.Reset()
			areaBodies.Put(buf)
		}
	}()
	if _, err := buf.ReadFrom(io.LimitReader(c.Request().Body, 4<<20+1)); err != nil {
		return nil, err
	}
	body := buf.Bytes()
	if len(body) > 4<<20 {
		return nil, &Problem{Type: "about:blank", Title: "Payload Too Large", Status: http.StatusRequestEntityTooLarge, Detail: "the area is larger than 4 MiB"}
	}
	bad := func(format string, args ...any) error {
		return &Problem{Type: "https://cityatlas.dev/problems/invalid-body", Title: "Invalid body", Status: http.StatusBadRequest,
			Detail: "the body must be a GeoJSON Polygon or MultiPolygon (or a Feature with one): " + sprintf(format, args...)}
	}
	// The vertex budget first, on the raw bytes: decoding and validating a
	// huge polygon is itself the cost to avoid.
	if err := s.checkVertexBudget(countPositions(body)); err != nil {
		return nil, err
	}
	raw, ok := plainGeometry(body)
	if !ok {
		var probe struct {
			Type     string          `json:"type"`
			Geometry json.RawMessage `json:"geometry"`
		}
		if err := json.Unmarshal(body, &probe); err != nil {
			return nil, bad("%v", err)
		}
		raw = body
		if probe.Type == "Feature" {
			raw = probe.Geometry
		}
	}
	g, err := geo.DecodeGeoJSON(raw)
	if err != nil {
		return nil, bad("%v", err)
	}
	if g == nil {
		return nil, bad("the geometry is null")
	}
	o, err := geo.ToOrb(g)
	if err != nil {
		return nil, bad("%v", err)
	}
	switch o.(type) {
	case orb.Polygon, orb.MultiPolygon:
		return o, nil
	}
	return nil, bad("got a %s", o.GeoJSONType())
}

// plainGeometry returns the geometry of a GeoJSON body, its "geometry"
// member if it is a Feature, the body itself otherwise, found with gjson
// (without decoding the coordinates) when the body is plain: valid JSON,
// an object whose "type" (a string without escapes) and "geometry" are
// named once and exactly so. Otherwise it returns false, and the body is
// left to encoding/json, which matches member names regardless of case
// and words the errors.
func plainGeometry(body []byte) ([]byte, bool) {
	if !gjson.ValidBytes(body) {
		return nil, false
	}
	doc := gjson.ParseBytes(body)
	if !doc.IsObject() {
		return nil, false
	}
	var typ, geom gjson.Result
	ok := true
	doc.ForEach(func(k, v gjson.Result) bool {
		name := k.Raw[1 : len(k.Raw)-1]
		switch {
		case strings.IndexByte(name, '\\') >= 0:
			ok = false
		case strings.EqualFold(name, "type"):
			ok = name == "type" && typ.Raw == "" && v.Type == gjson.String && strings.IndexByte(v.Raw, '\\') < 0
			typ = v
		case strings.EqualFold(name, "geometry"):
			ok = name == "geometry" && geom.Raw == ""
			geom = v
		}
		return ok
	})
	switch {
	case !ok:
		return nil, false
	case typ.Str != "Feature":
		return body, true
	case geom.Raw == "":
		return nil, false
	}
	return []byte(geom.Raw), true
}

// jsonContentType reports whether a Content-Type header names GeoJSON or
// JSON (parameters such as charset allowed).
func jsonContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == mimeGeoJSON || mt == mimeJSON)
}

type statsDoc struct {
	ID      string        `json:"id"`
	Title   string        `json:"title"`
	Count   int           `json:"count"`
	GroupBy string        `json:"groupBy,omitempty"`
	Groups  []store.Group `json:"groups,omitempty"`
}

// stats answers /collections/{id}/stats: the count of the features that
// pass the filters (area, properties, datetime), optionally grouped by one
// property.
func (s *Server) stats(c echo.Context) error {
	ci, err := s.store.Collection(c.Param("collectionId"))
	if err != nil {
		return s.unknownCollection(c.Param("collectionId"))
	}
	q := c.QueryParams()
	f, err := s.attributeFilter(q, ci, append([]string{"f", "groupby", "datetime"}, areaParams...)...)
	if err != nil {
		return err
	}
	if _, err := format(c, fmtJSON); err != nil {
		return err
	}
	if _, err := s.parseArea(c, &f); err != nil {
		return err
	}
	groupBy, _, err := single(q, "groupby")
	if err != nil {
		return err
	}
	if groupBy != "" {
		if _, ok := ci.Field(groupBy); !ok {
			return badParam("groupby", "collection %q has no property %q; group by one of: %s", ci.ID, groupBy, strings.Join(fieldList(ci.Fields), ", "))
		}
	}
	if notModified(c, etag(ci, c, "stats")) {
		return nil
	}
	n, groups, err := s.store.Stats(c.Request().Context(), ci.ID, f, groupBy)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, statsDoc{ID: ci.ID, Title: ci.Title, Count: n, GroupBy: groupBy, Groups: groups})
}

// countParams are the parameters of /count besides the filters of one
// collection.
var countParams = withFilterParams(append([]string{"f", "collections", "groupby"}, areaParams...)...)

// count answers /count: how many features of each collection lie in an
// area (bbox, circle, or a posted polygon), optionally grouped, with
// COLLECTION.PROPERTY=VALUE, COLLECTION.datetime=INTERVAL and
// COLLECTION.filter=CQL2 filters for one collection, and a filter for all.
func (s *Server) count(c echo.Context) error {
	q := c.QueryParams()
	// COLLECTION.PROPERTY=VALUE filters one collection's features; plain
	// are the other parameters (q itself when there are no such filters).
	plain, perColl := q, map[string]url.Values{}
	for k, v := range q {
		coll, prop, ok := strings.Cut(k, ".")
		if !ok {
			continue
		}
		ci, err := s.store.Collection(coll)
		if err != nil {
			return badParam(k, "%s: there is no collection %q; filter with COLLECTION.PROPERTY=VALUE", k, coll)
		}
		if _, ok := ci.Field(prop); !ok && prop != "datetime" && !slices.Contains(filterParams, prop) {
			return badParam(k, "%s: collection %q has no property %q (known: %s, and datetime, filter, filter-lang)", k, coll, prop, strings.Join(fieldList(ci.Fields), ", "))
		}
		if perColl[coll] == nil {
			perColl[coll] = url.Values{}
		}
		perColl[coll][prop] = v
	}
	if len(perColl) > 0 {
		plain = url.Values{}
		for k, v := range q {
			if !strings.Contains(k, ".") {
				plain[k] = v
			}
		}
	}
	if err := checkParams(plain, countParams...); err != nil {
		if p, ok := err.(*Problem); ok {
			p.Detail += ", and COLLECTION.PROPERTY=VALUE filters"
		}
		return err
	}
	if _, err := format(c, fmtJSON); err != nil {
		return err
	}
	var f store.Filter
	if _, err := s.parseArea(c, &f); err != nil {
		return err
	}
	where, err := s.parseFilterTree(q)
	if err != nil {
		return err
	}
	var named [2]store.CollectionInfo // room for the usual one or two, off the heap
	infos := named[:0]
	if v, ok, err := single(q, "collections"); err != nil {
		return err
	} else if ok {
		// The named ones only: a lookup each rather than a copy of them all.
		for id := range strings.SplitSeq(v, ",") {
			ci, err := s.store.Collection(id)
			if err != nil || !canRead(c, ci.Collection) {
				return badParam("collections", "there is no collection %q", id)
			}
			infos = append(infos, ci)
		}
	} else {
		// Base layers and the city limits are not assets: counted only when named.
		infos = slices.DeleteFunc(s.readable(c), func(ci store.CollectionInfo) bool { return ci.Role != store.RoleAsset })
	}
	groupBy, _, err := single(q, "groupby")
	if err != nil {
		return err
	}
	// The query's area is not echoed back: the client has it, and a large
	// polygon would double the answer.
	out := struct {
		Total       int        `json:"total"`
		Collections []statsDoc `json:"collections"`
	}{Collections: []statsDoc{}}
	for _, ci := range infos {
		g := groupBy
		if _, ok := ci.Field(g); !ok {
			g = ""
		}
		cf := f
		if pq := perColl[ci.ID]; pq != nil {
			props, err := propFilters(pq, ci.Fields)
			if err == nil {
				cf.Time, err = parseDatetime(pq)
			}
			if err == nil {
				cf.Where, err = s.parseFilter(pq, ci) // COLLECTION.filter: this layer's CQL2
			}
			if err != nil {
				if p, ok := err.(*Problem); ok {
					p.Parameter = ci.ID + "." + p.Parameter
				}
				return err
			}
			cf.Props = props
		}
		if where != nil {
			if _, err := cql2.Compile(where, store.Queryables(&ci.Collection)); err != nil {
				return filterProblem(ci.ID, err)
			}
			if cf.Where != nil {
				cf.Where = cql2.Op{Op: "and", Args: []cql2.Expr{where, cf.Where}}
			} else {
				cf.Where = where
			}
		}
		n, groups, err := s.store.Stats(c.Request().Context(), ci.ID, cf, g)
		if err != nil {
			return err
		}
		out.Total += n
		out.Collections = append(out.Collections, statsDoc{ID: ci.ID, Title: ci.Title, Count: n, GroupBy: g, Groups: groups})
	}
	return c.JSON(http.StatusOK, out)
}

// attributeFilter answers 400 for a parameter of q that is neither one of
// params (or filter, filter-lang, filter-crs) nor a property of collection
// ci, and reads the datetime, NAME=VALUE and CQL2 filters the items, stats
// and tile endpoints share.
func (s *Server) attributeFilter(q url.Values, ci store.CollectionInfo, params ...string) (store.Filter, error) {
	var f store.Filter
	for k := range q {
		if slices.Contains(params, k) || slices.Contains(filterParams, k) {
			continue
		}
		if _, ok := ci.Field(k); ok {
			continue
		}
		// Unknown: the list of the known ones is built for the answer only.
		known := withFilterParams(params...)
		for _, fd := range ci.Fields {
			known = append(known, fd.Name)
		}
		return f, checkParams(q, known...)
	}
	var err error
	if f.Time, err = parseDatetime(q); err != nil {
		return f, err
	}
	if f.Where, err = s.parseFilter(q, ci); err != nil {
		return f, err
	}
	f.Props, err = propFilters(q, ci.Fields)
	return f, err
}

// propFilters reads NAME=VALUE parameters for the schema's fields.
func propFilters(q url.Values, fields []store.Field) ([]store.PropFilter, error) {
	var out []store.PropFilter
	for _, fd := range fields {
		v, ok, err := single(q, fd.Name)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		switch fd.Type {
		case store.TypeInteger, store.TypeNumber:
			if _, err := parseDecimal(v); err != nil {
				return nil, badParam(fd.Name, "%s is a number; %q is not one", fd.Name, v)
			}
		case store.TypeBoolean:
			if _, err := strconv.ParseBool(v); err != nil {
				return nil, badParam(fd.Name, "%s is true or false; %q is neither", fd.Name, v)
			}
		}
		out = append(out, store.PropFilter{Name: fd.Name, Value: v})
	}
	return out, nil
}

func fieldList(fields []store.Field) []string {
	var out []string
	for _, f := range fields {
		out = append(out, f.Name)
	}
	return out
}
