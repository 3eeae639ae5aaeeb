package api

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkt"

	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/store"
)

var itemsParams = []string{"f", "crs", "bbox", "bbox-crs", "limit", "offset", "datetime", "sortby", "properties"}

// itemsQuery parses the items endpoint's query into a store filter.
func (s *Server) itemsQuery(c echo.Context, ci store.CollectionInfo) (store.Filter, error) {
	q := c.QueryParams()
	f, err := s.attributeFilter(q, ci, itemsParams...)
	if err != nil {
		return f, err
	}
	if f.BBox, f.Area, err = s.parseBBox(q); err != nil {
		return f, err
	}
	if f.Limit, err = parseInt(q, "limit", s.cfg.DefaultLimit, 1, s.cfg.MaxLimit); err != nil {
		return f, err
	}
	if f.Offset, err = parseInt(q, "offset", 0, 0, 1<<31-1); err != nil {
		return f, err
	}
	if f.SortBy, err = parseSortBy(q, ci); err != nil {
		return f, err
	}
	return f, nil
}

func (s *Server) items(c echo.Context) error {
	ci, err := s.store.Collection(c.Param("collectionId"))
	if err != nil {
		return s.unknownCollection(c.Param("collectionId"))
	}
	f, err := s.itemsQuery(c, ci)
	if err != nil {
		return err
	}
	pick, picked, err := parseProperties(c.QueryParams(), ci)
	if err != nil {
		return err
	}
	outFmt, err := format(c, fmtJSON, fmtHTML, fmtCSV)
	if err != nil {
		return err
	}
	out, err := s.outputCRS(c, outFmt)
	if err != nil {
		return err
	}
	if notModified(c, etag(ci, c, outFmt)) {
		return nil
	}
	sel, err := s.store.Select(c.Request().Context(), ci.ID, f)
	if err != nil {
		return err
	}
	path := "/collections/" + ci.ID + "/items"
	q := c.QueryParams()
	lb := s.newLinks(c)
	defer lb.free()
	lb.alternates(path, q, outFmt, fmtJSON, fmtHTML, fmtCSV)
	if f.Offset+sel.Len() < sel.Matched {
		lb.page(path, q, outFmt, "next", f.Offset+sel.Len(), s.nextLimit(outFmt, f.Limit))
	}
	if f.Offset > 0 {
		lb.page(path, q, outFmt, "prev", max(0, f.Offset-f.Limit), f.Limit)
	}
	lb.add("collection", mimeJSON, ci.Title, path[:len(path)-len("/items")], nil)
	switch outFmt {
	case fmtHTML:
		var geojson string // the page as GeoJSON, for its map
		for _, l := range lb.links() {
			if l.Rel == "alternate" && l.Type == mimeGeoJSON {
				geojson = l.Href
			}
		}
		return s.itemsHTML(c, picked, sel, f, geojson)
	case fmtCSV:
		links := lb.links()
		// A page of CSV has no room for links: they go in a Link header
		// (RFC 8288), with the whole-layer download beside them.
		for _, l := range links {
			if l.Rel == "next" || l.Rel == "prev" {
				c.Response().Header().Add("Link", "<"+l.Href+`>; rel="`+l.Rel+`"; type="`+l.Type+`"`)
			}
		}
		c.Response().Header().Add("Link", "<"+s.base(c)+downloadPath(ci.ID)+`?f=csv>; rel="enclosure"; type="text/csv"`)
		return s.writeCSV(c, picked, sel, out)
	}
	return s.writeGeoJSON(c, sel, lb, pick, out)
}

// bulkPage is the page size a GeoJSON page's next link asks for at least:
// GDAL (and so QGIS's GDAL-based tools and ogr2ogr) asks for 10 features
// on its first request and then follows the next links, so the links set
// how fast it reads a whole layer. Newer GDALs choose 1000 themselves from
// the OpenAPI document's limit parameter (its default and maximum).
const bulkPage = 1000

// nextLimit is the limit of a next link after a page of limit features.
func (s *Server) nextLimit(outFmt string, limit int) int {
	if outFmt != fmtJSON {
		return limit // pages for people keep the size they asked for
	}
	return max(limit, min(bulkPage, s.cfg.MaxLimit))
}

// page adds the link to another page of items, rel next or prev.
func (b *linkBuilder) page(path string, q url.Values, outFmt, rel string, offset, limit int) {
	title := "Next page"
	if rel == "prev" {
		title = "Previous page"
	}
	b.add(rel, formatMIME(outFmt, path), title, path, q, param{name: "offset", n: offset}, param{name: "limit", n: limit})
}

// writeGeoJSON streams a FeatureCollection: each feature is encoded straight
// into the response buffer, never as a whole document in memory.
// pick, when not nil, chooses the properties written (properties=); the
// geometries are in out.
func (s *Server) writeGeoJSON(c echo.Context, sel *store.Selection, links *linkBuilder, pick *fieldPick, out *crsDef) error {
	h := c.Response().Header()
	h[echo.HeaderContentType] = geoJSONHeader
	h["Content-Crs"] = contentCRSHeader(out)
	if c.Request().Method == http.MethodHead {
		c.Response().WriteHeader(http.StatusOK)
		return nil
	}
	ob := outPool.Get().(*outBuf)
	buf := ob.buf[:0]
	defer func() {
		if cap(buf) <= maxPooled {
			ob.buf = buf[:0]
			outPool.Put(ob)
		}
	}()
	buf = append(buf, `{"type":"FeatureCollection","numberMatched":`...)
	buf = strconv.AppendInt(buf, int64(sel.Matched), 10)
	buf = append(buf, `,"numberReturned":`...)
	buf = strconv.AppendInt(buf, int64(sel.Len()), 10)
	buf = append(buf, `,"timeStamp":"`...)
	buf = time.Now().UTC().AppendFormat(buf, time.RFC3339)
	buf = append(buf, `","links":`...)
	buf = links.appendJSON(buf)
	buf = append(buf, `,"features":[`...)
	// A page that fits in wholeLimit goes out in one write with a
	// Content-Length; a larger one is streamed in chunks as it is encoded.
	streaming := false
	var werr error
	first := true
	sel.Each(func(h *store.Hit) bool {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		if buf, werr = appendHit(buf, h, pick, out); werr != nil {
			return false
		}
		if len(buf) > wholeLimit || (streaming && len(buf) > chunkLimit) {
			if !streaming {
				streaming = true
				c.Response().WriteHeader(http.StatusOK)
			}
			if _, werr = c.Response().Write(buf); werr != nil {
				return false
			}
			buf = buf[:0]
		}
		return true
	})
	if werr != nil {
		if streaming {
			s.abortStream(c, werr)
		}
		return werr
	}
	buf = append(buf, "]}\n"...)
	if !streaming {
		return sendWhole(c, http.StatusOK, "", buf)
	}
	_, err := c.Response().Write(buf)
	return err
}

// Output buffering of the items endpoint.
const (
	wholeLimit = 256 << 10 // pages up to this size are sent in one write
	chunkLimit = 64 << 10  // larger pages are streamed in chunks of this size
	maxPooled  = 512 << 10 // larger buffers are not kept for reuse
)

// outBuf is the reusable output buffer of a GeoJSON response: keeping it in
// a pool keeps the items endpoint from making garbage per request.
type outBuf struct {
	buf []byte
}

var outPool = sync.Pool{New: func() any { return &outBuf{buf: make([]byte, 0, 64<<10)} }}

// appendHit appends the GeoJSON of one feature read in place from the
// index, with the properties pick chooses (all when it is nil), its
// geometry in out: a 400 problem when out cannot express it.
func appendHit(buf []byte, h *store.Hit, pick *fieldPick, out *crsDef) ([]byte, error) {
	buf = append(buf, `{"type":"Feature","id":`...)
	buf = strconv.AppendInt(buf, h.ID, 10)
	buf = append(buf, `,"geometry":`...)
	buf, err := out.appendHitGeometry(buf, h)
	if err != nil {
		return buf, err
	}
	buf = append(buf, `,"properties":`...)
	if pick != nil {
		buf = pick.appendProps(buf, h)
	} else {
		buf = h.AppendProperties(buf)
	}
	return append(buf, '}'), nil
}

// appendFeature appends the GeoJSON of one feature.
func appendFeature(buf []byte, f *store.Feature) []byte {
	buf = append(buf, `{"type":"Feature","id":`...)
	buf = strconv.AppendInt(buf, f.ID, 10)
	buf = append(buf, `,"geometry":`...)
	buf = geo.AppendGeoJSON(buf, f.Geometry)
	buf = append(buf, `,"properties":`...)
	if len(f.Properties) == 0 {
		buf = append(buf, "{}"...)
	} else {
		buf = append(buf, f.Properties...)
	}
	return append(buf, '}')
}

func (s *Server) feature(c echo.Context) error {
	if err := checkParams(c.QueryParams(), "f", "crs"); err != nil {
		return err
	}
	outFmt, err := format(c, fmtJSON, fmtHTML)
	if err != nil {
		return err
	}
	out, err := s.outputCRS(c, outFmt)
	if err != nil {
		return err
	}
	ci, err := s.store.Collection(c.Param("collectionId"))
	if err != nil {
		return s.unknownCollection(c.Param("collectionId"))
	}
	id, err := parseFeatureID(c.Param("featureId"))
	if err != nil {
		return err
	}
	f, err := s.store.Feature(ci.ID, id)
	if err != nil {
		return notFound("collection %q has no feature %d", ci.ID, id)
	}
	if notModified(c, featureTag(&f, outFmt+out.tag())) {
		return nil
	}
	path := "/collections/" + ci.ID + "/items/" + strconv.FormatInt(id, 10)
	lb := s.newLinks(c)
	defer lb.free()
	lb.alternates(path, c.QueryParams(), outFmt, fmtJSON, fmtHTML)
	lb.add("collection", mimeJSON, ci.Title, "/collections/"+ci.ID, nil)
	if outFmt == fmtHTML {
		props, err := f.Properties.Values(&ci.Collection)
		if err != nil {
			return err
		}
		return s.html(c, "feature", ci.Title+" "+strconv.FormatInt(id, 10), map[string]any{
			"C": ci, "F": f, "Props": orderedProps(ci.Fields, props),
			"Map": s.miniMap(c, ci, s.base(c)+path+"?f=json"),
		})
	}
	if f.Geometry, err = out.fromCRS84(f.Geometry); err != nil {
		return outsideCRS(out, f.ID, err)
	}
	buf := appendFeature(nil, &f)
	buf = buf[:len(buf)-1]
	buf = append(buf, `,"links":`...)
	buf = lb.appendJSON(buf)
	buf = append(buf, "}\n"...)
	c.Response().Header().Set("Content-Crs", contentCRS(out))
	return sendWhole(c, http.StatusOK, mimeGeoJSON, buf)
}

type propRow struct {
	Name, Title string
	Value       any
}

func orderedProps(fields []store.Field, values map[string]any) []propRow {
	var out []propRow
	for _, fd := range fields {
		v, ok := values[fd.Name]
		if !ok {
			v = ""
		}
		title := fd.Title
		if title == "" {
			title = fd.Name
		}
		out = append(out, propRow{Name: fd.Name, Title: title, Value: v})
	}
	return out
}

// writeCSV writes features as CSV: id, each schema field, then longitude and
// latitude (the two coordinates of out, in its axis order) for a point
// layer or the geometry as WKT otherwise.
func (s *Server) writeCSV(c echo.Context, ci store.CollectionInfo, sel *store.Selection, out *crsDef) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, mimeCSV+"; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `inline; filename="`+ci.ID+`.csv"`)
	h.Set("Content-Crs", contentCRS(out))
	w := csv.NewWriter(c.Response()) // its first write sends the 200

	points := ci.Geometry == store.GeometryPoint
	head := []string{"id"}
	for _, fd := range ci.Fields {
		head = append(head, fd.Name)
	}
	if points {
		head = append(head, out.axisNames()...)
	} else {
		head = append(head, "wkt")
	}
	if err := w.Write(head); err != nil {
		return err
	}
	row := make([]string, len(head))
	var werr error
	sel.Each(func(h *store.Hit) bool {
		f := h.Feature()
		if f.Geometry, werr = out.fromCRS84(f.Geometry); werr != nil {
			werr = outsideCRS(out, f.ID, werr)
			return false
		}
		row = row[:0]
		row = append(row, strconv.FormatInt(f.ID, 10))
		for _, fd := range ci.Fields {
			v, ok := f.Properties.Get(fd.Name)
			switch {
			case !ok:
				row = append(row, "")
			default:
				row = append(row, v.String())
			}
		}
		if points {
			if p, ok := f.Geometry.(*geom.Point); ok && !p.Empty() {
				row = append(row, strconv.FormatFloat(p.X(), 'f', -1, 64), strconv.FormatFloat(p.Y(), 'f', -1, 64))
			} else {
				row = append(row, "", "")
			}
		} else {
			text := ""
			if f.Geometry != nil {
				text, _ = wkt.Marshal(f.Geometry)
			}
			row = append(row, text)
		}
		werr = w.Write(row)
		return werr == nil
	})
	if werr != nil {
		if c.Response().Committed {
			s.abortStream(c, werr)
		}
		return werr
	}
	w.Flush()
	return w.Error()
}
