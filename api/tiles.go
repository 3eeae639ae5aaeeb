package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/geo/mvt"
	"github.com/cityatlas/cityatlas/store"
)

// Vector tiles (Mapbox Vector Tile 2.1) built from the in-memory index:
//
//   - /collections/{id}/tiles/WebMercatorQuad/{z}/{y}/{x}: one layer, named
//     after the collection, with the items endpoint's prop=value and datetime
//     filters (OGC API - Tiles order: z, row y, column x);
//   - /tiles/{z}/{x}/{y}[.mvt]: every collection (or those named by
//     collections=a,b) as one layer each, unfiltered;
//   - TileJSON 3.0 documents for both.
//
// A feature carries its id (the MVT feature id) and the properties a map
// styles and filters on: "name" and every enumerated field. Below
// clusterBelowZoom, points are merged on a grid of clusterCell tile units:
// a cell holding several points becomes one point with cluster=true and
// point_count, the true count; a lone point keeps its id and properties.
//
// An empty tile is answered 204 No Content with its ETag, so it costs no
// body. Tiles carry an ETag built from the collections' versions and a
// Cache-Control that lets a shared cache keep them and revalidate (304 while
// the data is unchanged).

const (
	mimeMVT = "application/vnd.mapbox-vector-tile"
	// clusterBelowZoom is the first zoom level where points are never
	// clustered.
	clusterBelowZoom = 14
	// clusterCell is the cluster grid's cell, tile units (16 px of a
	// 512 px tile).
	clusterCell = 128
	// tileMaxZoom is the deepest zoom TileJSON advertises; deeper tiles are
	// served too (up to mvt.MaxZoom) but a map overzooms these.
	tileMaxZoom = 20
	// tileCacheControl lets browsers and CDNs keep a tile but revalidate it
	// with its ETag before use.
	tileCacheControl = "public, max-age=0, must-revalidate"
)

// tileState is what one tile request reuses from the pool.
type tileState struct {
	enc       *mvt.Encoder
	grid      mvt.Grid
	singles   []lonePoint
	loneProps []mvt.Prop
	props     []mvt.Prop
}

// lonePoint is the first point of a cluster cell, kept so that a cell holding
// one point can be written as that feature.
type lonePoint struct {
	id       int64
	lon, lat float64
	from, to int // its properties: tileState.loneProps[from:to]
}

var tilePool = sync.Pool{New: func() any { return &tileState{enc: mvt.NewEncoder()} }}

// tileField is a property that tiles carry.
type tileField struct {
	name  string
	index int // in the collection's schema
	typ   store.FieldType
}

// tileFields returns the properties a collection's tiles carry: name and
// the enumerated fields, in schema order.
func tileFields(ci store.CollectionInfo) []tileField {
	var out []tileField
	for i, f := range ci.Fields {
		if f.Name == "name" || len(f.Values) > 0 {
			out = append(out, tileField{name: f.Name, index: i, typ: f.Type})
		}
	}
	return out
}

// parseTileXYZ reads the z, x and y path parameters (y may end in .mvt or
// .pbf) and checks them against WebMercatorQuad; a bad value is a 400 that
// names the valid range.
func parseTileXYZ(c echo.Context) (z, x, y int, err error) {
	num := func(name string) (int, error) {
		v := c.Param(name)
		if name == "y" && c.Path() == "/tiles/:z/:x/:y" || name == "x" && c.Path() != "/tiles/:z/:x/:y" {
			v = strings.TrimSuffix(strings.TrimSuffix(v, ".mvt"), ".pbf")
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			what := map[string]string{"z": "zoom level", "x": "tile column", "y": "tile row"}[name]
			return 0, badParam(name, "%s %s must be a whole number, got %q", what, name, v)
		}
		return n, nil
	}
	if z, err = num("z"); err != nil {
		return
	}
	if x, err = num("x"); err != nil {
		return
	}
	if y, err = num("y"); err != nil {
		return
	}
	if cerr := mvt.Check(z, x, y); cerr != nil {
		param := "z"
		switch {
		case z < 0 || z > mvt.MaxZoom:
		case x < 0 || x >= 1<<z:
			param = "x"
		default:
			param = "y"
		}
		return 0, 0, 0, badParam(param, "tile %d/%d/%d is not in WebMercatorQuad: %s", z, x, y, strings.TrimPrefix(cerr.Error(), mvt.ErrRange.Error()+": "))
	}
	return z, x, y, nil
}

// tileHeaders sets the caching headers and reports whether the client's
// copy is current (304 sent).
func tileHeaders(c echo.Context, tag string) bool {
	c.Response().Header().Set(echo.HeaderCacheControl, tileCacheControl)
	return notModified(c, tag)
}

// writeTileBytes answers an encoded tile, or 204 when it has no feature.
func writeTileBytes(c echo.Context, b []byte) error {
	if len(b) == 0 {
		return c.NoContent(http.StatusNoContent)
	}
	return sendWhole(c, http.StatusOK, mimeMVT, b)
}

func (s *Server) collectionTile(c echo.Context) error {
	ci, err := s.store.Collection(c.Param("collectionId"))
	if err != nil {
		return s.unknownCollection(c.Param("collectionId"))
	}
	z, x, y, err := parseTileXYZ(c)
	if err != nil {
		return err
	}
	f, err := s.attributeFilter(c.QueryParams(), ci, "datetime")
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("mvt/%d/%d/%d", z, x, y)
	if tileHeaders(c, etag(ci, c, addr)) {
		return nil
	}
	return s.renderTile(c, z, x, y, []store.CollectionInfo{ci}, f, addr)
}

func (s *Server) allTile(c echo.Context) error {
	z, x, y, err := parseTileXYZ(c)
	if err != nil {
		return err
	}
	infos, err := s.tileCollections(c)
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("all/%d/%d/%d", z, x, y)
	if tileHeaders(c, allTag(infos, c, addr)) {
		return nil
	}
	return s.renderTile(c, z, x, y, infos, store.Filter{}, addr)
}

// renderTile answers tile z/x/y with one layer per collection, each
// filtered by f: from the tile cache, or encoded and then cached.
func (s *Server) renderTile(c echo.Context, z, x, y int, infos []store.CollectionInfo, f store.Filter, addr string) error {
	key := tileKey(infos, c.Request().URL.RawQuery, addr)
	if b, ok := s.tiles.get(infos, key); ok {
		return writeTileBytes(c, b)
	}
	st := tilePool.Get().(*tileState)
	defer tilePool.Put(st)
	st.enc.Reset(mvt.Tile(z, x, y), mvt.Options{Buffer: mvt.DefaultBuffer, Tolerance: 1})
	for _, ci := range infos {
		if err := s.tileLayer(c.Request().Context(), st, ci, f, z); err != nil {
			return err
		}
	}
	b := st.enc.Bytes()
	s.tiles.put(infos, key, b)
	return writeTileBytes(c, b)
}

// tileCollections returns the collections an all-layers request names
// (collections=a,b), or all of them.
func (s *Server) tileCollections(c echo.Context) ([]store.CollectionInfo, error) {
	q := c.QueryParams()
	if err := checkParams(q, "collections"); err != nil {
		return nil, err
	}
	infos := s.readable(c)
	v, ok, err := single(q, "collections")
	if err != nil || !ok {
		return infos, err
	}
	var keep []store.CollectionInfo
	for _, id := range strings.Split(v, ",") {
		found := false
		for _, ci := range infos {
			if ci.ID == id {
				keep, found = append(keep, ci), true
				break
			}
		}
		if !found {
			return nil, badParam("collections", "there is no collection %q", id)
		}
	}
	return keep, nil
}

// allTag is the ETag of a tile over several collections.
func allTag(infos []store.CollectionInfo, c echo.Context, extra string) string {
	var b strings.Builder
	for _, ci := range infos {
		fmt.Fprintf(&b, "%s-%d-%d-%d|", ci.ID, ci.Seq, ci.Gen, ci.Count)
	}
	b.WriteString(c.Request().URL.RawQuery)
	b.WriteString("|")
	b.WriteString(extra)
	return `"tiles-` + strconv.FormatUint(hashString(b.String()), 36) + `"`
}

// tileLayer adds collection ci's features that pass f to the tile being
// built in st, as one layer.
func (s *Server) tileLayer(ctx context.Context, st *tileState, ci store.CollectionInfo, f store.Filter, z int) error {
	enc := st.enc
	fields := tileFields(ci)
	enc.StartLayer(ci.ID)
	cluster := z < clusterBelowZoom
	proj := enc.Projection()
	if cluster {
		st.grid.Reset(proj.Extent(), clusterCell)
		st.singles = st.singles[:0]
		st.loneProps = st.loneProps[:0]
	}
	n := 0
	var verr error
	err := s.store.Visit(ctx, ci.ID, enc.Bound(), f, func(h *store.Hit) bool {
		if n++; n&4095 == 0 {
			if verr = ctx.Err(); verr != nil {
				return false
			}
		}
		if cluster && h.Point() {
			x, y := proj.Point(h.Bound[0], h.Bound[1])
			if _, first, _ := st.grid.Add(x, y); first {
				from := len(st.loneProps)
				st.loneProps = tileProps(st.loneProps, h, fields)
				st.singles = append(st.singles, lonePoint{id: h.ID, lon: h.Bound[0], lat: h.Bound[1], from: from, to: len(st.loneProps)})
			}
			return true
		}
		st.props = tileProps(st.props[:0], h, fields)
		if h.Point() {
			enc.AddLonLat(uint64(h.ID), h.Bound[0], h.Bound[1], st.props)
		} else {
			enc.AddGeometry(uint64(h.ID), h.Shape, st.props)
		}
		return true
	})
	if err != nil {
		return err
	}
	if verr != nil {
		return verr
	}
	if cluster {
		for i := 0; i < st.grid.Len(); i++ {
			count, x, y := st.grid.Cluster(i)
			if count == 1 {
				p := &st.singles[i]
				enc.AddLonLat(uint64(p.id), p.lon, p.lat, st.loneProps[p.from:p.to])
				continue
			}
			st.props = append(st.props[:0], mvt.Prop{Key: "cluster", Value: mvt.Bool(true)}, mvt.Prop{Key: "point_count", Value: mvt.Int(int64(count))})
			enc.AddPoint(0, x, y, st.props)
		}
	}
	enc.EndLayer()
	return nil
}

// tileProps appends the tile properties of a hit: the fields listed (by
// their index in the schema), typed as in the schema.
func tileProps(dst []mvt.Prop, h *store.Hit, fields []tileField) []mvt.Prop {
	for _, f := range fields {
		raw := h.Value(f.index)
		if raw == "" {
			continue
		}
		if v, ok := tileValue(raw, f.typ); ok {
			dst = append(dst, mvt.Prop{Key: f.name, Value: v})
		}
	}
	return dst
}

// tileValue converts a property's JSON text to a tile value.
func tileValue(raw string, typ store.FieldType) (mvt.Value, bool) {
	switch {
	case typ == store.TypeArray:
		return mvt.String(raw), true // a tile value holds no list: its JSON text
	case raw[0] == '"':
		if !strings.ContainsRune(raw, '\\') && len(raw) >= 2 {
			return mvt.String(raw[1 : len(raw)-1]), true
		}
		s, err := strconv.Unquote(raw)
		if err != nil {
			return mvt.Value{}, false
		}
		return mvt.String(s), true
	case raw == "true":
		return mvt.Bool(true), true
	case raw == "false":
		return mvt.Bool(false), true
	case typ == store.TypeInteger:
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
			return mvt.Int(n), true
		}
	}
	x, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return mvt.Value{}, false
	}
	return mvt.Float(x), true
}

// tileJSON is a TileJSON 3.0.0 document.
type tileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description,omitempty"`
	Version      string        `json:"version"`
	Attribution  string        `json:"attribution,omitempty"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       []float64     `json:"bounds,omitempty"`
	Center       []float64     `json:"center,omitempty"`
	VectorLayers []vectorLayer `json:"vector_layers"`
}

type vectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
}

func layerDoc(ci store.CollectionInfo) vectorLayer {
	fields := map[string]string{}
	for _, f := range tileFields(ci) {
		switch f.typ {
		case store.TypeInteger, store.TypeNumber:
			fields[f.name] = "Number"
		case store.TypeBoolean:
			fields[f.name] = "Boolean"
		default:
			fields[f.name] = "String"
		}
	}
	if ci.Geometry == store.GeometryPoint || ci.Geometry == store.GeometryAny || ci.Geometry == store.GeometryMultiPoint {
		fields["cluster"] = "Boolean"
		fields["point_count"] = "Number"
	}
	desc := ci.Title
	if ci.Description != "" {
		desc += ": " + ci.Description
	}
	return vectorLayer{ID: ci.ID, Description: desc, MinZoom: 0, MaxZoom: tileMaxZoom, Fields: fields}
}

// extentOf returns the union of the collections' extents, or the world.
func extentOf(infos []store.CollectionInfo) (bounds, center []float64) {
	var b [4]float64
	have := false
	for _, ci := range infos {
		if !ci.HasExtent {
			continue
		}
		if !have {
			b, have = ci.Extent, true
			continue
		}
		b = [4]float64{min(b[0], ci.Extent[0]), min(b[1], ci.Extent[1]), max(b[2], ci.Extent[2]), max(b[3], ci.Extent[3])}
	}
	if !have {
		return []float64{-180, -85.0511287798066, 180, 85.0511287798066}, []float64{0, 0, 1}
	}
	return b[:], []float64{(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, 12}
}

func (s *Server) collectionTileJSON(c echo.Context) error {
	ci, err := s.store.Collection(c.Param("collectionId"))
	if err != nil {
		return s.unknownCollection(c.Param("collectionId"))
	}
	q := c.QueryParams()
	known := withFilterParams("f", "datetime")
	for _, fd := range ci.Fields {
		known = append(known, fd.Name)
	}
	if err := checkParams(q, known...); err != nil {
		return err
	}
	if _, err := format(c, fmtJSON); err != nil {
		return err
	}
	if _, err := parseDatetime(q); err != nil {
		return err
	}
	if _, err := s.parseFilter(q, ci); err != nil {
		return err
	}
	if _, err := propFilters(q, ci.Fields); err != nil {
		return err
	}
	if notModified(c, etag(ci, c, "tilejson")) {
		return nil
	}
	q.Del("f")
	tiles := s.base(c) + "/collections/" + ci.ID + "/tiles/WebMercatorQuad/{z}/{y}/{x}" + query(q)
	bounds, center := extentOf([]store.CollectionInfo{ci})
	doc := tileJSON{
		TileJSON: "3.0.0", Name: ci.Title, Description: ci.Description, Version: "1.0.0",
		Attribution: ci.License, Scheme: "xyz", Tiles: []string{tiles}, MinZoom: 0, MaxZoom: tileMaxZoom,
		Bounds: bounds, Center: center, VectorLayers: []vectorLayer{layerDoc(ci)},
	}
	return c.JSON(http.StatusOK, doc)
}

func (s *Server) allTileJSON(c echo.Context) error {
	infos, err := s.tileCollections(c)
	if err != nil {
		return err
	}
	if notModified(c, allTag(infos, c, "tilejson")) {
		return nil
	}
	doc := tileJSON{
		TileJSON: "3.0.0", Name: s.cfg.Title, Description: s.cfg.Description, Version: "1.0.0",
		Scheme: "xyz", Tiles: []string{s.base(c) + "/tiles/{z}/{x}/{y}.mvt" + query(c.QueryParams())},
		MinZoom: 0, MaxZoom: tileMaxZoom, VectorLayers: []vectorLayer{},
	}
	doc.Bounds, doc.Center = extentOf(infos)
	var lic []string
	for _, ci := range infos {
		doc.VectorLayers = append(doc.VectorLayers, layerDoc(ci))
		if ci.License != "" && !strings.Contains(strings.Join(lic, ","), ci.License) {
			lic = append(lic, ci.License)
		}
	}
	doc.Attribution = strings.Join(lic, ", ")
	return c.JSON(http.StatusOK, doc)
}

func query(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}
