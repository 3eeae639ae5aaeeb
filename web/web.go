// Package web serves cityatlas's web map: the static files of web/map
// (HTML, JavaScript, CSS and MapLibre GL JS 5.24.1 vendored from npm under
// web/map/vendor), embedded in the binary so that the map works on an
// intranet with no CDN, plus two small documents the page reads: its
// configuration (the basemap) and the city boundary for the offline
// basemap.
//
// The Go package sits beside the folder because `map` is a Go keyword.
//
// Routes (see Register): /map/ (the page), /map/config.json,
// /map/boundary.geojson and /map/{file}. The Map is also an http.Handler
// that serves the page, for the api's landing route to give browsers.
package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/demo"
	"github.com/cityatlas/cityatlas/geo"
)

//go:embed map/index.html map/app.js map/style.css map/vendor
var files embed.FS

// Config configures the map.
type Config struct {
	// Basemap is a MapLibre style URL (…/style.json) or a raster tile URL
	// template with {z}, {x} and {y} (such as OpenStreetMap's
	// https://tile.openstreetmap.org/{z}/{x}/{y}.png). Empty: the offline
	// basemap drawn from cityatlas's own data (city limits, county, parks).
	Basemap string
	// Attribution is shown for the basemap; for a tile URL on
	// openstreetmap.org it defaults to OpenStreetMap's.
	Attribution string
	// Title heads the page (default "cityatlas").
	Title string
}

// Map serves the web map.
type Map struct {
	cfg      Config
	static   http.Handler
	index    []byte
	config   []byte
	boundary []byte
}

// New returns the map for cfg.
func New(cfg Config) *Map {
	if cfg.Title == "" {
		cfg.Title = "cityatlas"
	}
	if cfg.Attribution == "" && strings.Contains(cfg.Basemap, "openstreetmap.org") {
		cfg.Attribution = `© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors`
	}
	sub, err := fs.Sub(files, "map")
	if err != nil {
		panic(err) // the embedded tree always has map/
	}
	index, err := fs.ReadFile(sub, "index.html")
	if err != nil {
		panic(err)
	}
	index = bytes.ReplaceAll(index, []byte("{{TITLE}}"), []byte(htmlEscape(cfg.Title)))
	kind := ""
	switch {
	case cfg.Basemap == "":
	case strings.Contains(cfg.Basemap, "{z}"):
		kind = "raster"
	default:
		kind = "style"
	}
	conf, _ := json.Marshal(map[string]any{
		"title": cfg.Title,
		"basemap": map[string]string{
			"kind": kind, "url": cfg.Basemap, "attribution": cfg.Attribution,
		},
	})
	return &Map{
		cfg: cfg, static: http.FileServer(http.FS(sub)), index: index, config: conf,
		boundary: boundaryGeoJSON(),
	}
}

func htmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	return r.Replace(s)
}

// boundaryGeoJSON returns the city limits and the county boundary as a
// GeoJSON FeatureCollection (WGS84), each with a "kind" property.
func boundaryGeoJSON() []byte {
	city, county := demo.Boundary()
	var b []byte
	b = append(b, `{"type":"FeatureCollection","features":[`...)
	for i, part := range []struct {
		kind, name string
		g          geom.T
	}{{"county", "Imperial County", county}, {"city", "City of Imperial", city}} {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":"Feature","properties":{"kind":"`...)
		b = append(b, part.kind...)
		b = append(b, `","name":"`...)
		b = append(b, part.name...)
		b = append(b, `"},"geometry":`...)
		b = geo.AppendGeoJSON(b, part.g)
		b = append(b, '}')
	}
	return append(b, "]}\n"...)
}

// ServeHTTP serves the map page. Its links are relative to the page's
// folder, so it works at / and at /map/, behind a path prefix too.
func (m *Map) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	base := "./"
	if strings.HasPrefix(r.URL.Path, "/map/") {
		base = "../"
	}
	page := bytes.Replace(m.index, []byte(`<base href="./">`), []byte(`<base href="`+base+`">`), 1)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Accept")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(page)
	}
}

// Register adds the map's routes to e.
func (m *Map) Register(e *echo.Echo) {
	e.GET("/map", func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, "map/") })
	e.GET("/map/", echo.WrapHandler(m))
	e.GET("/map/index.html", echo.WrapHandler(m))
	e.GET("/map/config.json", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-cache")
		return c.Blob(http.StatusOK, "application/json", m.config)
	})
	e.GET("/map/boundary.geojson", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=86400")
		return c.Blob(http.StatusOK, "application/geo+json", m.boundary)
	})
	static := http.StripPrefix("/map", m.static)
	e.GET("/map/*", func(c echo.Context) error {
		p := c.Param("*")
		if p == "" || strings.HasSuffix(p, "/") {
			return echo.ErrNotFound
		}
		h := c.Response().Header()
		if strings.HasPrefix(p, "vendor/") {
			h.Set("Cache-Control", "public, max-age=604800")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		static.ServeHTTP(c.Response(), c.Request())
		return nil
	})
}
