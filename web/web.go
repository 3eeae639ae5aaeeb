// Package web serves cityatlas's web map: the static files of web/map
// (HTML, the ES modules of js/, CSS, MapLibre GL JS 5.24.1 vendored from
// npm and the DejaVu Sans glyphs built with fontnik under web/map/vendor),
// embedded in the binary so that the map works on an intranet with no CDN,
// plus its configuration document. The map knows no city: the boundary,
// the first view and the base layers come from the collections' roles, the
// title and attribution from Config.
//
// The Go package sits beside the folder because `map` is a Go keyword.
//
// Routes (see Register): /map/ (the page), /map/config.json,
// /map/fonts/{font}/{range}.pbf (glyphs) and /map/{file}. The Map is also
// an http.Handler that serves the page, for the api's landing route to give
// browsers.
package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"
)

//go:embed map/index.html map/style.css map/js map/vendor
var files embed.FS

// fonts maps the font names of the map's style to their glyph folders
// under map/vendor/glyphs.
var fonts = map[string]string{
	"DejaVu Sans Book": "DejaVuSans",
	"DejaVu Sans Bold": "DejaVuSans-Bold",
}

var glyphRange = regexp.MustCompile(`^([0-9]{1,5})-([0-9]{1,5})\.pbf$`)

// Config configures the map.
type Config struct {
	// Basemap is a MapLibre style URL (…/style.json) or a raster tile URL
	// template with {z}, {x} and {y} (such as OpenStreetMap's
	// https://tile.openstreetmap.org/{z}/{x}/{y}.png). Empty: the offline
	// basemap drawn from cityatlas's own data (base layers such as streets,
	// the city limits).
	Basemap string
	// Attribution is shown for the basemap; for a tile URL on
	// openstreetmap.org it defaults to OpenStreetMap's.
	Attribution string
	// DataAttribution is shown for cityatlas's own layers (default: the
	// title).
	DataAttribution string
	// Title heads the page (default "cityatlas").
	Title string
}

// Map serves the web map.
type Map struct {
	cfg    Config
	static http.Handler
	sub    fs.FS
	index  []byte
	config []byte
}

// New returns the map for cfg.
func New(cfg Config) *Map {
	if cfg.Title == "" {
		cfg.Title = "cityatlas"
	}
	if cfg.DataAttribution == "" {
		cfg.DataAttribution = cfg.Title
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
		"title":       cfg.Title,
		"attribution": cfg.DataAttribution,
		"font":        "DejaVu Sans Book",
		"fontBold":    "DejaVu Sans Bold",
		"basemap": map[string]string{
			"kind": kind, "url": cfg.Basemap, "attribution": cfg.Attribution,
		},
	})
	return &Map{cfg: cfg, static: http.FileServer(http.FS(sub)), sub: sub, index: index, config: conf}
}

func htmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	return r.Replace(s)
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
	e.GET("/map/fonts/:font/:range", m.glyphs)
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

// glyphs answers a glyph request of the map's style: the vendored PBF of
// a known font and range; a range the vendored files lack (a script beyond
// Latin) is an empty PBF, so that the map draws what it can; an unknown
// font or a malformed range is a 404.
func (m *Map) glyphs(c echo.Context) error {
	font, err := url.PathUnescape(c.Param("font"))
	if err != nil {
		return echo.ErrNotFound
	}
	dir, ok := fonts[font]
	r := glyphRange.FindStringSubmatch(c.Param("range"))
	if !ok || r == nil {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=604800")
	b, err := fs.ReadFile(m.sub, "vendor/glyphs/"+dir+"/"+r[0])
	if err != nil {
		b = []byte{}
	}
	return c.Blob(http.StatusOK, "application/x-protobuf", b)
}
