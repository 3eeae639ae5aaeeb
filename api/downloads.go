package api

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/formats"
	"github.com/cityatlas/cityatlas/formats/shp"
	"github.com/cityatlas/cityatlas/store"
)

// Whole-layer downloads: /collections/{id}/download?f=FORMAT streams every
// feature that the query selects (no limit) in one of the formats package's
// formats.

var downloadParams = []string{"f", "bbox", "bbox-crs", "datetime", "properties", "crs", "sortby"}

// compressible lists the formats worth gzip: the binary ones are either
// compressed already (zip, Parquet) or mostly numbers.
var compressible = []string{"geojson", "geojsonseq", "ndjson", "csv", "kml"}

func downloadPath(id string) string { return "/collections/" + id + "/download" }

// downloadLinks returns a rel=enclosure link to the whole collection in each
// format.
func (s *Server) downloadLinks(c echo.Context, ci store.CollectionInfo) []Link {
	out := make([]Link, 0, len(formats.All))
	for _, f := range formats.All {
		out = append(out, Link{
			Href: s.base(c) + downloadPath(ci.ID) + "?f=" + f.Name, Rel: "enclosure",
			Type: f.MediaType, Title: ci.Title + " (all " + strconv.Itoa(ci.Count) + " features) as " + f.Title,
		})
	}
	return out
}

// downloadQuery parses a download's query: the format, a filter without
// limit, the properties to write (indexes into the schema) and the CRS.
func (s *Server) downloadQuery(c echo.Context, ci store.CollectionInfo) (formats.Format, store.Filter, []int, *crsDef, error) {
	q := c.QueryParams()
	f, err := s.attributeFilter(q, ci, downloadParams...)
	if err != nil {
		return formats.Format{}, f, nil, nil, err
	}
	if f.BBox, f.Area, err = s.parseBBox(q); err != nil {
		return formats.Format{}, f, nil, nil, err
	}
	if f.SortBy, err = parseSortBy(q, ci); err != nil {
		return formats.Format{}, f, nil, nil, err
	}
	name, ok, err := single(q, "f")
	if err != nil {
		return formats.Format{}, f, nil, nil, err
	}
	if !ok {
		name = "geojson"
	}
	if name == "json" {
		name = "geojson"
	}
	ff, ok := formats.Lookup(name)
	if !ok {
		return ff, f, nil, nil, badParam("f", "f=%s is not a download format; use one of: %s", name, strings.Join(formats.Names(), ", "))
	}
	out, err := s.parseCRS(q, "crs")
	if err != nil {
		return ff, f, nil, nil, err
	}
	if !out.identity() && !ff.AnyCRS {
		var can []string
		for _, g := range formats.All {
			if g.AnyCRS {
				can = append(can, g.Name)
			}
		}
		return ff, f, nil, nil, badParam("crs", "f=%s is written in %s only; crs %s is offered for f=%s", ff.Name, crs84, out.uri, strings.Join(can, ", "))
	}
	fields, err := pickProperties(q.Get("properties"), q.Has("properties"), ci)
	return ff, f, fields, out, err
}

// pickProperties reads properties=a,b,c: the schema fields to write, in
// the schema's order; every field when the parameter is absent.
func pickProperties(v string, given bool, ci store.CollectionInfo) ([]int, error) {
	var out []int
	if !given {
		for i := range ci.Fields {
			out = append(out, i)
		}
		return out, nil
	}
	want := map[string]bool{}
	for _, name := range strings.Split(v, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if _, ok := ci.Field(name); !ok {
			return nil, badParam("properties", "collection %q has no property %q (known: %s)", ci.ID, name, strings.Join(fieldNamesOf(ci), ", "))
		}
		want[name] = true
	}
	for i, fd := range ci.Fields {
		if want[fd.Name] {
			out = append(out, i)
		}
	}
	return out, nil
}

func fieldNamesOf(ci store.CollectionInfo) []string {
	var out []string
	for _, fd := range ci.Fields {
		out = append(out, fd.Name)
	}
	return out
}

// download streams the features a query selects as a file.
func (s *Server) download(c echo.Context) error {
	ci, err := s.store.Collection(c.Param("collectionId"))
	if err != nil {
		return s.unknownCollection(c.Param("collectionId"))
	}
	ff, filter, picked, out, err := s.downloadQuery(c, ci)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	if !ci.Updated.IsZero() {
		h.Set(echo.HeaderLastModified, ci.Updated.UTC().Format(http.TimeFormat))
	}
	if notModified(c, etag(ci, c, "download-"+ff.Name)) || s.notModifiedSince(c, ci.Updated) {
		return nil
	}
	ctx := c.Request().Context()
	sel, err := s.store.Select(ctx, ci.ID, filter)
	if err != nil {
		return err
	}
	fields := make([]store.Field, len(picked))
	for i, fi := range picked {
		fields[i] = ci.Fields[fi]
	}
	name := ci.ID
	if len(c.QueryParams()) > 1 || c.QueryParams().Get("f") == "" && len(c.QueryParams()) > 0 {
		name += "-selection"
	}
	h.Set(echo.HeaderContentType, ff.MediaType)
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+"."+ff.Ext+`"`)
	h.Set("X-Number-Matched", strconv.Itoa(sel.Matched))
	h.Set("Content-Crs", contentCRS(out))
	s.setMetadataLinks(c, ci)
	if method(c) == http.MethodHead {
		return c.NoContent(http.StatusOK)
	}
	ci.Metadata = s.metadata(ci)
	layer := formats.LayerOf(ci, fields, sel.Len())
	layer.Meta = append(layer.Meta, formats.MetaItem{Key: formats.MetaSource, Value: s.base(c) + "/collections/" + url.PathEscape(ci.ID)})
	if !out.identity() {
		layer.CRS, layer.Extent = out.formatsCRS(), nil
	}
	w, err := ff.New(c.Response(), layer)
	if err != nil {
		return err
	}
	if !out.identity() {
		w = &crsWriter{Writer: w, out: out}
	}
	// GeoPackage and shapefile files are built before anything is sent:
	// the write deadline is set at each write (deadlineWriter), so the
	// time spent building them does not count against it.
	n, err := formats.Copy(ctx, w, sel, picked)
	if err == nil {
		err = w.Close()
	} else {
		w.Abort()
	}
	if err != nil {
		return s.brokenDownload(c, ci, ff, n, err)
	}
	if q := c.QueryParams(); len(q) == 0 || len(q) == 1 && q.Has("f") {
		s.sizes.put(ci, ff.Name, c.Response().Size) // the whole layer: the dataset page shows its size
	}
	return nil
}

// brokenDownload ends a download that failed: before anything was sent it
// is an ordinary error; after, the connection is aborted (no final chunk),
// so that the client sees an error instead of a file that looks whole.
func (s *Server) brokenDownload(c echo.Context, ci store.CollectionInfo, ff formats.Format, n int, err error) error {
	if !c.Response().Committed {
		if errors.Is(err, shp.ErrShapeType) {
			return badParam("f", "%v; a shapefile holds one geometry type: download this layer as gpkg, fgb or geojson", err)
		}
		return err
	}
	s.log.Warn("download failed half-way; aborting the connection", "collection", ci.ID, "format", ff.Name,
		"written", n, "err", err, "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	panic(http.ErrAbortHandler)
}

// notModifiedSince answers 304 for an If-Modified-Since at or after the
// collection's last change (only without If-None-Match, which wins).
func (s *Server) notModifiedSince(c echo.Context, updated time.Time) bool {
	r := c.Request()
	ims := r.Header.Get("If-Modified-Since")
	if ims == "" || r.Header.Get("If-None-Match") != "" || updated.IsZero() {
		return false
	}
	t, err := http.ParseTime(ims)
	if err != nil || updated.Truncate(time.Second).After(t) {
		return false
	}
	_ = c.NoContent(http.StatusNotModified)
	return true
}

// binaryDownload is the gzip middleware's skipper: downloads in formats that
// are compressed already (zip, Parquet) or mostly binary numbers are sent
// as they are.
func binaryDownload(c echo.Context) bool {
	if !strings.HasSuffix(c.Request().URL.Path, "/download") {
		return false
	}
	f := strings.ToLower(c.QueryParam("f"))
	return f != "" && f != "json" && !slices.Contains(compressible, f)
}
