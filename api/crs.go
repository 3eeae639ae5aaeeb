package api

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/cql2"
	"github.com/cityatlas/cityatlas/formats"
	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/geo/proj"
	"github.com/cityatlas/cityatlas/store"
)

// Coordinate reference systems (OGC API - Features Part 2): the crs
// parameter of items and single features, bbox-crs, filter-crs and the
// Content-Crs header. Features are stored, indexed and compared in CRS84;
// another CRS is converted at the edges by geo/proj, on the way out for
// output and on the way in for a bbox or a filter's geometry literals.

// crsClass is the conformance class of Part 2.
const crsClass = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"

const epsgURI = "http://www.opengis.net/def/crs/EPSG/0/"

// crsDef is a CRS offered: its URI, the conversion to and from WGS84
// longitude/latitude (nil for CRS84, the storage CRS), and whether its
// first axis is latitude, as EPSG defines EPSG:4326.
type crsDef struct {
	uri      string
	code     string // "EPSG:2230", "OGC:CRS84"
	conv     *proj.CRS
	latFirst bool
}

var crs84Def = &crsDef{uri: crs84, code: "OGC:CRS84"}

// identity reports whether coordinates in d are stored ones (CRS84).
func (d *crsDef) identity() bool { return d == nil || (d.conv == nil && !d.latFirst) }

// geographic reports whether d has longitude and latitude in degrees.
func (d *crsDef) geographic() bool { return d.conv == nil || d.conv.IsGeographic() }

// tag is what the crs adds to an ETag: "" for CRS84, "-EPSG2230" else.
func (d *crsDef) tag() string {
	if d.identity() {
		return ""
	}
	return "-" + strings.ReplaceAll(d.code, ":", "")
}

// crsSet is the list of offered CRSs for a data centre.
type crsSet struct {
	key  string
	defs []*crsDef
}

// crsCache holds the last crsSet computed.
type crsCache struct{ p atomic.Pointer[crsSet] }

// offeredCRS returns the CRSs offered, first CRS84: EPSG:4326, Web
// Mercator, and the UTM and State Plane zones of the centre of all the
// data (the union of the collections' extents); the zones are left out
// while no collection has an extent.
func (s *Server) offeredCRS() []*crsDef {
	box, ok := [4]float64{}, false
	for _, ci := range s.store.Collections() {
		if !ci.HasExtent || ci.Extent[0] > ci.Extent[2] {
			continue
		}
		if !ok {
			box, ok = ci.Extent, true
			continue
		}
		box = [4]float64{min(box[0], ci.Extent[0]), min(box[1], ci.Extent[1]), max(box[2], ci.Extent[2]), max(box[3], ci.Extent[3])}
	}
	lon, lat := (box[0]+box[2])/2, (box[1]+box[3])/2
	key := ""
	if ok {
		key = fmt.Sprintf("%.3f,%.3f", lon, lat)
	}
	if set := s.crs.p.Load(); set != nil && set.key == key {
		return set.defs
	}
	codes := []string{"EPSG:4326", "EPSG:3857"}
	if ok {
		codes = append(codes, proj.UTMZone(lon, lat))
		if sp, found := proj.StatePlane(lon, lat); found {
			codes = append(codes, sp)
		}
	}
	defs := []*crsDef{crs84Def}
	for _, code := range codes {
		c, err := proj.Parse(code)
		if err != nil {
			continue // the built-in table has every code above
		}
		defs = append(defs, &crsDef{uri: epsgURI + strings.TrimPrefix(code, "EPSG:"), code: code, conv: c, latFirst: code == "EPSG:4326"})
	}
	s.crs.p.Store(&crsSet{key: key, defs: defs})
	return defs
}

// crsURIs lists the URIs of the offered CRSs.
func (s *Server) crsURIs() []string {
	defs := s.offeredCRS()
	out := make([]string, len(defs))
	for i, d := range defs {
		out[i] = d.uri
	}
	return out
}

// parseCRS reads the CRS of parameter name (crs, bbox-crs or filter-crs):
// CRS84 when absent. It takes the URIs of /collections (also the CRS84h
// one), a safe CURIE such as [EPSG:2230], and what geo/proj reads as a
// code (EPSG:2230, urn:ogc:def:crs:EPSG::2230). A CRS that is unknown or
// not offered is a 400 naming the parameter and listing the offered ones.
func (s *Server) parseCRS(q url.Values, name string) (*crsDef, error) {
	v, ok, err := single(q, name)
	if err != nil || !ok {
		return crs84Def, err
	}
	v = strings.TrimSpace(v)
	if v == crs84 || v == crs84h {
		return crs84Def, nil
	}
	offered := s.offeredCRS()
	for _, d := range offered {
		if v == d.uri {
			return d, nil
		}
	}
	code := strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
	if c, err := proj.Parse(code); err == nil && !strings.ContainsAny(code, "[(") {
		for _, d := range offered {
			if c.Code() == d.code {
				return d, nil
			}
		}
	}
	return nil, badParam(name, "%s %q is not offered; use one of: %s", name, v, strings.Join(s.crsURIs(), ", "))
}

// contentCRS is the Content-Crs header of a response in d.
func contentCRS(d *crsDef) string {
	if d == nil || d == crs84Def {
		return "<" + crs84 + ">"
	}
	return "<" + d.uri + ">"
}

// contentCRSHeader is contentCRS as a header's values: CRS84's shared by
// every answer (sharedValue).
func contentCRSHeader(d *crsDef) []string {
	if d == nil || d == crs84Def {
		return crs84Header
	}
	return []string{contentCRS(d)}
}

// toCRS84 converts x, y in d (in d's axis order) to longitude, latitude.
func (d *crsDef) toCRS84(x, y float64) (float64, float64, error) {
	if d.latFirst {
		x, y = y, x
	}
	if d.geographic() {
		return x, y, nil // the geographic CRSs offered are all WGS84: exact
	}
	return d.conv.ToWGS84(x, y)
}

// fromCRS84 returns a copy of g (stored, CRS84) in d; g itself is never
// changed (it may be the index's own). An error wraps proj.ErrDomain.
func (d *crsDef) fromCRS84(g geom.T) (geom.T, error) {
	if d.identity() || g == nil {
		return g, nil
	}
	out := cloneGeom(g)
	if d.conv != nil && !d.conv.IsGeographic() {
		if err := d.conv.FromWGS84Geom(out); err != nil {
			return nil, err
		}
		roundXY(out)
	}
	if d.latFirst {
		swapXY(out)
	}
	return out, nil
}

// cloneGeom copies g with its coordinates.
func cloneGeom(g geom.T) geom.T {
	switch g := g.(type) {
	case *geom.Point:
		return g.Clone()
	case *geom.LineString:
		return g.Clone()
	case *geom.Polygon:
		return g.Clone()
	case *geom.MultiPoint:
		return g.Clone()
	case *geom.MultiLineString:
		return g.Clone()
	case *geom.MultiPolygon:
		return g.Clone()
	case *geom.GeometryCollection:
		out := geom.NewGeometryCollection()
		for _, m := range g.Geoms() {
			_ = out.Push(cloneGeom(m))
		}
		return out
	}
	return g
}

// projectedDigits is the number of decimals kept of a projected x or y:
// 0.1 mm in metres, 0.03 mm in feet, far below what the coordinates are
// worth and well within PROJ's numbers; the digits after are noise that
// only lengthens the answer.
const projectedDigits = 1e4

// roundXY rounds the first two ordinates of every coordinate of g to
// projectedDigits.
func roundXY(g geom.T) {
	mapXY(g, func(x, y float64) (float64, float64) {
		return math.Round(x*projectedDigits) / projectedDigits, math.Round(y*projectedDigits) / projectedDigits
	})
}

// swapXY exchanges the first two ordinates of every coordinate of g.
func swapXY(g geom.T) {
	mapXY(g, func(x, y float64) (float64, float64) { return y, x })
}

// mapXY replaces the first two ordinates of every coordinate of g by what
// fn makes of them.
func mapXY(g geom.T, fn func(x, y float64) (float64, float64)) {
	if gc, ok := g.(*geom.GeometryCollection); ok {
		for _, m := range gc.Geoms() {
			mapXY(m, fn)
		}
		return
	}
	flat, stride := g.FlatCoords(), g.Stride()
	for i := 0; stride >= 2 && i+1 < len(flat); i += stride {
		flat[i], flat[i+1] = fn(flat[i], flat[i+1])
	}
}

// outsideCRS is the 400 of a feature that d cannot express.
func outsideCRS(d *crsDef, id int64, err error) *Problem {
	return badParam("crs", "feature %d cannot be given in %s: %v", id, d.uri, err)
}

// appendHitGeometry appends the GeoJSON of h's geometry in d.
func (d *crsDef) appendHitGeometry(buf []byte, h *store.Hit) ([]byte, error) {
	if d.identity() {
		return h.AppendGeoJSON(buf), nil
	}
	if p, ok := h.Geom().(*geom.Point); ok && h.Point() && !p.Empty() {
		// A point is built anew for each call: converted in place, without
		// the copies and slices of the general case.
		flat := p.FlatCoords()
		var err error
		if flat[0], flat[1], err = d.fromCRS84XY(flat[0], flat[1]); err != nil {
			return buf, outsideCRS(d, h.ID, err)
		}
		return geo.AppendGeoJSON(buf, p), nil
	}
	g, err := d.fromCRS84(h.Geom())
	if err != nil {
		return buf, outsideCRS(d, h.ID, err)
	}
	return geo.AppendGeoJSON(buf, g), nil
}

// fromCRS84XY converts one longitude, latitude to d, as fromCRS84 does a
// geometry.
func (d *crsDef) fromCRS84XY(lon, lat float64) (float64, float64, error) {
	x, y := lon, lat
	if !d.geographic() {
		var err error
		if x, y, err = d.conv.FromWGS84(lon, lat); err != nil {
			return 0, 0, err
		}
		x, y = math.Round(x*projectedDigits)/projectedDigits, math.Round(y*projectedDigits)/projectedDigits
	}
	if d.latFirst {
		x, y = y, x
	}
	return x, y, nil
}

// densify is the number of segments each side of a box in a projected CRS
// is cut into on its way to CRS84, where its sides are curves.
const densify = 16

// boxRing returns the ring (CRS84) of box b = [minX, minY, maxX, maxY] of
// projected CRS d, each side cut into densify segments, counter-clockwise.
func (d *crsDef) boxRing(b [4]float64) (orb.Ring, error) {
	corners := [5][2]float64{{b[0], b[1]}, {b[2], b[1]}, {b[2], b[3]}, {b[0], b[3]}, {b[0], b[1]}}
	ring := make(orb.Ring, 0, 4*densify+1)
	for side := range 4 {
		a, z := corners[side], corners[side+1]
		for i := range densify {
			t := float64(i) / densify
			lon, lat, err := d.toCRS84(a[0]+t*(z[0]-a[0]), a[1]+t*(z[1]-a[1]))
			if err != nil {
				return nil, err
			}
			ring = append(ring, orb.Point{lon, lat})
		}
	}
	return append(ring, ring[0]), nil
}

// bboxToCRS84 turns the numbers of bbox (4, heights already dropped) given
// in d into the store's filter: a CRS84 box, and for a projected CRS also
// the box's outline as an area, since its sides are not meridians and
// parallels in CRS84.
func (d *crsDef) bboxToCRS84(b [4]float64) (*[4]float64, orb.Geometry, error) {
	if d.geographic() {
		if d.latFirst {
			b = [4]float64{b[1], b[0], b[3], b[2]}
		}
		order := "minLon,minLat,maxLon,maxLat"
		if d.latFirst {
			order = "minLat,minLon,maxLat,maxLon (EPSG:4326 is latitude first)"
		}
		switch {
		case b[1] > b[3]:
			return nil, nil, badParam("bbox", "bbox minLat %g is greater than maxLat %g; the order is %s", b[1], b[3], order)
		case outside(b[0], 180) || outside(b[2], 180) || outside(b[1], 90) || outside(b[3], 90):
			return nil, nil, badParam("bbox", "bbox %v is outside longitude -180..180 / latitude -90..90 (the order is %s)", b, order)
		}
		return &b, nil, nil
	}
	if b[0] > b[2] || b[1] > b[3] {
		return nil, nil, badParam("bbox", "bbox in %s: the minimum %g,%g is not below the maximum %g,%g; the order is minX,minY,maxX,maxY (easting, northing)", d.uri, b[0], b[1], b[2], b[3])
	}
	ring, err := d.boxRing(b)
	if err != nil {
		return nil, nil, badParam("bbox", "bbox %v lies outside where %s is defined: %v", b, d.uri, errors.Unwrap(err))
	}
	bound := ring.Bound()
	return &[4]float64{bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1]}, orb.Polygon{ring}, nil
}

// exprToCRS84 rewrites the geometry and BBOX literals of a CQL2 tree given
// in d (filter-crs) to CRS84. A BBOX in a projected CRS becomes the
// polygon of its outline (densified); the vertices of other literals are
// converted one by one, their edges not densified.
func (d *crsDef) exprToCRS84(e cql2.Expr) (cql2.Expr, error) {
	switch e := e.(type) {
	case cql2.Op:
		args, err := d.exprsToCRS84(e.Args)
		return cql2.Op{Op: e.Op, Args: args}, err
	case cql2.Function:
		args, err := d.exprsToCRS84(e.Args)
		return cql2.Function{Name: e.Name, Args: args}, err
	case cql2.Array:
		args, err := d.exprsToCRS84(e)
		return cql2.Array(args), err
	case cql2.Geometry:
		return d.geometryToCRS84(e)
	case cql2.BBox:
		return d.bboxLiteralToCRS84(e)
	}
	return e, nil
}

func (d *crsDef) exprsToCRS84(in []cql2.Expr) ([]cql2.Expr, error) {
	out := make([]cql2.Expr, len(in))
	for i, a := range in {
		var err error
		if out[i], err = d.exprToCRS84(a); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// filterOutside is the 400 of a filter literal that d cannot convert.
func filterOutside(d *crsDef, what string, err error) *Problem {
	return badParam("filter", "filter: %s lies outside where filter-crs %s is defined: %v", what, d.uri, errors.Unwrap(err))
}

func (d *crsDef) positionsToCRS84(ps []cql2.Position) ([]cql2.Position, error) {
	out := make([]cql2.Position, len(ps))
	for i, p := range ps {
		if len(p) < 2 {
			out[i] = p
			continue
		}
		lon, lat, err := d.toCRS84(p[0], p[1])
		if err != nil {
			return nil, filterOutside(d, "position "+formatPos(p), err)
		}
		q := append(cql2.Position{lon, lat}, p[2:]...)
		out[i] = q
	}
	return out, nil
}

func formatPos(p cql2.Position) string {
	s := make([]string, len(p))
	for i, v := range p {
		s[i] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return "(" + strings.Join(s, " ") + ")"
}

func (d *crsDef) geometryToCRS84(g cql2.Geometry) (cql2.Geometry, error) {
	out := cql2.Geometry{Type: g.Type}
	var err error
	if g.Coords != nil {
		if out.Coords, err = d.positionsToCRS84(g.Coords); err != nil {
			return out, err
		}
	}
	for _, r := range g.Rings {
		r2, err := d.positionsToCRS84(r)
		if err != nil {
			return out, err
		}
		out.Rings = append(out.Rings, r2)
	}
	for _, poly := range g.Polys {
		var p2 [][]cql2.Position
		for _, r := range poly {
			r2, err := d.positionsToCRS84(r)
			if err != nil {
				return out, err
			}
			p2 = append(p2, r2)
		}
		out.Polys = append(out.Polys, p2)
	}
	for _, m := range g.Geoms {
		m2, err := d.geometryToCRS84(m)
		if err != nil {
			return out, err
		}
		out.Geoms = append(out.Geoms, m2)
	}
	return out, nil
}

// bboxLiteralToCRS84 converts BBOX(...) of 4 or 6 numbers.
func (d *crsDef) bboxLiteralToCRS84(b cql2.BBox) (cql2.Expr, error) {
	var box [4]float64
	switch len(b) {
	case 4:
		box = [4]float64{b[0], b[1], b[2], b[3]}
	case 6:
		box = [4]float64{b[0], b[1], b[3], b[4]}
	default:
		return b, nil // cql2.Compile names the mistake
	}
	if d.geographic() {
		if !d.latFirst {
			return b, nil
		}
		if len(b) == 6 {
			return cql2.BBox{b[1], b[0], b[2], b[4], b[3], b[5]}, nil
		}
		return cql2.BBox{box[1], box[0], box[3], box[2]}, nil
	}
	if box[0] > box[2] || box[1] > box[3] {
		return nil, badParam("filter", "filter: BBOX%v in filter-crs %s: the minimum is not below the maximum (minX,minY,maxX,maxY)", []float64(b), d.uri)
	}
	ring, err := d.boxRing(box)
	if err != nil {
		return nil, filterOutside(d, fmt.Sprintf("BBOX%v", []float64(b)), err)
	}
	pos := make([]cql2.Position, len(ring))
	for i, p := range ring {
		pos[i] = cql2.Position{p[0], p[1]}
	}
	return cql2.Geometry{Type: cql2.Polygon, Rings: [][]cql2.Position{pos}}, nil
}

// outputCRS reads the crs parameter of items and single features. The
// HTML pages draw their map in CRS84: another crs there is a 400.
func (s *Server) outputCRS(c echo.Context, outFmt string) (*crsDef, error) {
	out, err := s.parseCRS(c.QueryParams(), "crs")
	if err != nil {
		return nil, err
	}
	if outFmt == fmtHTML && !out.identity() {
		return nil, badParam("crs", "crs %s applies to GeoJSON and CSV (f=json, f=csv); the HTML page draws its map in %s", out.uri, crs84)
	}
	return out, nil
}

// axisNames are the CSV columns of a point's coordinates in d.
func (d *crsDef) axisNames() []string {
	switch {
	case d.latFirst:
		return []string{"latitude", "longitude"}
	case d.geographic():
		return []string{"longitude", "latitude"}
	}
	return []string{"easting", "northing"}
}

// abortStream ends a response that failed after its start was sent: the
// connection is cut (no final chunk), so that the client sees an error
// rather than a document that looks whole.
func (s *Server) abortStream(c echo.Context, err error) {
	s.log.Warn("response failed half-way; aborting the connection", "path", c.Request().URL.Path, "err", err,
		"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	panic(http.ErrAbortHandler)
}

// formatsCRS describes d to the download writers.
func (d *crsDef) formatsCRS() *formats.CRS {
	code, _ := strconv.Atoi(strings.TrimPrefix(d.code, "EPSG:"))
	axes := d.axisNames()
	return &formats.CRS{EPSG: code, Axes: [2]string{axes[0], axes[1]}}
}

// crsWriter converts each feature's geometry to out on its way to a
// download writer (formats.Copy hands it the index's own geometries,
// which fromCRS84 copies).
type crsWriter struct {
	formats.Writer
	out *crsDef
}

func (w *crsWriter) Write(f *formats.Feature) error {
	g, err := w.out.fromCRS84(f.Geometry)
	if err != nil {
		return outsideCRS(w.out, f.ID, err)
	}
	keep := f.Geometry
	f.Geometry = g
	err = w.Writer.Write(f)
	f.Geometry = keep
	return err
}
