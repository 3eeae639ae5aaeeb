package api

import (
	"embed"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/store"
)

//go:embed templates/*.html
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"json":    func(v any) string { b, _ := json.Marshal(v); return string(b) },
	"crsName": crsName,
	"when":    humanTime,
	"bbox":    humanBBox,
}).ParseFS(templateFS, "templates/*.html"))

// pageData is what every HTML page gets.
type pageData struct {
	Title   string
	Service string
	Base    string
	Data    any
}

func (s *Server) page(c echo.Context, title string, data any) pageData {
	return pageData{Title: title, Service: s.cfg.Title, Base: s.base(c), Data: data}
}

func renderHTML(w io.Writer, name string, p pageData) error {
	return templates.ExecuteTemplate(w, name+".html", p)
}

func (s *Server) html(c echo.Context, name, title string, data any) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(http.StatusOK)
	return renderHTML(c.Response(), name, s.page(c, title, data))
}

type itemRow struct {
	ID    int64
	Href  string
	Cells []string
}

// itemsHTML renders a page of features: a map of them (read from geojson,
// the page's GeoJSON alternate) and their table.
func (s *Server) itemsHTML(c echo.Context, ci store.CollectionInfo, sel *store.Selection, f store.Filter, geojson string) error {
	return s.html(c, "items", ci.Title, map[string]any{
		"C": ci, "Map": s.miniMap(c, ci, geojson), "JSON": geojson,
		"Table": s.attributeTable(c, ci, sel, f, "/collections/"+ci.ID+"/items", ""),
	})
}

func appendJSON(buf []byte, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return append(buf, "null"...)
	}
	return append(buf, b...)
}

// crsName is a CRS URI's short name: CRS84, EPSG:4326.
func crsName(uri string) string {
	parts := strings.Split(uri, "/")
	if len(parts) >= 3 && parts[len(parts)-3] == "EPSG" {
		return "EPSG:" + parts[len(parts)-1]
	}
	return parts[len(parts)-1]
}

// humanTime writes an RFC 3339 time for people: 4 Dec 2026, 01:35 UTC.
func humanTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

// humanBBox writes an extent's first box as west, south, east, north
// rounded to about 10 m.
func humanBBox(v any) string {
	boxes, ok := v.([][4]float64)
	if !ok || len(boxes) == 0 {
		return ""
	}
	b := boxes[0]
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
	return "W " + f(b[0]) + ", S " + f(b[1]) + ", E " + f(b[2]) + ", N " + f(b[3])
}
