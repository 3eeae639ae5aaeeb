package api

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/dustin/go-humanize"
	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/formats"
	"github.com/cityatlas/cityatlas/store"
)

// The dataset page (a collection's HTML page), the items page and the
// feature page: a small map of what they show (when the web map is
// served), download buttons, and an attribute table that sorts and pages
// with plain links.

// datasetPageParams are the query parameters of a collection's HTML page:
// its attribute table's sorting and paging.
var datasetPageParams = []string{"f", "sortby", "limit", "offset"}

// datasetRows is the attribute table's page size on the dataset page.
const datasetRows = 10

// miniMap is what web/map/js/minimap.js reads from the page.
type miniMap struct {
	Base, Collection, Geometry, Title, Keywords string
	// BBox is the first view, [w,s,e,n] as JSON; GeoJSON, when set, is the
	// URL of the features to draw (else the layer's vector tiles).
	BBox, GeoJSON string
}

// miniMap returns the small map of a page about ci, or nil when the web
// map (whose MapLibre and scripts it uses) is not served.
func (s *Server) miniMap(c echo.Context, ci store.CollectionInfo, geojson string) *miniMap {
	if s.cfg.Map == nil {
		return nil
	}
	m := &miniMap{Base: s.base(c), Collection: ci.ID, Geometry: string(ci.Geometry), Title: ci.Title,
		Keywords: strings.Join(ci.Keywords, ","), GeoJSON: geojson}
	if ci.HasExtent {
		b, _ := json.Marshal(ci.Extent)
		m.BBox = string(b)
	}
	return m
}

// attrColumn is a column of an attribute table: its header links sort by
// it (ascending, or descending when it is the ascending key already).
type attrColumn struct {
	Title, Href, Sorted string
}

// attrTable is a page of a collection's features as a table.
type attrTable struct {
	Columns           []attrColumn
	Rows              []itemRow
	Matched, From, To int
	Limit             int
	Next, Prev        string
}

// attributeTable builds a page's table from a selection. path is the
// page's own path (its links keep the page's other parameters).
func (s *Server) attributeTable(c echo.Context, ci store.CollectionInfo, sel *store.Selection, f store.Filter, path, anchor string) attrTable {
	q := c.QueryParams()
	link := func(set map[string]string) string {
		q2 := url.Values{}
		for k, v := range q {
			q2[k] = v
		}
		q2.Set("f", fmtHTML)
		for k, v := range set {
			if v == "" {
				q2.Del(k)
			} else {
				q2.Set(k, v)
			}
		}
		return s.base(c) + path + "?" + q2.Encode() + anchor
	}
	t := attrTable{Matched: sel.Matched, From: f.Offset + 1, To: f.Offset + sel.Len(), Limit: f.Limit}
	if sel.Len() == 0 {
		t.From = 0
	}
	cur := ""
	if len(f.SortBy) > 0 {
		cur = f.SortBy[0].Name
		if f.SortBy[0].Desc {
			cur = "-" + cur
		}
	}
	for _, fd := range ci.Fields {
		col := attrColumn{Title: fd.Title}
		if col.Title == "" {
			col.Title = fd.Name
		}
		next := fd.Name
		switch cur {
		case fd.Name:
			col.Sorted, next = "ascending", "-"+fd.Name
		case "-" + fd.Name:
			col.Sorted = "descending"
		}
		col.Href = link(map[string]string{"sortby": next, "offset": ""})
		t.Columns = append(t.Columns, col)
	}
	base := s.base(c) + "/collections/" + url.PathEscape(ci.ID) + "/items/"
	sel.Each(func(h *store.Hit) bool {
		ft := h.Feature()
		r := itemRow{ID: ft.ID, Href: base + strconv.FormatInt(ft.ID, 10) + "?f=html"}
		for _, fd := range ci.Fields {
			v, ok := ft.Properties.Get(fd.Name)
			if ok {
				r.Cells = append(r.Cells, v.String())
			} else {
				r.Cells = append(r.Cells, "")
			}
		}
		t.Rows = append(t.Rows, r)
		return true
	})
	lim := strconv.Itoa(f.Limit)
	if f.Offset+sel.Len() < sel.Matched {
		t.Next = link(map[string]string{"offset": strconv.Itoa(f.Offset + sel.Len()), "limit": lim})
	}
	if f.Offset > 0 {
		t.Prev = link(map[string]string{"offset": strconv.Itoa(max(0, f.Offset-f.Limit)), "limit": lim})
	}
	return t
}

// datasetPage renders a collection's HTML page: the dataset page.
func (s *Server) datasetPage(c echo.Context, ci store.CollectionInfo, doc collectionDoc) error {
	q := c.QueryParams()
	var f store.Filter
	var err error
	if f.Limit, err = parseInt(q, "limit", datasetRows, 1, min(100, s.cfg.MaxLimit)); err != nil {
		return err
	}
	if f.Offset, err = parseInt(q, "offset", 0, 0, 1<<31-1); err != nil {
		return err
	}
	if f.SortBy, err = parseSortBy(q, ci); err != nil {
		return err
	}
	sel, err := s.store.Select(c.Request().Context(), ci.ID, f)
	if err != nil {
		return err
	}
	path := "/collections/" + ci.ID
	b := s.base(c)
	return s.html(c, "collection", ci.Title, map[string]any{
		"C": doc, "Fields": ci.Fields,
		"Map":       s.miniMap(c, ci, ""),
		"Table":     s.attributeTable(c, ci, sel, f, path, "#attributes"),
		"Downloads": s.downloadButtons(c, ci),
		"API": []Link{
			{Href: b + path + "/items", Rel: "items", Type: mimeGeoJSON, Title: "Features (GeoJSON, paged; OGC API - Features)"},
			{Href: b + path + "?f=json", Rel: "self", Type: mimeJSON, Title: "This collection's document (JSON)"},
			{Href: b + path + "/queryables", Rel: "queryables", Type: "application/schema+json", Title: "Queryable properties (JSON Schema)"},
			{Href: b + path + "/tiles/WebMercatorQuad", Rel: "tiles", Type: mimeJSON, Title: "Vector tiles (TileJSON)"},
			{Href: b + path + "/changes", Rel: "changes", Type: mimeJSON, Title: "Change feed"},
			{Href: b + "/count?collections=" + url.QueryEscape(ci.ID), Rel: "count", Type: mimeJSON, Title: "Count"},
			{Href: b + "/data.json", Rel: "catalog", Type: mimeJSON, Title: "The open-data catalog (DCAT-US)"},
		},
		"OAPIF": "OAPIF:" + b + "/",
	})
}

// downloadButton is one format's button on the dataset page.
type downloadButton struct {
	Link
	Format, Size string
}

// downloadButtons are the collection's downloads, one a format, with the
// size of the file where a whole-layer download of the collection's
// current version has been served (a streamed file's size is known only
// once it has been written).
func (s *Server) downloadButtons(c echo.Context, ci store.CollectionInfo) []downloadButton {
	links := s.downloadLinks(c, ci) // one a format, in formats.All's order
	out := make([]downloadButton, len(links))
	for i, f := range formats.All {
		label, _, _ := strings.Cut(f.Title, " (")
		out[i] = downloadButton{Link: links[i], Format: label}
		if n, ok := s.sizes.get(ci, f.Name); ok {
			out[i].Size = humanize.Bytes(uint64(n))
		}
	}
	return out
}

// downloadSizes remembers the size of the last whole-layer download of
// each collection and format, with the version it was made from.
type downloadSizes struct {
	m sync.Map // "id\x00format" → sizeRec
}

type sizeRec struct {
	seq, gen int64
	count    int
	bytes    int64
}

func (d *downloadSizes) put(ci store.CollectionInfo, format string, n int64) {
	d.m.Store(ci.ID+"\x00"+format, sizeRec{seq: ci.Seq, gen: ci.Gen, count: ci.Count, bytes: n})
}

func (d *downloadSizes) get(ci store.CollectionInfo, format string) (int64, bool) {
	v, ok := d.m.Load(ci.ID + "\x00" + format)
	if !ok {
		return 0, false
	}
	r := v.(sizeRec)
	if r.seq != ci.Seq || r.gen != ci.Gen || r.count != ci.Count {
		return 0, false
	}
	return r.bytes, true
}
